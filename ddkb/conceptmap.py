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

#: Stabilisation iterations of in-browser physics (``physics=True`` only).
STABILIZATION_ITERATIONS = 200
#: Pixels between neighbouring nodes in the fast layout of large maps.
LAYOUT_SPACING = 140.0
#: Layouts a map can be drawn with (``--layout``).
LAYOUTS = ("force", "hierarchical")
#: Concept and focus-concept label size, and relation label size, in canvas units.
NODE_FONT = 16
FOCUS_FONT = 19
EDGE_FONT = 12
#: Smallest on-screen sizes (px) the page opens with: the opening zoom never goes
#: below NODE_FONT / MIN_CONCEPT_PX, and a relation label is drawn only when it
#: would be at least MIN_RELATION_PX (or when its concept is pointed at or selected).
MIN_CONCEPT_PX = 12
MIN_RELATION_PX = 10
#: All relation labels appear once they would be this large on screen (zoomed in);
#: before that only those of the concept or relation pointed at or selected, at this size.
RELATION_LABEL_PX = 13
#: Wider labels wrap onto more lines (canvas units; the focus's label is larger and bold).
LABEL_MAX_WIDTH = 170
FOCUS_LABEL_MAX_WIDTH = 240
#: Maps with more concepts than this open with only the DISCLOSE_SHOW most
#: connected ones; the others appear with "+N more" on a concept.
DISCLOSE_ABOVE = 30
DISCLOSE_SHOW = 25
#: Up to this many concepts get the networkx force layout; larger maps the fast one.
FORCE_MAX_NODES = 800
#: Rounds of the no-overlap pass over the hidden concepts of maps above FORCE_MAX_NODES.
LARGE_MAP_ROUNDS = 40
#: Free space kept between two concepts' boxes (canvas units).
BOX_GAP = 14.0

#: class local name -> (colour, vis-network shape). Shapes keep the label below
#: them. No two classes share a (colour, shape) pair, and the nine instrument
#: classes, all blue-green, differ in shape as well as in shade.
CLASS_STYLES: dict[str, tuple[str, str]] = {
    "CoreIdea": ("#f2b701", "star"),
    "Instrument": ("#3a6fb0", "dot"),
    "ExerciseAndTraining": ("#0b3d91", "triangle"),
    "Dialogue": ("#56b4e9", "diamond"),
    "ProcurementAndTechnologyTransfer": ("#5a4fcf", "square"),
    "PeacekeepingAndHumanitarianMission": ("#2a9d8f", "star"),
    "EducationAndCapacityBuilding": ("#8fb8e8", "triangleDown"),
    "Outreach": ("#7986cb", "hexagon"),
    "PublicDiplomacyAndMedia": ("#0077b6", "diamond"),
    "ConfidenceBuildingMeasure": ("#13a3b5", "square"),
    "Norm": ("#9b5fc0", "triangle"),
    "Outcome": ("#3f9e4d", "diamond"),
    "Risk": ("#d6453d", "triangleDown"),
    "Mitigation": ("#ef8a17", "hexagon"),
    "Actor": ("#8c6d46", "square"),
    "State": ("#7a5230", "dot"),
    "IntergovernmentalOrganization": ("#a67c52", "hexagon"),
    "Forum": ("#c19a6b", "triangle"),
    "Region": ("#5fa8a0", "hexagon"),
    "Initiative": ("#e377c2", "star"),
    "CaseStudy": ("#c44e8a", "diamond"),
    "Threat": ("#a4161a", "triangleDown"),
    "GeopoliticalChallenge": ("#6f4e9b", "triangleDown"),
    "SecurityDomain": ("#17877b", "triangle"),
    "BestPractice": ("#8cbf3f", "triangle"),
    "Concept": ("#8e9aa6", "dot"),
}
#: Colours for classes ddkb does not know (a user's own), chosen by a stable hash.
EXTRA_COLOURS = ("#b279a2", "#9d755d", "#54a24b", "#e45756", "#72b7b2", "#ff9da6",
                 "#79706e", "#d67195", "#4c78a8", "#f58518")

#: verification status IRI -> doubt level shown on the map (ddkb:VerificationStatus
#: individuals of kb/sources.ttl). Supported and unverified claims are plain arrows.
_STATUS = "https://w3id.org/ddkb/status-"
DOUBT_BY_STATUS = {
    _STATUS + "not-supported": "not-supported",
    _STATUS + "contradicted": "contradicted",
    _STATUS + "partly-supported": "partly",
}
#: Worst first: the status a relation shows when several claims back it.
STATUS_ORDER = tuple(_STATUS + s for s in ("contradicted", "not-supported", "partly-supported",
                                           "unverified", "supported"))
