// ddkb web pages: search suggestions, tree expand/collapse, client-side search in the static site.
// Live, suggestions come from /api/search; in the static site from window.ddkbSearchIndex.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  var api = form ? form.getAttribute("data-api") : "";
  var root = form ? form.getAttribute("data-root") || "/" : "/";
  var timer = null;
  var active = -1;
  var latest = 0;

  function normalise(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }

  // Static site: rank the bundled index like the server roughly does (label first).
  function localSearch(text, limit) {
    var index = window.ddkbSearchIndex || [];
    var query = normalise(text);
    if (!query) { return []; }
    var words = query.split(" ");
    var hits = [];
    index.forEach(function (item) {
      var label = normalise(item.label);
      var score = 0;
      if (label === query) { score = 100; }
      else if (label.indexOf(query) === 0) { score = 70; }
      else if (words.every(function (w) { return label.indexOf(w) >= 0; })) { score = 50; }
      else {
        (item.alt || []).forEach(function (alt) {
          var a = normalise(alt);
          if (a === query) { score = Math.max(score, 60); }
          else if (words.every(function (w) { return a.indexOf(w) >= 0; })) { score = Math.max(score, 30); }
        });
      }
      if (score > 0) { hits.push({ score: score, label: item.label, url: root + item.path + ".html", "class": "" }); }
    });
    hits.sort(function (a, b) { return b.score - a.score || a.label.localeCompare(b.label); });
    return hits.slice(0, limit);
  }

  function fetchHits(text, limit) {
    if (!api) { return Promise.resolve(localSearch(text, limit)); }
    return fetch(api + "?limit=" + limit + "&q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (hits) { return hits.filter(function (h) { return h.url; }); });
  }

  function show(hits) {
    list.textContent = "";
    active = -1;
    hits.forEach(function (hit, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      var a = document.createElement("a");
      a.href = hit.url;
      a.id = "suggestion-" + i;
      a.textContent = hit.label;
      if (hit["class"]) {
        var small = document.createElement("small");
        small.textContent = hit["class"];
        a.appendChild(small);
      }
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = hits.length === 0;
  }

  function move(step) {
    var links = list.querySelectorAll("a");
    if (!links.length) { return; }
    if (active >= 0) { links[active].removeAttribute("aria-selected"); }
    active = (active + step + links.length) % links.length;
    links[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", links[active].id);
  }

  if (input && list) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) { show([]); return; }
      timer = setTimeout(function () {
        var ticket = ++latest;
        fetchHits(text, 8).then(function (hits) { if (ticket === latest) { show(hits); } })
          .catch(function () { show([]); });
      }, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { move(1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { move(-1); event.preventDefault(); }
      else if (event.key === "Escape") { show([]); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = list.querySelectorAll("a")[active].href;
      }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { list.hidden = true; }
    });
  }

  // Static site: the search page runs the query from ?q= in the browser.
  var results = document.getElementById("search-results");
  if (results && !api) {
    var q = new URLSearchParams(window.location.search).get("q") || "";
    if (input) { input.value = q; }
    var hits = q ? localSearch(q, 50) : [];
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = hit.url;
      a.textContent = hit.label;
      li.appendChild(a);
      results.appendChild(li);
    });
    var status = document.getElementById("search-status");
    if (status && q) { status.textContent = hits.length + " result" + (hits.length === 1 ? "" : "s") + " for \u201c" + q + "\u201d."; }
  }

  // Browse: expand or collapse every branch of the trees.
  document.querySelectorAll("[data-tree]").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-tree") === "open";
      document.querySelectorAll(".tree details").forEach(function (d) { d.open = open; });
    });
  });
}());
