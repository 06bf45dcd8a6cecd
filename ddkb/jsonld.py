"""JSON-LD that people can read: ddkb's ``@context``, compact export, local context on read.

The context (``ontology/ddkb.context.jsonld``, published as
:data:`CONTEXT_IRI`) gives short names to ddkb's classes and properties and to
the SKOS, Dublin Core, PROV, RDFS/OWL, W3C ORG and OWL-Time terms the KB uses:
``"prefLabel": "Defence diplomacy"`` instead of
``"http://www.w3.org/2004/02/skos/core#prefLabel": [{"@value": ..., "@language": "en"}]``.
:func:`build_context` makes it from the ontology and :data:`ddkb.namespaces.PREFIXES`
(``tools/build_context.py`` writes the file; a test keeps the two in sync).

Export (:func:`compact`) uses rdflib's JSON-LD serializer (its ``Converter``
compacts against a context: term selection, ``@type``/``@language`` coercion,
``@list``); pyoxigraph 0.5 writes expanded JSON-LD only. Three styles:

* ``embed`` (default): compact, the context object inline -- nothing to fetch;
* ``link``: compact, ``"@context": "https://w3id.org/ddkb/context.jsonld"``;
* ``none``: expanded JSON-LD (full IRIs, no context), as pyoxigraph writes it.

Reading (:func:`with_local_context`): a file whose ``@context`` is
:data:`CONTEXT_IRI` gets the bundled context in its place before pyoxigraph
parses it, so ddkb never fetches it; any other remote context is refused by the
loader (one line naming the file), never fetched.

>>> CONTEXT_IRI
'https://w3id.org/ddkb/context.jsonld'
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DdkbError, InputError

#: Where the context is published (under the project's w3id base); ddkb resolves it locally.
CONTEXT_IRI = "https://w3id.org/ddkb/context.jsonld"
#: The context's file name in the ontology folder (``ddkb/_data/ontology`` when installed).
CONTEXT_FILE = "ddkb.context.jsonld"
#: ``--jsonld-context`` choices: context inline, context linked by IRI, expanded (no context).
STYLES = ("embed", "link", "none")
DEFAULT_STYLE = "embed"
#: The language of the KB's text: terms for labels and definitions read it as default.
LANGUAGE = "en"

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Dates and times get a typed term, so ``"created": "2026-11-26"`` reads as an xsd:date.
_DATE_TYPES = ("date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp")

# -- the terms of reused vocabularies ------------------------------------------------
# (prefix, local name, kind); kind: "class", "id" (IRI values), "text" (English text),
# "date" (xsd:date), "plain" (no coercion). Order matters only for readability.
_REUSED_TERMS: tuple[tuple[str, str, str], ...] = (
    *(("skos", n, "class") for n in ("Concept", "ConceptScheme")),
    *(("skos", n, "text") for n in ("prefLabel", "altLabel", "hiddenLabel", "definition",
                                    "note", "scopeNote", "example", "editorialNote",
                                    "historyNote", "changeNote")),
    *(("skos", n, "id") for n in ("inScheme", "hasTopConcept", "topConceptOf", "broader",
                                  "narrower", "related", "broaderTransitive",
                                  "narrowerTransitive", "semanticRelation",
                                  "exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                  "relatedMatch", "mappingRelation")),
    ("skos", "notation", "plain"),
    *(("dcterms", n, "text") for n in ("title", "description", "abstract")),
    *(("dcterms", n, "id") for n in ("source", "isPartOf", "hasPart", "license",
                                     "isReplacedBy", "replaces", "references",
                                     "isReferencedBy", "conformsTo", "subject", "publisher",
                                     "rightsHolder")),
    *(("dcterms", n, "date") for n in ("created", "modified", "issued", "date")),
    *(("dcterms", n, "plain") for n in ("creator", "contributor", "bibliographicCitation",
                                        "identifier", "rights")),
    *(("prov", n, "class") for n in ("Entity", "Activity", "Agent")),
    *(("prov", n, "id") for n in ("wasDerivedFrom", "hadPrimarySource", "wasAttributedTo",
                                  "wasGeneratedBy", "used", "wasRevisionOf", "wasQuotedFrom")),
    *(("prov", n, "date") for n in ("generatedAtTime",)),
    *(("owl", n, "class") for n in ("Ontology", "Class", "ObjectProperty", "DatatypeProperty",
                                    "AnnotationProperty", "FunctionalProperty",
                                    "InverseFunctionalProperty", "TransitiveProperty",
                                    "SymmetricProperty", "NamedIndividual",
                                    "AllDisjointClasses", "Restriction", "Thing")),
    *(("owl", n, "id") for n in ("imports", "versionIRI", "inverseOf", "equivalentClass",
                                 "equivalentProperty", "sameAs", "disjointWith",
                                 "onProperty", "someValuesFrom", "allValuesFrom",
                                 "unionOf", "intersectionOf", "members", "priorVersion")),
    *(("owl", n, "plain") for n in ("versionInfo", "deprecated")),
    *(("rdfs", n, "class") for n in ("Class", "Resource", "Literal", "Datatype")),
    *(("rdfs", n, "text") for n in ("label", "comment")),
    *(("rdfs", n, "id") for n in ("subClassOf", "subPropertyOf", "domain", "range",
                                  "seeAlso", "isDefinedBy")),
    *(("org", n, "class") for n in ("Membership", "Organization", "FormalOrganization",
                                    "Role")),
    *(("org", n, "id") for n in ("member", "organization", "memberDuring", "role",
                                 "hasMember", "memberOf", "subOrganizationOf",
                                 "hasSubOrganization")),
    *(("time", n, "class") for n in ("Interval", "Instant", "ProperInterval",
                                     "TemporalEntity")),
    *(("time", n, "id") for n in ("hasBeginning", "hasEnd")),
    *(("time", n, "date") for n in ("inXSDDate",)),
    ("time", "inXSDDateTimeStamp", "dateTimeStamp"),
)

#: ddkb's annotation properties have no rdfs:range (OWL 2 DL keeps annotations free);
#: their values are IRIs or English text all the same, and the context says which.
_ANNOTATION_KINDS = {"claimSubject": "id", "claimPredicate": "id", "claimObject": "id",
                     "claimText": "text", "correction": "text", "evidence": "text"}
#: A second, uncoerced name for a property whose values are mostly IRIs but sometimes
#: literals: a claim about a number or a date has ``"claimValue": 18`` where a claim
#: about a concept has ``"claimObject": "ddkb:stability"``.
_LITERAL_ALIASES = {"claimObject": "claimValue"}


# -- building the context ------------------------------------------------------------

def build_context(ontology: str | Path | None = None,
                  prefixes: dict[str, str] | None = None) -> dict[str, Any]:
    """The context document ``{"@context": {...}}`` for ``ontology`` (default: the bundled
    ``ddkb.ttl``) and ``prefixes`` (default: :data:`ddkb.namespaces.PREFIXES`).

    Every prefix becomes a prefix definition; every class and property the ontology
    declares in the ddkb namespace gets a term named by its local name (object
    properties coerce to ``@id``, a datatype property with a date range to that
    datatype, an annotation property as ``_ANNOTATION_KINDS`` says); the reused
    vocabularies get the terms of ``_REUSED_TERMS``. A reused term whose local name
    is already taken (``skos:Concept`` vs ``ddkb:Concept``) keeps its compact IRI as
    its name (``"skos:Concept"``), which JSON-LD allows.
    """
    from .namespaces import DDKB, PREFIXES

    prefixes = dict(PREFIXES if prefixes is None else prefixes)
    context: dict[str, Any] = dict(prefixes)
    taken = set(context)
    for local, definition in _ontology_terms(ontology, DDKB, prefixes):
        context[local] = definition
        taken.add(local)
    for prefix, local, kind in _REUSED_TERMS:
        if prefix not in prefixes:
            continue
        name = local if local not in taken else f"{prefix}:{local}"
        context[name] = _definition(f"{prefix}:{local}", kind)
        taken.add(name)
    return {"@context": context}


def _definition(curie: str, kind: str) -> Any:
    """One term definition: a plain IRI mapping or an expanded one with a coercion."""
    if kind in ("class", "plain"):
        return curie
    if kind == "id":
        return {"@id": curie, "@type": "@id"}
    if kind == "text":
        return {"@id": curie, "@language": LANGUAGE}
    if kind == "date":
        return {"@id": curie, "@type": "xsd:date"}
    if kind in _DATE_TYPES:
        return {"@id": curie, "@type": f"xsd:{kind}"}
    if kind.startswith("xsd:"):
        return {"@id": curie, "@type": kind}
    raise ValueError(f"unknown term kind {kind!r}")


def _ontology_terms(ontology: str | Path | None, base: str,
                    prefixes: dict[str, str]) -> list[tuple[str, Any]]:
    """``(local name, definition)`` of each class and property ``ontology`` declares in ``base``.

    Object properties coerce to ``@id``; a datatype property whose range is a date
    type is typed with it; annotation properties stay plain unless their range is a
    class (``@id``). Sorted: classes first, then properties, each by name.
    """
    import rdflib
    from rdflib import OWL, RDF, RDFS

    from . import paths

    path = Path(ontology) if ontology is not None else paths.ontology_dir() / "ddkb.ttl"
    graph = rdflib.Graph().parse(path, format="turtle")
    classes, properties = [], []
    for subject in set(graph.subjects(RDF.type, None)):
        iri = str(subject)
        if not iri.startswith(base) or not _is_term_name(iri[len(base):]):
            continue
        local, types = iri[len(base):], set(graph.objects(subject, RDF.type))
        curie = "ddkb:" + local if prefixes.get("ddkb") == base else iri
        ranges = {str(r) for r in graph.objects(subject, RDFS.range)}
        if OWL.Class in types or RDFS.Class in types:
            classes.append((local, curie))
        elif OWL.ObjectProperty in types:
            properties.append((local, _definition(curie, "id")))
        elif OWL.DatatypeProperty in types or OWL.AnnotationProperty in types:
            if not ranges and local in _ANNOTATION_KINDS:
                properties.append((local, _definition(curie, _ANNOTATION_KINDS[local])))
                if local in _LITERAL_ALIASES:
                    properties.append((_LITERAL_ALIASES[local], curie))
            else:
                properties.append((local, _datatype_term(curie, ranges, graph)))
    return sorted(classes) + sorted(properties, key=lambda t: t[0])


def _datatype_term(curie: str, ranges: set[str], graph) -> Any:
    """A datatype or annotation property's term: typed by a date range, ``@id`` for a
    class range, else plain (strings and numbers read as they are)."""
    from rdflib import OWL, RDF, URIRef

    for rng in sorted(ranges):
        if rng.startswith(_XSD) and rng[len(_XSD):] in _DATE_TYPES:
            return _definition(curie, "xsd:" + rng[len(_XSD):])
        if (URIRef(rng), RDF.type, OWL.Class) in graph:
            return _definition(curie, "id")
    return curie


def _is_term_name(local: str) -> bool:
    return bool(local) and local.replace("_", "a").isalnum() and not local[0].isdigit()


def render_context(document: dict[str, Any]) -> str:
    """The context document as the text of ``ddkb.context.jsonld``: one term a line
    (stable, diff-friendly, easy to scan)."""
    return _render({"@context": document["@context"]})


def _render(document: dict[str, Any]) -> str:
    """JSON text of ``document`` with its ``@context`` object one term a line and the
    rest indented by 2."""
    parts = []
    for key, value in document.items():
        if key == "@context" and isinstance(value, dict):
            terms = ",\n".join(f"    {_dumps(k)}: {_dumps(v)}" for k, v in value.items())
            parts.append(f'  "@context": {{\n{terms}\n  }}')
        else:
            body = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            parts.append(f"  {_dumps(key)}: {body}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def context_path() -> Path:
    """The bundled context file (found like the other ontology files)."""
    from . import paths

    return paths.ontology_dir() / CONTEXT_FILE


@lru_cache(maxsize=1)
def _bundled_context_text() -> str:
    try:
        return context_path().read_text(encoding="utf-8")
    except OSError as err:
        raise DdkbError(f"{context_path()}: cannot read the bundled JSON-LD context: "
                        f"{err.strerror or err}") from None


def bundled_context() -> dict[str, Any]:
    """The ``@context`` object of the bundled context file (a fresh copy)."""
    return json.loads(_bundled_context_text())["@context"]


# -- writing -------------------------------------------------------------------------

def check_style(style: str) -> str:
    """``style`` if it is one of :data:`STYLES`, else an InputError naming the choices."""
    if style not in STYLES:
        raise InputError(f"--jsonld-context {style!r}: use {', '.join(STYLES)}")
    return style


def compact(statements, style: str = DEFAULT_STYLE) -> str:
    """JSON-LD text of ``statements`` (pyoxigraph triples), compacted with ddkb's context.

    ``style`` is ``embed`` (the context inline) or ``link`` (``"@context"`` is
    :data:`CONTEXT_IRI`). The shape is ``{"@context": ..., "@graph": [nodes]}``, nodes
    sorted by ``@id``, each with ``@id`` and ``@type`` first and its other keys sorted;
    a blank node used once is written inside the node that uses it (no ``_:`` label).
    Numbers and booleans are written as JSON only where that reads back to the
    same literal (``"018"^^xsd:integer`` stays a typed value).
    """
    from rdflib.plugins.shared.jsonld.context import Context

    if style not in ("embed", "link"):
        raise InputError(f"compact JSON-LD: style {style!r}: use embed or link")
    graph = _rdflib_graph(statements)
    context = bundled_context()
    result = _lossless_converter()(Context(context), True, False).convert(graph)
    nodes = _nodes_of(result)
    nodes = _relabel_blank_nodes(_embed_blank_nodes(nodes))
    document = {"@context": context if style == "embed" else CONTEXT_IRI,
                "@graph": sorted((_ordered_node(n) for n in nodes), key=_node_sort_key)}
    return _render(document)


def _rdflib_graph(statements):
    """An rdflib ``Graph`` of pyoxigraph triples, every literal's lexical form kept.

    (Parsing N-Triples with rdflib would normalise ``"018"^^xsd:integer`` to ``18``;
    an ill-typed literal such as ``"2020-1-1"^^xsd:date`` is kept as written.)
    A triple term (RDF 1.2) has no JSON-LD 1.1 form: ValueError.
    """
    import logging

    import rdflib

    graph = rdflib.Graph(bind_namespaces="none")
    # rdflib logs a traceback for an ill-typed literal ("2020-1-1"^^xsd:date); the
    # literal itself is kept as it is, so the log is only noise on the user's stderr
    term_log = logging.getLogger("rdflib.term")
    was_disabled, term_log.disabled = term_log.disabled, True
    convert = _term_converter()
    try:
        for st in statements:
            graph.add((convert(st.subject), convert(st.predicate), convert(st.object)))
    finally:
        term_log.disabled = was_disabled
    return graph


_XSD_STRING = _XSD + "string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _term_converter():
    """A function from pyoxigraph terms to rdflib terms (imports bound once; IRIs and
    blank nodes memoised, since they repeat through a graph)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    seen: dict = {}

    def convert(term):
        if isinstance(term, ox.Literal):
            if term.language:
                return Literal(term.value, lang=term.language, normalize=False)
            datatype = term.datatype.value
            if datatype in (_XSD_STRING, _LANG_STRING):
                return Literal(term.value, normalize=False)
            return Literal(term.value, datatype=URIRef(datatype), normalize=False)
        found = seen.get(term)
        if found is None:
            if isinstance(term, ox.NamedNode):
                found = URIRef(term.value)
            elif isinstance(term, ox.BlankNode):
                found = BNode(term.value)
            else:
                raise ValueError(f"JSON-LD 1.1 cannot express the triple term {term}")
            seen[term] = found
        return found

    return convert


