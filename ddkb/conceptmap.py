"""Offline interactive concept maps: one self-contained HTML file per map.

The map is the graph of ``ddkb.network.project`` (concepts as nodes, one edge per
relation triple), drawn by vis-network in the browser. Everything the page needs
is inside the file -- the vis-network script and stylesheet, the data and the
page's own script -- so it opens from a USB stick or an e-mail attachment with
no network at all; a Content-Security-Policy forbids any load from elsewhere.

>>> import ddkb
>>> from ddkb.conceptmap import ConceptMap, build_map, write_map
>>> kb = ddkb.load()
>>> html = build_map(kb, focus="confidence-building measures", depth=1)   # doctest: +SKIP
>>> write_map(kb, "cbm.html", focus="CBM", depth=2)                     # doctest: +SKIP
>>> ConceptMap(kb, focus="soft power")       # in Jupyter: displays inline  # doctest: +SKIP

Why our own template instead of pyvis's ``write_html``: pyvis's templates load
Bootstrap (and, in "remote" mode, vis-network) from CDNs and paste labels into
the page unescaped. We use pyvis's ``Network`` to assemble nodes, edges and
options, then render them with ``ddkb/templates/conceptmap.html``, where data
travels as escaped JSON in a ``<script type="application/json">`` block and every
label reaches the page through ``textContent``.

vis-network 9.1.2 (``vis-network.min.js`` / ``.min.css``) is a copy of the files
pyvis 0.3.2 ships in ``pyvis/lib/vis-9.1.2/``, kept in ``ddkb/templates/`` with
its licence header: a map must not change when pyvis is upgraded or moves its
private ``lib/`` folder, and the exact script a map embeds is the one our
browser tests ran.
"""

from __future__ import annotations

import base64
import hashlib
import html as htmlmod
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DdkbError, InputError
from .mapnotes import tools_payload

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from .kb import KnowledgeBase

#: Maps up to this many nodes settle with in-browser physics; larger ones get a
#: layout computed in Python and open with physics off.
PHYSICS_MAX_NODES = 300
#: Stabilisation iterations of in-browser physics (small maps only).
STABILIZATION_ITERATIONS = 200
#: Pixels between neighbouring nodes in a precomputed layout.
LAYOUT_SPACING = 140.0

#: class local name -> (colour, vis-network shape). Shapes keep the label below them.
CLASS_STYLES: dict[str, tuple[str, str]] = {
    "CoreIdea": ("#f2b701", "star"),
    "Instrument": ("#3a6fb0", "dot"),
    "ExerciseAndTraining": ("#2f5f98", "dot"),
    "Dialogue": ("#5b8fd0", "dot"),
    "ProcurementAndTechnologyTransfer": ("#1f4e79", "dot"),
    "PeacekeepingAndHumanitarianMission": ("#4f9bd9", "dot"),
    "EducationAndCapacityBuilding": ("#7fb2e5", "dot"),
    "Outreach": ("#6a8fc4", "dot"),
    "PublicDiplomacyAndMedia": ("#2b7bba", "dot"),
    "ConfidenceBuildingMeasure": ("#13a3b5", "square"),
    "Norm": ("#9b5fc0", "triangle"),
    "Outcome": ("#3f9e4d", "diamond"),
    "Risk": ("#d6453d", "triangleDown"),
    "Mitigation": ("#ef8a17", "hexagon"),
    "Actor": ("#8c6d46", "square"),
    "State": ("#7a5230", "square"),
    "IntergovernmentalOrganization": ("#a67c52", "square"),
    "Forum": ("#c19a6b", "square"),
    "Region": ("#5fa8a0", "hexagon"),
    "Initiative": ("#e377c2", "star"),
    "CaseStudy": ("#c44e8a", "diamond"),
    "Threat": ("#a4161a", "triangleDown"),
    "GeopoliticalChallenge": ("#6f4e9b", "triangleDown"),
    "SecurityDomain": ("#17877b", "hexagon"),
    "BestPractice": ("#8cbf3f", "triangle"),
    "Concept": ("#8e9aa6", "dot"),
}
#: Colours for classes ddkb does not know (a user's own), chosen by a stable hash.
EXTRA_COLOURS = ("#b279a2", "#9d755d", "#54a24b", "#e45756", "#72b7b2", "#ff9da6",
                 "#79706e", "#d67195", "#4c78a8", "#f58518")

