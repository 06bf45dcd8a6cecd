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
from .namespaces import DDKB, GRAPH, INFERRED_GRAPH, curie, expand

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
    "sh:PropertyShape",
)

#: Generic types that never name a node's class (``cls``) when something better exists.
GENERIC_TYPES = {
    "http://www.w3.org/2004/02/skos/core#Concept",
    "http://www.w3.org/2002/07/owl#NamedIndividual",
    "http://www.w3.org/2002/07/owl#Thing",
    "http://www.w3.org/2000/01/rdf-schema#Resource",
}

RANK_MEASURES = ("degree", "pagerank", "betweenness")

_CONCEPT_PATTERN = """
    ?c skos:prefLabel|rdfs:label ?anyLabel .
    FILTER(isIRI(?c))
    FILTER NOT EXISTS { ?c a ?bad . VALUES ?bad { EXCLUDED } }
    FILTER NOT EXISTS { ?c rdfs:subClassOf|rdfs:subPropertyOf|owl:inverseOf ?anySuper }
    FILTER NOT EXISTS { ?c skos:inScheme ddkb:verification-scheme }
""".replace("EXCLUDED", " ".join(EXCLUDED_TYPES))

_NODE_QUERY = """
SELECT DISTINCT ?c ?k ?v ?g WHERE {
  { SELECT DISTINCT ?c WHERE { CONCEPT } }
  {
    { ?c skos:prefLabel ?v BIND("pref" AS ?k) }
    UNION { ?c rdfs:label ?v BIND("label" AS ?k) }
    UNION { ?c skos:definition ?v BIND("def" AS ?k) }
    UNION { ?c a ?v FILTER(isIRI(?v)) BIND("type" AS ?k) }
    UNION { ?c dcterms:source ?v FILTER(isIRI(?v)) BIND("source" AS ?k) }
    UNION { ?c ddkb:verificationStatus ?v BIND("status" AS ?k) }
    UNION { GRAPH ?g { ?c skos:prefLabel|rdfs:label ?x } BIND("graph" AS ?k) }
  }
}
""".replace("CONCEPT", _CONCEPT_PATTERN)

_EDGE_QUERY = """
SELECT DISTINCT ?s ?p ?o ?g ?sec WHERE {
  ?p a owl:ObjectProperty .
  GRAPH ?g { ?s ?p ?o }
  FILTER(isIRI(?s) && isIRI(?o))
  OPTIONAL {
    ?claim ddkb:claimSubject ?s ; ddkb:claimPredicate ?p ; ddkb:claimObject ?o ;
           dcterms:source ?sec .
  }
}
"""

_VOCAB_QUERY = """
SELECT DISTINCT ?x ?k ?v WHERE {
  { ?x rdfs:subClassOf ?v FILTER(isIRI(?x) && isIRI(?v)) BIND("sub" AS ?k) }
  UNION { ?x a owl:Class FILTER(isIRI(?x)) BIND("class" AS ?k) BIND("" AS ?v) }
  UNION { ?x a owl:ObjectProperty FILTER(isIRI(?x)) BIND("prop" AS ?k) BIND("" AS ?v) }
  UNION { ?x a owl:ObjectProperty . ?x rdfs:label ?v BIND("plabel" AS ?k) }
  UNION { ?x a owl:Class . ?x rdfs:label|skos:prefLabel ?v BIND("clabel" AS ?k) }
  UNION { ?s dcterms:source ?x . ?x dcterms:title ?v BIND("title" AS ?k) }
  UNION { ?s dcterms:source ?x . ?x ddkb:sectionNumber ?v BIND("secnum" AS ?k) }
  UNION { ?st a ddkb:VerificationStatus . BIND(?st AS ?x) ?x skos:prefLabel ?v
          BIND("stlabel" AS ?k) }
}
"""


# -- small helpers --------------------------------------------------------------
def _value(term: Any) -> str:
    return getattr(term, "value", str(term))


def _lang(term: Any) -> str:
    return getattr(term, "language", None) or ""


def _best_literal(values: list[Any]) -> str:
    """The English (or untagged) literal, else the first; stable across runs."""
    if not values:
        return ""
    ranked = sorted(values, key=lambda t: (_lang(t) not in ("en", ""), _lang(t), _value(t)))
    return _value(ranked[0])


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


def _read_vocabulary(kb: KnowledgeBase) -> Vocabulary:
    voc = Vocabulary()
    for row in kb.select(_VOCAB_QUERY):
        x, k, v = _value(row["x"]), _value(row["k"]), row.get("v")
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
    return voc


def _primary_class(types: list[str]) -> str:
    """The local name of the most specific ddkb class, else of any specific class."""
    for t in types:
        if t.startswith(DDKB):
            return _local_name(t)
    for t in types:
        if t not in GENERIC_TYPES:
            return _local_name(t)
    return "Concept"


def _read_nodes(kb: KnowledgeBase, voc: Vocabulary) -> dict[str, dict[str, Any]]:
    raw: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in kb.select(_NODE_QUERY):
        c, k = _value(row["c"]), _value(row["k"])
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
            "label": _best_literal(facts["pref"]) or _best_literal(facts["label"]) or curie(iri),
            "curie": curie(iri),
            "types": [curie(t) for t in types],
            "cls": _primary_class(types),
            "definition": _best_literal(facts["def"]),
            "sources": voc.sort_sections(_value(s) for s in facts["source"]),
            "status": status,
            "bundled": any(g.startswith(GRAPH) and g != INFERRED_GRAPH for g in graphs),
            "_type_iris": types,
        }
    return nodes


