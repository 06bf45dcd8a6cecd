"""Export the loaded knowledge base as RDF or as a graph for graph tools.

RDF formats (``turtle``, ``nt``, ``xml``, ``jsonld``, ``trig``) serialise the
union of every loaded graph -- bundled ontology and KB, the user's ``--data``
files and, with ``--infer``, the inferred triples; TriG keeps the named graphs.
JSON-LD is compact, with ddkb's context (:mod:`ddkb.jsonld`).
All of them carry the same triples (tests check they are isomorphic).
Graph formats (``graphml``, ``gexf``, ``dot``, ``mermaid``) write the networkx
projection of the concepts and their relations (:mod:`ddkb.network`).

>>> import ddkb
>>> from ddkb.rdf_export import export
>>> text = export(ddkb.load(), "nt")  # doctest: +SKIP
"""

from __future__ import annotations

import re

from . import rdfxml
from .errors import DdkbError, InputError
from .formats import RDF_SYNTAXES, canonical_name, rdf_format

#: format name -> (file suffix, media type), from the table in :mod:`ddkb.formats`;
#: N-Quads and TriG keep the named graphs
RDF_FORMATS = {s.name: (s.suffix, s.media_type) for s in RDF_SYNTAXES}
GRAPH_FORMATS = ("graphml", "gexf", "dot", "mermaid")
FORMATS = (*RDF_FORMATS, *GRAPH_FORMATS)

_OWL_NS = "http://www.w3.org/2002/07/owl#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: Predicates whose objects (sources, statuses) are described in a focused export.
_DESCRIBED_OBJECTS = ("http://purl.org/dc/terms/source", "https://w3id.org/ddkb/verificationStatus")
_CLAIM_SUBJECT = "https://w3id.org/ddkb/claimSubject"


def _bind(graph) -> None:
    from .namespaces import PREFIXES

    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, replace=True)


def union_graph(kb):
    """Every triple of every graph of ``kb`` as one rdflib ``Graph`` (ddkb prefixes bound)."""
    import rdflib

    g = rdflib.Graph(bind_namespaces="none")
    _bind(g)
    for s, p, o, _ in kb.rdflib_dataset().quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def focus_triples(kb, focus: str, depth: int = 1) -> list:
    """The neighbourhood of one concept as pyoxigraph triples.

    The concepts are those of ``map --focus`` (:func:`ddkb.network.project`:
    concepts within ``depth`` relations of the focus, either direction). The
    triples are every statement about them, the claims about their relations
    (so a doubtful relation travels with its status and correction), the
    sources and statuses those cite, and the blank nodes all of these use.
    ``focus`` is anything ``kb.lookup`` accepts (label, alt label, CURIE, IRI).
    """
    import pyoxigraph as ox

    from .network import project

    if depth < 0:
        raise InputError(f"--depth {depth}: must be 0 or more")
    concepts = [ox.NamedNode(iri) for iri in project(kb, focus=focus, depth=depth)]
    claims = [q.subject for c in concepts
              for q in kb.engine.quads(None, ox.NamedNode(_CLAIM_SUBJECT), c, None)]
    triples = _statements(kb, [*concepts, *claims])
    cited = {t.object for t in triples
             if t.predicate.value in _DESCRIBED_OBJECTS and isinstance(t.object, ox.NamedNode)}
    triples |= _statements(kb, sorted(cited, key=str))
    return sorted(triples, key=str)


def _statements(kb, nodes: list) -> set:
    """Every triple whose subject is one of ``nodes`` or a blank node they lead to."""
    import pyoxigraph as ox

    triples = set()
    todo = list(nodes)
    seen = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in kb.engine.quads(node, None, None, None):
            triples.add(ox.Triple(q.subject, q.predicate, q.object))
            if isinstance(q.object, ox.BlankNode):
                todo.append(q.object)
    return triples