DOUBT_BORDER = {"not-supported": "#d62728", "contradicted": "#d62728", "partly": "#e07b00"}
#: How a relation is drawn, by doubt level ("" = plain fact or unchecked).
EDGE_STYLES: dict[str, dict[str, Any]] = {
    "": {"color": "#8795a1", "dashes": False, "width": 1.2, "mark": ""},
    "partly": {"color": "#e07b00", "dashes": [2, 5], "width": 2.2, "mark": "circle"},
    "not-supported": {"color": "#d62728", "dashes": [8, 5], "width": 2.2, "mark": "bar"},
    "contradicted": {"color": "#d62728", "dashes": [8, 5], "width": 2.2, "mark": "bar"},
}

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


#: The scripts a map inlines, in page order (their hashes are all the CSP lets run).
INLINE_SCRIPTS = ("vis-network.min.js", "conceptmap.js", "conceptmap_tools.js")


def inline_script_sources() -> tuple[str, ...]:
    """CSP source expressions of every script a map inlines (also used by ``ddkb serve``)."""
    return tuple(_script_hash(n) for n in INLINE_SCRIPTS)


def content_security_policy() -> str:
    """The page's CSP: only our two inline scripts run, nothing is ever fetched."""
    scripts = " ".join(inline_script_sources())
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


# -- fact-check ---------------------------------------------------------------------
_DDKB = "https://w3id.org/ddkb/"
_CLAIMS_QUERY = f"""
SELECT ?s ?p ?o ?st ?corr ?ev ?text WHERE {{
  VALUES_S
  ?claim <{_DDKB}claimSubject> ?s ; <{_DDKB}claimPredicate> ?p ; <{_DDKB}claimObject> ?o .
  OPTIONAL {{ ?claim <{_DDKB}verificationStatus> ?st FILTER(isIRI(?st)) }}
  OPTIONAL {{ ?claim <{_DDKB}correction> ?corr }}
  OPTIONAL {{ ?claim <{_DDKB}evidence> ?ev }}
  OPTIONAL {{ ?claim <{_DDKB}claimText> ?text }}
}}"""
_NODE_STATUS_QUERY = f"""
SELECT ?s ?st WHERE {{ VALUES_S ?s <{_DDKB}verificationStatus> ?st FILTER(isIRI(?st)) }}"""


def _literal(term: Any) -> str:
    return getattr(term, "value", "") if term is not None else ""


def read_claims(kb: KnowledgeBase, G: nx.MultiDiGraph) -> None:
    """Attach the fact-check to ``G``: status IRIs of concepts and relations, corrections.

    Each edge gets ``status_iri`` (the worst status of the claims about its triple,
    "" when none), ``status`` (that status's label), ``correction``, ``evidence``
    and ``claim`` (the claim's text); each node gets ``status_iri``.
    """
    from .network import _chunks, _iri_values

    by_triple: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    subjects = sorted({u for u, _v in G.edges()})
    for chunk in _chunks(subjects):
        for row in kb.select(_CLAIMS_QUERY.replace("VALUES_S", _iri_values("s", chunk))):
            key = (row["s"].value, row["p"].value, row["o"].value)
            by_triple[key].append({"status": _literal(row.get("st")),
                                   "correction": _literal(row.get("corr")),
                                   "evidence": _literal(row.get("ev")),
                                   "claim": _literal(row.get("text"))})
    labels = _status_labels(kb)
    for u, v, data in G.edges(data=True):
        claims = by_triple.get((u, data.get("predicate", ""), v), [])
        status = worst_status(c["status"] for c in claims if c["status"])
        chosen = next((c for c in claims if c["status"] == status), claims[0] if claims else {})
        data.update(status_iri=status, status=labels.get(status, ""),
                    correction=chosen.get("correction", ""),
                    evidence=chosen.get("evidence", ""), claim=chosen.get("claim", ""))
    found: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(G)):
        for row in kb.select(_NODE_STATUS_QUERY.replace("VALUES_S", _iri_values("s", chunk))):
            found[row["s"].value].append(row["st"].value)
    for node, data in G.nodes(data=True):
        data["status_iri"] = worst_status(found.get(node, []))


def _status_labels(kb: KnowledgeBase) -> dict[str, str]:
    """status IRI -> its English label (for the card; the styling uses the IRI)."""
    rows = kb.select(f"SELECT ?st ?l WHERE {{ ?st a <{_DDKB}VerificationStatus> ; "
                     "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")
    labels: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (getattr(r["l"], "language", "") not in ("en", ""),
                                           r["l"].value)):
        labels.setdefault(row["st"].value, row["l"].value)
    return labels


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