#: verification status (label, normalised) -> doubt level shown on the map.
DOUBT_BY_STATUS = {
    "not supported": "not-supported",
    "contradicted": "contradicted",
    "partly supported": "partly",
}
DOUBT_BORDER = {"not-supported": "#d62728", "contradicted": "#d62728", "partly": "#e07b00"}

_TEMPLATE_FILES = ("conceptmap.html", "conceptmap.js", "conceptmap.css",
                   "vis-network.min.js", "vis-network.min.css",
                   "conceptmap_tools.js", "conceptmap_print.css")  # map tools (ddkb.mapnotes)
_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}
#: Anything in markup, CSS or script that would make the browser fetch a remote resource.
_REMOTE_LOAD = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import)|(?:\bimportScripts\s*\()""",
    re.IGNORECASE)


# -- templates ------------------------------------------------------------------
@cache
def _asset(name: str) -> str:
    """The text of one file of ``ddkb/templates`` (read once per process)."""
    if name not in _TEMPLATE_FILES:
        raise KeyError(name)
    text = resources.files("ddkb.templates").joinpath(name).read_text(encoding="utf-8")
    if name.endswith(".js"):
        # a source-map comment would make developer tools fetch a file that is not there
        text = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)
        if re.search(r"</script", text, re.IGNORECASE):
            raise DdkbError(f"ddkb/templates/{name} contains '</script' and cannot be inlined")
    if name.endswith(".css") and re.search(r"</style", text, re.IGNORECASE):
        raise DdkbError(f"ddkb/templates/{name} contains '</style' and cannot be inlined")
    return text


@cache
def _script_hash(name: str) -> str:
    """CSP source expression (``'sha256-...'``) of an inlined script."""
    digest = hashlib.sha256(f"\n{_asset(name)}\n".encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy() -> str:
    """The page's CSP: only our two inline scripts run, nothing is ever fetched."""
    scripts = " ".join(_script_hash(n) for n in ("vis-network.min.js", "conceptmap.js",
                                                  "conceptmap_tools.js"))  # map tools
    return ("default-src 'none'; "
            f"script-src {scripts}; "
            "style-src 'unsafe-inline'; img-src data:; font-src data:; "
            "connect-src 'none'; base-uri 'none'; form-action 'none'")


def json_for_script(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c`` ... so a label like ``</script>`` cannot end
    the element, and U+2028/U+2029 are escaped for old JavaScript parsers.

    >>> json_for_script({"label": "</script><b>&"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def find_remote_loads(html: str) -> list[str]:
    """Snippets of ``html`` that would load something over the network.

    The JSON data block is skipped: it is never parsed as markup, and IRIs (or a
    hostile label mentioning ``src="http://..."``) are just data there.
    """
    outside = re.sub(r'(<script id="ddkb-data" type="application/json">).*?(</script>)',
                     r"\1\2", html, count=1, flags=re.DOTALL)
    return [outside[max(0, m.start() - 30):m.end() + 30] for m in _REMOTE_LOAD.finditer(outside)]


def render_html(payload: dict[str, Any], *, title: str, caption: str) -> str:
    """Fill the page template with a map ``payload`` (see ``map_payload``).

    ``title`` and ``caption`` are plain text (escaped here). Raises ``DdkbError``
    if the result would load anything from the network -- a bug, never the data.
    """
    from . import __version__

    values = {
        "csp": htmlmod.escape(content_security_policy(), quote=False).replace('"', "&quot;"),
        "generator": f"ddkb {__version__} (vis-network 9.1.2)",
        "title": htmlmod.escape(title, quote=True),
        "caption": htmlmod.escape(caption, quote=True),
        "vis_css": _asset("vis-network.min.css"),
        "app_css": _asset("conceptmap.css"),
        "data_json": json_for_script(payload),
        "vis_js": _asset("vis-network.min.js"),
        "app_js": _asset("conceptmap.js"),
        "tools_css": _asset("conceptmap_print.css"),  # map tools (ddkb.mapnotes)
        "tools_js": _asset("conceptmap_tools.js"),    # map tools (ddkb.mapnotes)
    }
    page = _PLACEHOLDER.sub(lambda m: values[m.group(1)], _asset("conceptmap.html"))
    remote = find_remote_loads(page)
    if remote:
        raise DdkbError(f"concept map would load a remote resource: {remote[0]!r}")
    return page


# -- selection ------------------------------------------------------------------
def _names(value: str | Iterable[str] | None) -> list[str] | None:
    """``"Instrument, Outcome"`` or ``["Instrument"]`` -> a list of names (None stays None)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(item).strip() for item in items if str(item).strip()]
    return names


def select_graph(kb: KnowledgeBase, *, focus: str | None = None, depth: int = 2,
                 types: str | Iterable[str] | None = None,
                 exclude_types: str | Iterable[str] | None = None,
                 relations: str | Iterable[str] | None = None) -> nx.MultiDiGraph:
    """The part of the KB a map shows (``ddkb.network.project`` with the map's filters).

    ``types``, ``exclude_types`` and ``relations`` take lists or comma-separated text.
    With ``relations``, concepts left without any of those relations are dropped (a
    map of "fosters" shows who fosters what, not every concept as a lone dot); the
    focus concept always stays.
    """
    from .network import project

    if depth < 0:
        raise InputError(f"--depth must be 0 or more, not {depth}")
    G = project(kb, focus=focus, depth=depth, types=_names(types),
                exclude_types=_names(exclude_types), relations=_names(relations))
    if relations is not None:
        keep = G.graph.get("focus")
        G.remove_nodes_from([n for n in list(G) if G.degree(n) == 0 and n != keep])
    return G


def check_size(G: nx.MultiDiGraph, max_nodes: int | None) -> None:
    """Refuse a selection larger than ``max_nodes`` (None: no limit), or an empty one."""
    n = G.number_of_nodes()
    if n == 0:
        raise InputError("no concepts match these filters; check --focus, --types, "
                         "--exclude-types and --relations")
    if max_nodes is not None and n > max_nodes:
        raise InputError(f"the map would have {n} concepts, more than --max-nodes {max_nodes}; "
                         "narrow it with --focus CONCEPT --depth N or --types CLASS, "
                         "or raise --max-nodes")


# -- layout -----------------------------------------------------------------------
def precomputed_layout(G: nx.Graph, *, iterations: int = 60,
                       seed: int = 7) -> dict[Any, tuple[int, int]]:
    """Node positions (pixels) from a fast force-directed layout, for large maps.

    ``networkx.spring_layout`` needs ~5 s for 2,000 nodes and ~25 s for 5,000 even
    with 15 iterations (its sparse solver loops over nodes in Python), and
    ``kamada_kawai_layout`` is quadratic in memory. This is the same
    Fruchterman-Reingold model, vectorised with numpy: attraction along edges,
    exact repulsion between nodes closer than twice the ideal distance (pairs from
    a k-d tree) and, between the cells of a coarse grid, repulsion of each cell's
    nodes by the other cells' masses (a one-level Barnes-Hut), so cost grows about
    linearly with the map: ~0.1 s for 1,000 nodes, ~0.6 s for 5,000 (one core).
    Deterministic for a given ``seed``.
    """
    import numpy as np
    from scipy.spatial import cKDTree

    order = list(G)
    n = len(order)
    if n == 0:
        return {}
    if n == 1:
        return {order[0]: (0, 0)}
    where = {node: i for i, node in enumerate(order)}
    pairs = {(where[u], where[v]) for u, v in G.edges() if u != v}
    edges = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    side = math.sqrt(n)
    pos = np.random.default_rng(seed).random((n, 2)) * side
    k, cutoff = 1.0, 2.0
    cells = max(2, min(20, int(side / 2)))

    def spread(index: np.ndarray, force: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(index, force[:, 0], n), np.bincount(index, force[:, 1], n)],
                        axis=1)

    for step in range(iterations):
        disp = np.zeros_like(pos)
        near = cKDTree(pos).query_pairs(cutoff, output_type="ndarray")
        if len(near):
            delta = pos[near[:, 0]] - pos[near[:, 1]]
            dist2 = np.maximum((delta * delta).sum(axis=1), 1e-6)
            push = delta * (k * k / dist2)[:, None]
            disp += spread(near[:, 0], push) - spread(near[:, 1], push)
        lo = pos.min(axis=0)
        size = max(float((pos.max(axis=0) - lo).max()), 1e-9) / cells
        cell = np.minimum(((pos - lo) / size).astype(np.int64), cells - 1)
        cell_id = cell[:, 0] * cells + cell[:, 1]
        count = np.bincount(cell_id, minlength=cells * cells)
        used = count > 0
        centre = np.stack([np.bincount(cell_id, pos[:, 0], cells * cells)[used],
                           np.bincount(cell_id, pos[:, 1], cells * cells)[used]],
                          axis=1) / count[used][:, None]
        # far field: every node feels the other cells' nodes as one mass at their centre
        delta = centre[:, None, :] - centre[None, :, :]
        dist2 = (delta * delta).sum(axis=2)
        np.fill_diagonal(dist2, np.inf)
        cell_force = (delta * (k * k * count[used][None, :] / np.maximum(dist2, 1e-6))[:, :, None]
                      ).sum(axis=1)
        slot = np.cumsum(used) - 1
        disp += cell_force[slot[cell_id]]
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            dist = np.sqrt((delta * delta).sum(axis=1))
            pull = delta * (dist / k)[:, None]
            disp += spread(edges[:, 1], pull) - spread(edges[:, 0], pull)
        temperature = side / 10 * (1 - step / iterations) + 0.05
        length = np.maximum(np.sqrt((disp * disp).sum(axis=1)), 1e-9)
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
    pos -= pos.mean(axis=0)
    pos *= LAYOUT_SPACING
    return {node: (int(round(float(x))), int(round(float(y))))
            for node, (x, y) in zip(order, pos, strict=True)}


# -- styling ---------------------------------------------------------------------
def class_style(cls: str) -> tuple[str, str]:
    """(colour, shape) of a class local name; unknown classes get a stable colour."""
    if cls in CLASS_STYLES:
        return CLASS_STYLES[cls]
    digest = hashlib.sha1(cls.encode("utf-8")).digest()[0]
    return EXTRA_COLOURS[digest % len(EXTRA_COLOURS)], "dot"


def doubt_level(status: str) -> str:
    """``"not-supported"``, ``"contradicted"``, ``"partly"`` or ``""`` for a status label."""
    key = re.sub(r"[\s_-]+", " ", (status or "").strip().lower()).removeprefix("status ")
    return DOUBT_BY_STATUS.get(key, "")


def _class_label(G: nx.MultiDiGraph, data: dict[str, Any]) -> str:
    """Human label of a node's primary class (from the ontology, else split CamelCase)."""
    table = G.graph.get("classes", {})
    for t in data.get("types", []):
        info = table.get(t)
        if info and t.rsplit(":", 1)[-1] == data.get("cls"):
            label = str(info["label"])
            return label[:1].upper() + label[1:]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", data.get("cls") or "Concept").capitalize()


def _shade(colour: str, factor: float) -> str:
    """A darker (factor < 1) or lighter (factor > 1) version of ``#rrggbb``."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    if factor < 1:
        r, g, b = (int(c * factor) for c in (r, g, b))
    else:
        r, g, b = (int(c + (255 - c) * (factor - 1)) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _edge_smooth(G: nx.MultiDiGraph, physics: bool) -> dict[tuple[str, str, str], Any]:
    """vis-network ``smooth`` per edge: parallel edges get distinct curves, never merged.

    Edges between the same two nodes (either direction) are spread over alternate
    sides (curvedCW / curvedCCW) with growing roundness; an edge drawn against the
    pair's canonical direction swaps the side so that the curves do not overlap.
    """
    groups: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for u, v, key in G.edges(keys=True):
        groups[tuple(sorted((u, v)))].append((u, v, key))
    single = {"enabled": True, "type": "continuous", "roundness": 0.2} if physics else False
    smooth: dict[tuple[str, str, str], Any] = {}
    for (a, b), members in groups.items():
        if len(members) == 1 or a == b:  # one edge, or loops (sized apart in map_payload)
            for edge in members:
                smooth[edge] = single if a != b else {"enabled": False}
            continue
        for i, (u, v, key) in enumerate(sorted(members)):
            clockwise = i % 2 == 0
            if u != a:
                clockwise = not clockwise
            smooth[(u, v, key)] = {"enabled": True,
                                   "type": "curvedCW" if clockwise else "curvedCCW",
                                   "roundness": round(0.18 + 0.17 * (i // 2), 2)}
    return smooth


def vis_options(n_nodes: int, physics: bool) -> dict[str, Any]:
    """vis-network options: physics that settles then stops, or none with a fixed layout."""
    large = not physics or n_nodes > PHYSICS_MAX_NODES
    options: dict[str, Any] = {
        "autoResize": True,
        "nodes": {"size": 14, "borderWidth": 1.5,
                  "font": {"size": 14, "color": "#1f2933", "strokeWidth": 3,
                           "strokeColor": "#ffffff",
                           "face": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
                  "color": {"color": "#8795a1", "highlight": "#1f2933", "hover": "#3e4c59"},
                  "font": {"size": 10, "align": "middle", "color": "#52606d",
                           "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "width": 1.2, "selectionWidth": 1.5, "hoverWidth": 0.8},
        "interaction": {"hover": True, "tooltipDelay": 120, "multiselect": False,
                        "navigationButtons": False, "keyboard": False,
                        "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        "layout": {"randomSeed": 7, "improvedLayout": physics and n_nodes <= 100},
    }
    if physics:
        options["physics"] = {
            "enabled": True, "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "centralGravity": 0.25,
                          "springLength": 140, "springConstant": 0.035, "damping": 0.3,
                          "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": STABILIZATION_ITERATIONS,
                              "updateInterval": 50, "fit": True},
        }
    else:
        options["physics"] = {"enabled": False}
    return options


def _node_colour(colour: str, border: str | None = None) -> dict[str, Any]:
    """vis-network colour object of a node: fill, border, highlighted and hovered."""
    return {"background": colour, "border": border or _shade(colour, .7),
            "highlight": {"background": _shade(colour, 1.35), "border": "#1f2933"},
            "hover": {"background": _shade(colour, 1.2), "border": "#1f2933"}}


class _IndexedIds(list):
    """A list with O(1) ``in``, for pyvis's ``Network.node_ids``.

    pyvis checks ``id in node_ids`` (a list) on every ``add_node`` and twice on
    every ``add_edge``: quadratic, ~4 s for a 5,000-node map. Same list, set lookup.
    """

    def __init__(self) -> None:
        super().__init__()
        self._members: set[Any] = set()

    def append(self, item: Any) -> None:
        super().append(item)
        self._members.add(item)

    def __contains__(self, item: object) -> bool:
        return item in self._members


def map_payload(G: nx.MultiDiGraph, *, physics: bool | None = None) -> dict[str, Any]:
    """The data block of a map: vis-network nodes, edges and options, legend, focus.

    Nodes and edges are assembled with pyvis's ``Network`` (directed, one edge per
    relation); ddkb's extra facts for tooltips ride along under each item's
    ``ddkb`` key. ``physics=None`` chooses: physics up to ``PHYSICS_MAX_NODES``
    nodes, else a precomputed layout.
    """
    from pyvis.network import Network

    n = G.number_of_nodes()
    use_physics = n <= PHYSICS_MAX_NODES if physics is None else bool(physics)
    positions = {} if use_physics else precomputed_layout(G)
    focus = G.graph.get("focus")
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.node_ids = _IndexedIds()
    legend: Counter[str] = Counter()
    class_labels: dict[str, str] = {}
    groups: dict[tuple[str, str], str] = {}
    doubtful = 0
    for iri, data in sorted(G.nodes(data=True), key=lambda item: item[0]):
        cls = data.get("cls") or "Concept"
        shape = class_style(cls)[1]
        legend[cls] += 1
        class_labels.setdefault(cls, _class_label(G, data))
        doubt = doubt_level(data.get("status", ""))
        doubtful += doubt in ("not-supported", "contradicted")
        # the colours live once per (class, doubt) in options.groups; pyvis drops a
        # node's own colour when it has a group
        group = groups.setdefault((cls, doubt), f"g{len(groups)}")
        extra: dict[str, Any] = {
            "group": group,
            "ddkb": {"curie": data.get("curie", iri), "cls": cls,
                     "classLabel": class_labels[cls], "types": list(data.get("types", [])),
                     "definition": data.get("definition", ""),
                     "alt": list(data.get("alt_labels", [])),
                     "sources": list(data.get("sources", [])),
                     "status": data.get("status", ""), "doubt": doubt,
                     "bundled": bool(data.get("bundled", True))},
        }
        if doubt:
            extra["borderWidth"] = 3
            extra["shapeProperties"] = {"borderDashes": [5, 4]}
        if iri == focus:
            extra["size"] = 22
            extra["borderWidth"] = max(extra.get("borderWidth", 0), 3)
            extra["font"] = {"size": 17}
        if iri in positions:
            extra["x"], extra["y"] = positions[iri]
        net.add_node(iri, label=str(data.get("label") or iri), shape=shape, **extra)

    smooth = _edge_smooth(G, use_physics)
    loops: Counter[str] = Counter()
    for i, (u, v, key, data) in enumerate(sorted(G.edges(keys=True, data=True),
                                                 key=lambda e: (e[0], e[1], e[2]))):
        extra = {}
        if u == v:  # several relations of a concept to itself: loops of growing size
            extra["selfReference"] = {"size": 18 + 10 * loops[u], "angle": 0.8}
            loops[u] += 1
        net.add_edge(u, v, id=f"e{i}", label=str(data.get("label") or key),
                     smooth=smooth[(u, v, key)],
                     ddkb={"curie": key, "sources": list(data.get("sources", []))}, **extra)

    options = vis_options(n, use_physics)
    options["groups"] = {gid: {"color": _node_colour(class_style(cls)[0], DOUBT_BORDER.get(doubt))}
                         for (cls, doubt), gid in groups.items()}
    net.options = options
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    return {
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options),
        "physics": use_physics,
        "focus": focus,
        "doubtful": doubtful,
        "legend": [{"cls": cls, "label": class_labels[cls], "color": class_style(cls)[0],
                    "shape": class_style(cls)[1], "count": count}
                   for cls, count in sorted(legend.items(), key=lambda kv: class_labels[kv[0]])],
    }


# -- title and caption ------------------------------------------------------------
def kb_version(kb: KnowledgeBase) -> str:
    """The ontology's ``owl:versionInfo`` (or "" when the ontology has none)."""
    from .namespaces import ONTOLOGY_IRI

    rows = kb.select(f"SELECT ?v WHERE {{ <{ONTOLOGY_IRI}> owl:versionInfo ?v }} LIMIT 1")
    return rows[0]["v"].value if rows else ""


def describe_filters(G: nx.MultiDiGraph, *, focus: str | None, depth: int,
                     types: Any, exclude_types: Any, relations: Any) -> list[str]:
    """Readable phrases for the filters a map used (for its caption)."""
    parts = []
    if focus is not None:
        iri = G.graph.get("focus")
        label = G.nodes[iri]["label"] if iri in G else focus
        parts.append(f"focus: {label} (depth {depth})")
    for name, value in (("types", types), ("excluded types", exclude_types),
                        ("relations", relations)):
        names = _names(value)
        if names is not None:
            parts.append(f"{name}: {', '.join(names)}")
    return parts


def make_caption(kb: KnowledgeBase, G: nx.MultiDiGraph, filters: list[str]) -> str:
    """"ddkb KB 0.1.0 (ddkb 0.1.0) · 42 concepts · 57 relations · focus: ..."."""
    from . import __version__

    version = kb_version(kb)
    head = f"ddkb knowledge base {version} (ddkb {__version__})" if version \
        else f"ddkb {__version__}"
    user_files = [f.path.name for f in getattr(kb, "files", []) if not f.bundled]
    parts = [head, f"{G.number_of_nodes()} concepts", f"{G.number_of_edges()} relations"]
    parts += filters or ["no filters"]
    if user_files:
        parts.append("with your data: " + ", ".join(user_files))
    return " \u00b7 ".join(parts)


# -- the public API -------------------------------------------------------------------
class ConceptMap:
    """A concept map built from a KB: its HTML, its size, and notebook display.

    In Jupyter, a ``ConceptMap`` as the last expression of a cell shows the map
    inline (an ``<iframe srcdoc>`` sandboxed to its own scripts):

    >>> from ddkb.conceptmap import ConceptMap
    >>> m = ConceptMap(kb, focus="confidence-building measures", depth=1)  # doctest: +SKIP
    >>> m                                     # displays the map              # doctest: +SKIP
    >>> m.node_count, m.edge_count            # doctest: +SKIP
    >>> m.save("cbm.html")                    # the same page as a file       # doctest: +SKIP
    """

    def __init__(self, kb: KnowledgeBase, *, focus: str | None = None, depth: int = 2,
                 types: str | Iterable[str] | None = None,
                 exclude_types: str | Iterable[str] | None = None,
                 relations: str | Iterable[str] | None = None, max_nodes: int | None = 500,
                 title: str | None = None, physics: bool | None = None,
                 height: int = 640) -> None:
        G = select_graph(kb, focus=focus, depth=depth, types=types,
                         exclude_types=exclude_types, relations=relations)
        check_size(G, max_nodes)
        payload = map_payload(G, physics=physics)
        payload["tools"] = tools_payload(kb, G)  # map tools: notes, new relations (mapnotes)
        if title is None:
            iri = G.graph.get("focus")
            title = f"Concept map: {G.nodes[iri]['label']}" if iri in G else \
                "Concept map of defense diplomacy"
        filters = describe_filters(G, focus=focus, depth=depth, types=types,
                                   exclude_types=exclude_types, relations=relations)
        self.title = title
        self.caption = make_caption(kb, G, filters)
        self.graph = G
        self.node_count = G.number_of_nodes()
        self.edge_count = G.number_of_edges()
        self.physics = payload["physics"]
        self.height = height
        self.html = render_html(payload, title=title, caption=self.caption)
        self._inputs = kb.input_files() if hasattr(kb, "input_files") else []

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` atomically (UTF-8); never over a loaded data file."""
        from .fileio import write_atomic

        return write_atomic(path, self.html, protect=self._inputs)

    def _repr_html_(self) -> str:
        """Inline display for Jupyter: the page in a sandboxed ``<iframe srcdoc>``."""
        doc = htmlmod.escape(self.html, quote=True)
        label = htmlmod.escape(self.title, quote=True)
        return (f'<iframe srcdoc="{doc}" title="{label}" sandbox="allow-scripts" '
                f'style="width:100%;height:{int(self.height)}px;border:1px solid #d9dee3" '
                'loading="eager"></iframe>')

    def __repr__(self) -> str:
        return (f"<ConceptMap {self.title!r}: {self.node_count} concepts, "
                f"{self.edge_count} relations>")


def build_map(kb: KnowledgeBase, *, focus: str | None = None, depth: int = 2,
              types: str | Iterable[str] | None = None,
              exclude_types: str | Iterable[str] | None = None,
              relations: str | Iterable[str] | None = None, max_nodes: int | None = 500,
              title: str | None = None, physics: bool | None = None) -> str:
    """The HTML of an offline interactive concept map of ``kb``.

    ``focus`` + ``depth`` keep the concepts within ``depth`` relations of one concept;
    ``types`` / ``exclude_types`` (class names, subclass-aware) and ``relations``
    (property names) filter further. More than ``max_nodes`` concepts raises
    ``InputError`` (None: no limit). ``physics=None`` lets maps up to 300 nodes
    settle in the browser and lays out larger ones here.

    >>> html = build_map(kb, focus="CBM", depth=1, types="Instrument,Outcome")  # doctest: +SKIP
    """
    return ConceptMap(kb, focus=focus, depth=depth, types=types, exclude_types=exclude_types,
                      relations=relations, max_nodes=max_nodes, title=title,
                      physics=physics).html


def write_map(kb: KnowledgeBase, path: str | Path, *, focus: str | None = None, depth: int = 2,
              types: str | Iterable[str] | None = None,
              exclude_types: str | Iterable[str] | None = None,
              relations: str | Iterable[str] | None = None, max_nodes: int | None = 500,
              title: str | None = None, physics: bool | None = None) -> ConceptMap:
    """Build a map (as ``build_map``) and write it to ``path`` atomically in UTF-8.

    Nothing is written when the map cannot be built (e.g. too many nodes).
    Returns the ``ConceptMap`` (``node_count``, ``edge_count``, ``html``).
    """
    cmap = ConceptMap(kb, focus=focus, depth=depth, types=types, exclude_types=exclude_types,
                      relations=relations, max_nodes=max_nodes, title=title, physics=physics)
    cmap.save(path)
    return cmap
