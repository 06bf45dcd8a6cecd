"""The knowledge base as a networkx graph, and the analytics that run on it.

``project(kb)`` keeps only what a reader thinks of as "the graph": concepts as
nodes and the relations between them (``fosters``, ``hasRisk`` ...) as edges.
Types, labels, literals, claims, sources and vocabulary terms become node and
edge *attributes*, never nodes, so that centrality and paths are not dominated
by hubs such as ``skos:Concept`` or a source section.

>>> import ddkb
>>> from ddkb.network import project, shortest_paths
>>> kb = ddkb.load()
>>> G = project(kb)                               # networkx.MultiDiGraph  # doctest: +SKIP
>>> G.nodes["https://w3id.org/ddkb/mutual-trust"]["label"]                # doctest: +SKIP
'mutual trust'
>>> [s.predicate_label for s in shortest_paths(G, "joint military exercise",
...                                             "soft power")[0]]        # doctest: +SKIP
['fosters', 'contributes to']

The node id is the concept IRI; every edge is one asserted triple (keyed by the
property CURIE), so two different relations between the same pair stay two edges.
networkx is imported inside functions: this module is cheap to import.
"""

from __future__ import annotations

import difflib
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConceptNotFound, InputError
from .labels import best_text, display_label
from .namespaces import DDKB, GRAPH, INFERRED_GRAPH, curie, expand
from .text import one_line

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from .kb import KnowledgeBase

#: Types whose members are vocabulary, provenance or bookkeeping, never concepts.
EXCLUDED_TYPES = (
    "owl:Class", "rdfs:Class", "rdf:Property", "owl:ObjectProperty", "owl:DatatypeProperty",
    "owl:AnnotationProperty", "owl:TransitiveProperty", "owl:SymmetricProperty",
    "owl:FunctionalProperty", "owl:InverseFunctionalProperty", "owl:Ontology",
    "owl:Restriction", "skos:ConceptScheme", "ddkb:Claim", "ddkb:SourceDocument",
    "ddkb:SourceSection", "ddkb:VerificationStatus", "prov:Entity", "sh:NodeShape",
    "sh:PropertyShape", "org:Membership", "time:Interval", "time:Instant",
    "ddkb:MemberCount",
)

#: Generic types that never name a node's class (``cls``) when something better exists.
GENERIC_TYPES = {
    "http://www.w3.org/2004/02/skos/core#Concept",
    "http://www.w3.org/2002/07/owl#NamedIndividual",
    "http://www.w3.org/2002/07/owl#Thing",
    "http://www.w3.org/2000/01/rdf-schema#Resource",
}

RANK_MEASURES = ("degree", "pagerank", "betweenness")

#: How many equally short extra paths ``shortest_paths`` weighs before choosing.
_TIES = 50

#: The most paths ``shortest_paths`` returns: each extra path costs a search of
#: the graph per step (Yen's algorithm); 100 take half a second on the bundled KB,
#: 3,000 take six seconds and 100,000 ran for minutes.
MAX_PATHS = 100

_CONCEPT_PATTERN = """
    ?c skos:prefLabel|rdfs:label ?anyLabel .
    FILTER(isIRI(?c))
    FILTER NOT EXISTS { ?c a ?bad . VALUES ?bad { EXCLUDED } }
    FILTER NOT EXISTS { ?c rdfs:subClassOf|rdfs:subPropertyOf|owl:inverseOf ?anySuper }
    FILTER NOT EXISTS { ?c skos:inScheme ddkb:verification-scheme }
""".replace("EXCLUDED", " ".join(EXCLUDED_TYPES))

#: What is read about each concept: kind -> a graph pattern binding ?v (or ?g) for ?c.
#: One small query per kind (not one UNION of them all): some servers (Virtuoso 7)
#: fail to compile a UNION whose branches BIND constants next to FILTERs.
_NODE_PARTS = {
    "pref": "?c skos:prefLabel ?v",
    "label": "?c rdfs:label ?v",
    "alt": "?c skos:altLabel ?v",
    "def": "?c skos:definition ?v",
    "type": "?c a ?v FILTER(isIRI(?v))",
    "source": "?c dcterms:source ?v FILTER(isIRI(?v))",
    "status": "?c ddkb:verificationStatus ?v",
    "graph": "GRAPH ?g { ?c skos:prefLabel|rdfs:label ?x }",
}
_CONCEPTS_QUERY = "SELECT DISTINCT ?c WHERE { RESTRICT CONCEPT }".replace("CONCEPT",
                                                                        _CONCEPT_PATTERN)

_EDGE_QUERY = """
SELECT DISTINCT ?s ?p ?o ?sec WHERE {
  ?p a owl:ObjectProperty .
  ?s ?p ?o .
  FILTER(isIRI(?s) && isIRI(?o))
  OPTIONAL {
    ?claim ddkb:claimSubject ?s ; ddkb:claimPredicate ?p ; ddkb:claimObject ?o ;
           dcterms:source ?sec .
  }
}
"""

