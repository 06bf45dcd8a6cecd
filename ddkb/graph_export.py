"""Write a projected concept graph for graph tools: GraphML, GEXF, Graphviz DOT, Mermaid.

Input is the ``networkx.MultiDiGraph`` of :func:`ddkb.network.project`; output is
text. GraphML and GEXF (Gephi, yEd, Cytoscape) carry ``label``, ``curie``, ``cls``,
``definition``, ``status``, ``types``, ``sources`` and ``bundled`` on nodes and
``label``, ``relation`` (property CURIE), ``predicate`` (IRI) and ``sources`` on
edges (lists joined with ``"; "``: the formats have no list type). DOT and Mermaid
draw one arrow per relation with its label.
Every label is escaped for its format, so a label holding quotes, backslashes,
line breaks or ``<script>`` cannot break the file or inject markup.

>>> import ddkb
>>> from ddkb.network import project
>>> from ddkb.graph_export import export_graph
>>> text = export_graph(project(ddkb.load(), focus="CBM"), "mermaid")  # doctest: +SKIP
>>> text.splitlines()[0]                                               # doctest: +SKIP
'flowchart LR'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

NODE_FIELDS = ("label", "curie", "cls", "definition", "status", "types", "sources", "bundled")
EDGE_FIELDS = ("label", "predicate", "sources")

#: Fill colours by top-level ddkb class (DOT and Mermaid), light enough for black text.
CLASS_COLOURS = {
    "ddkb:CoreIdea": "#fde68a",
    "ddkb:Instrument": "#bfdbfe",
    "ddkb:Norm": "#ddd6fe",
    "ddkb:Outcome": "#bbf7d0",
    "ddkb:Risk": "#fecaca",
    "ddkb:Mitigation": "#a5f3fc",
    "ddkb:Actor": "#fed7aa",
    "ddkb:Region": "#e9d5ff",
    "ddkb:Initiative": "#fbcfe8",
    "ddkb:CaseStudy": "#e7e5e4",
    "ddkb:Threat": "#fca5a5",
    "ddkb:SecurityDomain": "#c7d2fe",
    "ddkb:BestPractice": "#d9f99d",
}
DEFAULT_COLOUR = "#f3f4f6"

# Characters XML 1.0 forbids (GraphML and GEXF are XML).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _flat(value: Any) -> Any:
    """A value the GraphML/GEXF writers accept: lists joined, text cleaned for XML."""
    if isinstance(value, (list, tuple, set)):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub("", text)  # XML readers turn a raw CR into LF anyway


def _plain_copy(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with only scalar attributes, in a stable order (writers reject lists)."""
    import networkx as nx

    H = nx.MultiDiGraph()
    for node in sorted(G):
        data = G.nodes[node]
        attrs = {f: _flat(data.get(f, "")) for f in NODE_FIELDS if f != "bundled"}
        attrs["bundled"] = bool(data.get("bundled", False))
        H.add_node(_flat(node), **attrs)
    edges = sorted(G.edges(keys=True, data=True), key=lambda e: e[:3])
    for number, (u, v, key, data) in enumerate(edges, 1):
        # edge ids must be unique in GraphML/GEXF: e1, e2 ...; the CURIE goes in "relation"
        H.add_edge(_flat(u), _flat(v), key=f"e{number}", relation=_flat(key),
                   **{f: _flat(data.get(f, "")) for f in EDGE_FIELDS})
    return H


def to_graphml(G: nx.MultiDiGraph) -> str:
    """GraphML (yEd, Gephi, Cytoscape); node ids are IRIs, edge ids ``e1``, ``e2`` ..."""
    import networkx as nx

    return "\n".join(nx.generate_graphml(_plain_copy(G), edge_id_from_attribute=None)) + "\n"


def to_gexf(G: nx.MultiDiGraph) -> str:
    """GEXF 1.2 (Gephi); ``label`` becomes the GEXF node and edge label."""
    import networkx as nx

    H = _plain_copy(G)
    for _u, _v, key, data in H.edges(keys=True, data=True):
        data["id"] = key  # GEXF edge id e1, e2 ... (else networkx adds a "networkx_key")
    return "\n".join(nx.generate_gexf(H, version="1.2draft")) + "\n"