def label_lines(label: str, font: int = NODE_FONT, limit: float = LABEL_MAX_WIDTH) -> list[str]:
    """``label`` wrapped as vis-network wraps it at ``limit`` wide (estimated widths)."""
    import textwrap

    per_line = max(4, int(limit / (0.6 * font)))
    return textwrap.wrap(label, per_line, break_long_words=True, break_on_hyphens=False) or [""]


def node_box(label: str, *, font: int = NODE_FONT, size: int = 14) -> tuple[float, float, float]:
    """(half width, half height, centre offset below the node) of a node and its label.

    The shape is drawn at the node's position and the label under it. Both sizes
    are upper bounds (0.62 em a character; the line count as if every line were
    that wide), so that the labels the browser measures fit inside.
    """
    limit = FOCUS_LABEL_MAX_WIDTH if font > NODE_FONT else LABEL_MAX_WIDTH
    lines = [line for part in label.split("\n") for line in label_lines(part, font, limit)]
    longest = max(len(part) for part in label.split("\n"))
    width = max(2 * size, min(limit + 4, longest * 0.62 * font))
    top, bottom = -size, size + 4 + len(lines) * font * 1.2
    return width / 2, (bottom - top) / 2, (bottom + top) / 2


def _near_pairs(centre: Any, reach: float) -> Any:
    """Index pairs (i < j) of points within ``reach`` of each other in both x and y.

    Plain numpy up to 600 points (importing scipy costs more than the search);
    a k-d tree beyond.
    """
    import numpy as np

    n = len(centre)
    if n <= 600:
        i, j = np.triu_indices(n, 1)
        close = (np.abs(centre[i] - centre[j]) <= reach).all(axis=1)
        return np.c_[i[close], j[close]]
    from scipy.spatial import cKDTree

    return cKDTree(centre).query_pairs(reach, p=np.inf, output_type="ndarray")


def remove_overlaps(pos: Any, half: Any, offset: Any, movable: Any, *,
                    gap: float = BOX_GAP, rounds: int = 600) -> Any:
    """Move boxes apart until none overlap (or ``rounds`` run out); returns new positions.

    ``pos`` (n, 2) node positions; ``half`` (n, 2) half sizes of each node's box;
    ``offset`` (n,) how far below the node its box's centre is; ``movable`` (n,)
    booleans (fixed boxes push, never move). Each overlapping pair is pushed apart
    along the axis that needs the smaller move, shared between the two boxes when
    both may move. Candidate pairs come from ``_near_pairs``.
    """
    import numpy as np

    pos = np.array(pos, dtype=float)
    if len(pos) < 2:
        return pos
    shift = np.c_[np.zeros(len(pos)), offset]
    reach = 2 * float(half.max()) + gap
    weight = np.where(movable, 1.0, 0.0)
    for _ in range(rounds):
        centre = pos + shift
        pairs = _near_pairs(centre, reach)
        if not len(pairs):
            break
        i, j = pairs[:, 0], pairs[:, 1]
        delta = centre[i] - centre[j]
        over = half[i] + half[j] + gap - np.abs(delta)
        hit = (over > 0).all(axis=1) & ((weight[i] + weight[j]) > 0)
        if not hit.any():
            break
        i, j, delta, over = i[hit], j[hit], delta[hit], over[hit]
        axis = (over[:, 1] < over[:, 0]).astype(int)  # 0: push sideways, 1: up/down
        rows = np.arange(len(i))
        amount = over[rows, axis] + 0.5
        sign = np.sign(delta[rows, axis])
        sign[sign == 0] = np.where((i[sign == 0] + axis[sign == 0]) % 2 == 0, 1.0, -1.0)
        share_i = weight[i] / (weight[i] + weight[j])
        move = np.zeros_like(pos)
        np.add.at(move, (i, axis), sign * amount * share_i)
        np.add.at(move, (j, axis), -sign * amount * (1 - share_i))
        pos += move * 0.6  # damped: one box may be in several pairs
    return pos


def overlapping_pairs(pos: Any, half: Any, offset: Any, gap: float = 0.0) -> int:
    """How many pairs of boxes overlap (for tests and the no-overlap pass)."""
    import numpy as np

    if len(pos) < 2:
        return 0
    centre = np.asarray(pos, dtype=float) + np.c_[np.zeros(len(pos)), offset]
    pairs = _near_pairs(centre, 2 * float(half.max()) + gap)
    if not len(pairs):
        return 0
    over = half[pairs[:, 0]] + half[pairs[:, 1]] + gap - np.abs(
        centre[pairs[:, 0]] - centre[pairs[:, 1]])
    return int((over > 0).all(axis=1).sum())