#: The vocabulary read for a projection: kind -> pattern binding ?x (and ?v).
_VOCAB_PARTS = {
    "sub": "?x rdfs:subClassOf ?v FILTER(isIRI(?x) && isIRI(?v))",
    "class": "?x a owl:Class FILTER(isIRI(?x))",
    "prop": "?x a owl:ObjectProperty FILTER(isIRI(?x))",
    "plabel": "?x a owl:ObjectProperty . ?x rdfs:label ?v",
    "clabel": "?x a owl:Class . ?x rdfs:label|skos:prefLabel ?v",
    "title": "?x dcterms:title ?v FILTER EXISTS { ?s dcterms:source ?x }",
    "secnum": "?x ddkb:sectionNumber ?v FILTER EXISTS { ?s dcterms:source ?x }",
    "stlabel": "?x a ddkb:VerificationStatus ; skos:prefLabel ?v",
}


# -- small helpers --------------------------------------------------------------
def _value(term: Any) -> str:
    return getattr(term, "value", str(term))


def _lang(term: Any) -> str:
    return getattr(term, "language", None) or ""


def _best_literal(values: list[Any]) -> str:
    """The English (or untagged) literal, else another; stable (:func:`ddkb.labels.best_text`)."""
    return best_text((_value(t), _lang(t)) for t in values) or ""


def _local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1] or iri
    return iri


@dataclass
class Vocabulary:
    """Classes, object properties and sources of a KB, read once per projection."""

    supers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    classes: set[str] = field(default_factory=set)
    class_labels: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    properties: set[str] = field(default_factory=set)
    property_labels: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    section_titles: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    section_numbers: dict[str, int] = field(default_factory=dict)
    status_labels: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))

    def ancestors(self, cls: str) -> set[str]:
        """``cls`` and every class above it (rdfs:subClassOf, transitively)."""
        seen, todo = {cls}, [cls]
        while todo:
            for sup in self.supers.get(todo.pop(), ()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        return seen

    def depth(self, cls: str) -> int:
        return len(self.ancestors(cls))

    def property_label(self, iri: str) -> str:
        return _best_literal(self.property_labels.get(iri, [])) or _local_name(iri)

    def section_title(self, iri: str) -> str:
        return _best_literal(self.section_titles.get(iri, [])) or curie(iri)

    def sort_sections(self, iris: Iterable[str]) -> list[str]:
        """Section titles in article order (section number, then title)."""
        unique = set(iris)
        ordered = sorted(unique, key=lambda s: (self.section_numbers.get(s, 10**6),
                                                self.section_title(s)))
        return [self.section_title(s) for s in ordered]


def _read_vocabulary(kb: KnowledgeBase, include_inferred: bool) -> Vocabulary:
    voc = Vocabulary()
    for k, pattern in _VOCAB_PARTS.items():
        projected = "?x ?v" if "?v" in pattern else "?x"
        for row in _rows(kb, f"SELECT DISTINCT {projected} WHERE {{ {pattern} }}",
                         include_inferred):
            _add_vocabulary_row(voc, _value(row["x"]), k, row.get("v"))
    return voc


def _add_vocabulary_row(voc: Vocabulary, x: str, k: str, v: Any) -> None:
    """File one row of a vocabulary query under ``voc``."""
    if k == "sub":
        voc.supers[x].add(_value(v))
    elif k == "class":
        voc.classes.add(x)
    elif k == "prop":
        voc.properties.add(x)
    elif k == "plabel":
        voc.property_labels[x].append(v)
    elif k == "clabel":
        voc.class_labels[x].append(v)
    elif k == "title":
        voc.section_titles[x].append(v)
    elif k == "secnum":
        try:
            voc.section_numbers[x] = int(_value(v))
        except ValueError:
            pass
    elif k == "stlabel":
        voc.status_labels[x].append(v)


def _rows(kb: KnowledgeBase, sparql: str, include_inferred: bool) -> list[dict[str, Any]]:
    """SELECT rows over the asserted graphs only, or over every graph with ``include_inferred``.

    Inferred triples (``--infer``) live in graphs named ``<INFERRED_GRAPH>/<mode>``;
    leaving them out keeps the projection to what the files say (no inverse edges,
    no types guessed from domains and ranges).
    """
    graphs = kb.graphs()
    asserted = [g for g in graphs if not g.startswith(INFERRED_GRAPH)]
    if include_inferred or len(asserted) == len(graphs):
        return kb.select(sparql)
    result = kb.raw_query(sparql, graphs=asserted)
    names = [v.value for v in result.variables]
    return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]


def _iri_values(var: str, iris: Iterable[str]) -> str:
    """A ``VALUES ?var { <a> <b> }`` block; IRIs come from the store, serialised safely."""
    import pyoxigraph as ox

    return f"VALUES ?{var} {{ {' '.join(str(ox.NamedNode(i)) for i in iris)} }}"


def _chunks(items: list[str], size: int = 400) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _primary_class(types: list[str]) -> str:
    """The local name of the most specific ddkb class, else of any specific class."""
    for t in types:
        if t.startswith(DDKB):
            return _local_name(t)
    for t in types:
        if t not in GENERIC_TYPES:
            return _local_name(t)
    return "Concept"


