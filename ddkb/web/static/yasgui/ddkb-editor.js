// ddkb's query editor: start YASGUI on this page with the local /sparql endpoint only.
// The settings come from the JSON block #ddkb-editor-config (endpoint path, example
// query, ddkb prefixes); no inline script, so the site's Content-Security-Policy holds.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ddkb-editor-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  document.getElementById("ddkb-endpoint").textContent = endpoint;
  var only = [{ endpoint: endpoint }];
  // local completers only: "class" and "property" would ask lov.linkeddata.es (the CSP
  // blocks that anyway). Set on the defaults: YASQE merges a config's arrays index by index.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(document.getElementById("ddkb-yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      getData: function () { return only; },
      keys: [],
    },
    persistenceId: null,          // nothing kept in localStorage
    populateFromUrl: false,
    autofocus: true,
    yasqe: {
      value: config.query,
      resizeable: true,
      editorHeight: "320px",
    },
    yasr: {
      prefixes: config.prefixes,
      pluginOrder: ["table", "response"],
      defaultPlugin: "table",
    },
  });
  // a fresh editor shows the example (or the ?query= given), whatever the defaults say
  var tab = yasgui.getTab();
  if (tab && tab.getQuery() !== config.query) {
    tab.setQuery(config.query);
  }
  window.ddkbEditor = yasgui;
})();