def disclosure_tree(G: nx.MultiDiGraph, focus: str | None) -> tuple[list[str], dict[str, Any]]:
    """The concepts in order of importance, and who reveals whom ("+N more").

    Best-first walk from the focus (else from the most connected concept of each
    component): always the most connected concept (by relation count) next to
    the ones already taken. A concept's *parent* is the concept it was reached
    from (None for the start of a component); expanding a concept shows its
    children. The first ``DISCLOSE_SHOW`` concepts of the order open on screen.
    """
    import heapq

    degree = dict(G.degree())
    labels = {n: str(G.nodes[n].get("label") or n) for n in G}

    def rank(n: str) -> tuple[int, str, str]:
        return (-degree[n], labels[n].casefold(), n)

    starts = sorted(G, key=rank)
    if focus in G:
        starts.remove(focus)
        starts.insert(0, focus)
    parent: dict[str, Any] = {}
    order: list[str] = []
    heap: list[tuple[tuple[int, str, str], str]] = []
    for start in starts:
        if start in parent:
            continue
        parent[start] = None
        heapq.heappush(heap, (rank(start), start))
        while heap:
            _, node = heapq.heappop(heap)
            order.append(node)
            for nb in sorted(set(G.successors(node)) | set(G.predecessors(node)), key=rank):
                if nb not in parent:
                    parent[nb] = node
                    heapq.heappush(heap, (rank(nb), nb))
    return order, parent


def _simple_graph(G: nx.MultiDiGraph, nodes: Iterable[str]) -> nx.Graph:
    import networkx as nx

    H = nx.Graph()
    H.add_nodes_from(nodes)
    H.add_edges_from((u, v) for u, v in G.subgraph(H.nodes).edges() if u != v)
    return H


def force_positions(G: nx.MultiDiGraph, nodes: list[str], focus: str | None,
                    seed: int = 7) -> dict[str, tuple[float, float]]:
    """A force-directed layout of ``nodes`` (canvas units), the focus near the middle.

    networkx's spring layout (Fruchterman-Reingold, seeded: the same map every
    time), scaled so that neighbours sit about two labels apart.
    """
    import networkx as nx

    H = _simple_graph(G, nodes)
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    # (Kamada-Kawai looks alike but its optimiser needs ~1 s for 25 concepts plus
    # 1-2 s to import scipy.optimize; this takes milliseconds)
    raw = nx.spring_layout(H, seed=seed, iterations=300, k=1.6 / math.sqrt(n))
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = 140.0 * math.sqrt(n) / span
    cx, cy = (raw[focus][0], raw[focus][1]) if focus in raw else (0.0, 0.0)
    # wider than tall, like the screens the map opens on
    return {node: ((x - cx) * scale * 1.25, (y - cy) * scale * 0.8)
            for node, (x, y) in raw.items()}


def hierarchical_positions(G: nx.MultiDiGraph, nodes: list[str],
                           boxes: dict[str, tuple[float, float, float]],
                           row_width: float = 1250.0) -> dict[str, tuple[float, float]]:
    """A top-down layout: every relation points down the page, as in a Novak concept map.

    Cycles are broken (the edge that closes a cycle in a depth-first walk from the
    most connected concepts is ignored), levels are longest paths from the top,
    concepts in a level are ordered by the mean position of their parents, and a
    level wider than ``row_width`` wraps onto further rows.
    """
    import networkx as nx

    D = nx.DiGraph()
    D.add_nodes_from(nodes)
    degree = dict(G.degree())
    keep = set(nodes)
    edges = sorted({(u, v) for u, v in G.edges() if u != v and u in keep and v in keep})
    D.add_edges_from(edges)
    # break cycles: keep only edges that go forward in a DFS finishing order
    finish: dict[str, int] = {}
    seen: set[str] = set()
    for root in sorted(nodes, key=lambda n: (D.in_degree(n) > 0, -degree[n], n)):
        if root in seen:
            continue
        for node in nx.dfs_postorder_nodes(D, root):
            if node not in finish:
                finish[node] = len(finish)
            seen.add(node)
    dag = nx.DiGraph()
    dag.add_nodes_from(nodes)
    dag.add_edges_from((u, v) for u, v in edges if finish[u] > finish[v])
    level: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        level[node] = max((level[p] + 1 for p in dag.predecessors(node)), default=0)
    by_level: dict[int, list[str]] = defaultdict(list)
    for node in nodes:
        by_level[level[node]].append(node)
    pos: dict[str, tuple[float, float]] = {}
    y = 0.0
    for lv in sorted(by_level):
        members = by_level[lv]

        def barycentre(n: str) -> tuple[float, int, str]:
            xs = [pos[p][0] for p in dag.predecessors(n) if p in pos]
            return (sum(xs) / len(xs) if xs else 0.0, -degree[n], n)

        members.sort(key=barycentre)
        rows: list[list[str]] = [[]]
        width = 0.0
        for node in members:
            w = 2 * boxes[node][0] + BOX_GAP
            if rows[-1] and width + w > row_width:
                rows.append([])
                width = 0.0
            rows[-1].append(node)
            width += w
        for row in rows:
            total = sum(2 * boxes[n][0] + BOX_GAP for n in row)
            x = -total / 2
            for node in row:
                w = 2 * boxes[node][0] + BOX_GAP
                pos[node] = (x + w / 2, y)
                x += w
            y += max(2 * boxes[n][1] for n in row) + 55.0
    return pos