def _node_rows(kb: KnowledgeBase, include_inferred: bool,
               iris: Iterable[str] | None) -> Iterable[dict[str, Any]]:
    """Rows ``{c, k, v|g}`` about every concept, or about the concepts among ``iris``."""
    if iris is None:
        found = _rows(kb, _CONCEPTS_QUERY.replace("RESTRICT", ""), include_inferred)
    else:
        found = [row for chunk in _chunks(sorted(set(iris)))
                 for row in _rows(kb, _CONCEPTS_QUERY.replace("RESTRICT",
                                                              _iri_values("c", chunk)),
                                  include_inferred)]
    concepts = sorted({_value(row["c"]) for row in found})
    for k, pattern in _NODE_PARTS.items():
        value = "?g" if k == "graph" else "?v"
        for chunk in _chunks(concepts):
            sparql = (f"SELECT DISTINCT ?c {value} WHERE {{ {_iri_values('c', chunk)} "
                      f"{pattern} }}")
            for row in _rows(kb, sparql, include_inferred):
                yield {**row, "k": k}


def is_map_concept(kb: KnowledgeBase, iri: str) -> bool:
    """True if ``iri`` is a node of the concept graph: what maps, paths and ranks draw.

    A labelled IRI that is no class, property, verification status or other
    excluded type. Pages and the static site ask this before offering a focus
    map, so that they never link to a map that cannot be drawn.

    >>> import ddkb
    >>> kb = ddkb.load()
    >>> is_map_concept(kb, "https://w3id.org/ddkb/mutual-trust")
    True
    >>> is_map_concept(kb, "https://w3id.org/ddkb/status-contradicted")
    False
    """
    query = _CONCEPTS_QUERY.replace("RESTRICT", _iri_values("c", [iri]))
    return bool(_rows(kb, query, False))