_RANKS = {_OWL_NS + "Ontology": 0, _OWL_NS + "AnnotationProperty": 1,
          _OWL_NS + "ObjectProperty": 1, _OWL_NS + "DatatypeProperty": 1, _OWL_NS + "Class": 2}


def ordered(statements) -> list:
    """Statements in a stable, conventional order: the ontology header, then property
    and class declarations, then everything else, each grouped by subject.

    Readers should not care about order, but the OWL API 3 (HermiT) does: it leaves
    IRI-valued annotations unparsed when they come before the declarations they
    need. A stable order also keeps release files diff-friendly.
    """
    import pyoxigraph as ox

    rdf_type = ox.NamedNode(_RDF_TYPE)
    rank: dict = {}
    for st in statements:
        if st.predicate == rdf_type and isinstance(st.object, ox.NamedNode):
            r = _RANKS.get(st.object.value, 3)
            rank[st.subject] = min(rank.get(st.subject, 3), r)

    def key(st):
        s = st.subject
        blank = isinstance(s, ox.BlankNode)
        graph = str(st.graph_name) if isinstance(st, ox.Quad) else ""
        return (graph, 4 if blank else rank.get(s, 3), str(s), st.predicate != rdf_type,
                str(st.predicate), str(st.object))

    return sorted(statements, key=key)


_PLAIN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


def plain_prefixes(statements, prefixes: dict[str, str]) -> dict[str, str]:
    """``prefixes`` plus extra ones so that no prefixed name needs a backslash escape.

    Turtle 1.1 allows ``ddkb:releases\\/0.1.0\\/ontology``, but older parsers (the OWL
    API 3 in HermiT, rdflib.js, old serd) reject it. Every IRI whose local part
    under its prefix is not a plain name gets a prefix for its own namespace
    (``ddkb-releases-0.1.0: <https://w3id.org/ddkb/releases/0.1.0/>``), or, if even
    that leaves an odd local part, for the whole IRI.
    """
    import pyoxigraph as ox

    result = dict(prefixes)
    by_ns = {ns: name for name, ns in prefixes.items()}
    seen: set[str] = set()
    for st in statements:
        terms = [st.subject, st.predicate, st.object]
        if isinstance(st, ox.Quad):
            terms.append(st.graph_name)
        for term in terms:
            if not isinstance(term, ox.NamedNode) or term.value in seen:
                continue
            iri = term.value
            seen.add(iri)
            ns = max((n for n in by_ns if iri.startswith(n)), key=len, default="")
            if not ns or _PLAIN_LOCAL.fullmatch(iri[len(ns):]):
                continue
            cut = max(iri.rfind("/"), iri.rfind("#"))
            new_ns = iri[: cut + 1]
            if len(new_ns) <= len(ns) or not _PLAIN_LOCAL.fullmatch(iri[cut + 1:]):
                new_ns = iri
            if new_ns in by_ns:
                continue
            stem = re.sub(r"[^A-Za-z0-9]+", "-", new_ns[len(ns):]).strip("-")
            name = f"{by_ns[ns]}-{stem}" if stem else f"{by_ns[ns]}-x"
            n, candidate = 1, name
            while candidate in result:
                n += 1
                candidate = f"{name}-{n}"
            result[candidate] = new_ns
            by_ns[new_ns] = candidate
    return result