def _candidate_rings(px: float, py: float, base: float) -> Iterable[Any]:
    """Rings of spots around (px, py), growing outwards, nearest to direction ``base`` first."""
    import numpy as np

    for radius in np.arange(210.0, 6000.0, 70.0):
        steps = max(8, int(2 * math.pi * radius / 90.0))
        angles = np.arange(steps) * (2 * math.pi / steps)
        turn = np.abs((angles - base + math.pi) % (2 * math.pi) - math.pi)
        angles = angles[np.argsort(turn, kind="stable")]
        yield np.c_[px + radius * np.cos(angles), py + radius * np.sin(angles)]


def place_hidden(order: list[str], parent: dict[str, Any], pos: dict[str, tuple[float, float]],
                 boxes: dict[str, tuple[float, float, float]], downward: bool) -> None:
    """Give every concept not yet in ``pos`` the free spot nearest its parent.

    Spots are tried on rings around the parent, facing away from the middle of the
    map first (downwards for the hierarchical layout), and a spot is taken only if
    the concept's box overlaps no box placed before it -- so concepts revealed by
    "+N more" never land on the ones already on screen, nor on each other.
    """
    import numpy as np

    cx = sum(p[0] for p in pos.values()) / max(1, len(pos))
    cy = sum(p[1] for p in pos.values()) / max(1, len(pos))
    placed = [n for n in order if n in pos]
    centres = [(pos[n][0], pos[n][1] + boxes[n][2]) for n in placed]
    halves = [boxes[n][:2] for n in placed]
    for node in order:
        if node in pos:
            continue
        up = parent.get(node)
        px, py = pos[up] if up in pos else (cx, cy)
        base = math.pi / 2 if downward or (px, py) == (cx, cy) else math.atan2(py - cy, px - cx)
        hw, hh, off = boxes[node]
        c = np.asarray(centres)
        h = np.asarray(halves)
        spot = None
        for batch in _candidate_rings(px, py, base):
            centre = batch + [0.0, off]
            dx = np.abs(centre[:, None, 0] - c[None, :, 0]) - (hw + h[None, :, 0] + BOX_GAP)
            dy = np.abs(centre[:, None, 1] - c[None, :, 1]) - (hh + h[None, :, 1] + BOX_GAP)
            free = ~((dx < 0) & (dy < 0)).any(axis=1)
            if free.any():
                spot = batch[int(np.argmax(free))]
                break
        if spot is None:  # the rings are full: far away below everything
            spot = np.array([cx, max(y for _, y in centres) + 400.0])
        pos[node] = (float(spot[0]), float(spot[1]))
        centres.append((pos[node][0], pos[node][1] + off))
        halves.append((hw, hh))