# -- the projection ---------------------------------------------------------------
def project(kb: KnowledgeBase, *, focus: str | None = None, depth: int = 1,
            types: Iterable[str] | None = None, exclude_types: Iterable[str] | None = None,
            relations: Iterable[str] | None = None,
            include_inferred: bool = False) -> nx.MultiDiGraph:
    """Project the KB onto a ``networkx.MultiDiGraph`` of concepts and their relations.

    Nodes are concepts (IRI strings) with attributes ``label``, ``curie``, ``types``
    (class CURIEs, most specific first), ``cls`` (e.g. ``"Instrument"``),
    ``definition``, ``sources`` (section titles), ``status`` and ``bundled``.
    Edges are the triples whose predicate is an ``owl:ObjectProperty`` between two
    concepts, one edge per triple, keyed by the property CURIE, with attributes
    ``predicate`` (IRI), ``label`` (e.g. ``"fosters"``) and ``sources`` (the section
    titles of the triple's claim).

    Filters are applied in this order: ``relations`` (property CURIEs, IRIs, local
    names or labels), ``types``/``exclude_types`` (class names or CURIEs, subclass-aware:
    ``"Instrument"`` keeps confidence-building measures), then ``focus`` (a concept
    name) keeps the nodes within ``depth`` hops of it in either direction. The focus
    concept itself is never removed by a type filter. Inferred triples (``--infer``)
    are left out unless ``include_inferred``.

    >>> G = project(kb, focus="CBM", depth=2, types=["Instrument", "Outcome"])  # doctest: +SKIP
    >>> sorted(G.nodes[n]["label"] for n in G)[:3]                            # doctest: +SKIP

    Raises ``InputError`` for unknown type or relation names (listing the valid
    ones) and ``ConceptNotFound`` for an unknown focus.
    """
    import networkx as nx

    voc = _read_vocabulary(kb)
    nodes = _read_nodes(kb, voc)
    keep_props = _resolve_relations(relations, voc) if relations is not None else None

    G = nx.MultiDiGraph(name="ddkb")
    for iri, attrs in nodes.items():
        G.add_node(iri, **{k: v for k, v in attrs.items() if not k.startswith("_")})

    edge_secs: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    edge_graphs: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in kb.select(_EDGE_QUERY):
        s, p, o = _value(row["s"]), _value(row["p"]), _value(row["o"])
        if s not in nodes or o not in nodes:
            continue
        if keep_props is not None and p not in keep_props:
            continue
        edge_graphs[(s, p, o)].add(_value(row["g"]))
        if "sec" in row:
            edge_secs[(s, p, o)].add(_value(row["sec"]))
    for (s, p, o), graphs in sorted(edge_graphs.items()):
        if not include_inferred and graphs <= {INFERRED_GRAPH}:
            continue
        G.add_edge(s, o, key=curie(p), predicate=p, label=voc.property_label(p),
                   sources=voc.sort_sections(edge_secs.get((s, p, o), ())))

    focus_iri = resolve_concept(kb, focus, G) if focus is not None else None
    if types is not None or exclude_types is not None:
        used = {t for attrs in nodes.values() for t in attrs["_type_iris"]}
        wanted = _resolve_classes(types, voc, used) if types is not None else None
        unwanted = (_resolve_classes(exclude_types, voc, used)
                    if exclude_types is not None else set())
        drop = []
        for iri in G:
            if iri == focus_iri:
                continue
            ancestors = set().union(*(voc.ancestors(t) for t in nodes[iri]["_type_iris"]))
            if (wanted is not None and not ancestors & wanted) or ancestors & unwanted:
                drop.append(iri)
        G.remove_nodes_from(drop)
    if focus_iri is not None:
        near = neighbourhood(G, focus_iri, depth)
        G = G.subgraph(near).copy()
        G.graph["focus"] = focus_iri
    return G


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
        elif key.casefold() in index:
            found |= index[key.casefold()]
        else:
            valid = sorted({curie(i) for i in candidates})
            raise InputError(f"unknown {what} {name!r}; valid: {', '.join(valid)}")
    return found


def _resolve_classes(names: Iterable[str], voc: Vocabulary,
                     used: Iterable[str] = ()) -> set[str]:
    """Class names -> IRIs; valid are ddkb:Concept's subclasses and classes concepts use."""
    concept = DDKB + "Concept"
    classes = {c for c in voc.classes | set(voc.supers) if concept in voc.ancestors(c)}
    for t in used:
        classes |= voc.ancestors(t)
    candidates = {c: [curie(c), _local_name(c)] + [_value(v) for v in voc.class_labels.get(c, [])]
                  for c in classes}
    return _match_names(names, candidates, "type")


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
    hits = [n for n, d in G.nodes(data=True) if d.get("label", "").casefold() == text.casefold()]
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


def _as_graph(kb_or_graph: Any) -> tuple[Any, nx.MultiDiGraph]:
    """Accept a KnowledgeBase (projected here) or an already projected graph."""
    import networkx as nx

    if isinstance(kb_or_graph, nx.Graph):
        return None, kb_or_graph
    return kb_or_graph, project(kb_or_graph)


def to_plain(obj: Any) -> Any:
    """Dataclasses (``Step``, ``Neighbour`` ...) and containers as JSON-ready data."""
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    if isinstance(obj, (list, tuple)):
        return [to_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj
