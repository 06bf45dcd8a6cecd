"""What the web pages show, as plain data: one function per page, over a KnowledgeBase.

``ddkb serve`` (:mod:`ddkb.web.app`) and ``ddkb site`` (:mod:`ddkb.site`) both
render these with the same Jinja2 templates, so a page reads the same live and
from disk. Nothing here knows about HTTP: bad input raises ddkb errors
(:class:`~ddkb.errors.InputError`, :class:`~ddkb.errors.ConceptNotFound`) that
the app turns into a 4xx page.

A resource lives at the path of its IRI under ``https://w3id.org/ddkb/``
(``defense-diplomacy``, ``claim/x--p--y``, ``source/fact-check``).

>>> import ddkb
>>> kb = ddkb.load()
>>> iri_for_path("defense-diplomacy")
'https://w3id.org/ddkb/defense-diplomacy'
>>> concept_page(kb, iri_for_path("defense-diplomacy"))["card"].label
'defense diplomacy'
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..errors import DdkbError, InputError
from ..namespaces import DCTERMS, DDKB, ONTOLOGY_IRI, OWL, PREFIXES, RDF, RDFS, SKOS, XSD, curie

#: One path segment of a ddkb IRI: no dot-segments, no slashes, no percent escapes.
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._~-]*"
_RESOURCE_PATH = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT}){{0,3}}")
#: Path names the app and the site use for their own pages (no ddkb IRI uses them).
RESERVED = frozenset({"browse", "az", "search", "fact-check", "queries", "ontology-doc",
                      "api", "map", "static", "sparql", "index", "index.html"})
#: Web answers are smaller than the CLI's: a page, not a data dump.
WEB_TIMEOUT = 10.0
WEB_MAX_ROWS = 2000
WEB_MAX_MEMORY = 1 << 30
#: A focus map larger than this is refused (the page says so) rather than drawn.
MAP_MAX_NODES = 300
#: The longest search text the API takes.
MAX_SEARCH_CHARS = 200


class NotFound(InputError):
    """No resource, query or page by that name (the app answers 404)."""


# -- paths and IRIs ----------------------------------------------------------------------
def path_for_iri(iri: str) -> str | None:
    """The local path of a ddkb IRI (``defense-diplomacy``), or None for any other IRI."""
    if not iri.startswith(DDKB):
        return None
    local = iri[len(DDKB):]
    return local if _RESOURCE_PATH.fullmatch(local) else None


def iri_for_path(path: str) -> str:
    """The ddkb IRI at ``path``; InputError for anything that is not a plain IRI path.

    Refuses dot-segments (``..``), empty segments, backslashes, percent escapes
    and control characters, so that no request can name anything outside the
    knowledge base (there is no file behind a path: it is only ever an IRI).
    """
    if not _RESOURCE_PATH.fullmatch(path or "") or ".." in path:
        raise NotFound(f"not a ddkb resource path: {path[:80]!r}")
    return DDKB + path


def resource_exists(kb, iri: str) -> bool:
    """True if the KB says anything about ``iri`` (it is the subject of a triple)."""
    return bool(kb.raw_query("ASK { ?s ?p ?o }", {"s": ox.NamedNode(iri)}))


def require_resource(kb, path: str) -> str:
    """The IRI at ``path`` if the KB describes it; NotFound (with suggestions) otherwise."""
    iri = iri_for_path(path)
    if resource_exists(kb, iri):
        return iri
    suggestions: list[str] = []
    try:
        suggestions = [kb.label(h.iri) for h in kb.search(path.replace("-", " "), limit=3)]
    except DdkbError:
        pass
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
    raise NotFound(f"no resource {iri} in the knowledge base{hint}")


# -- a concept page ------------------------------------------------------------------------
def concept_page(kb, iri: str) -> dict[str, Any]:
    """Everything the page of one resource shows.

    ``card`` is the CLI's :class:`~ddkb.concepts.ConceptCard`; ``out`` and
    ``referenced_by`` are its relations grouped by property (each with its
    claim's status, correction and sources); ``claims`` the claims whose
    subject is this resource (a claim page shows its own fields instead).
    """
    from ..concepts import concept_card
    from ..network import is_map_concept

    card = concept_card(kb, iri)
    return {
        "card": card,
        "out": card.grouped("out"),
        "referenced_by": card.grouped("in"),
        "doubtful": [r for r in card.relations
                     if r.direction == "out" and r.status and r.status != "unverified"
                     and r.status != "supported"],
        "mappings": [{"property": p, "iri": o} for p, o in card.links],
        "claim": claim_fields(kb, iri),
        "in_scheme": [kb.label(r["s"].value) for r in kb.select(
            "SELECT ?c ?s WHERE { ?c skos:inScheme ?s }", c=ox.NamedNode(iri))],
        "has_map": is_map_concept(kb, iri),
    }


def claim_fields(kb, iri: str) -> dict[str, Any] | None:
    """The subject, property, object and text of a claim, or None if ``iri`` is no claim."""
    rows = kb.select("""SELECT ?c ?s ?p ?o ?text WHERE {
        ?c ddkb:claimSubject ?s ; ddkb:claimPredicate ?p ; ddkb:claimObject ?o .
        OPTIONAL { ?c ddkb:claimText ?text } }""", c=ox.NamedNode(iri))
    if not rows:
        return None
    row = rows[0]
    return {"subject": row["s"].value, "subject_label": kb.label(row["s"].value),
            "property": row["p"].value, "property_label": kb.label(row["p"].value),
            "object": row["o"].value,
            "object_label": kb.label(row["o"].value) if isinstance(row["o"], ox.NamedNode)
            else row["o"].value,
            "text": row["text"].value if "text" in row else None}


# -- a resource's description as RDF -------------------------------------------------------
_CLAIM_LINKS = (DDKB + "claimSubject", DDKB + "claimObject")
_LABELS = (SKOS + "prefLabel", RDFS + "label")


def description(kb, iri: str) -> list:
    """The triples that describe ``iri`` (a concise bounded description, CBD-like).

    Its own statements (and the blank nodes they lead to), the claims made
    about it as subject or object with their statements, and the labels of the
    resources these name -- so a reader sees names, not only IRIs. Not the
    whole KB. For the ontology IRI: the whole ontology file's graph.
    """
    from ..rdf_export import _statements, ordered

    node = ox.NamedNode(iri)
    if iri == ONTOLOGY_IRI:
        return ordered(_ontology_triples(kb))
    claims = {q.subject for link in _CLAIM_LINKS
              for q in kb.engine.quads(None, ox.NamedNode(link), node, None)}
    triples = _statements(kb, [node, *sorted(claims, key=str)])
    named = {t for st in triples for t in (st.predicate, st.object)
             if isinstance(t, ox.NamedNode) and t != node} - claims
    labels = set()
    for other in named:
        for prop in _LABELS:
            for q in kb.engine.quads(other, ox.NamedNode(prop), None, None):
                labels.add(ox.Triple(q.subject, q.predicate, q.object))
    return ordered(triples | labels)


def _ontology_triples(kb) -> set:
    """Every triple of the bundled ontology file's graph."""
    graph = next((f.graph for f in kb.files if str(f.path).endswith("ontology/ddkb.ttl")
                  or f.graph.endswith("ontology/ddkb.ttl")), None)
    if graph is None:
        raise NotFound("the ontology graph is not loaded")
    return {ox.Triple(q.subject, q.predicate, q.object)
            for q in kb.engine.quads(None, None, None, ox.NamedNode(graph))}


# -- browse: tree, A-Z, search, fact check --------------------------------------------------
@dataclass
class TreeNode:
    """One entry of a browse tree: a resource and the entries under it."""

    iri: str
    label: str
    count: int = 0
    children: list[TreeNode] = field(default_factory=list)


def concept_tree(kb) -> list[dict[str, Any]]:
    """Each concept scheme with its top concepts and their narrower concepts (skos:broader)."""
    schemes = kb.select("SELECT DISTINCT ?s WHERE { ?s a skos:ConceptScheme }")
    broader: dict[str, list[str]] = defaultdict(list)
    for row in kb.select("SELECT ?n ?b WHERE { ?n skos:broader ?b FILTER(isIRI(?n)) }"):
        broader[row["b"].value].append(row["n"].value)
    out = []
    for row in sorted(schemes, key=lambda r: kb.label(r["s"].value).lower()):
        scheme = row["s"].value
        tops = [r["t"].value for r in kb.select(
            "SELECT DISTINCT ?s ?t WHERE { { ?s skos:hasTopConcept ?t } UNION "
            "{ ?t skos:topConceptOf ?s } }", s=ox.NamedNode(scheme))]
        out.append({"iri": scheme, "label": kb.label(scheme),
                    "tops": [_subtree(kb, t, broader, set()) for t in _by_label(kb, tops)]})
    return out


def _subtree(kb, iri: str, under: dict[str, list[str]], seen: set[str]) -> TreeNode:
    """``iri`` and (once each, so a cycle cannot loop) everything under it."""
    seen = seen | {iri}
    node = TreeNode(iri, kb.label(iri))
    node.children = [_subtree(kb, c, under, seen) for c in _by_label(kb, under.get(iri, []))
                     if c not in seen]
    return node


def _by_label(kb, iris: list[str]) -> list[str]:
    return sorted(set(iris), key=lambda i: (kb.label(i).lower(), i))


def class_tree(kb) -> list[TreeNode]:
    """The ddkb classes as a tree (rdfs:subClassOf), each with its number of instances."""
    parents: dict[str, list[str]] = defaultdict(list)
    classes = {r["c"].value for r in kb.select(
        "SELECT DISTINCT ?c WHERE { ?c a owl:Class FILTER(isIRI(?c)) }")
        if r["c"].value.startswith(DDKB)}
    for row in kb.select("SELECT ?c ?p WHERE { ?c rdfs:subClassOf ?p FILTER(isIRI(?p)) }"):
        if row["c"].value in classes and row["p"].value in classes:
            parents[row["p"].value].append(row["c"].value)
    counts = {r["c"].value: int(r["n"].value) for r in kb.select(
        "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c")}
    children = {c for kids in parents.values() for c in kids}
    roots = [c for c in classes if c not in children]

    def grow(iri: str, seen: frozenset) -> TreeNode:
        node = TreeNode(iri, kb.label(iri), counts.get(iri, 0))
        node.children = [grow(c, seen | {c}) for c in _by_label(kb, parents.get(iri, []))
                         if c not in seen]
        return node

    return [grow(r, frozenset({r})) for r in _by_label(kb, roots)]


def a_to_z(kb) -> list[tuple[str, list[dict[str, str]]]]:
    """Every labelled ddkb resource except claims, by first letter of its label."""
    rows = kb.select("""SELECT DISTINCT ?c WHERE {
        ?c a ?t . FILTER(isIRI(?c) && STRSTARTS(STR(?c), "https://w3id.org/ddkb/")
                         && !STRSTARTS(STR(?c), "https://w3id.org/ddkb/claim/")) }""")
    letters: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        iri = row["c"].value
        if path_for_iri(iri) is None:
            continue
        label = kb.label(iri)
        letters[_letter(label)].append({"iri": iri, "label": label, "curie": curie(iri)})
    return [(letter, sorted(items, key=lambda i: (i["label"].lower(), i["iri"])))
            for letter, items in sorted(letters.items())]


def _letter(label: str) -> str:
    """The index letter of a label: its first letter without accents, else '#'."""
    first = unicodedata.normalize("NFKD", label.strip()[:1] or "#")[:1].upper()
    return first if "A" <= first <= "Z" else "#"


def search_hits(kb, text: str, limit: int = 10) -> list[dict[str, str]]:
    """Search results for the API and the search page: label, class, IRI and path."""
    if len(text) > MAX_SEARCH_CHARS:
        raise InputError(f"q: at most {MAX_SEARCH_CHARS} characters")
    if not 1 <= limit <= 50:
        raise InputError("limit: between 1 and 50")
    hits = kb.search(text, limit=limit)
    return [{"iri": h.iri, "label": h.label, "class": h.cls, "curie": h.curie,
             "path": path_for_iri(h.iri)} for h in hits]


def search_index(kb) -> list[dict[str, str]]:
    """Every labelled resource with its other labels, for the static site's search box."""
    alts: dict[str, list[str]] = defaultdict(list)
    for row in kb.select("SELECT ?c ?a WHERE { ?c skos:altLabel ?a }"):
        alts[row["c"].value].append(row["a"].value)
    out = []
    for _, items in a_to_z(kb):
        for item in items:
            out.append({"label": item["label"], "path": path_for_iri(item["iri"]),
                        "alt": sorted(set(alts.get(item["iri"], [])))})
    return out


def fact_check(kb, timeout: float = WEB_TIMEOUT) -> dict[str, Any]:
    """Every flagged or corrected claim and concept with its correction (named query needs-care)."""
    result = run_named_query(kb, "needs-care", {}, timeout=timeout)
    records = [dict(zip(result["variables"], row, strict=True)) for row in result["rows"]]
    return {"rows": records, "truncated": result["truncated"], "query": result["query"]}


# -- named queries ---------------------------------------------------------------------------
def named_queries() -> list:
    """The named queries (:class:`~ddkb.named.NamedQuery`), by name."""
    from ..named import list_queries

    return list_queries()


def named_query(name: str):
    """The named query ``name``; NotFound when there is none."""
    from ..named import query_names

    if name not in query_names():
        raise NotFound(f"no named query '{name[:80]}' (see the list of queries)")
    from ..named import get_query

    return get_query(name)


def run_named_query(kb, name: str, params: dict[str, str],
                    timeout: float = WEB_TIMEOUT) -> dict[str, Any]:
    """Run a named query with the CLI's safeguards, web-sized; the answer as table data.

    Empty form fields count as not given. Each cell is ``{"text", "iri", "path"}``:
    the readable value, the IRI it stands for (if any) and its local path.
    """
    query = named_query(name)
    given = {k: v for k, v in params.items() if v.strip()}
    result = kb.run_named(name, given, timeout=timeout, max_rows=WEB_MAX_ROWS,
                          max_memory=WEB_MAX_MEMORY)
    if result.kind != "select":
        raise InputError(f"named query '{name}' is not a SELECT query")
    rows = [[_cell(kb, term) for term in row] for row in result.rows]
    return {"query": query, "variables": list(result.variables), "rows": rows,
            "raw": result, "truncated": result.truncated, "reason": result.reason,
            "params": given}


def _cell(kb, term: Any) -> dict[str, Any]:
    if term is None:
        return {"text": "", "iri": None, "path": None}
    if isinstance(term, ox.NamedNode):
        return {"text": kb.label(term.value), "iri": term.value, "path": path_for_iri(term.value)}
    return {"text": term.value, "iri": None, "path": None}


def result_download(result: Any, fmt: str) -> tuple[str, str]:
    """A named query's answer as (text, media type); ``fmt`` is csv or json (W3C formats)."""
    from ..results import format_result

    media = {"csv": "text/csv; charset=utf-8",
             "json": "application/sparql-results+json; charset=utf-8"}
    if fmt not in media:
        raise InputError(f"format={fmt[:20]!r}: use csv or json")
    return format_result(result, fmt), media[fmt]


# -- ontology documentation ------------------------------------------------------------------
_KINDS = {OWL + "ObjectProperty": "object property", OWL + "DatatypeProperty": "datatype property",
          OWL + "AnnotationProperty": "annotation property", RDF + "Property": "property"}


def ontology_doc(kb) -> dict[str, Any]:
    """The ontology in the manner of pyLODE: metadata, classes and properties.

    Classes: label, definition, super- and subclasses, the properties whose
    domain or range they are. Properties: kind, label, definition, domains,
    ranges, inverses and super-properties. All read from the ontology graph.
    """
    triples = _ontology_triples(kb)
    by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    blanks: dict[Any, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            by_subject[t.subject.value][t.predicate.value].append(t.object)
        else:
            blanks[t.subject][t.predicate.value].append(t.object)
    meta = by_subject.get(ONTOLOGY_IRI, {})
    classes = sorted((s for s, p in by_subject.items()
                      if any(o.value == OWL + "Class" for o in p.get(RDF + "type", []))
                      and s.startswith(DDKB)), key=lambda i: kb.label(i).lower())
    props = sorted((s for s, p in by_subject.items()
                    if any(o.value in _KINDS for o in p.get(RDF + "type", []))
                    and s.startswith(DDKB)), key=lambda i: kb.label(i).lower())

    def names(values: list) -> list[dict[str, str]]:
        return [_term_ref(kb, v, blanks) for v in values]

    def text(subject: str, *preds: str) -> str | None:
        for pred in preds:
            for v in by_subject[subject].get(pred, []):
                if isinstance(v, ox.Literal) and v.language in (None, "", "en"):
                    return v.value
        return None

    inverse: dict[str, list] = defaultdict(list)
    for s, p in by_subject.items():
        for o in p.get(OWL + "inverseOf", []):
            inverse[s].append(o)
            inverse[o.value].append(ox.NamedNode(s))
    prop_docs = []
    for iri in props:
        p = by_subject[iri]
        prop_docs.append({
            "iri": iri, "curie": curie(iri), "label": kb.label(iri), "anchor": _anchor(iri),
            "kind": ", ".join(sorted({_KINDS[o.value] for o in p[RDF + "type"]
                                      if o.value in _KINDS})),
            "definition": text(iri, SKOS + "definition", RDFS + "comment"),
            "domains": names(p.get(RDFS + "domain", [])),
            "ranges": names(p.get(RDFS + "range", [])),
            "inverses": names(sorted(set(inverse.get(iri, [])), key=str)),
            "super": names(p.get(RDFS + "subPropertyOf", [])),
        })
    sub: dict[str, list] = defaultdict(list)
    for s in classes:
        for o in by_subject[s].get(RDFS + "subClassOf", []):
            if isinstance(o, ox.NamedNode):
                sub[o.value].append(ox.NamedNode(s))
    class_docs = []
    for iri in classes:
        c = by_subject[iri]
        class_docs.append({
            "iri": iri, "curie": curie(iri), "label": kb.label(iri), "anchor": _anchor(iri),
            "definition": text(iri, SKOS + "definition", RDFS + "comment"),
            "super": names([o for o in c.get(RDFS + "subClassOf", [])
                            if isinstance(o, ox.NamedNode)]),
            "sub": names(sorted(sub.get(iri, []), key=str)),
            "domain_of": [d for d in prop_docs if any(x["iri"] == iri for x in d["domains"])],
            "range_of": [d for d in prop_docs if any(x["iri"] == iri for x in d["ranges"])],
        })
    return {
        "iri": ONTOLOGY_IRI,
        "title": text(ONTOLOGY_IRI, DCTERMS + "title") or "ddkb ontology",
        "description": text(ONTOLOGY_IRI, DCTERMS + "description"),
        "version": next((o.value for o in meta.get(OWL + "versionInfo", [])), None),
        "version_iri": next((o.value for o in meta.get(OWL + "versionIRI", [])), None),
        "license": next((o.value for o in meta.get(DCTERMS + "license", [])), None),
        "classes": class_docs, "properties": prop_docs,
        "namespaces": sorted(PREFIXES.items()),
    }


def _anchor(iri: str) -> str:
    """The fragment id of a term on the ontology page (its local name)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _term_ref(kb, term: Any, blanks: dict[Any, dict[str, list]]) -> dict[str, str]:
    """A class or datatype named in the docs: label, CURIE, and whether it is a ddkb term.

    A blank node is an ``owl:unionOf`` class: its members, read from ``blanks``
    (the ontology's blank-node statements; a remote endpoint cannot be asked
    about a blank node).
    """
    if isinstance(term, ox.BlankNode):
        members = _list_members(blanks, next(iter(blanks[term].get(OWL + "unionOf", [])), None))
        return {"iri": "", "curie": " or ".join(curie(m) for m in members),
                "label": " or ".join(kb.label(m) for m in members), "anchor": ""}
    value = term.value
    return {"iri": value, "curie": curie(value), "label": kb.label(value),
            "anchor": _anchor(value) if value.startswith(DDKB) else ""}


def _list_members(blanks: dict[Any, dict[str, list]], node: Any) -> list[str]:
    """The IRIs of an RDF list (rdf:first/rdf:rest), at most 100, cycles cut."""
    members: list[str] = []
    seen = set()
    while node is not None and node not in seen and len(members) < 100:
        seen.add(node)
        fields = blanks.get(node, {})
        members += [m.value for m in fields.get(RDF + "first", []) if isinstance(m, ox.NamedNode)]
        node = next(iter(fields.get(RDF + "rest", [])), None)
    return members


# -- the home page --------------------------------------------------------------------------
def home(kb) -> dict[str, Any]:
    """Counts for the front page (the CLI's ``ddkb stats``)."""
    data = kb.stats()
    return {"stats": data}


# -- serialisation ----------------------------------------------------------------------------
def serialize(triples: list, fmt: str) -> str:
    """``triples`` as Turtle, N-Triples, RDF/XML or JSON-LD, with ddkb's serialisers.

    Turtle and N-Triples: pyoxigraph with ddkb's prefixes (as ``ddkb export``);
    RDF/XML: :mod:`ddkb.rdfxml` (the writer ``ddkb export`` uses); JSON-LD: see
    :func:`jsonld`. The one place that picks a serialiser for the web.
    """
    from .. import rdfxml
    from ..formats import rdf_format
    from ..rdf_export import plain_prefixes

    if fmt == "jsonld":
        return jsonld(triples)
    if fmt == "xml":
        return rdfxml.serialize(triples, PREFIXES)
    prefixes = plain_prefixes(triples, PREFIXES) if fmt == "turtle" else None
    try:
        out = ox.serialize(triples, format=rdf_format(fmt).engine, prefixes=prefixes)
    except ValueError as err:
        raise DdkbError(f"cannot write the description as {fmt}: {err}") from None
    return out.decode("utf-8")


def jsonld_context() -> dict[str, str]:
    """The ``@context`` of the web's JSON-LD: ddkb's prefixes (``ddkb:``, ``skos:`` ...)."""
    return dict(sorted(PREFIXES.items()))


def jsonld(triples: list) -> str:
    """Compact JSON-LD with an ``@context``: one node object per subject, CURIEs for IRIs.

    Written directly (not through rdflib, forty times slower): ``@id``/``@type``
    and property keys are CURIEs under :func:`jsonld_context`, values are
    ``{"@id"}`` or ``{"@value", "@language" | "@type"}`` objects. Kept in one
    function so that a project-wide context file, when ddkb has one, replaces
    :func:`jsonld_context` here and nowhere else.
    """
    import json

    nodes: dict[str, dict[str, Any]] = {}
    rdf_type = RDF + "type"
    for t in triples:
        subject = _jsonld_id(t.subject)
        node = nodes.setdefault(subject, {"@id": subject})
        if t.predicate.value == rdf_type and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(curie(t.object.value))
            continue
        node.setdefault(curie(t.predicate.value), []).append(_jsonld_value(t.object))
    doc = {"@context": jsonld_context(), "@graph": list(nodes.values())}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def _jsonld_id(term: Any) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else curie(term.value)


def _jsonld_value(term: Any) -> dict[str, str]:
    if isinstance(term, ox.Literal):
        value: dict[str, str] = {"@value": term.value}
        if term.language:
            value["@language"] = term.language
        elif term.datatype.value != XSD + "string":
            value["@type"] = curie(term.datatype.value)
        return value
    return {"@id": _jsonld_id(term)}
