/* ddkb concept map: draws the embedded graph with vis-network and wires up the
 * search box, tooltips, details panel and legend.
 *
 * Every string that comes from the knowledge base (labels, definitions, source
 * titles, class names) reaches the page through textContent only -- never
 * innerHTML -- so a label such as "<script>" is shown as text and never runs.
 * The map state is exposed as window.ddkbMap for scripting and tests.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("ddkb-data").textContent);
  var GLYPHS = {
    dot: "\u25CF", square: "\u25A0", diamond: "\u25C6", triangle: "\u25B2",
    triangleDown: "\u25BC", star: "\u2605", hexagon: "\u2B22", ellipse: "\u2B2C"
  };
  var DOUBT_TEXT = {
    "not-supported": "Not supported by the fact-check",
    "contradicted": "Contradicted by the fact-check",
    "partly": "Only partly supported by the fact-check"
  };
  var reduceMotion = window.matchMedia &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  /* -- DOM helpers (text only) ------------------------------------------- */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function labelled(label, value) {
    var p = el("p");
    p.appendChild(el("span", "ddkb-card-label", label + ": "));
    p.appendChild(document.createTextNode(String(value)));
    return p;
  }
  function list(items) {
    var ul = el("ul");
    items.forEach(function (item) { ul.appendChild(el("li", null, item)); });
    return ul;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  /* -- cards shown in the tooltip and the details panel -------------------- */
  function nodeCard(node) {
    var info = node.ddkb || {};
    var card = el("div", "ddkb-card");
    card.appendChild(el("p", "ddkb-card-title", node.label));
    card.appendChild(el("p", "ddkb-card-type",
      (info.classLabel || info.cls || "Concept") + " \u00B7 " + (info.curie || node.id)));
    if (info.doubt) {
      card.appendChild(el("p", info.doubt === "partly" ? "ddkb-partly" : "ddkb-doubt",
        "\u26A0 " + DOUBT_TEXT[info.doubt]));
    }
    card.appendChild(el("p", info.definition ? null : "ddkb-hint",
      info.definition || "No definition recorded."));
    if (info.alt && info.alt.length) { card.appendChild(labelled("Also called", info.alt.join("; "))); }
    if (info.types && info.types.length > 1) { card.appendChild(labelled("Types", info.types.join(", "))); }
    if (info.sources && info.sources.length) {
      card.appendChild(el("p", "ddkb-card-label", "Source sections:"));
      card.appendChild(list(info.sources));
    } else {
      card.appendChild(el("p", "ddkb-hint", "No source section recorded."));
    }
    card.appendChild(labelled("Verification status", info.status || "not recorded"));
    if (info.bundled === false) { card.appendChild(el("p", "ddkb-hint", "From your own data file.")); }
    return card;
  }
  function edgeCard(edge) {
    var info = edge.ddkb || {};
    var from = nodes.get(edge.from), to = nodes.get(edge.to);
    var card = el("div", "ddkb-card");
    card.appendChild(el("p", "ddkb-card-title",
      (from ? from.label : edge.from) + " \u2192 " + edge.label + " \u2192 " + (to ? to.label : edge.to)));
    card.appendChild(el("p", "ddkb-card-type", "Relation \u00B7 " + (info.curie || "")));
    if (info.sources && info.sources.length) {
      card.appendChild(el("p", "ddkb-card-label", "Source sections:"));
      card.appendChild(list(info.sources));
    } else {
      card.appendChild(el("p", "ddkb-hint", "No source section recorded."));
    }
    return card;
  }

  /* -- the network -------------------------------------------------------- */
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("ddkb-canvas");
  var state = { ready: false, drawnMs: null, stabilizedMs: null, physics: data.physics };
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);

  var details = document.getElementById("ddkb-details");
  function showDetails(card) { clear(details); details.appendChild(card); }

  var tooltip = document.getElementById("ddkb-tooltip");
  function showTooltip(card, pointer) {
    clear(tooltip);
    tooltip.appendChild(card);
    var box = container.getBoundingClientRect();
    tooltip.hidden = false;
    var x = box.left + pointer.x + 14, y = box.top + pointer.y + 14;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    if (x + w > window.innerWidth - 4) { x = Math.max(4, box.left + pointer.x - w - 14); }
    if (y + h > window.innerHeight - 4) { y = Math.max(4, box.top + pointer.y - h - 14); }
    tooltip.style.left = x + "px";
    tooltip.style.top = y + "px";
  }
  function hideTooltip() { tooltip.hidden = true; }

  network.on("hoverNode", function (p) { showTooltip(nodeCard(nodes.get(p.node)), p.pointer.DOM); });
  network.on("hoverEdge", function (p) { showTooltip(edgeCard(edges.get(p.edge)), p.pointer.DOM); });
  network.on("blurNode", hideTooltip);
  network.on("blurEdge", hideTooltip);
  network.on("dragStart", hideTooltip);
  network.on("zoom", hideTooltip);
  network.on("click", function (p) {
    if (p.nodes.length) { showDetails(nodeCard(nodes.get(p.nodes[0]))); }
    else if (p.edges.length) { showDetails(edgeCard(edges.get(p.edges[0]))); }
  });

  if (data.physics) {
    network.once("stabilizationIterationsDone", function () {
      state.stabilizedMs = performance.now();
      network.setOptions({ physics: { enabled: false } });
    });
  }
  network.on("afterDrawing", function () {
    if (state.drawnMs !== null || (data.physics && state.stabilizedMs === null)) { return; }
    state.drawnMs = performance.now();  // the settled map is on screen
    // fit again now that every node and label has been measured by a drawing
    // (vis-network's own fit runs on the sizes from before stabilisation)
    window.setTimeout(function () {
      network.fit({ animation: false });
      state.ready = true;
      document.body.setAttribute("data-ddkb-ready", "true");
    }, 0);
  });

  /* -- search --------------------------------------------------------------- */
  var index = data.nodes.map(function (n) {
    var alt = (n.ddkb && n.ddkb.alt) || [];
    return { id: n.id, label: String(n.label).toLowerCase(),
             alt: alt.map(function (a) { return String(a).toLowerCase(); }) };
  });
  var datalist = document.getElementById("ddkb-labels");
  var seen = {};
  data.nodes.forEach(function (n) {
    if (seen[n.label]) { return; }
    seen[n.label] = true;
    var option = document.createElement("option");
    option.value = String(n.label);
    datalist.appendChild(option);
  });

  function findMatches(query) {
    var q = String(query || "").trim().toLowerCase();
    if (!q) { return []; }
    var exact = [], starts = [], inside = [], viaAlt = [];
    index.forEach(function (item) {
      if (item.label === q) { exact.push(item.id); }
      else if (item.label.indexOf(q) === 0) { starts.push(item.id); }
      else if (item.label.indexOf(q) >= 0) { inside.push(item.id); }
      else if (item.alt.some(function (a) { return a.indexOf(q) >= 0; })) { viaAlt.push(item.id); }
    });
    return exact.concat(starts, inside, viaAlt);
  }

  var status = document.getElementById("ddkb-search-status");
  var searchState = { query: null, matches: [], at: 0 };
  function search(query) {
    var key = String(query || "").trim().toLowerCase();
    if (key !== searchState.query) {
      searchState = { query: key, matches: findMatches(key), at: 0 };
    } else if (searchState.matches.length) {
      searchState.at = (searchState.at + 1) % searchState.matches.length;
    }
    var found = searchState.matches;
    if (!found.length) {
      status.className = "ddkb-miss";
      status.textContent = key ? "No concept matches \u201C" + String(query).trim() + "\u201D." : "";
      network.unselectAll();
      return null;
    }
    var id = found[searchState.at];
    var node = nodes.get(id);
    network.selectNodes([id]);
    network.focus(id, {
      scale: Math.max(network.getScale(), 1.0),
      animation: reduceMotion ? false : { duration: 350, easingFunction: "easeInOutQuad" }
    });
    showDetails(nodeCard(node));
    status.className = "";
    status.textContent = found.length === 1 ? "Found \u201C" + node.label + "\u201D."
      : "Match " + (searchState.at + 1) + " of " + found.length + ": \u201C" + node.label +
        "\u201D (Find again for the next).";
    return id;
  }
  document.getElementById("ddkb-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("ddkb-search").value);
  });

  /* -- legend ----------------------------------------------------------------- */
  var legend = document.getElementById("ddkb-legend");
  data.legend.forEach(function (entry) {
    var li = el("li");
    var glyph = el("span", "ddkb-glyph", GLYPHS[entry.shape] || GLYPHS.dot);
    glyph.style.color = entry.color;
    glyph.setAttribute("aria-hidden", "true");
    li.appendChild(glyph);
    li.appendChild(el("span", null, entry.label));
    li.appendChild(el("span", "ddkb-count", "(" + entry.count + ")"));
    legend.appendChild(li);
  });
  if (data.doubtful) {
    var li = el("li");
    li.appendChild(el("span", "ddkb-glyph-doubt", "-"));
    li.appendChild(el("span", null, "Dashed red border: not supported or contradicted by the fact-check"));
    li.appendChild(el("span", "ddkb-count", "(" + data.doubtful + ")"));
    legend.appendChild(li);
  }

  if (data.focus && nodes.get(data.focus)) {
    network.selectNodes([data.focus]);
    showDetails(nodeCard(nodes.get(data.focus)));
  }

  window.ddkbMap = {
    nodes: nodes, edges: edges, network: network, state: state, data: data,
    search: search, findMatches: findMatches
  };
})();