def map_layout(G: nx.MultiDiGraph, *, layout: str = "force",
               labels: dict[str, str] | None = None
               ) -> tuple[dict[str, tuple[int, int]], list[str], dict[str, Any], set[str]]:
    """Positions with no overlapping concept boxes, plus the progressive disclosure.

    Returns ``(positions, order, parent, shown)``: the concepts that open on screen
    (``shown``: all of them up to ``DISCLOSE_ABOVE`` concepts, else the
    ``DISCLOSE_SHOW`` most connected) are laid out first, compactly; the others
    then get spots beyond the concept that reveals them, and a last pass moves
    those (never the opening ones) until no two boxes overlap.
    """
    import numpy as np

    if layout not in LAYOUTS:
        raise InputError(f"--layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    focus = G.graph.get("focus")
    order, parent = disclosure_tree(G, focus)
    shown = set(order if len(order) <= DISCLOSE_ABOVE else order[:DISCLOSE_SHOW])
    labels = labels or {n: str(G.nodes[n].get("label") or n) for n in G}
    hiding: Counter[str] = Counter(parent[n] for n in order if n not in shown and parent[n])
    # the label as the page first shows it: a warning sign, a "+N more" line
    shown_as = {n: ("\u26a0 " if doubt_level(G.nodes[n].get("status_iri", "")) else "") +
                labels[n] + (f"\n+{hiding[n]} more" if hiding[n] else "") for n in G}
    boxes = {n: node_box(shown_as[n], font=FOCUS_FONT if n == focus else NODE_FONT,
                         size=22 if n == focus else 14) for n in G}
    first = [n for n in order if n in shown]
    if layout == "hierarchical":
        pos = hierarchical_positions(G, first, boxes)
    elif len(first) > FORCE_MAX_NODES:
        pos = {n: (float(x), float(y)) for n, (x, y) in precomputed_layout(
            G.subgraph(first)).items()}
    else:
        pos = force_positions(G, first, focus)
    half_first = np.array([boxes[n][:2] for n in first])
    settled = remove_overlaps(np.array([pos[n] for n in first]), half_first,
                              np.array([boxes[n][2] for n in first]), np.ones(len(first), bool))
    pos = {n: (float(x), float(y)) for n, (x, y) in zip(first, settled, strict=True)}
    if len(order) <= FORCE_MAX_NODES:
        place_hidden(order, parent, pos, boxes, downward=layout == "hierarchical")
        xy = np.array([pos[n] for n in order])
    else:  # large maps: the fast layout of everything, then pushes apart
        rest = precomputed_layout(G)
        shift = np.mean([np.subtract(pos[n], rest[n]) for n in first], axis=0)
        for n in order:
            pos.setdefault(n, (rest[n][0] + shift[0], rest[n][1] + shift[1]))
        half = np.array([boxes[n][:2] for n in order])
        offset = np.array([boxes[n][2] for n in order])
        opening = np.array([n in shown for n in order])
        # a bounded number of rounds: thousands of hidden concepts cannot all have room
        xy = remove_overlaps(np.array([pos[n] for n in order]), half, offset, ~opening,
                             rounds=LARGE_MAP_ROUNDS)
    positions = {n: (int(round(x)), int(round(y))) for n, (x, y) in zip(order, xy, strict=True)}
    return positions, order, parent, shown


# -- styling ---------------------------------------------------------------------
def class_style(cls: str) -> tuple[str, str]:
    """(colour, shape) of a class local name; unknown classes get a stable colour."""
    if cls in CLASS_STYLES:
        return CLASS_STYLES[cls]
    digest = hashlib.sha1(cls.encode("utf-8")).digest()[0]
    return EXTRA_COLOURS[digest % len(EXTRA_COLOURS)], "dot"


def doubt_level(status_iri: str) -> str:
    """``"not-supported"``, ``"contradicted"``, ``"partly"`` or ``""`` for a status IRI.

    Driven by the IRIs of ddkb's ``VerificationStatus`` individuals, never by
    their (translatable) labels.

    >>> doubt_level("https://w3id.org/ddkb/status-contradicted")
    'contradicted'
    >>> doubt_level("contradicted")
    ''
    """
    return DOUBT_BY_STATUS.get(status_iri or "", "")


def worst_status(status_iris: Iterable[str]) -> str:
    """The most doubtful of several status IRIs (unknown IRIs rank last), or ""."""
    ranked = sorted(set(status_iris), key=lambda s: (
        STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER), s))
    return ranked[0] if ranked else ""


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
    """vis-network options: a fixed precomputed layout, or physics that settles then stops.

    Relation labels are drawn only when at least ``RELATION_LABEL_PX`` on screen
    (``scaling.label.drawThreshold``), i.e. once zoomed in; the page enlarges those
    of the concept or relation pointed at or selected to that size.
    """
    large = n_nodes > 300
    options: dict[str, Any] = {
        "autoResize": True,
        "nodes": {"size": 14, "borderWidth": 1.5,
                  "widthConstraint": {"maximum": LABEL_MAX_WIDTH},
                  "font": {"size": NODE_FONT, "color": "#1f2933", "strokeWidth": 4,
                           "strokeColor": "#ffffff",
                           "face": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
                  "color": {"color": EDGE_STYLES[""]["color"], "highlight": "#1f2933",
                            "hover": "#3e4c59", "inherit": False},
                  "font": {"size": EDGE_FONT, "align": "middle", "color": "#3e4c59",
                           "strokeWidth": 4, "strokeColor": "#ffffff"},
                  "scaling": {"label": {"drawThreshold": RELATION_LABEL_PX + 1}},
                  "width": 1.2, "selectionWidth": 1.5, "hoverWidth": 0.8,
                  # a bold label would be drawn at vis-network's bold size, past the threshold
                  "labelHighlightBold": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "multiselect": False,
                        "navigationButtons": False, "keyboard": False,
                        "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        "layout": {"randomSeed": 7, "improvedLayout": False},
    }
    if physics:
        options["layout"]["improvedLayout"] = n_nodes <= 100
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


def search_keys(label: str, alt_labels: Iterable[str]) -> list[str]:
    """Normalised names of a concept for the page's search (``ddkb.lookup.normalise``).

    The preferred label's key comes first; the page normalises what the user types
    with the same rules (``search_rules``), so "Defence" finds "defense" and
    "peace keeping" finds "peacekeeping", as ``ddkb show`` does.
    """
    from .lookup import normalise

    keys = [normalise(label)]
    for alt in alt_labels:
        key = normalise(alt)
        if key and key not in keys:
            keys.append(key)
    return keys


def search_rules() -> dict[str, Any]:
    """The spelling tables of ``ddkb.lookup.normalise``, for the page's own normaliser."""
    from .lookup import _WORD_FIXES, SPELLING_SUFFIXES

    return {"fixes": dict(_WORD_FIXES), "suffixes": [list(p) for p in SPELLING_SUFFIXES]}


def _edge_style(doubt: str) -> dict[str, Any]:
    """vis-network colour, dashes, width and middle mark of a relation with this doubt."""
    style = EDGE_STYLES[doubt]
    extra: dict[str, Any] = {}
    if doubt:
        extra["color"] = {"color": style["color"], "highlight": style["color"],
                          "hover": style["color"], "inherit": False}
        extra["dashes"] = style["dashes"]
        extra["width"] = style["width"]
        extra["arrows"] = {"to": {"enabled": True, "scaleFactor": 0.6},
                           "middle": {"enabled": True, "type": style["mark"],
                                      "scaleFactor": 0.9}}
    return extra


def map_payload(G: nx.MultiDiGraph, *, physics: bool | None = None,
                layout: str = "force") -> dict[str, Any]:
    """The data block of a map: vis-network nodes, edges and options, legend, focus.

    Nodes and edges are assembled with pyvis's ``Network`` (directed, one edge per
    relation); ddkb's extra facts for cards, search and disclosure ride along
    under each item's ``ddkb`` key (documented at the top of ``conceptmap.js``).
    Positions are computed here (``layout``: "force" or "hierarchical", no two
    concept boxes overlapping); ``physics=True`` lets the browser lay the map out
    instead (the old behaviour, with no overlap guarantee).
    """
    from pyvis.network import Network

    n = G.number_of_nodes()
    use_physics = bool(physics)
    if layout not in LAYOUTS:
        raise InputError(f"--layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    focus = G.graph.get("focus")
    names = {iri: str(data.get("label") or iri) for iri, data in G.nodes(data=True)}
    positions, order, parent, shown = map_layout(G, layout=layout, labels=names)
    rank = {node: i for i, node in enumerate(order)}
    degree = dict(G.degree())
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.node_ids = _IndexedIds()
    legend: Counter[str] = Counter()
    doubt_counts: Counter[str] = Counter()
    class_labels: dict[str, str] = {}
    groups: dict[tuple[str, str], str] = {}
    for iri, data in sorted(G.nodes(data=True), key=lambda item: item[0]):
        cls = data.get("cls") or "Concept"
        shape = class_style(cls)[1]
        legend[cls] += 1
        class_labels.setdefault(cls, _class_label(G, data))
        doubt = doubt_level(data.get("status_iri", ""))
        doubt_counts[doubt] += 1
        # the colours live once per (class, doubt) in options.groups; pyvis drops a
        # node's own colour when it has a group
        group = groups.setdefault((cls, doubt), f"g{len(groups)}")
        extra: dict[str, Any] = {
            "group": group,
            "ddkb": {"name": names[iri], "curie": data.get("curie", iri), "cls": cls,
                     "classLabel": class_labels[cls], "types": list(data.get("types", [])),
                     "definition": data.get("definition", ""),
                     "alt": list(data.get("alt_labels", [])),
                     "sources": list(data.get("sources", [])),
                     "status": data.get("status", ""),
                     "statusIri": data.get("status_iri", ""), "doubt": doubt,
                     "bundled": bool(data.get("bundled", True)),
                     "parent": parent.get(iri), "rank": rank[iri], "degree": degree[iri],
                     "shown": iri in shown,
                     "keys": search_keys(names[iri], data.get("alt_labels", []))},
        }
        if doubt:
            extra["borderWidth"] = 3
            extra["shapeProperties"] = {"borderDashes": [5, 4]}
            # a halo that no zoom level or selection border hides
            extra["shadow"] = {"enabled": True, "color": DOUBT_BORDER[doubt], "size": 14,
                               "x": 0, "y": 0}
        if iri == focus:
            extra["size"] = 22
            extra["borderWidth"] = max(extra.get("borderWidth", 0), 4)
            extra["font"] = {"size": FOCUS_FONT, "bold": True}
            extra["widthConstraint"] = {"maximum": FOCUS_LABEL_MAX_WIDTH}
        if not use_physics:
            extra["x"], extra["y"] = positions[iri]
        net.add_node(iri, label=names[iri], shape=shape, **extra)

    smooth = _edge_smooth(G, use_physics)
    loops: Counter[str] = Counter()
    edge_counts: Counter[str] = Counter()
    for i, (u, v, key, data) in enumerate(sorted(G.edges(keys=True, data=True),
                                                 key=lambda e: (e[0], e[1], e[2]))):
        doubt = doubt_level(data.get("status_iri", ""))
        edge_counts[doubt] += 1
        extra = _edge_style(doubt)
        if u == v:  # several relations of a concept to itself: loops of growing size
            extra["selfReference"] = {"size": 18 + 10 * loops[u], "angle": 0.8}
            loops[u] += 1
        net.add_edge(u, v, id=f"e{i}", label=str(data.get("label") or key),
                     smooth=smooth[(u, v, key)],
                     ddkb={"curie": key, "sources": list(data.get("sources", [])),
                           "status": data.get("status", ""),
                           "statusIri": data.get("status_iri", ""), "doubt": doubt,
                           "correction": data.get("correction", ""),
                           "evidence": data.get("evidence", ""),
                           "claim": data.get("claim", "")}, **extra)

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
        "layout": "physics" if use_physics else layout,
        "focus": focus,
        "doubtful": doubt_counts["not-supported"] + doubt_counts["contradicted"],
        "doubt": {"nodes": {k: c for k, c in doubt_counts.items() if k},
                  "edges": {k: c for k, c in edge_counts.items() if k},
                  "plainEdges": edge_counts[""]},
        "edgeStyles": EDGE_STYLES,
        "view": {"minConceptPx": MIN_CONCEPT_PX, "nodeFont": NODE_FONT,
                 "minRelationPx": MIN_RELATION_PX, "relationLabelPx": RELATION_LABEL_PX,
                 "edgeFont": EDGE_FONT,
                 "shownAtOpening": len(shown)},
        "search": search_rules(),
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
                 height: int = 640, layout: str = "force") -> None:
        if layout not in LAYOUTS:
            raise InputError(f"--layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
        G = select_graph(kb, focus=focus, depth=depth, types=types,
                         exclude_types=exclude_types, relations=relations)
        check_size(G, max_nodes)
        read_claims(kb, G)
        payload = map_payload(G, physics=physics, layout=layout)
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
        self.layout = payload["layout"]
        self.shown_at_opening = payload["view"]["shownAtOpening"]
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
              title: str | None = None, physics: bool | None = None,
              layout: str = "force") -> str:
    """The HTML of an offline interactive concept map of ``kb``.

    ``focus`` + ``depth`` keep the concepts within ``depth`` relations of one concept;
    ``types`` / ``exclude_types`` (class names, subclass-aware) and ``relations``
    (property names) filter further. More than ``max_nodes`` concepts raises
    ``InputError`` (None: no limit). The layout is computed here, with no two
    concept labels overlapping: ``layout="force"`` (default) or ``"hierarchical"``
    (top-down, every relation pointing down the page, Novak style);
    ``physics=True`` lets the browser's physics place the concepts instead. Maps
    of more than ``DISCLOSE_ABOVE`` concepts open with the ``DISCLOSE_SHOW`` most
    connected ones and "+N more" on the concepts that hide others.

    >>> html = build_map(kb, focus="CBM", depth=1, types="Instrument,Outcome")  # doctest: +SKIP
    >>> html = build_map(kb, focus="CBM", depth=1, layout="hierarchical")      # doctest: +SKIP
    """
    return ConceptMap(kb, focus=focus, depth=depth, types=types, exclude_types=exclude_types,
                      relations=relations, max_nodes=max_nodes, title=title,
                      physics=physics, layout=layout).html


def write_map(kb: KnowledgeBase, path: str | Path, *, focus: str | None = None, depth: int = 2,
              types: str | Iterable[str] | None = None,
              exclude_types: str | Iterable[str] | None = None,
              relations: str | Iterable[str] | None = None, max_nodes: int | None = 500,
              title: str | None = None, physics: bool | None = None,
              layout: str = "force") -> ConceptMap:
    """Build a map (as ``build_map``) and write it to ``path`` atomically in UTF-8.

    Nothing is written when the map cannot be built (e.g. too many nodes).
    Returns the ``ConceptMap`` (``node_count``, ``edge_count``, ``html``).
    """
    cmap = ConceptMap(kb, focus=focus, depth=depth, types=types, exclude_types=exclude_types,
                      relations=relations, max_nodes=max_nodes, title=title, physics=physics,
                      layout=layout)
    cmap.save(path)
    return cmap