def _read_nodes(kb: KnowledgeBase, voc: Vocabulary, include_inferred: bool,
                iris: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Node attributes of every concept (or of those among ``iris`` that are concepts)."""
    raw: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in _node_rows(kb, include_inferred, iris):
        c, k = _value(row["c"]), row["k"]
        raw[c][k].append(row["g"] if k == "graph" else row["v"])
    nodes: dict[str, dict[str, Any]] = {}
    for iri, facts in raw.items():
        types = sorted({_value(t) for t in facts["type"]},
                       key=lambda t: (t in GENERIC_TYPES, -voc.depth(t), curie(t)))
        status_iris = sorted({_value(s) for s in facts["status"]})
        status = ""
        if status_iris:
            s = status_iris[0]
            status = _best_literal(voc.status_labels.get(s, [])) or _local_name(s).removeprefix(
                "status-")
        graphs = {_value(g) for g in facts["graph"]}
        nodes[iri] = {
            "label": display_label([("pref", _value(t), _lang(t)) for t in facts["pref"]]
                                   + [("rdfs", _value(t), _lang(t)) for t in facts["label"]])
            or curie(iri),
            "curie": curie(iri),
            "types": [curie(t) for t in types],
            "cls": _primary_class(types),
            "definition": _best_literal(facts["def"]),
            "alt_labels": sorted({_value(v) for v in facts["alt"]}),
            "sources": voc.sort_sections(_value(s) for s in facts["source"]),
            "status": status,
            "bundled": any(g.startswith(GRAPH) and not g.startswith(INFERRED_GRAPH)
                           for g in graphs),
            "_type_iris": types,
        }
    return nodes


# -- the projection ---------------------------------------------------------------
def project(kb: KnowledgeBase, *, focus: str | None = None, depth: int = 1,
            types: Iterable[str] | None = None, exclude_types: Iterable[str] | None = None,
            relations: Iterable[str] | None = None,
            include_inferred: bool = False,
            max_concepts: int | None = None) -> nx.MultiDiGraph:
    """Project the KB onto a ``networkx.MultiDiGraph`` of concepts and their relations.

    Nodes are concepts (IRI strings) with attributes ``label`` (skos:prefLabel, else
    rdfs:label, else the CURIE), ``curie``, ``types`` (class CURIEs, most specific
    first), ``cls`` (e.g. ``"Instrument"``), ``definition``, ``alt_labels``,
    ``sources`` (section titles), ``status`` (verification status label or "") and
    ``bundled`` (False for concepts from the user's ``--data`` files).
    ``G.graph["classes"]`` describes the classes (for subclass-aware type filters).
    Edges are the triples whose predicate is an ``owl:ObjectProperty`` between two
    concepts, one edge per triple, keyed by the property CURIE, with attributes
    ``predicate`` (IRI), ``label`` (e.g. ``"fosters"``) and ``sources`` (the section
    titles of the triple's claim).

    Filters are applied in this order: ``relations`` (property CURIEs, IRIs, local
    names or labels), ``types``/``exclude_types`` (class names or CURIEs, subclass-aware:
    ``"Instrument"`` keeps confidence-building measures), then ``focus`` (a concept
    name) keeps the nodes within ``depth`` hops of it in either direction. The focus
    concept itself is never removed by a type filter. Inferred triples (``--infer``)
    are left out unless ``include_inferred`` (then, e.g., OWL RL's inverse triples
    appear as edges of their own).

    With ``focus`` the store is walked outwards from the focus concept, so the
    cost grows with the neighbourhood, not the dataset. Without it the whole
    concept graph is read; ``max_concepts`` then refuses one that is larger.

    >>> G = project(kb, focus="CBM", depth=2, types=["Instrument", "Outcome"])  # doctest: +SKIP
    >>> sorted(G.nodes[n]["label"] for n in G)[:3]                            # doctest: +SKIP

    Raises ``InputError`` for unknown type or relation names (listing the valid
    ones) and ``ConceptNotFound`` for an unknown focus.
    """
    voc = _read_vocabulary(kb, include_inferred)
    keep_props = _resolve_relations(relations, voc) if relations is not None else None
    if focus is None:
        _check_concept_count(kb, max_concepts)
        nodes = _read_nodes(kb, voc, include_inferred)
        edges = _read_edges(kb, include_inferred, None, keep_props)
        focus_iri = None
    else:
        focus_iri = resolve_concept(kb, focus)
        nodes, edges = _explore(kb, voc, focus_iri, depth, include_inferred, keep_props,
                                _type_test(voc, types, exclude_types))

    G = _build_graph(voc, nodes, edges)
    if focus_iri is not None:
        G.graph["focus"] = focus_iri
    elif types is not None or exclude_types is not None:
        keep = nodes_of_type(G, types, exclude_types)
        G.remove_nodes_from([n for n in list(G) if n not in keep])
    return G


def _build_graph(voc: Vocabulary, nodes: dict[str, dict[str, Any]],
                 edges: dict[tuple[str, str, str], set[str]]) -> nx.MultiDiGraph:
    """The MultiDiGraph of ``nodes`` and the ``edges`` between two of them."""
    import networkx as nx

    G = nx.MultiDiGraph(name="ddkb")
    for iri, attrs in sorted(nodes.items()):  # a stable order, whatever the engine's
        G.add_node(iri, **{k: v for k, v in attrs.items() if not k.startswith("_")})
    for (s, p, o) in sorted(edges):
        if s in nodes and o in nodes:
            G.add_edge(s, o, key=curie(p), predicate=p, label=voc.property_label(p),
                       sources=voc.sort_sections(edges[(s, p, o)]))
    used = {t for attrs in nodes.values() for t in attrs["_type_iris"]}
    G.graph["classes"] = _class_table(voc, used)
    return G


def _check_concept_count(kb: KnowledgeBase, cap: int | None) -> None:
    """Refuse a whole-graph projection of more than ``cap`` concepts (None: no cap)."""
    if cap is None:
        return
    rows = kb.select("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { CONCEPT }".replace(
        "CONCEPT", _CONCEPT_PATTERN))
    count = int(_value(rows[0]["n"])) if rows else 0
    if count > cap:
        raise InputError(f"the concept graph has {count} concepts, more than the cap of {cap} "
                         "for whole-graph analytics; use --focus CONCEPT --depth N, or raise "
                         "--max-nodes")


def _read_edges(kb: KnowledgeBase, include_inferred: bool, sources: Iterable[str] | None,
                keep_props: set[str] | None) -> dict[tuple[str, str, str], set[str]]:
    """(s, p, o) -> cited section IRIs of the relations between IRIs (from ``sources`` only)."""
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    if sources is None:
        batches: Iterable[str] = [_EDGE_QUERY]
    else:
        batches = (_EDGE_QUERY.replace("WHERE {", "WHERE { " + _iri_values("s", chunk), 1)
                   for chunk in _chunks(sorted(set(sources))))
    for sparql in batches:
        for row in _rows(kb, sparql, include_inferred):
            s, p, o = _value(row["s"]), _value(row["p"]), _value(row["o"])
            if keep_props is not None and p not in keep_props:
                continue
            secs = found[(s, p, o)]
            if "sec" in row:
                secs.add(_value(row["sec"]))
    return found


_NEIGHBOUR_QUERY = """
SELECT DISTINCT ?x ?p ?n WHERE {
  VALUES
  { ?x ?p ?n } UNION { ?n ?p ?x }
  FILTER(isIRI(?n))
  ?p a owl:ObjectProperty .
}"""


def _neighbours(kb: KnowledgeBase, iris: list[str], include_inferred: bool,
                keep_props: set[str] | None) -> set[str]:
    """The IRIs linked to any of ``iris`` by an object property, either direction."""
    found: set[str] = set()
    for chunk in _chunks(sorted(iris)):
        sparql = _NEIGHBOUR_QUERY.replace("VALUES", _iri_values("x", chunk), 1)
        for row in _rows(kb, sparql, include_inferred):
            if keep_props is None or _value(row["p"]) in keep_props:
                found.add(_value(row["n"]))
    return found


#: Most concepts one focused projection may reach before it stops with an error.
MAX_EXPLORED = 20000


def _explore(kb: KnowledgeBase, voc: Vocabulary, focus: str, depth: int,
             include_inferred: bool, keep_props: set[str] | None,
             type_ok: Any) -> tuple[dict[str, dict[str, Any]], dict]:
    """Nodes within ``depth`` hops of ``focus`` and the relations among them.

    Walks the store one level at a time (breadth first, through concepts that
    pass the type filter and relations that pass the relation filter), so the
    cost grows with the neighbourhood, not with the dataset.
    """
    if depth < 0:
        raise InputError(f"depth must be 0 or more, not {depth}")
    nodes = _read_nodes(kb, voc, include_inferred, [focus])
    if focus not in nodes:
        raise ConceptNotFound(f"{curie(focus)} ({kb.label(focus)}) is not a concept of the graph")
    frontier = [focus]
    for _ in range(depth):
        if not frontier:
            break
        fresh = _neighbours(kb, frontier, include_inferred, keep_props) - set(nodes)
        found = _read_nodes(kb, voc, include_inferred, fresh)
        found = {iri: attrs for iri, attrs in found.items() if type_ok(attrs)}
        nodes.update(found)
        if len(nodes) > MAX_EXPLORED:
            raise InputError(f"the neighbourhood of {curie(focus)} reaches more than "
                             f"{MAX_EXPLORED} concepts; lower --depth or filter by --types")
        frontier = sorted(found)
    return nodes, _read_edges(kb, include_inferred, nodes, keep_props)


def _type_test(voc: Vocabulary, types: Iterable[str] | None,
               exclude_types: Iterable[str] | None) -> Any:
    """A test ``ok(node attrs)`` for the subclass-aware type filters (names resolved once)."""
    if types is None and exclude_types is None:
        return lambda attrs: True
    import networkx as nx

    probe = nx.Graph()
    probe.graph["classes"] = _class_table(voc, voc.classes)
    wanted = resolve_types(probe, types) if types is not None else None
    unwanted = resolve_types(probe, exclude_types) if exclude_types is not None else set()

    def ok(attrs: dict[str, Any]) -> bool:
        ancestors = {curie(a) for t in attrs["_type_iris"] for a in voc.ancestors(t)}
        return (wanted is None or bool(ancestors & wanted)) and not ancestors & unwanted

    return ok


def neighbourhood(G: nx.MultiDiGraph, start: str, depth: int) -> dict[str, int]:
    """Nodes within ``depth`` hops of ``start`` (edges in either direction) -> distance."""
    if depth < 0:
        raise InputError(f"depth must be 0 or more, not {depth}")
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if dist[node] >= depth:
            continue
        for nb in list(G.successors(node)) + list(G.predecessors(node)):
            if nb not in dist:
                dist[nb] = dist[node] + 1
                queue.append(nb)
    return dist


# -- name resolution --------------------------------------------------------------
def _match_names(names: Iterable[str], candidates: dict[str, list[str]], what: str) -> set[str]:
    """Resolve user names against ``iri -> [accepted spellings]``; unknown names raise."""
    index: dict[str, set[str]] = defaultdict(set)
    for iri, spellings in candidates.items():
        for spelling in spellings:
            index[spelling.casefold()].add(iri)
    found: set[str] = set()
    for name in names:
        key = name.strip()
        full = expand(key) or key
        if full in candidates:
            found.add(full)
        elif key in candidates:
            found.add(key)
        elif key.casefold() in index:
            found |= index[key.casefold()]
        else:
            valid = sorted({curie(i) for i in candidates})
            raise InputError(f"unknown {what} {name!r}; valid: {', '.join(valid)}")
    return found


def _class_table(voc: Vocabulary, used: Iterable[str]) -> dict[str, dict[str, Any]]:
    """CURIE -> {iri, label, ancestors} of ddkb:Concept's subclasses and the classes in use.

    Kept in ``G.graph["classes"]`` so type filters work on a graph alone.
    """
    concept = DDKB + "Concept"
    classes = {c for c in voc.classes | set(voc.supers) if concept in voc.ancestors(c)}
    for t in used:
        classes |= voc.ancestors(t)
    return {curie(c): {"iri": c,
                       "label": _best_literal(voc.class_labels.get(c, [])) or _local_name(c),
                       "ancestors": sorted(curie(a) for a in voc.ancestors(c))}
            for c in sorted(classes)}


def resolve_types(G: nx.Graph, names: Iterable[str]) -> set[str]:
    """Class names (local name, label, CURIE or IRI; case-insensitive) -> class CURIEs.

    >>> resolve_types(G, ["instrument"])       # doctest: +SKIP
    {'ddkb:Instrument'}
    """
    table = G.graph.get("classes", {})
    candidates = {c: [info["iri"], _local_name(info["iri"]), info["label"]]
                  for c, info in table.items()}
    return _match_names(names, candidates, "type")


def nodes_of_type(G: nx.Graph, types: Iterable[str] | None = None,
                  exclude_types: Iterable[str] | None = None) -> set[str]:
    """The nodes that are (subclass-aware) of one of ``types`` and of none of ``exclude_types``."""
    table = G.graph.get("classes", {})
    wanted = resolve_types(G, types) if types is not None else None
    unwanted = resolve_types(G, exclude_types) if exclude_types is not None else set()
    keep = set()
    for node, data in G.nodes(data=True):
        ancestors = set(data.get("types", []))
        for t in data.get("types", []):
            ancestors.update(table.get(t, {}).get("ancestors", []))
        if (wanted is None or ancestors & wanted) and not ancestors & unwanted:
            keep.add(node)
    return keep


def _resolve_relations(names: Iterable[str], voc: Vocabulary) -> set[str]:
    candidates = {p: [curie(p), _local_name(p)]
                  + [_value(v) for v in voc.property_labels.get(p, [])] for p in voc.properties}
    return _match_names(names, candidates, "relation")


def resolve_concept(kb: KnowledgeBase | None, name: str, G: nx.MultiDiGraph | None = None) -> str:
    """Turn a concept name (label, alt label, CURIE or IRI) into the IRI of a graph node.

    Uses ``kb.lookup`` when the KB offers it (labels, alt labels, "did you mean");
    otherwise, or for a bare graph, matches IRIs, CURIEs and node labels
    case-insensitively. Raises ``ConceptNotFound`` with close labels on a miss.
    """
    text = name.strip()
    if G is not None and text in G:
        return text
    if G is not None and expand(text) in G:
        return expand(text)  # type: ignore[return-value]
    lookup = getattr(kb, "lookup", None)
    if callable(lookup):
        iri = lookup(text)
        iri = getattr(iri, "iri", iri)
        iri = _value(iri)
        if G is None or iri in G:
            return iri
        label = G.nodes.get(iri, {}).get("label") if G is not None else None
        raise ConceptNotFound(f"{name!r} ({curie(iri)}{', ' + label if label else ''}) "
                              "is not a concept of the graph")
    if G is None:
        raise ConceptNotFound(f"no concept named {name!r}")
    key = text.casefold()
    hits = [n for n, d in G.nodes(data=True) if d.get("label", "").casefold() == key]
    if not hits:
        hits = [n for n, d in G.nodes(data=True)
                if key in (alt.casefold() for alt in d.get("alt_labels", []))]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        from .errors import AmbiguousConcept

        cands = sorted((G.nodes[h]["curie"], G.nodes[h]["label"]) for h in hits)
        raise AmbiguousConcept(f"{name!r} is ambiguous: " + ", ".join(c for c, _ in cands), cands)
    labels = [d.get("label", "") for _, d in G.nodes(data=True)]
    close = difflib.get_close_matches(text, labels, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ConceptNotFound(f"no concept named {name!r}{hint}", close)


#: The largest concept graph that whole-graph analytics (rank, clusters) project.
MAX_CONCEPTS = 50000


def _as_graph(kb_or_graph: Any, max_concepts: int | None = MAX_CONCEPTS
              ) -> tuple[Any, nx.MultiDiGraph]:
    """Accept a KnowledgeBase (its whole concept graph, capped) or a projected graph."""
    import networkx as nx

    if isinstance(kb_or_graph, nx.Graph):
        return None, kb_or_graph
    return kb_or_graph, project(kb_or_graph, max_concepts=max_concepts)


def to_plain(obj: Any) -> Any:
    """Dataclasses (``Step``, ``Neighbour`` ...) and containers as JSON-ready data."""
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    if isinstance(obj, (list, tuple)):
        return [to_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj


# -- paths ------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One hop of a path, in walking order: from ``source`` to ``target``.

    ``forward`` is True when the KB's triple reads ``source -predicate-> target``
    and False when it reads ``target -predicate-> source`` (the walk went against
    the arrow). ``sections`` are the titles of the sections the triple's claim cites.
    """

    source_iri: str
    source_label: str
    predicate_label: str
    target_iri: str
    target_label: str
    sections: list[str] = field(hash=False)  # a list: steps stay hashable without it
    forward: bool = True
    predicate: str = ""

    def sentence(self) -> str:
        """``a -fosters-> b`` or, against the arrow, ``a <-fosters- b`` (one line).

        Control characters of the labels are shown as escapes (``\\x1b``).
        """
        a, p, b = (one_line(x) for x in
                   (self.source_label, self.predicate_label, self.target_label))
        return f"{a} -{p}-> {b}" if self.forward else f"{a} <-{p}- {b}"


def _best_edge(G: nx.MultiDiGraph, a: str, b: str, directed: bool) -> Step:
    """The edge to show for the hop a -> b: forward first, then with sources, then by key."""
    options = [(True, k, d) for k, d in (G.get_edge_data(a, b) or {}).items()]
    if not directed:
        options += [(False, k, d) for k, d in (G.get_edge_data(b, a) or {}).items()]
    forward, _key, data = min(options, key=lambda o: (not o[0], not o[2].get("sources"), o[1]))
    return Step(a, G.nodes[a]["label"], data["label"], b, G.nodes[b]["label"],
                list(data.get("sources", [])), forward, data["predicate"])


def shortest_paths(kb_or_graph: Any, a: str, b: str, k: int = 1,
                   directed: bool = False) -> list[list[Step]]:
    """Up to ``k`` shortest simple paths from concept ``a`` to concept ``b``, shortest first.

    The search ignores edge direction unless ``directed`` (so "how are X and Y
    connected?" finds an answer even against the arrows); each ``Step`` still says
    which way its triple reads. The ``k`` paths differ in at least one concept.
    Among paths of the same length, those with fewer steps against the arrows and
    fewer steps without a cited source come first.
    Between two concepts linked by several relations, the step shows the one
    read in walking direction, preferring one with a cited source.

    >>> paths = shortest_paths(kb, "joint military exercise", "soft power", k=2)  # doctest: +SKIP
    >>> paths[0][0].sentence()                                                # doctest: +SKIP
    'joint military exercise -fosters-> mutual trust'

    Returns ``[]`` when no path exists; raises ``ConceptNotFound`` for unknown
    names and ``InputError`` when ``k`` is not between 1 and :data:`MAX_PATHS`
    or ``a`` and ``b`` are the same concept.
    """
    import networkx as nx

    if not 1 <= k <= MAX_PATHS:
        raise InputError(f"k must be between 1 and {MAX_PATHS} (the number of paths), not {k}")
    if isinstance(kb_or_graph, nx.Graph):
        kb, G = None, kb_or_graph
        src, dst = resolve_concept(kb, a, G), resolve_concept(kb, b, G)
    else:
        kb = kb_or_graph
        src, dst = resolve_concept(kb, a), resolve_concept(kb, b)
        if src == dst:
            raise InputError(f"{a!r} and {b!r} are the same concept ({curie(src)})")
        G = path_graph(kb, src, dst, extra=0 if k == 1 else 2)
    if src == dst:
        raise InputError(f"{a!r} and {b!r} are the same concept ({G.nodes[src]['curie']})")
    simple = nx.DiGraph(G) if directed else nx.Graph(G.to_undirected(as_view=True))
    found: list[list[str]] = []
    try:
        for nodes in nx.shortest_simple_paths(simple, src, dst):
            # past k, keep only ties of the k-th length, so the ranking below can choose
            if len(found) >= k and (len(nodes) > len(found[k - 1]) or len(found) >= k + _TIES):
                break
            found.append(nodes)
    except nx.NetworkXNoPath:
        return []
    paths = [[_best_edge(G, x, y, directed) for x, y in zip(nodes, nodes[1:], strict=False)]
             for nodes in found]
    paths.sort(key=lambda p: (len(p), sum(not s.forward for s in p),
                              sum(not s.sections for s in p),
                              [s.target_label.casefold() for s in p]))
    return paths[:k]


#: How far apart (in steps) two concepts may be for ``shortest_paths`` on a KB.
MAX_PATH_STEPS = 10


def path_graph(kb: KnowledgeBase, a: str, b: str, *, extra: int = 0,
               max_steps: int = MAX_PATH_STEPS) -> nx.MultiDiGraph:
    """The part of the concept graph that holds the shortest paths between ``a`` and ``b``.

    Walks outwards from both ends at once, one level at a time on the smaller
    side, until the two neighbourhoods meet, then ``extra`` levels more (so
    paths up to ``extra`` steps longer than the shortest are found as well).
    Every path of at most ``radius(a) + radius(b) + 1`` steps lies inside the
    union of the two neighbourhoods, so nothing shorter is missed; the cost
    grows with those neighbourhoods, not with the dataset. Concepts more than
    ``max_steps`` apart get a graph without a path between them.
    """
    voc = _read_vocabulary(kb, False)
    nodes = _read_nodes(kb, voc, False, [a, b])
    for iri in (a, b):
        if iri not in nodes:
            raise ConceptNotFound(f"{curie(iri)} ({kb.label(iri)}) is not a concept of the graph")
    reach = {a: {a}, b: {b}}
    frontier = {a: [a], b: [b]}
    steps, left = 0, None
    while steps < max_steps and (frontier[a] or frontier[b]):
        side = a if frontier[a] and (len(frontier[a]) <= len(frontier[b]) or not frontier[b]) \
            else b
        fresh = _neighbours(kb, frontier[side], False, None) - reach[side]
        nodes.update(_read_nodes(kb, voc, False, fresh - set(nodes)))
        frontier[side] = sorted(n for n in fresh if n in nodes)
        reach[side].update(frontier[side])
        steps += 1
        if left is None and reach[a] & reach[b]:
            left = extra
        elif left is not None:
            left -= 1
        if left is not None and left <= 0:
            break
        if len(nodes) > MAX_EXPLORED:
            raise InputError(f"more than {MAX_EXPLORED} concepts lie around {curie(a)} and "
                             f"{curie(b)}; the path search stopped")
    return _build_graph(voc, nodes, _read_edges(kb, False, nodes, None))


def format_step(step: Step) -> str:
    """A step as a sentence with its sources, as ``ddkb path`` prints it (one line)."""
    where = "; ".join(map(one_line, step.sections)) if step.sections else "no source recorded"
    return f"{step.sentence()}  (sources: {where})"


# -- neighbourhoods ---------------------------------------------------------------
@dataclass(frozen=True)
class Neighbour:
    """A concept near another: its distance and the step that reached it."""

    iri: str
    label: str
    cls: str
    distance: int
    via: Step


def related(kb_or_graph: Any, concept: str, depth: int = 1) -> list[Neighbour]:
    """The concepts within ``depth`` hops of ``concept`` (either direction), nearest first.

    Each ``Neighbour`` carries the ``Step`` that reached it from a concept one hop
    nearer (for ``depth=1`` that is the relation with ``concept`` itself).

    >>> [(n.label, n.via.predicate_label) for n in related(kb, "CBM")][:2]   # doctest: +SKIP
    """
    if depth < 1:
        raise InputError(f"depth must be 1 or more, not {depth}")
    if hasattr(kb_or_graph, "nodes"):
        kb, G = None, kb_or_graph
    else:  # only the neighbourhood is read from the store
        kb, G = kb_or_graph, project(kb_or_graph, focus=concept, depth=depth)
    start = resolve_concept(kb, concept, G)
    found: list[Neighbour] = []
    dist = {start: 0}
    frontier = [start]
    while frontier and dist[frontier[0]] < depth:
        nxt: list[str] = []
        for node in frontier:
            around = sorted(set(G.successors(node)) | set(G.predecessors(node)),
                            key=lambda n: (G.nodes[n]["label"].casefold(), n))
            for nb in around:
                if nb in dist:
                    continue
                dist[nb] = dist[node] + 1
                nxt.append(nb)
                data = G.nodes[nb]
                found.append(Neighbour(nb, data["label"], data["cls"], dist[nb],
                                       _best_edge(G, node, nb, directed=False)))
        frontier = nxt
    return found


# -- centrality -------------------------------------------------------------------
@dataclass(frozen=True)
class Ranked:
    """A concept and its centrality score."""

    iri: str
    label: str
    cls: str
    score: float


def rank(kb_or_graph: Any, by: str = "degree", type: str | None = None,  # noqa: A002
         top: int = 20) -> list[Ranked]:
    """The ``top`` concepts by a centrality measure, highest first.

    * ``degree`` -- how many relations a concept takes part in (in + out);
    * ``pagerank`` -- on the directed graph: concepts many things lead to
      (outcomes such as soft power) score high;
    * ``betweenness`` -- on the undirected graph: concepts that bridge otherwise
      distant parts of the KB.

    Scores are computed on the whole graph; ``type`` (subclass-aware, e.g.
    ``"Instrument"``) only filters which concepts are listed. Ties sort by label.

    >>> [r.label for r in rank(kb, by="pagerank", type="Outcome", top=3)]    # doctest: +SKIP
    """
    import networkx as nx

    if by not in RANK_MEASURES:
        raise InputError(f"unknown measure {by!r}; valid: {', '.join(RANK_MEASURES)}")
    if top < 1:
        raise InputError(f"top must be 1 or more, not {top}")
    _, G = _as_graph(kb_or_graph)
    if by == "degree":
        scores: dict[str, float] = {n: float(d) for n, d in G.degree()}
    elif by == "pagerank":
        scores = nx.pagerank(G) if len(G) else {}
    else:
        scores = nx.betweenness_centrality(nx.Graph(G.to_undirected(as_view=True)))
    allowed = nodes_of_type(G, [type]) if type else set(G)
    ranked = sorted((n for n in G if n in allowed),
                    key=lambda n: (-scores[n], G.nodes[n]["label"].casefold(), n))
    return [Ranked(n, G.nodes[n]["label"], G.nodes[n]["cls"], round(scores[n], 6))
            for n in ranked[:top]]


# -- communities ------------------------------------------------------------------
@dataclass(frozen=True)
class Cluster:
    """A community of concepts, named after its member with the most relations."""

    name: str
    members: list[dict[str, str]] = field(hash=False)

    @property
    def size(self) -> int:
        return len(self.members)


def clusters(kb_or_graph: Any, *, min_size: int = 2, seed: int = 7,
             resolution: float = 1.0) -> list[Cluster]:
    """Communities of concepts (Louvain modularity, fixed seed: the same input gives
    the same clusters), largest first; communities smaller than ``min_size`` are left out.

    Each cluster is named after its most central member (most relations, then
    label); members are listed by the same order.

    >>> [(c.name, c.size) for c in clusters(kb)][:3]                           # doctest: +SKIP
    """
    import networkx as nx

    if min_size < 1:
        raise InputError(f"min-size must be 1 or more, not {min_size}")
    _, G = _as_graph(kb_or_graph)
    if not len(G):
        return []
    # integer node ids in IRI order: Louvain breaks ties by set order, and the order
    # of a set of strings changes with PYTHONHASHSEED; that of small ints does not
    order = sorted(G)
    index = {n: i for i, n in enumerate(order)}
    simple = nx.Graph()
    simple.add_nodes_from(range(len(order)))
    simple.add_edges_from(sorted({tuple(sorted((index[u], index[v])))
                                  for u, v in G.edges() if u != v}))
    communities = nx.community.louvain_communities(simple, seed=seed, resolution=resolution)
    degree = dict(G.degree())
    result = []
    for ids in communities:
        if len(ids) < min_size:
            continue
        community = [order[i] for i in ids]
        members = sorted(community, key=lambda n: (-degree[n], G.nodes[n]["label"].casefold(), n))
        result.append(Cluster(G.nodes[members[0]]["label"],
                              [{"iri": n, "label": G.nodes[n]["label"], "cls": G.nodes[n]["cls"]}
                               for n in members]))
    result.sort(key=lambda c: (-c.size, c.name.casefold()))
    return result