@lru_cache(maxsize=1)
def _lossless_converter() -> type:
    """The converter class, made on first use: importing rdflib costs half a second,
    and this module is imported whenever a JSON-LD file is read."""
    from rdflib import BNode, Literal
    from rdflib.namespace import XSD
    from rdflib.plugins.serializers.jsonld import Converter

    native_types = (XSD.integer, XSD.double, XSD.boolean)

    class LosslessConverter(Converter):
        """rdflib's JSON-LD ``Converter`` writing a literal as a JSON number or boolean only
        when a JSON-LD reader turns it back into the same literal.

        rdflib writes every xsd:integer, xsd:double and xsd:boolean natively once a
        context is active; ``"018"^^xsd:integer`` would come back as ``18``, ``"1.5"^^xsd:double``
        as ``1.5E0``, and a very large integer as a double. Blank nodes are never
        shortened to a bare label (see :meth:`type_coerce`).
        """

        def to_raw_value(self, graph, s, o, nodemap):
            if isinstance(o, Literal) and o.datatype in native_types \
                    and not _native_is_lossless(o):
                return {self.context.type_key: self.context.to_symbol(o.datatype),
                        self.context.value_key: str(o)}
            items = None if isinstance(o, Literal) else self.to_collection(graph, o)
            if items is not None:
                return {self.context.list_key: [self._list_item(graph, s, v, nodemap)
                                                for v in items]}
            return super().to_raw_value(graph, s, o, nodemap)

        def _list_item(self, graph, s, item, nodemap):
            """A list member; a string as an explicit ``{"@value": ...}``, since the list's
            property may coerce strings (to an IRI, a date, English text)."""
            value = self.to_raw_value(graph, s, item, nodemap)
            return {self.context.value_key: value} if isinstance(value, str) else value

        def type_coerce(self, o, coerce_type):
            """No ``@id`` shortcut for a blank node: rdflib would write its label and drop
            its own statements (an ``owl:unionOf`` list, for one); ``to_raw_value`` writes
            the node (or the ``@list``) instead."""
            if isinstance(o, BNode):
                return None
            return super().type_coerce(o, coerce_type)

    return LosslessConverter


