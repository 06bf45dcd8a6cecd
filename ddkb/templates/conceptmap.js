/* ddkb concept map: draws the embedded graph with vis-network and wires up the
 * search box, tooltips, details panel, legend, progressive disclosure and the
 * keyboard route.
 *
 * Embedded data (<script id="ddkb-data" type="application/json">, written by
 * ddkb/conceptmap.py map_payload; other page scripts may read it too):
 *   data.nodes[]   vis-network nodes: id (concept IRI), label (the concept's plain
 *                  label), shape, group, x, y (precomputed layout), size / font /
 *                  borderWidth / shadow (focus and doubt styling) and
 *                  ddkb: {name (plain label), curie, cls, classLabel, types[],
 *                  definition, alt[], sources[] (section titles), status (status
 *                  label), statusIri (ddkb:VerificationStatus IRI or ""), doubt ("",
 *                  "partly", "not-supported", "contradicted"), bundled, parent (IRI
 *                  of the concept whose "+N more" reveals this one, or null), rank
 *                  (0 = most important), degree (relation count), shown (on screen
 *                  when the page opens), keys[] (normalised search names, preferred
 *                  label first)}
 *   data.edges[]   vis-network edges: id, from, to, label (relation label), smooth,
 *                  color / dashes / width / arrows (doubt styling) and
 *                  ddkb: {curie (property), sources[], status, statusIri, doubt,
 *                  correction, evidence, claim (the claim's text)}
 *   data.options (vis-network), physics, layout ("force", "hierarchical" or
 *   "physics"), focus (IRI or null), doubtful (count), doubt {nodes, edges,
 *   plainEdges} (counts by doubt level), edgeStyles, view {minConceptPx, nodeFont,
 *   minRelationPx, relationLabelPx, edgeFont, shownAtOpening}, search {fixes, suffixes} (the
 *   spelling tables of ddkb.lookup.normalise), legend[] {cls, label, color, shape,
 *   count}.
 * The vis DataSets (ddkbMap.nodes / ddkbMap.edges) hold display copies: there a
 * node's label may start with a warning sign and end with "+N more", and items
 * not on screen have hidden: true.
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
  var WARN = "\u26A0 ";
  var view = data.view || { minConceptPx: 12, nodeFont: 16, minRelationPx: 10, edgeFont: 12 };
  var reduceMotion = window.matchMedia &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var has = Object.prototype.hasOwnProperty;

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
  function button(text, onClick, className) {
    var b = el("button", className || "ddkb-link", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  /* -- the concepts, their tree of disclosure and what is on screen --------- */
  var byId = {}, edgeById = {}, children = {}, relationsOf = {};
  data.nodes.forEach(function (n) { n.ddkb = n.ddkb || {}; byId[n.id] = n; });
  data.nodes.forEach(function (n) {
    var parent = n.ddkb.parent;
    if (parent && byId[parent]) { (children[parent] = children[parent] || []).push(n.id); }
  });
  Object.keys(children).forEach(function (id) {
    children[id].sort(function (a, b) { return byId[a].ddkb.rank - byId[b].ddkb.rank; });
  });
  data.edges.forEach(function (e) {
    e.ddkb = e.ddkb || {};
    edgeById[e.id] = e;
    (relationsOf[e.from] = relationsOf[e.from] || []).push(e.id);
    if (e.to !== e.from) { (relationsOf[e.to] = relationsOf[e.to] || []).push(e.id); }
  });
  var byRank = data.nodes.slice().sort(function (a, b) {
    return (a.ddkb.rank || 0) - (b.ddkb.rank || 0);
  }).map(function (n) { return n.id; });

  var shown = {}, hiddenClasses = {};
  data.nodes.forEach(function (n) { if (n.ddkb.shown !== false) { shown[n.id] = true; } });

  function nameOf(id) {
    var n = byId[id];
    return n ? String(n.ddkb.name !== undefined ? n.ddkb.name : n.label) : String(id);
  }
  function hiddenChildren(id) {
    return (children[id] || []).filter(function (c) { return !shown[c]; });
  }
  function shownChildren(id) {
    return (children[id] || []).filter(function (c) { return shown[c]; });
  }
  function displayLabel(id) {
    var n = byId[id], label = nameOf(id);
    if (n.ddkb.doubt) { label = WARN + label; }
    var more = hiddenChildren(id).length;
    if (more) { label += "\n+" + more + " more"; }
    return label;
  }
  function isVisible(id) {
    return !!shown[id] && !hiddenClasses[byId[id].ddkb.cls];
  }
  function edgeVisible(e) { return isVisible(e.from) && isVisible(e.to); }

  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    return Object.assign({}, n, { label: displayLabel(n.id), hidden: !isVisible(n.id) });
  }));
  var edges = new vis.DataSet(data.edges.map(function (e) {
    return Object.assign({}, e, { hidden: !edgeVisible(e) });
  }));

  function applyVisibility() {
    var nodeChanges = [], edgeChanges = [];
    data.nodes.forEach(function (n) {
      var cur = nodes.get(n.id), hidden = !isVisible(n.id), label = displayLabel(n.id);
      if (cur.hidden !== hidden || cur.label !== label) {
        nodeChanges.push({ id: n.id, hidden: hidden, label: label });
      }
    });
    data.edges.forEach(function (e) {
      var hidden = !edgeVisible(e);
      if (edges.get(e.id).hidden !== hidden) { edgeChanges.push({ id: e.id, hidden: hidden }); }
    });
    if (nodeChanges.length) { nodes.update(nodeChanges); }
    if (edgeChanges.length) { edges.update(edgeChanges); }
    updateDisclosureStatus();
  }
  function expand(id) {
    hiddenChildren(id).forEach(function (c) { shown[c] = true; });
    applyVisibility();
  }
  function collapse(id) {
    var todo = shownChildren(id).slice();
    while (todo.length) {
      var c = todo.pop();
      if (c === data.focus) { continue; }
      delete shown[c];
      todo = todo.concat(shownChildren(c));
    }
    applyVisibility();
  }
  function reveal(id) {
    for (var at = id; at && byId[at]; at = byId[at].ddkb.parent) { shown[at] = true; }
    delete hiddenClasses[byId[id].ddkb.cls];
    syncLegend();
    applyVisibility();
  }
  function showAll(all) {
    data.nodes.forEach(function (n) {
      if (all || n.ddkb.shown !== false) { shown[n.id] = true; } else { delete shown[n.id]; }
    });
    applyVisibility();
  }

  /* -- cards shown in the tooltip and the details panel -------------------- */
  var TOOLTIP_SOURCES = 4;  // a tooltip lists a few sections; the card lists them all
  function addSources(card, sources, all) {
    if (!sources || !sources.length) {
      card.appendChild(el("p", "ddkb-hint", "No source section recorded."));
      return;
    }
    card.appendChild(el("p", "ddkb-card-label", "Source sections:"));
    var few = all || sources.length <= TOOLTIP_SOURCES + 1 ? sources : sources.slice(0, TOOLTIP_SOURCES);
    card.appendChild(list(few));
    if (few.length < sources.length) {
      card.appendChild(el("p", "ddkb-hint", "\u2026 and " + (sources.length - few.length) +
        " more (click for the full card)."));
    }
  }
  function nodeCard(node, interactive) {
    var id = node.id, info = (byId[id] || node).ddkb || {};
    var card = el("div", "ddkb-card");
    var title = el("p", "ddkb-card-title", nameOf(id));
    title.tabIndex = -1;
    card.appendChild(title);
    card.appendChild(el("p", "ddkb-card-type",
      (info.classLabel || info.cls || "Concept") + " \u00B7 " + (info.curie || id)));
    if (id === data.focus) { card.appendChild(el("p", "ddkb-hint", "The focus of this map.")); }
    if (info.doubt) {
      card.appendChild(el("p", info.doubt === "partly" ? "ddkb-partly" : "ddkb-doubt",
        WARN + DOUBT_TEXT[info.doubt]));
    }
    card.appendChild(el("p", info.definition ? null : "ddkb-hint",
      info.definition || "No definition recorded."));
    if (info.alt && info.alt.length) { card.appendChild(labelled("Also called", info.alt.join("; "))); }
    if (info.types && info.types.length > 1) { card.appendChild(labelled("Types", info.types.join(", "))); }
    addSources(card, info.sources, interactive);
    card.appendChild(labelled("Verification status", info.status || "not recorded"));
    if (info.bundled === false) { card.appendChild(el("p", "ddkb-hint", "From your own data file.")); }
    var more = hiddenChildren(id).length;
    if (more && !interactive) {
      card.appendChild(el("p", "ddkb-hint", "+" + more + " more connected concepts: double-click to show them."));
    }
    if (interactive) { addConceptActions(card, id); }
    return card;
  }
  function addConceptActions(card, id) {
    var more = hiddenChildren(id).length, open = shownChildren(id).length;
    var row = el("p", "ddkb-actions");
    if (more) {
      row.appendChild(button("Show " + more + " more connected concept" + (more > 1 ? "s" : ""),
        function () { expand(id); openConcept(id, true); }, "ddkb-action ddkb-expand"));
    }
    if (open && id !== data.focus) {
      row.appendChild(button("Hide the " + open + " concept" + (open > 1 ? "s" : "") + " it revealed",
        function () { collapse(id); openConcept(id, true); }, "ddkb-action ddkb-collapse"));
    }
    if (row.firstChild) { card.appendChild(row); }
    var rels = relationsOf[id] || [];
    if (!rels.length) { return; }
    card.appendChild(el("p", "ddkb-card-label", "Relations (" + rels.length + "):"));
    var ul = el("ul", "ddkb-relations");
    rels.forEach(function (eid) {
      var e = edgeById[eid], doubt = e.ddkb.doubt;
      var text = e.from === id ? "\u2192 " + e.label + " \u2192 " + nameOf(e.to)
        : "\u2190 " + e.label + " \u2190 " + nameOf(e.from);
      var li = el("li");
      li.appendChild(button((doubt ? WARN : "") + text, function () { openRelation(eid, true); },
        "ddkb-link" + (doubt ? (doubt === "partly" ? " ddkb-partly" : " ddkb-doubt") : "")));
      ul.appendChild(li);
    });
    card.appendChild(ul);
  }
  function edgeCard(edge, interactive) {
    var e = edgeById[edge.id] || edge, info = e.ddkb || {};
    var card = el("div", "ddkb-card");
    var title = el("p", "ddkb-card-title",
      nameOf(e.from) + " \u2192 " + e.label + " \u2192 " + nameOf(e.to));
    title.tabIndex = -1;
    card.appendChild(title);
    card.appendChild(el("p", "ddkb-card-type", "Relation \u00B7 " + (info.curie || "")));
    if (info.doubt) {
      card.appendChild(el("p", info.doubt === "partly" ? "ddkb-partly" : "ddkb-doubt",
        WARN + DOUBT_TEXT[info.doubt]));
    }
    card.appendChild(labelled("Fact-check status", info.status || "not checked"));
    if (info.correction) { card.appendChild(labelled("Correction", info.correction)); }
    if (info.evidence) { card.appendChild(labelled("Evidence", info.evidence)); }
    if (info.claim) { card.appendChild(labelled("The article's claim", info.claim)); }
    addSources(card, info.sources, interactive);
    if (interactive) {
      var row = el("p", "ddkb-actions");
      row.appendChild(button("Go to " + nameOf(e.from), function () { openConcept(e.from, true); }));
      if (e.to !== e.from) {
        row.appendChild(button("Go to " + nameOf(e.to), function () { openConcept(e.to, true); }));
      }
      card.appendChild(row);
    }
    return card;
  }

  /* -- the network -------------------------------------------------------- */
  var container = document.getElementById("ddkb-canvas");
  var state = { ready: false, drawnMs: null, stabilizedMs: null, physics: data.physics };
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);

  var details = document.getElementById("ddkb-details");
  function showDetails(card, moveFocus) {
    clear(details);
    details.appendChild(card);
    if (moveFocus) {
      var title = card.querySelector(".ddkb-card-title");
      if (title) { title.focus(); }
    }
  }

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

  /* relation labels: drawn when big enough on screen (vis-network's drawThreshold),
     and always for the relations of the concept or relation pointed at or selected */
  var active = { hover: [], select: [] };
  var enlarged = {};
  function edgesOfNode(id) { return relationsOf[id] || []; }
  function refreshEdgeLabels() {
    var want = {}, scale = network.getScale();
    var size = Math.max(view.edgeFont, Math.ceil((view.relationLabelPx || 13) / scale) + 1);
    active.hover.concat(active.select).forEach(function (id) { want[id] = true; });
    var changes = [];
    Object.keys(enlarged).forEach(function (id) {
      if (!want[id]) { changes.push({ id: id, font: { size: view.edgeFont } }); delete enlarged[id]; }
    });
    Object.keys(want).forEach(function (id) {
      if (enlarged[id] !== size) { changes.push({ id: id, font: { size: size } }); enlarged[id] = size; }
    });
    if (changes.length) { edges.update(changes); }
  }

  network.on("hoverNode", function (p) {
    showTooltip(nodeCard(nodes.get(p.node), false), p.pointer.DOM);
    active.hover = edgesOfNode(p.node);
    refreshEdgeLabels();
  });
  network.on("hoverEdge", function (p) {
    showTooltip(edgeCard(edges.get(p.edge), false), p.pointer.DOM);
    active.hover = [p.edge];
    refreshEdgeLabels();
  });
  function blur() { hideTooltip(); active.hover = []; refreshEdgeLabels(); }
  network.on("blurNode", blur);
  network.on("blurEdge", blur);
  network.on("dragStart", hideTooltip);
  network.on("zoom", function () { hideTooltip(); refreshEdgeLabels(); });
  // vis-network sends no blur when the pointer leaves the canvas over an edge
  container.addEventListener("mouseleave", blur);
  network.on("select", function (p) {
    active.select = p.nodes.length ? edgesOfNode(p.nodes[0]) : p.edges.slice(0, 1);
    refreshEdgeLabels();
  });
  network.on("click", function (p) {
    if (p.nodes.length) { showDetails(nodeCard(nodes.get(p.nodes[0]), true)); }
    else if (p.edges.length) { showDetails(edgeCard(edges.get(p.edges[0]), true)); }
  });
  network.on("doubleClick", function (p) {
    if (!p.nodes.length) { return; }
    var id = p.nodes[0];
    if (hiddenChildren(id).length) { expand(id); } else { collapse(id); }
    showDetails(nodeCard(nodes.get(id), true));
  });

  function selectConcept(id) {
    network.selectNodes([id]);
    active.select = edgesOfNode(id);
    refreshEdgeLabels();
  }
  function bringIntoView(ids) {
    var scale = network.getScale();
    var pos = network.getPositions(ids), box = container.getBoundingClientRect();
    var inside = ids.every(function (id) {
      var p = pos[id] && network.canvasToDOM(pos[id]);
      return p && p.x > 30 && p.y > 30 && p.x < box.width - 30 && p.y < box.height - 30;
    });
    if (!inside && ids.length) {
      network.focus(ids[0], { scale: scale, animation: reduceMotion ? false : { duration: 250 } });
    }
  }
  function openConcept(id, moveFocus) {
    if (!isVisible(id)) { reveal(id); }
    selectConcept(id);
    bringIntoView([id]);
    showDetails(nodeCard(nodes.get(id), true), moveFocus);
  }
  function openRelation(eid, moveFocus) {
    var e = edgeById[eid];
    if (!edgeVisible(e)) { reveal(e.from); reveal(e.to); }
    network.setSelection({ nodes: [], edges: [eid] }, { unselectAll: true, highlightEdges: false });
    active.select = [eid];
    refreshEdgeLabels();
    bringIntoView([e.from, e.to]);
    showDetails(edgeCard(e, true), moveFocus);
  }

  /* -- the opening view: everything on screen, but never below the readable size -- */
  function visibleIds() { return byRank.filter(isVisible); }
  function openingView() {
    var ids = visibleIds();
    network.fit({ nodes: ids, animation: false });
    var min = view.minConceptPx / view.nodeFont, scale = network.getScale();
    if (scale < min || scale > 1.6) {
      var target = Math.min(Math.max(scale, min), 1.6), centre = network.getViewPosition();
      var tops = ids.map(function (id) { return network.getBoundingBox(id).top; });
      var bottoms = ids.map(function (id) { return network.getBoundingBox(id).bottom; });
      var top = Math.min.apply(null, tops), tall = Math.max.apply(null, bottoms) - top;
      if (data.layout === "hierarchical" && scale < min) {
        // a top-down map is read from the top: keep its first row in view
        if (tall * target > container.clientHeight) {
          centre = { x: centre.x, y: top - 20 + container.clientHeight / 2 / target };
        }
      } else if (data.focus && isVisible(data.focus)) {
        centre = network.getPositions([data.focus])[data.focus];
      }
      network.moveTo({ position: centre, scale: target, animation: false });
    }
    refreshEdgeLabels();
  }

  if (data.physics) {
    network.once("stabilizationIterationsDone", function () {
      state.stabilizedMs = performance.now();
      network.setOptions({ physics: { enabled: false } });
    });
  }
  // until the reader zooms or drags, a change of the map's size (the page finishing its
  // layout, a toolbar wrapping, a rotated phone) re-applies the opening view: vis-network
  // would otherwise scale the drawing with the width, below the readable size
  var viewTouched = false;
  network.on("zoom", function () { viewTouched = true; });
  network.on("dragStart", function () { viewTouched = true; });
  network.on("resize", function () {
    if (state.ready && !viewTouched) { window.setTimeout(openingView, 0); }
  });
  network.on("afterDrawing", function () {
    if (state.drawnMs !== null || (data.physics && state.stabilizedMs === null)) { return; }
    state.drawnMs = performance.now();  // the settled map is on screen
    // fit again now that every node and label has been measured by a drawing
    window.setTimeout(function () {
      openingView();
      state.ready = true;
      document.body.setAttribute("data-ddkb-ready", "true");
    }, 0);
  });

  /* -- search: ddkb.lookup.normalise's rules, keys precomputed in Python --------- */
  var rules = data.search || { fixes: {}, suffixes: [] };
  function normaliseWord(word) {
    if (has.call(rules.fixes, word)) { word = rules.fixes[word]; }
    for (var i = 0; i < rules.suffixes.length; i++) {
      var british = rules.suffixes[i][0], american = rules.suffixes[i][1];
      if (word.length > british.length + 2 && word.slice(-british.length) === british) {
        word = word.slice(0, -british.length) + american;
        break;
      }
    }
    if (word.length > 4 && /ies$/.test(word)) { word = word.slice(0, -3) + "y"; }
    else if (word.length > 3 && /s$/.test(word) && !/(ss|us|is)$/.test(word)) { word = word.slice(0, -1); }
    return word;
  }
  function normalise(text) {
    var t = String(text || "").toLowerCase().replace(/&/g, " and ");
    t = t.replace(/([\p{L}\p{N}_])-(?=operat)/gu, "$1");  // no look-behind: Safari < 16.4
    t = t.replace(/[^\p{L}\p{N}_\s]|_/gu, " ");
    return t.split(/\s+/).filter(Boolean).map(normaliseWord).join(" ");
  }
  var index = data.nodes.map(function (n) {
    var keys = n.ddkb.keys && n.ddkb.keys.length ? n.ddkb.keys : [normalise(nameOf(n.id))];
    return { id: n.id, name: nameOf(n.id).toLowerCase(), pref: keys[0], alts: keys.slice(1),
             squashed: keys.map(function (k) { return k.replace(/ /g, ""); }) };
  });
  var datalist = document.getElementById("ddkb-labels");
  var seen = {};
  data.nodes.forEach(function (n) {
    var name = nameOf(n.id);
    if (has.call(seen, name)) { return; }
    seen[name] = true;
    var option = document.createElement("option");
    option.value = name;
    datalist.appendChild(option);
  });

  /* tiers, as `ddkb show` resolves a name: exact label; exact alt label; the same
     with spaces dropped ("peace keeping"); label starting with the words; label
     holding every word; label holding the text; an alt label holding it */
  function tierOf(item, q, raw, words, squashed) {
    if (item.name === raw || item.pref === q) { return 0; }
    if (item.alts.indexOf(q) >= 0) { return 1; }
    if (item.squashed.indexOf(squashed) >= 0) { return 2; }
    if (item.pref.indexOf(q) === 0) { return 3; }
    var padded = " " + item.pref + " ";
    if (words.every(function (w) { return padded.indexOf(" " + w + " ") >= 0; })) { return 4; }
    if (item.squashed[0].indexOf(squashed) >= 0 || item.name.indexOf(raw) >= 0) { return 5; }
    if (item.alts.some(function (a) { return a.replace(/ /g, "").indexOf(squashed) >= 0; })) { return 6; }
    return -1;
  }
  function findMatches(query) {
    var raw = String(query || "").trim().toLowerCase(), q = normalise(raw);
    if (!q) { return []; }
    var words = q.split(" "), squashed = q.replace(/ /g, ""), found = [];
    index.forEach(function (item) {
      var tier = tierOf(item, q, raw, words, squashed);
      if (tier >= 0) { found.push([tier, item.pref.length, item.name, item.id]); }
    });
    found.sort(function (a, b) {
      return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
    });
    return found.map(function (f) { return f[3]; });
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
    if (!isVisible(id)) { reveal(id); }
    selectConcept(id);
    network.focus(id, {
      scale: Math.max(network.getScale(), view.minConceptPx / view.nodeFont, 1.0),
      animation: reduceMotion ? false : { duration: 350, easingFunction: "easeInOutQuad" }
    });
    showDetails(nodeCard(nodes.get(id), true));
    status.className = "";
    status.textContent = found.length === 1 ? "Found \u201C" + nameOf(id) + "\u201D."
      : "Match " + (searchState.at + 1) + " of " + found.length + ": \u201C" + nameOf(id) +
        "\u201D (Find again for the next).";
    return id;
  }
  document.getElementById("ddkb-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("ddkb-search").value);
  });

  /* -- disclosure status: "showing 25 of 64 concepts" + show all / fewer -------- */
  var disclose = document.getElementById("ddkb-disclose");
  function updateDisclosureStatus() {
    if (!disclose) { return; }
    var total = data.nodes.length, on = data.nodes.filter(function (n) { return shown[n.id]; }).length;
    var initial = data.nodes.filter(function (n) { return n.ddkb.shown !== false; }).length;
    clear(disclose);
    if (initial >= total) { disclose.hidden = true; return; }
    disclose.hidden = false;
    disclose.appendChild(el("span", null, "Showing " + on + " of " + total + " concepts. "));
    if (on < total) {
      disclose.appendChild(button("Show all", function () { showAll(true); }, "ddkb-link ddkb-show-all"));
    } else {
      disclose.appendChild(button("Show the " + initial + " main ones", function () { showAll(false); },
        "ddkb-link ddkb-show-fewer"));
    }
  }

  /* -- legend: every mark on the map; class entries hide / show their class ---- */
  var legend = document.getElementById("ddkb-legend");
  var legendButtons = {};
  function syncLegend() {
    Object.keys(legendButtons).forEach(function (cls) {
      legendButtons[cls].setAttribute("aria-pressed", hiddenClasses[cls] ? "false" : "true");
    });
  }
  function toggleClass(cls) {
    if (hiddenClasses[cls]) { delete hiddenClasses[cls]; } else { hiddenClasses[cls] = true; }
    syncLegend();
    applyVisibility();
  }
  function legendRow(glyph, text, count) {
    var li = el("li", "ddkb-legend-note");
    glyph.setAttribute("aria-hidden", "true");
    li.appendChild(glyph);
    li.appendChild(el("span", null, text));
    if (count !== undefined) { li.appendChild(el("span", "ddkb-count", "(" + count + ")")); }
    legend.appendChild(li);
  }
  function lineGlyph(doubt) {
    var style = (data.edgeStyles || {})[doubt] || { color: "#8795a1", dashes: false };
    var g = el("span", "ddkb-line" + (style.dashes ? (doubt === "partly" ? " ddkb-line-dotted" : " ddkb-line-dashed") : ""));
    g.style.borderTopColor = style.color;
    g.style.color = style.color;
    g.setAttribute("data-mark", style.mark === "bar" ? "|" : style.mark === "circle" ? "\u25CF" : "");
    return g;
  }
  legend.appendChild(el("li", "ddkb-legend-head", "Concepts by class (click to hide or show):"));
  data.legend.forEach(function (entry) {
    var li = el("li");
    var b = el("button", "ddkb-legend-toggle");
    b.type = "button";
    b.setAttribute("aria-pressed", "true");
    b.setAttribute("data-cls", entry.cls);
    var glyph = el("span", "ddkb-glyph", GLYPHS[entry.shape] || GLYPHS.dot);
    glyph.style.color = entry.color;
    glyph.setAttribute("aria-hidden", "true");
    b.appendChild(glyph);
    b.appendChild(el("span", "ddkb-legend-label", entry.label));
    b.appendChild(el("span", "ddkb-count", "(" + entry.count + ")"));
    b.addEventListener("click", function () { toggleClass(entry.cls); });
    legendButtons[entry.cls] = b;
    li.appendChild(b);
    legend.appendChild(li);
  });
  legend.appendChild(el("li", "ddkb-legend-head", "Marks:"));
  if (data.focus) {
    legendRow(el("span", "ddkb-glyph ddkb-glyph-focus", "\u25C9"),
      "Focus concept: larger, bold label, thick outline");
  }
  var nodeDoubt = (data.doubt && data.doubt.nodes) || {};
  var edgeDoubt = (data.doubt && data.doubt.edges) || {};
  var redNodes = (nodeDoubt["not-supported"] || 0) + (nodeDoubt.contradicted || 0);
  if (redNodes) {
    legendRow(el("span", "ddkb-glyph-doubt", "-"),
      WARN + "red halo, dashed border: concept not supported or contradicted by the fact-check", redNodes);
  }
  if (nodeDoubt.partly) {
    legendRow(el("span", "ddkb-glyph-doubt ddkb-glyph-partly", "-"),
      WARN + "orange halo: concept only partly supported", nodeDoubt.partly);
  }
  legendRow(lineGlyph(""), "A \u2192 relation \u2192 B: the arrow points from subject to object " +
    "(read \u201CA fosters B\u201D); names show when you point at a concept or zoom in",
    data.doubt ? data.doubt.plainEdges : undefined);
  var redEdges = (edgeDoubt["not-supported"] || 0) + (edgeDoubt.contradicted || 0);
  if (redEdges) {
    legendRow(lineGlyph("not-supported"), "red dashed, crossbar: relation not supported or contradicted by the fact-check", redEdges);
  }
  if (edgeDoubt.partly) {
    legendRow(lineGlyph("partly"), "orange dotted, dot: relation only partly supported", edgeDoubt.partly);
  }
  if (data.nodes.some(function (n) { return n.ddkb.shown === false; })) {
    legendRow(el("span", "ddkb-glyph", "+"),
      "\u201C+N more\u201D: N more connected concepts; double-click the concept (or open its card) to show them");
  }

  /* -- keyboard route: arrows step through the concepts, Enter opens the card -- */
  var cursor = -1;
  function stepConcept(delta) {
    var ids = visibleIds();
    if (!ids.length) { return null; }
    var current = network.getSelectedNodes()[0];
    var at = ids.indexOf(current);
    if (at < 0) { at = cursor >= 0 && cursor < ids.length ? cursor : (delta > 0 ? -1 : 0); }
    cursor = (at + delta + ids.length) % ids.length;
    var id = ids[cursor];
    selectConcept(id);
    bringIntoView([id]);
    showDetails(nodeCard(nodes.get(id), true));
    return id;
  }
  container.tabIndex = 0;
  container.addEventListener("keydown", function (event) {
    var key = event.key, selected = network.getSelectedNodes()[0];
    if (key === "ArrowRight" || key === "ArrowDown") { stepConcept(1); }
    else if (key === "ArrowLeft" || key === "ArrowUp") { stepConcept(-1); }
    else if (key === "Enter" || key === " ") {
      if (selected) { openConcept(selected, true); }
      else if (network.getSelectedEdges()[0]) { openRelation(network.getSelectedEdges()[0], true); }
      else { stepConcept(1); }
    } else if ((key === "+" || key === "=") && selected) { expand(selected); openConcept(selected, false); }
    else if (key === "-" && selected) { collapse(selected); openConcept(selected, false); }
    else if (key === "Escape") { network.unselectAll(); active.select = []; refreshEdgeLabels(); }
    else { return; }
    event.preventDefault();
  });

  if (data.focus && nodes.get(data.focus)) {
    // selected (its relations drawn dark), but their names wait for a pointer:
    // thirty names around the focus would cover the concepts next to it
    network.selectNodes([data.focus]);
    showDetails(nodeCard(nodes.get(data.focus), true));
  }
  updateDisclosureStatus();

  window.ddkbMap = {
    nodes: nodes, edges: edges, network: network, state: state, data: data,
    search: search, findMatches: findMatches, normalise: normalise,
    expand: expand, collapse: collapse, reveal: reveal, showAll: showAll,
    toggleClass: toggleClass, isVisible: isVisible, visibleIds: visibleIds,
    openConcept: openConcept, openRelation: openRelation, hiddenChildren: hiddenChildren,
    openingView: openingView
  };
})();
