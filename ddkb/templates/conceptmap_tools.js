/* ddkb concept map tools: take the map home (PNG, SVG, print, propositions) and
 * edit and keep it (drag concepts, notes, new relations, "Download my additions").
 *
 * Runs after conceptmap.js and works on window.ddkbMap: the vis-network DataSets
 * (nodes, edges), the network and the embedded data block (data.tools comes from
 * ddkb/mapnotes.py: the ontology's relations, the user's loaded additions and the
 * fact-check doubts per relation). Every text from the KB or from the user reaches
 * the page through textContent, the SVG through DOM text nodes (XMLSerializer
 * escapes them) and the Turtle file through turtleString (escapes \ " and line
 * breaks). Positions, notes and new relations are kept in localStorage under a key
 * made from the map's identity (its title and concepts), so another map never
 * sees them. State for scripting and tests: window.ddkbMapTools.
 */
(function () {
  "use strict";

  var map = window.ddkbMap;
  if (!map) { return; }
  var data = map.data, nodes = map.nodes, edges = map.edges, network = map.network;
  var tools = data.tools || {};
  var relationChoices = tools.relations || [];
  var loaded = tools.user || { relations: [], notes: [] };
  var AGENT = tools.agent || "https://w3id.org/ddkb/agent/map-user";
  var USER_EDGE = { color: "#7b2cbf", dashes: [10, 4, 2, 4], width: 2.4 };
  var DOUBT_TEXT = {
    "not-supported": "not supported by the fact-check",
    "contradicted": "contradicted by the fact-check",
    "partly": "only partly supported by the fact-check"
  };
  var SVG_NS = "http://www.w3.org/2000/svg";

  /* -- helpers ------------------------------------------------------------- */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function button(text, title, onClick) {
    var b = el("button", "ddkb-tool", text);
    b.type = "button";
    if (title) { b.title = title; }
    b.addEventListener("click", onClick);
    return b;
  }
  /** Two 32-bit FNV-1a hashes (different seeds) as 16 hex digits. */
  function hash(text) {
    var a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995, i, c;
    for (i = 0; i < text.length; i++) {
      c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
    }
    return ("00000000" + a.toString(16)).slice(-8) + ("00000000" + b.toString(16)).slice(-8);
  }
  var labelOf = {};
  data.nodes.forEach(function (n) { labelOf[n.id] = String(n.label); });
  function label(id) { return labelOf.hasOwnProperty(id) ? labelOf[id] : String(id); }
  var relationByIri = {}, relationByCurie = {};
  relationChoices.forEach(function (r) { relationByIri[r.iri] = r; relationByCurie[r.curie] = r; });

  /* -- the map's identity and what is kept for it ---------------------------- */
  var identity = [document.title, data.focus || ""].concat(
    data.nodes.map(function (n) { return n.id; }).sort()).join("\n");
  var KEY = "ddkb-map:" + hash(identity);
  var memory = {};
  function readKept(name, fallback) {
    var text = null;
    try { text = window.localStorage.getItem(KEY + ":" + name); }
    catch (e) { text = memory.hasOwnProperty(name) ? memory[name] : null; }
    if (text === null) { return fallback; }
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }
  function keep(name, value) {
    var text = JSON.stringify(value);
    memory[name] = text;
    try { window.localStorage.setItem(KEY + ":" + name, text); } catch (e) { /* memory only */ }
  }
  function forget(name) {
    delete memory[name];
    try { window.localStorage.removeItem(KEY + ":" + name); } catch (e) { /* memory only */ }
  }

  /** What this browser kept for the map, with anything malformed left out. */
  function keptAdditions() {
    var kept = readKept("additions", null) || {};
    function strings(item, keys) {
      return item !== null && typeof item === "object" &&
        keys.every(function (k) { return typeof item[k] === "string"; });
    }
    return {
      notes: (Array.isArray(kept.notes) ? kept.notes : []).filter(function (n) {
        return strings(n, ["concept", "text"]);
      }),
      relations: (Array.isArray(kept.relations) ? kept.relations : []).filter(function (r) {
        return strings(r, ["from", "iri", "curie", "to"]);
      })
    };
  }
  var mine = keptAdditions();

  /* -- fact-check doubts per relation ------------------------------------------- */
  var doubtOf = {};
  (tools.doubtful || []).forEach(function (d) {
    doubtOf[d.from + "\n" + d.curie + "\n" + d.to] = d;
  });
  function edgeDoubt(edge) {
    var info = edge.ddkb || {};
    if (info.doubt && DOUBT_TEXT[info.doubt]) { return info.doubt; }
    var d = doubtOf[edge.from + "\n" + info.curie + "\n" + edge.to];
    return d ? d.doubt : "";
  }

  /* -- the user's relations and notes ---------------------------------------------- */
  function tripleKey(from, curie, to) { return from + "\n" + curie + "\n" + to; }
  function findEdge(from, curie, to) {
    return edges.get({ filter: function (e) {
      return e.from === from && e.to === to && e.ddkb && e.ddkb.curie === curie;
    } })[0] || null;
  }
  function markUserEdge(edge, origin) {
    var info = Object.assign({}, edge.ddkb || {}, { user: true, userOrigin: origin });
    edges.update({ id: edge.id, ddkb: info, dashes: USER_EDGE.dashes, width: USER_EDGE.width,
      color: { color: USER_EDGE.color, highlight: "#4a148c", hover: "#5a189a" },
      font: { color: USER_EDGE.color } });
  }
  function addLocalEdge(rel) {
    var choice = relationByIri[rel.iri] || { label: rel.curie };
    edges.add({ id: "ddkb-user-" + hash(tripleKey(rel.from, rel.curie, rel.to)),
      from: rel.from, to: rel.to, label: choice.label, arrows: "to",
      ddkb: { curie: rel.curie, sources: [], user: true, userOrigin: "this browser" } });
    markUserEdge(findEdge(rel.from, rel.curie, rel.to), "this browser");
  }
  var loadedIri = {}, elsewhere = [];  // elsewhere: the user's relations drawn on other maps
  loaded.relations.forEach(function (r) {
    var edge = findEdge(r.from, r.curie, r.to);
    loadedIri[r.curie] = r.iri;
    if (edge) { markUserEdge(edge, r.file || "your file"); } else { elsewhere.push(r); }
  });
  mine.relations = mine.relations.filter(function (r) {
    if (!labelOf.hasOwnProperty(r.from) || !labelOf.hasOwnProperty(r.to)) { return false; }
    if (findEdge(r.from, r.curie, r.to)) { return false; }  // already drawn (e.g. loaded back)
    addLocalEdge(r);
    return true;
  });
  function allNotes() {
    var seen = {}, out = [];
    loaded.notes.forEach(function (n) {
      if (n.onMap === false) { return; }  // a note on a concept of another map
      seen[n.concept + "\n" + n.text] = true;
      out.push({ concept: n.concept, text: n.text, origin: n.file || "your file" });
    });
    mine.notes.forEach(function (n, i) {
      if (seen[n.concept + "\n" + n.text] || !labelOf.hasOwnProperty(n.concept)) { return; }
      seen[n.concept + "\n" + n.text] = true;
      out.push({ concept: n.concept, text: n.text, origin: "this browser", index: i });
    });
    return out;
  }
  function notesOf(id) { return allNotes().filter(function (n) { return n.concept === id; }); }
  function allUserRelations() {
    return edges.get({ filter: function (e) { return e.ddkb && e.ddkb.user; } });
  }

  /* -- note badges on the canvas -------------------------------------------------- */
  network.on("afterDrawing", function (ctx) {
    var withNotes = {};
    allNotes().forEach(function (n) { withNotes[n.concept] = true; });
    Object.keys(withNotes).forEach(function (id) {
      var body = network.body.nodes[id];
      if (!body || body.options.hidden) { return; }
      var r = body.options.size || 14;
      var x = body.x + r * 0.7, y = body.y - r - 6;  // above the shape's right shoulder
      ctx.save();
      ctx.font = "bold 10px system-ui, sans-serif";
      var w = ctx.measureText("your note").width + 10;
      ctx.fillStyle = "#fff3bf";
      ctx.strokeStyle = "#7b2cbf";
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.rect(x, y - 8, w, 15);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = "#4a148c";
      ctx.textBaseline = "middle";
      ctx.fillText("your note", x + 5, y);
      ctx.restore();
    });
  });

  /* -- print copy of the map --------------------------------------------------------
   * Printing prints this canvas, a copy of the last complete drawing: the live canvas
   * is resized (and so cleared) by vis-network when the print layout changes its box,
   * and a print must never catch it blank. Sized like the drawing, shown with auto
   * width and height, it keeps the map's aspect ratio on any paper. */
  var printCopy = document.createElement("canvas");
  printCopy.id = "ddkb-print-map";
  printCopy.setAttribute("role", "img");
  printCopy.setAttribute("aria-label", document.title);
  var live = document.getElementById("ddkb-canvas");
  if (live && live.parentNode) { live.parentNode.insertBefore(printCopy, live.nextSibling); }
  else { document.body.appendChild(printCopy); }
  network.on("afterDrawing", function () {
    var src = visCanvas();
    if (!src || src.width < 2 || src.height < 2) { return; }  // hidden for printing: keep the copy
    if (printCopy.width !== src.width) { printCopy.width = src.width; }
    if (printCopy.height !== src.height) { printCopy.height = src.height; }
    var ctx = printCopy.getContext("2d");
    ctx.clearRect(0, 0, printCopy.width, printCopy.height);
    ctx.drawImage(src, 0, 0);
  });

  /* -- legend entries for the user's additions ------------------------------------- */
  function refreshLegend() {
    var legend = document.getElementById("ddkb-legend");
    if (!legend) { return; }
    Array.prototype.slice.call(legend.querySelectorAll(".ddkb-legend-user")).forEach(
      function (li) { legend.removeChild(li); });
    var rels = allUserRelations().length, notes = allNotes().length;
    if (rels) {
      var li = el("li", "ddkb-legend-user");
      var mark = el("span", "ddkb-glyph-user-edge");
      mark.setAttribute("aria-hidden", "true");
      li.appendChild(mark);
      li.appendChild(el("span", null, "Purple dash-dot arrow: your relation, not the article's"));
      li.appendChild(el("span", "ddkb-count", "(" + rels + ")"));
      legend.appendChild(li);
    }
    if (notes) {
      var li2 = el("li", "ddkb-legend-user");
      var badge = el("span", "ddkb-glyph-note", "your note");
      badge.setAttribute("aria-hidden", "true");
      li2.appendChild(badge);
      li2.appendChild(el("span", null, "Concept with your note"));
      li2.appendChild(el("span", "ddkb-count", "(" + notes + ")"));
      legend.appendChild(li2);
    }
  }

  /* -- details panel: the user's notes and relations ----------------------------------- */
  var details = document.getElementById("ddkb-details");
  function appendNotes(id) {
    var list = notesOf(id);
    if (!list.length || !details) { return; }
    var box = el("div", "ddkb-user-notes");
    box.appendChild(el("p", "ddkb-card-label", list.length === 1 ? "Your note:" : "Your notes:"));
    list.forEach(function (n) {
      var p = el("p", "ddkb-user-note");
      p.appendChild(el("span", "ddkb-user-badge", "your note"));
      p.appendChild(document.createTextNode(" " + n.text));
      if (n.origin !== "this browser") { p.appendChild(el("span", "ddkb-hint", " (from " + n.origin + ")")); }
      else {
        p.appendChild(button("Delete", "Delete this note", function () {
          mine.notes.splice(n.index, 1);
          keep("additions", mine);
          changed();
          box.parentNode && box.parentNode.removeChild(box);
        }));
      }
      box.appendChild(p);
    });
    details.appendChild(box);
  }
  function appendEdgeOwner(edge) {
    if (!details || !edge || !edge.ddkb || !edge.ddkb.user) { return; }
    var p = el("p", "ddkb-user-note");
    p.appendChild(el("span", "ddkb-user-badge", "your relation"));
    p.appendChild(document.createTextNode(" Added by you (" + edge.ddkb.userOrigin +
      "), not a claim of the article."));
    details.appendChild(p);
  }
  network.on("click", function (p) {
    if (p.nodes.length) { appendNotes(p.nodes[0]); }
    else if (p.edges.length) { appendEdgeOwner(edges.get(p.edges[0])); }
  });

  /* -- downloads ---------------------------------------------------------------------- */
  var slug = (document.title || "concept-map").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "concept-map";
  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }
  function visCanvas() { return document.querySelector("#ddkb-canvas .vis-network canvas"); }

  /** The current view as a PNG on white (the canvas itself is transparent). */
  function pngBlob(callback) {
    var src = visCanvas();
    var out = document.createElement("canvas");
    out.width = src.width;
    out.height = src.height;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src, 0, 0);
    out.toBlob(callback, "image/png");
  }
  function savePng() { pngBlob(function (blob) { download(blob, slug + ".png"); }); }

  /* -- SVG of the current view, built from positions (vis-network draws on canvas) ---- */
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }
  function num(v) { return Math.round(v * 10) / 10; }
  function polygon(x, y, r, corners, start) {
    var pts = [], i, a;
    for (i = 0; i < corners; i++) {
      a = start + i * 2 * Math.PI / corners;
      pts.push(num(x + r * Math.cos(a)) + "," + num(y + r * Math.sin(a)));
    }
    return pts.join(" ");
  }
  function star(x, y, r) {
    var pts = [], i, a, rr;
    for (i = 0; i < 10; i++) {
      a = -Math.PI / 2 + i * Math.PI / 5;
      rr = i % 2 ? r * 0.45 : r;
      pts.push(num(x + rr * Math.cos(a)) + "," + num(y + rr * Math.sin(a)));
    }
    return pts.join(" ");
  }
  function nodeShape(o, x, y) {
    var r = o.size || 14, shape = o.shape || "dot", colour = o.color || {};
    var style = { fill: colour.background || "#8e9aa6", stroke: colour.border || "#4a5561",
      "stroke-width": o.borderWidth || 1 };
    var dashes = o.shapeProperties && o.shapeProperties.borderDashes;
    if (Array.isArray(dashes) && dashes.length) { style["stroke-dasharray"] = dashes.join(" "); }
    var node;
    if (shape === "square") {
      node = svgEl("rect", { x: num(x - r), y: num(y - r), width: num(2 * r), height: num(2 * r) });
    } else if (shape === "diamond") {
      node = svgEl("polygon", { points: polygon(x, y, r, 4, -Math.PI / 2) });
    } else if (shape === "triangle") {
      node = svgEl("polygon", { points: polygon(x, y, r, 3, -Math.PI / 2) });
    } else if (shape === "triangleDown") {
      node = svgEl("polygon", { points: polygon(x, y, r, 3, Math.PI / 2) });
    } else if (shape === "hexagon") {
      node = svgEl("polygon", { points: polygon(x, y, r, 6, 0) });
    } else if (shape === "star") {
      node = svgEl("polygon", { points: star(x, y, r * 1.2) });
    } else {
      node = svgEl("circle", { cx: num(x), cy: num(y), r: num(r) });
    }
    Object.keys(style).forEach(function (k) { node.setAttribute(k, String(style[k])); });
    return node;
  }
  function textLines(parent, text, x, y, size, attrs) {
    var t = svgEl("text", Object.assign({ x: num(x), y: num(y), "font-size": size,
      "text-anchor": "middle", "paint-order": "stroke", stroke: "#ffffff",
      "stroke-width": 3, "stroke-linejoin": "round" }, attrs || {}));
    String(text).split("\n").forEach(function (line, i) {
      t.appendChild(svgEl("tspan", { x: num(x), dy: i ? "1.2em" : 0 }, line));
    });
    parent.appendChild(t);
  }
  /** Points along an edge as drawn (curves and loops included), from vis-network. */
  function edgePoints(body) {
    var pts = [], i;
    for (i = 0; i <= 24; i++) { pts.push(body.edgeType.getPoint(i / 24)); }
    return pts;
  }
  function clipAtNode(pts, centre, radius) {
    var i = pts.length - 1;
    while (i > 1 && Math.hypot(pts[i].x - centre.x, pts[i].y - centre.y) < radius) { i--; }
    return pts.slice(0, i + 1);
  }
  function buildSvg() {
    var box = document.getElementById("ddkb-canvas").getBoundingClientRect();
    var topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
    var bottomRight = network.DOMtoCanvas({ x: box.width, y: box.height });
    var w = bottomRight.x - topLeft.x, h = bottomRight.y - topLeft.y;
    var svg = svgEl("svg", { xmlns: SVG_NS, version: "1.1",
      viewBox: [num(topLeft.x), num(topLeft.y), num(w), num(h)].join(" "),
      width: Math.round(box.width), height: Math.round(box.height),
      "font-family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif" });
    svg.appendChild(svgEl("title", {}, document.title));
    svg.appendChild(svgEl("desc", {}, (document.getElementById("ddkb-caption") || {}).textContent || ""));
    var defs = svgEl("defs"), markers = {};
    svg.appendChild(defs);
    function arrowFor(colour) {  // one arrowhead per colour (context-stroke is not everywhere)
      if (!markers[colour]) {
        markers[colour] = "ddkb-arrow-" + Object.keys(markers).length;
        var marker = svgEl("marker", { id: markers[colour], viewBox: "0 0 10 10", refX: 9, refY: 5,
          markerWidth: 9, markerHeight: 9, orient: "auto", markerUnits: "userSpaceOnUse" });
        marker.appendChild(svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }));
        defs.appendChild(marker);
      }
      return "url(#" + markers[colour] + ")";
    }
    svg.appendChild(svgEl("rect", { x: num(topLeft.x), y: num(topLeft.y), width: num(w),
      height: num(h), fill: "#ffffff" }));
    var positions = network.getPositions();
    var edgeLayer = svgEl("g", { class: "edges" }), nodeLayer = svgEl("g", { class: "nodes" });
    edges.get().forEach(function (edge) {
      var body = network.body.edges[edge.id];
      if (!body || body.options.hidden || !body.connected || !body.edgeType) { return; }
      var from = network.body.nodes[edge.from], to = network.body.nodes[edge.to];
      if (!from || !to || from.options.hidden || to.options.hidden) { return; }
      var o = body.options, colour = (o.color && o.color.color) || "#8795a1";
      var pts = clipAtNode(edgePoints(body), positions[edge.to], (to.options.size || 14) + 3);
      var g = svgEl("g", { class: edge.ddkb && edge.ddkb.user ? "edge user" : "edge" });
      var line = svgEl("polyline", { points: pts.map(function (p) { return num(p.x) + "," + num(p.y); }).join(" "),
        fill: "none", stroke: colour, "stroke-width": o.width || 1.2, "marker-end": arrowFor(colour) });
      if (Array.isArray(o.dashes)) { line.setAttribute("stroke-dasharray", o.dashes.join(" ")); }
      else if (o.dashes === true) { line.setAttribute("stroke-dasharray", "5 5"); }
      g.appendChild(line);
      if (edge.label) {
        var mid = body.edgeType.getPoint(0.5);
        textLines(g, edge.label, mid.x, mid.y + 3, (o.font && o.font.size) || 10,
          { fill: (o.font && o.font.color) || "#52606d" });
      }
      edgeLayer.appendChild(g);
    });
    var withNotes = {};
    allNotes().forEach(function (n) { withNotes[n.concept] = true; });
    nodes.get().forEach(function (node) {
      var body = network.body.nodes[node.id], p = positions[node.id];
      if (!body || body.options.hidden || !p) { return; }
      var o = body.options, r = o.size || 14, size = (o.font && o.font.size) || 14;
      var g = svgEl("g", { class: "node" });
      g.appendChild(nodeShape(o, p.x, p.y));
      textLines(g, node.label, p.x, p.y + r + size, size, { fill: (o.font && o.font.color) || "#1f2933" });
      if (withNotes[node.id]) {
        var badge = svgEl("g", { class: "note" });
        badge.appendChild(svgEl("rect", { x: num(p.x + r), y: num(p.y - r - 14), width: 54,
          height: 15, fill: "#fff3bf", stroke: "#7b2cbf" }));
        badge.appendChild(svgEl("text", { x: num(p.x + r + 5), y: num(p.y - r - 3),
          "font-size": 10, "font-weight": "bold", fill: "#4a148c" }, "your note"));
        g.appendChild(badge);
      }
      nodeLayer.appendChild(g);
    });
    svg.appendChild(edgeLayer);
    svg.appendChild(nodeLayer);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
  }
  function saveSvg() {
    download(new Blob([buildSvg()], { type: "image/svg+xml;charset=utf-8" }), slug + ".svg");
  }

  /* -- propositions: every concept-relation-concept triple as text ------------------------ */
  function propositions() {
    return edges.get().map(function (edge) {
      var info = edge.ddkb || {};
      var rel = relationByCurie[info.curie];
      return { from: edge.from, to: edge.to, subject: label(edge.from), object: label(edge.to),
        relation: String(edge.label || (rel && rel.label) || info.curie || ""),
        curie: info.curie || "", doubt: edgeDoubt(edge), user: !!info.user };
    }).sort(function (a, b) {
      return a.subject.localeCompare(b.subject) || a.relation.localeCompare(b.relation) ||
        a.object.localeCompare(b.object);
    });
  }
  var view = el("section", "ddkb-propositions");
  view.id = "ddkb-propositions";
  view.hidden = true;
  view.setAttribute("aria-labelledby", "ddkb-propositions-title");
  function renderPropositions() {
    while (view.firstChild) { view.removeChild(view.firstChild); }
    var items = propositions();
    var head = el("div", "ddkb-propositions-head");
    var h2 = el("h2", null, "Propositions of this map (" + items.length + ")");
    h2.id = "ddkb-propositions-title";
    head.appendChild(h2);
    head.appendChild(button("Back to the map", "Show the map again", function () { showPropositions(false); }));
    view.appendChild(head);
    view.appendChild(el("p", "ddkb-hint", (document.getElementById("ddkb-caption") || {}).textContent || ""));
    var ol = el("ol", "ddkb-proposition-list");
    items.forEach(function (item) {
      var li = el("li");
      li.appendChild(el("span", "ddkb-prop-concept", item.subject));
      li.appendChild(document.createTextNode(" \u2014 "));
      li.appendChild(el("span", "ddkb-prop-relation", item.relation));
      li.appendChild(document.createTextNode(" \u2192 "));
      li.appendChild(el("span", "ddkb-prop-concept", item.object));
      if (item.doubt) {
        li.appendChild(el("span", item.doubt === "partly" ? "ddkb-partly" : "ddkb-doubt",
          " \u26A0 " + DOUBT_TEXT[item.doubt]));
      }
      if (item.user) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "ddkb-user-badge", "your relation"));
      }
      ol.appendChild(li);
    });
    view.appendChild(ol);
    var notes = allNotes();
    if (notes.length) {
      view.appendChild(el("h3", null, "Your notes (" + notes.length + ")"));
      var ul = el("ul", "ddkb-note-list");
      notes.forEach(function (n) {
        var li = el("li");
        li.appendChild(el("span", "ddkb-prop-concept", label(n.concept)));
        li.appendChild(document.createTextNode(": " + n.text));
        ul.appendChild(li);
      });
      view.appendChild(ul);
    }
  }
  function showPropositions(open) {
    if (open) { renderPropositions(); }
    view.hidden = !open;
    document.body.classList.toggle("ddkb-propositions-open", !!open);
    propositionsButton.setAttribute("aria-pressed", open ? "true" : "false");
    if (open) { view.querySelector("h2").setAttribute("tabindex", "-1"); view.querySelector("h2").focus(); }
  }

  /* -- Turtle of the user's additions -------------------------------------------------- */
  /** A Turtle string literal: \ " and line breaks escaped, controls as \\u, lone surrogates replaced. */
  function turtleString(text) {
    var s = String(text), out = '"', i, c, d;
    for (i = 0; i < s.length; i++) {
      c = s.charCodeAt(i);
      if (c === 0x5c) { out += "\\\\"; }
      else if (c === 0x22) { out += '\\"'; }
      else if (c === 0x0a) { out += "\\n"; }
      else if (c === 0x0d) { out += "\\r"; }
      else if (c === 0x09) { out += "\\t"; }
      else if (c < 0x20 || c === 0x7f) { out += "\\u" + ("0000" + c.toString(16).toUpperCase()).slice(-4); }
      else if (c >= 0xd800 && c <= 0xdbff) {
        d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xdc00 && d <= 0xdfff) { out += s.charAt(i) + s.charAt(i + 1); i++; }
        else { out += "\uFFFD"; }
      } else if (c >= 0xdc00 && c <= 0xdfff) { out += "\uFFFD"; }
      else { out += s.charAt(i); }
    }
    return out + '"';
  }
  /** An absolute IRI as <...>, or null if it holds a character Turtle's IRIREF forbids. */
  function turtleIri(iri) {
    var s = String(iri);
    if (!/^[A-Za-z][A-Za-z0-9+.\-]*:/.test(s) || /[\u0000-\u0020<>"{}|^`\\]/.test(s)) { return null; }
    return "<" + s + ">";
  }
  function oneLine(text) { return String(text).replace(/[\r\n\u0085\u2028\u2029]+/g, " "); }
  function additionsTurtle() {
    var now = new Date().toISOString();
    var lines = [
      "# Your own additions to a ddkb concept map: notes and relations you made, not claims of the article.",
      "# Map: " + oneLine(document.title),
      "# Load them back into the map:  ddkb --data THIS_FILE.ttl map --focus ... -o map.html",
      "@prefix ddkb: <https://w3id.org/ddkb/> .",
      "@prefix prov: <http://www.w3.org/ns/prov#> .",
      "@prefix oa: <http://www.w3.org/ns/oa#> .",
      "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
      ""
    ];
    var agent = turtleIri(AGENT), skipped = 0;
    var relations = allUserRelations().map(function (edge) {
      var curie = edge.ddkb.curie, choice = relationByCurie[curie];
      return { from: edge.from, to: edge.to, iri: choice ? choice.iri : loadedIri[curie],
               label: String(edge.label || curie) };
    }).concat(elsewhere.map(function (r) {
      return { from: r.from, to: r.to, iri: r.iri, label: r.curie };
    }));
    relations.forEach(function (rel) {
      var s = turtleIri(rel.from), p = rel.iri && turtleIri(rel.iri), o = turtleIri(rel.to);
      if (!s || !p || !o) { skipped++; return; }
      lines.push("# " + oneLine(label(rel.from)) + " -- " + oneLine(rel.label) + " -> " + oneLine(label(rel.to)));
      lines.push(s + " " + p + " " + o + " .");
      lines.push("[] a ddkb:Claim ;");
      lines.push("    ddkb:claimSubject " + s + " ; ddkb:claimPredicate " + p + " ; ddkb:claimObject " + o + " ;");
      lines.push("    ddkb:claimText " + turtleString("Your own relation, drawn on the concept map: " +
        label(rel.from) + " " + rel.label + " " + label(rel.to) + ".") + "@en ;");
      lines.push("    ddkb:verificationStatus ddkb:status-unverified ;");
      lines.push("    prov:wasAttributedTo " + agent + " ;");
      lines.push("    prov:generatedAtTime " + turtleString(now) + "^^xsd:dateTime .");
      lines.push("");
    });
    allNotes().concat(loaded.notes.filter(function (n) { return n.onMap === false; }))
      .forEach(function (n) {
      var target = turtleIri(n.concept);
      if (!target) { skipped++; return; }
      lines.push("# note on " + oneLine(label(n.concept)));
      lines.push("[] a oa:Annotation ;");
      lines.push("    oa:motivatedBy oa:commenting ;");
      lines.push("    oa:hasTarget " + target + " ;");
      lines.push("    oa:bodyValue " + turtleString(n.text) + " ;");
      lines.push("    prov:wasAttributedTo " + agent + " ;");
      lines.push("    prov:generatedAtTime " + turtleString(now) + "^^xsd:dateTime .");
      lines.push("");
    });
    state.skipped = skipped;
    return lines.join("\n");
  }
  function saveAdditions() {
    download(new Blob([additionsTurtle()], { type: "text/turtle;charset=utf-8" }),
      slug + "-my-additions.ttl");
  }

  /* -- dialogs: a note, a relation ------------------------------------------------------ */
  function conceptSelect(id, selected) {
    var select = el("select");
    select.id = id;
    data.nodes.map(function (n) { return n.id; }).sort(function (a, b) {
      return label(a).localeCompare(label(b));
    }).forEach(function (nid) {
      var option = el("option", null, label(nid));
      option.value = nid;
      if (nid === selected) { option.selected = true; }
      select.appendChild(option);
    });
    return select;
  }
  function field(labelText, control) {
    var p = el("p", "ddkb-field");
    var l = el("label", null, labelText);
    l.htmlFor = control.id;
    p.appendChild(l);
    p.appendChild(control);
    return p;
  }
  function dialog(id, title, build, onSubmit) {
    var d = el("dialog", "ddkb-dialog");
    d.id = id;
    d.setAttribute("aria-labelledby", id + "-title");
    var form = el("form");
    form.method = "dialog";
    var h = el("h2", null, title);
    h.id = id + "-title";
    form.appendChild(h);
    build(form);
    var status = el("p", "ddkb-dialog-status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(status);
    var row = el("p", "ddkb-dialog-buttons");
    var ok = el("button", "ddkb-tool ddkb-primary", "Save");
    ok.type = "submit";
    row.appendChild(ok);
    row.appendChild(button("Cancel", null, function () { d.close(); }));
    form.appendChild(row);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = onSubmit();
      if (problem) { status.textContent = problem; } else { d.close(); }
    });
    d.appendChild(form);
    document.body.appendChild(d);
    d.addEventListener("close", function () { document.body.removeChild(d); });
    d.showModal();
    return d;
  }
  function selectedConcept() {
    var sel = network.getSelectedNodes();
    return sel.length ? sel[0] : (data.focus || null);
  }
  function openNoteDialog() {
    var concept, text;
    dialog("ddkb-note-dialog", "Add a note to a concept", function (form) {
      concept = conceptSelect("ddkb-note-concept", selectedConcept());
      text = el("textarea");
      text.id = "ddkb-note-text";
      text.rows = 5;
      text.maxLength = 5000;
      form.appendChild(field("Concept", concept));
      form.appendChild(field("Your note", text));
    }, function () {
      var value = text.value.trim();
      if (!value) { return "Write a note first."; }
      mine.notes.push({ concept: concept.value, text: value });
      keep("additions", mine);
      changed();
      network.selectNodes([concept.value]);
      return null;
    });
  }
  function openRelationDialog() {
    var from, rel, to;
    dialog("ddkb-relation-dialog", "Draw a new relation", function (form) {
      from = conceptSelect("ddkb-rel-from", selectedConcept());
      rel = el("select");
      rel.id = "ddkb-rel-property";
      relationChoices.forEach(function (r) {
        var option = el("option", null, r.label + " (" + r.curie + ")");
        option.value = r.iri;
        rel.appendChild(option);
      });
      to = conceptSelect("ddkb-rel-to", null);
      form.appendChild(field("From", from));
      form.appendChild(field("Relation", rel));
      form.appendChild(field("To", to));
    }, function () {
      var choice = relationByIri[rel.value];
      if (!choice) { return "Choose a relation."; }
      if (findEdge(from.value, choice.curie, to.value)) { return "The map already has this relation."; }
      var added = { from: from.value, iri: choice.iri, curie: choice.curie, to: to.value };
      mine.relations.push(added);
      keep("additions", mine);
      addLocalEdge(added);
      changed();
      return null;
    });
  }

  /* -- positions: dragged concepts stay where the student put them --------------------- */
  function savePositions() {
    var pos = network.getPositions(), out = {};
    Object.keys(pos).forEach(function (id) { out[id] = [num(pos[id].x), num(pos[id].y)]; });
    keep("positions", out);
  }
  function restorePositions() {
    var saved = readKept("positions", null);
    if (!saved) { return false; }
    network.setOptions({ physics: { enabled: false } });
    Object.keys(saved).forEach(function (id) {
      var xy = saved[id];
      if (network.body.nodes[id] && Array.isArray(xy) && isFinite(xy[0]) && isFinite(xy[1])) {
        network.moveNode(id, xy[0], xy[1]);
      }
    });
    network.fit({ animation: false });
    return true;
  }
  network.on("dragEnd", function (p) { if (p.nodes && p.nodes.length) { savePositions(); } });
  function resetPositions() {
    forget("positions");
    window.location.reload();
  }

  /* -- toolbar ------------------------------------------------------------------------------ */
  var state = { ready: false, restored: false, skipped: 0, key: KEY };
  function changed() { network.redraw(); refreshLegend(); if (!view.hidden) { renderPropositions(); } }
  var bar = document.getElementById("ddkb-toolbar");
  if (!bar) {
    bar = el("div");
    bar.id = "ddkb-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Map tools");
    (document.getElementById("ddkb-header") || document.body).appendChild(bar);
  }
  var groupTake = el("span", "ddkb-tool-group");
  groupTake.appendChild(button("PNG", "Download the current view as a PNG image", savePng));
  groupTake.appendChild(button("SVG", "Download the current view as an SVG drawing", saveSvg));
  groupTake.appendChild(button("Print", "Print the map and its legend on one page", function () { window.print(); }));
  var propositionsButton = button("Propositions",
    "List every concept \u2013 relation \u2013 concept of the map as text",
    function () { showPropositions(view.hidden); });
  propositionsButton.setAttribute("aria-pressed", "false");
  groupTake.appendChild(propositionsButton);
  var groupEdit = el("span", "ddkb-tool-group");
  groupEdit.appendChild(button("Add note", "Add your note to a concept", openNoteDialog));
  groupEdit.appendChild(button("Add relation", "Draw a new relation between two concepts", openRelationDialog));
  groupEdit.appendChild(button("Download my additions", "Save your notes and relations as a Turtle file", saveAdditions));
  groupEdit.appendChild(button("Reset layout", "Forget where you dragged the concepts", resetPositions));
  bar.appendChild(groupTake);
  bar.appendChild(groupEdit);
  var main = document.getElementById("ddkb-main");
  if (main && main.parentNode) { main.parentNode.insertBefore(view, main.nextSibling); }
  else { document.body.appendChild(view); }
  refreshLegend();

  function whenReady() {
    if (state.ready || !map.state.ready) { return; }
    state.restored = restorePositions();
    state.ready = true;
    document.body.setAttribute("data-ddkb-tools-ready", "true");
  }
  if (window.MutationObserver) {
    new MutationObserver(whenReady).observe(document.body, { attributes: true,
      attributeFilter: ["data-ddkb-ready"] });
  }
  whenReady();

  window.ddkbMapTools = {
    state: state, buildSvg: buildSvg, propositions: propositions, additionsTurtle: additionsTurtle,
    turtleString: turtleString, turtleIri: turtleIri, notes: allNotes, showPropositions: showPropositions
  };
})();