def _native_is_lossless(literal) -> bool:
    """True if ``literal`` (xsd:integer/boolean/double) survives as a JSON value."""
    from rdflib.namespace import XSD

    text = str(literal)
    if literal.datatype == XSD.boolean:
        return text in ("true", "false")
    if literal.datatype == XSD.integer:
        try:
            return str(int(text)) == text and abs(int(text)) < 2 ** 53
        except ValueError:
            return False
    return False  # doubles: JSON-LD rewrites them in canonical E-notation


def _nodes_of(result: Any) -> list[dict]:
    """The top-level node objects of rdflib's compaction result (one node or a @graph)."""
    if isinstance(result, list):
        return [n for n in result if isinstance(n, dict)]
    if not isinstance(result, dict) or not result:
        return []
    if "@graph" in result and "@id" not in result:
        return list(result["@graph"])
    return [{k: v for k, v in result.items() if k != "@context"}]


def _references(value: Any):
    """Every ``{"@id": ...}`` reference object inside ``value`` (nested lists and @list)."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        if set(value) == {"@id"}:
            yield value
        elif "@list" in value:
            yield from _references(value["@list"])


def _embed_blank_nodes(nodes: list[dict]) -> list[dict]:
    """Move each blank node that one node references once into that reference.

    A blank node referenced twice or more, or only from within a cycle of blank
    nodes, stays a top-level node with its ``_:`` label, so nothing is lost.
    """
    by_id = {n.get("@id"): n for n in nodes}
    refs: dict[str, list[tuple[dict, dict]]] = {}
    for node in nodes:
        for key, value in node.items():
            if key.startswith("@") and key != "@type":
                continue
            for ref in _references(value):
                refs.setdefault(ref["@id"], []).append((node, ref))
    once = {bid: pairs[0] for bid, pairs in refs.items()
            if bid.startswith("_:") and len(pairs) == 1 and bid in by_id}

    def rooted(bid: str) -> bool:  # the chain of single parents reaches a kept node
        seen = set()
        while bid in once:
            if bid in seen:
                return False
            seen.add(bid)
            parent = once[bid][0].get("@id")
            if parent is None or parent not in once:
                return parent != bid
            bid = parent
        return True

    embedded = {bid for bid in once if rooted(bid)}
    for bid in embedded:
        _, ref = once[bid]
        ref.clear()
        ref.update({k: v for k, v in by_id[bid].items() if k != "@id"})
    return [n for n in nodes if n.get("@id") not in embedded]


def _relabel_blank_nodes(nodes: list[dict]) -> list[dict]:
    """Give the blank nodes still labelled (shared or in a cycle) stable labels
    ``_:b0``, ``_:b1``... in the order of their content, so that the same KB gives
    the same file (rdflib's labels are random)."""
    labelled = [n for n in nodes if str(n.get("@id", "")).startswith("_:")]
    order = sorted(labelled, key=lambda n: json.dumps(
        {k: v for k, v in n.items() if k != "@id"}, sort_keys=True, ensure_ascii=False))
    labels = {n["@id"]: f"_:b{i}" for i, n in enumerate(order)}
    stack: list[Any] = list(nodes)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("@id") in labels:
                item["@id"] = labels[item["@id"]]
            stack.extend(item.values())
    return nodes


def _sort_values(value: Any) -> Any:
    """Lists sorted (stable output), except ``@list`` contents; nested nodes ordered."""
    if isinstance(value, list):
        items = [_sort_values(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    if isinstance(value, dict):
        if "@list" in value:
            return {**value, "@list": [_sort_values(v) for v in value["@list"]]}
        return _ordered_node(value)
    return value


def _ordered_node(node: dict) -> dict:
    """``@id``, ``@type``, then the other keys sorted, every value sorted."""
    first = [k for k in ("@id", "@type") if k in node]
    rest = sorted(k for k in node if k not in first)
    return {k: _sort_values(node[k]) for k in (*first, *rest)}


def _node_sort_key(node: dict) -> tuple:
    node_id = str(node.get("@id", ""))
    return (node_id.startswith("_:") or not node_id, node_id)


def expanded(statements) -> str:
    """Expanded JSON-LD of ``statements`` as pyoxigraph writes it (full IRIs, no context)."""
    import pyoxigraph as ox

    return ox.serialize(statements, format=ox.RdfFormat.JSON_LD).decode("utf-8")


def write(statements, style: str = DEFAULT_STYLE) -> str:
    """JSON-LD of ``statements`` in ``style`` (:data:`STYLES`)."""
    if check_style(style) == "none":
        return expanded(statements)
    return compact(statements, style)


# -- reading -------------------------------------------------------------------------

def with_local_context(path: Path | str, content: bytes) -> bytes:
    """``content`` with every ``"@context": CONTEXT_IRI`` replaced by the bundled context.

    pyoxigraph never fetches a remote context (it raises, and the loader turns that
    into one line naming the file); ddkb's own context is resolved here instead,
    in the top-level ``@context`` and in nested ones, alone or in an array.
    Content that does not mention :data:`CONTEXT_IRI` is returned unchanged
    (not even parsed as JSON).
    """
    if CONTEXT_IRI.encode() not in content:
        return content
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return content  # the JSON-LD parser reports the error with its position
    if not _replace_context(document):
        return content
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _replace_context(value: Any) -> bool:
    """Replace :data:`CONTEXT_IRI` in every ``@context`` of ``value``; True if any was."""
    changed = False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            ctx = item.get("@context")
            if ctx == CONTEXT_IRI:
                item["@context"] = bundled_context()
                changed = True
            elif isinstance(ctx, list) and CONTEXT_IRI in ctx:
                item["@context"] = [bundled_context() if c == CONTEXT_IRI else c for c in ctx]
                changed = True
            stack.extend(v for k, v in item.items() if k != "@context")
    return changed


def rdf_term(name: str) -> str:
    """The IRI a context term or compact IRI stands for (``prefLabel`` -> skos IRI)."""
    context = bundled_context()
    value = context.get(name, name)
    if isinstance(value, dict):
        value = value["@id"]
    prefix, sep, local = value.partition(":")
    if sep and prefix in context and isinstance(context[prefix], str) \
            and not local.startswith("//"):
        return context[prefix] + local
    return value