def _dot_string(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, line breaks as ``\\n``."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


def _top_class(G: nx.MultiDiGraph, node: str) -> str:
    """The coloured class a node belongs to (subclass-aware), or ``""``."""
    table = G.graph.get("classes", {})
    for t in G.nodes[node].get("types", []):
        for cls in [t, *table.get(t, {}).get("ancestors", [])]:
            if cls in CLASS_COLOURS:
                return cls
    return ""


def to_dot(G: nx.MultiDiGraph) -> str:
    """Graphviz DOT: boxes coloured by class, one labelled arrow per relation.

    >>> print(to_dot(G))                 # doctest: +SKIP
    digraph ddkb { ... "https://w3id.org/ddkb/cbm" -> "..." [label="fosters"]; }
    """
    lines = [
        "digraph ddkb {",
        '  graph [rankdir=LR, charset="UTF-8", fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", '
        f'fillcolor="{DEFAULT_COLOUR}"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in sorted(G):
        data = G.nodes[node]
        attrs = [f"label={_dot_string(data.get('label', node))}"]
        colour = CLASS_COLOURS.get(_top_class(G, node))
        if colour:
            attrs.append(f'fillcolor="{colour}"')
        tip = data.get("definition") or data.get("label", "")
        attrs.append(f"tooltip={_dot_string(tip)}")
        lines.append(f"  {_dot_string(node)} [{', '.join(attrs)}];")
    for u, v, key, data in sorted(G.edges(keys=True, data=True), key=lambda e: e[:3]):
        label = data.get("label") or key
        lines.append(f"  {_dot_string(u)} -> {_dot_string(v)} [label={_dot_string(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Text for a Mermaid label: letters, digits and spaces kept, all else as ``#code;``.

    Mermaid decodes ``#quot;``/``#35;`` entity codes itself, so quotes, brackets,
    pipes, ``-->`` and ``<script>`` in a label are shown as text, never parsed.
    """
    out = []
    for ch in " ".join(str(text).split()):
        if ch.isalnum() or ch == " ":
            out.append(ch)
        elif ch == '"':
            out.append("#quot;")
        else:
            out.append(f"#{ord(ch)};")
    return "".join(out) or "#160;"


#: Mermaid's default ``maxEdges`` and ``maxTextSize``: larger diagrams parse but do not render.
MERMAID_MAX_EDGES = 500
MERMAID_MAX_TEXT = 50000


def to_mermaid(G: nx.MultiDiGraph) -> str:
    """A Mermaid ``flowchart LR`` (renders in GitHub/GitLab Markdown, Obsidian, mermaid.live).

    Node ids are ``n1``, ``n2`` ... in IRI order; labels are entity-escaped;
    edges read ``n1 -- fosters --> n2``; nodes are styled by class. A graph above
    Mermaid's default limits (500 edges, 50,000 characters; the whole KB is) gets a
    ``%% note`` comment on line 2 saying so: viewers refuse to draw it unless their
    ``maxEdges``/``maxTextSize`` are raised, so export a focus neighbourhood instead.
    """
    ids = {node: f"n{i}" for i, node in enumerate(sorted(G), 1)}
    lines = ["flowchart LR"]
    by_class: dict[str, list[str]] = {}
    for node, nid in ids.items():
        lines.append(f'  {nid}["{_mermaid_text(G.nodes[node].get("label", node))}"]')
        top = _top_class(G, node)
        if top:
            by_class.setdefault(top, []).append(nid)
    for u, v, key, data in sorted(G.edges(keys=True, data=True), key=lambda e: e[:3]):
        lines.append(f"  {ids[u]} -- {_mermaid_text(data.get('label') or key)} --> {ids[v]}")
    for cls, members in sorted(by_class.items()):
        name = re.sub(r"\W", "_", cls.split(":")[-1])
        lines.append(f"  classDef {name} fill:{CLASS_COLOURS[cls]},stroke:#555,color:#111")
        lines.append(f"  class {','.join(members)} {name}")
    text = "\n".join(lines) + "\n"
    if G.number_of_edges() > MERMAID_MAX_EDGES or len(text) > MERMAID_MAX_TEXT:
        note = (f"%% note: {G.number_of_edges()} relations, {len(text)} characters: above "
                f"Mermaid's default limits ({MERMAID_MAX_EDGES} edges, {MERMAID_MAX_TEXT} "
                "characters); raise maxEdges/maxTextSize or export a --focus neighbourhood")
        text = "flowchart LR\n" + note + "\n" + text.split("\n", 1)[1]
    return text


#: format name -> (writer, usual file suffix)
GRAPH_FORMATS: dict[str, tuple[Callable[[Any], str], str]] = {
    "graphml": (to_graphml, ".graphml"),
    "gexf": (to_gexf, ".gexf"),
    "dot": (to_dot, ".dot"),
    "mermaid": (to_mermaid, ".mmd"),
}


def export_graph(G: nx.MultiDiGraph, fmt: str) -> str:
    """Serialise ``G`` as ``fmt`` (one of ``GRAPH_FORMATS``); unknown names raise ``InputError``.

    >>> export_graph(project(kb, focus="hotline", depth=1), "dot")  # doctest: +SKIP
    """
    entry = GRAPH_FORMATS.get(fmt.lower())
    if entry is None:
        raise InputError(f"unknown graph format {fmt!r}; valid: {', '.join(GRAPH_FORMATS)}")
    return entry[0](G)