def export_rdf(kb, fmt: str, *, focus: str | None = None, depth: int = 1,
               jsonld_context: str | None = None) -> str:
    """Serialise ``kb`` as RDF in ``fmt`` (see ``RDF_FORMATS``).

    JSON-LD is compact with ddkb's context (:mod:`ddkb.jsonld`): ``jsonld_context``
    ``"embed"`` (default, the context inline), ``"link"`` (``"@context"`` is
    ``https://w3id.org/ddkb/context.jsonld``) or ``"none"`` (expanded JSON-LD, full
    IRIs); giving it with another format is an InputError.

    Written by pyoxigraph straight from the store (fast; the union of the graphs
    is a SPARQL CONSTRUCT, so a triple in two files is written once); TriG dumps
    the named graphs. With ``focus`` only the concept's neighbourhood is written
    (``focus_triples``). RDF/XML is written by :mod:`ddkb.rdfxml`, which refuses
    (InputError naming the file and the term) what RDF/XML cannot express, such as
    a predicate like ``<http://ex.org/123>`` or a control character in a literal.
    """
    from . import jsonld
    from .namespaces import PREFIXES

    fmt = canonical_name(fmt)  # ttl, n-triples, rdfxml, json-ld...
    if fmt not in RDF_FORMATS:
        raise InputError(f"unknown RDF format {fmt!r}; valid: {', '.join(RDF_FORMATS)}")
    if jsonld_context is not None and fmt != "jsonld":
        raise InputError(f"--jsonld-context {jsonld_context}: only for --format jsonld "
                         f"(not {fmt})")
    style = jsonld.check_style(jsonld_context or jsonld.DEFAULT_STYLE)
    import pyoxigraph as ox

    try:
        if focus is not None:  # TriG, N-Quads: the neighbourhood goes to the default graph
            statements = focus_triples(kb, focus, depth)
        elif rdf_format(fmt).datasets:
            statements = list(kb.store)
        else:
            statements = list(kb.store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                             use_default_graph_as_union=True))
        statements = ordered(statements)
        if fmt == "xml":  # our writer: pyoxigraph's writes ill-formed XML for some input
            return _rdfxml(kb, statements, PREFIXES)
        if fmt == "jsonld":  # compact with ddkb's context (rdflib), or expanded (pyoxigraph)
            return jsonld.write(statements, style)
        prefixes = None
        if fmt in ("turtle", "trig"):
            prefixes = plain_prefixes(statements, PREFIXES)
        out = ox.serialize(statements, format=rdf_format(fmt).engine, prefixes=prefixes)
    except (ValueError, OSError) as err:
        raise DdkbError(f"cannot write the KB as {fmt}: {' '.join(str(err).split())}") from None
    return out.decode("utf-8")


def _rdfxml(kb, statements: list, prefixes: dict[str, str]) -> str:
    """RDF/XML of ``statements``; a refusal names the file the statement came from."""
    try:
        return rdfxml.serialize(statements, prefixes)
    except rdfxml.CannotExpress as err:
        files = _files_stating(kb, err.statement)
        if not files:
            raise
        raise InputError(f"{', '.join(files)}: {err}") from None


def _files_stating(kb, statement) -> list[str]:
    """The loaded files whose graph holds ``statement`` (none for inferred triples)."""
    paths = {f.graph: str(f.path) for f in getattr(kb, "files", ())}
    quads = kb.store.quads_for_pattern(statement.subject, statement.predicate,
                                       statement.object, None)
    return sorted({paths[q.graph_name.value] for q in quads
                   if getattr(q.graph_name, "value", None) in paths})


def export_network(kb, fmt: str, *, focus: str | None = None, depth: int = 1) -> str:
    """Serialise the concept network (networkx projection) as GraphML, GEXF, DOT or Mermaid."""
    from . import graph_export, network

    if fmt not in GRAPH_FORMATS:
        raise InputError(f"unknown graph format {fmt!r}; valid: {', '.join(GRAPH_FORMATS)}")
    return graph_export.export_graph(network.project(kb, focus=focus, depth=depth), fmt)


def export(kb, fmt: str, *, focus: str | None = None, depth: int = 1,
           jsonld_context: str | None = None) -> str:
    """Export ``kb`` in any of ``FORMATS`` (RDF, aliases such as ``ttl`` too, or graph).

    ``jsonld_context`` (``embed``, ``link``, ``none``): see :func:`export_rdf`.
    """
    if canonical_name(fmt) in RDF_FORMATS:
        return export_rdf(kb, fmt, focus=focus, depth=depth, jsonld_context=jsonld_context)
    if jsonld_context is not None:
        raise InputError(f"--jsonld-context {jsonld_context}: only for --format jsonld "
                         f"(not {fmt})")
    if fmt in GRAPH_FORMATS:
        return export_network(kb, fmt, focus=focus, depth=depth)
    raise InputError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")


# -- OWL 2 DL sanity checks -------------------------------------------------------------

_BUILTIN_NS = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#",
               "http://www.w3.org/2000/01/rdf-schema#",
               "http://www.w3.org/2002/07/owl#")
_OWL = "http://www.w3.org/2002/07/owl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PROPERTY_KINDS = {_OWL + "ObjectProperty": "object", _OWL + "DatatypeProperty": "datatype",
                   _OWL + "AnnotationProperty": "annotation"}
_BUILTIN_CLASSES = {_OWL + k for k in ("Class", "Thing", "Nothing", "Ontology", "Axiom",
                                       "NamedIndividual", "ObjectProperty",
                                       "DatatypeProperty", "AnnotationProperty",
                                       "Restriction", "AllDisjointClasses",
                                       "TransitiveProperty", "SymmetricProperty",
                                       "FunctionalProperty", "InverseFunctionalProperty",
                                       "AsymmetricProperty", "ReflexiveProperty",
                                       "IrreflexiveProperty", "AllDifferent")}
_BUILTIN_CLASSES |= {"http://www.w3.org/2000/01/rdf-schema#Datatype", _RDF + "List"}
_RESERVED = {_RDF + n for n in ("subject", "predicate", "object", "Statement")}


def dl_problems(graph) -> list[str]:
    """Common reasons an OWL 2 DL tool (Protégé, the OWL API) rejects or misreads RDF:
    properties used but not declared, a property declared as two kinds, object
    properties with literal values or datatype properties with IRI values, classes
    used in ``rdf:type``/``rdfs:subClassOf`` but not declared, and RDF reification
    vocabulary (reserved in OWL 2 DL). One line per problem, sorted.
    """
    from rdflib import RDF, RDFS, Literal, URIRef

    from .namespaces import curie

    kinds: dict[str, set[str]] = {}
    classes = set(_BUILTIN_CLASSES)
    for s, _, o in graph.triples((None, RDF.type, None)):
        if str(o) in _PROPERTY_KINDS:
            kinds.setdefault(str(s), set()).add(_PROPERTY_KINDS[str(o)])
        elif str(o) in (_OWL + "Class", str(RDFS.Datatype)):
            classes.add(str(s))
    problems = set()
    for prop, found in kinds.items():
        if len(found) > 1:
            problems.add(f"{curie(prop)} is declared as {' and '.join(sorted(found))} property")
    for s, p, o in graph:
        ps = str(p)
        if ps in _RESERVED or str(o) in _RESERVED:
            problems.add(f"{curie(str(s))} uses RDF reification vocabulary ({curie(ps)})")
        if ps.startswith(_BUILTIN_NS):
            if p == RDF.type and isinstance(o, URIRef) and str(o) not in classes \
                    and not str(o).startswith(_BUILTIN_NS):
                problems.add(f"{curie(str(o))} is used as a type but not declared owl:Class")
            if p == RDFS.subClassOf and isinstance(o, URIRef) and str(o) not in classes:
                problems.add(f"{curie(str(o))} is a superclass but not declared owl:Class")
            continue
        kind = kinds.get(ps)
        if not kind:
            problems.add(f"{curie(ps)} is used but not declared as a property")
        elif kind == {"object"} and isinstance(o, Literal):
            problems.add(f"{curie(ps)} is an object property with a literal value")
        elif kind == {"datatype"} and not isinstance(o, Literal):
            problems.add(f"{curie(ps)} is a datatype property with a non-literal value")
    return sorted(problems)
