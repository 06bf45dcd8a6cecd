"""RDFS and OWL 2 RL inference (owlrl), kept apart from the asserted data.

:func:`inferred_nquads` takes a dataset, computes its deductive closure and
returns only the *new* triples, cleaned of the noise a rule reasoner produces
(axioms about RDF/RDFS/OWL/XSD themselves, ``x rdf:type rdfs:Resource``,
``x owl:sameAs x``, reflexive subclass axioms, triples with a literal subject or
a non-IRI predicate). The loader (``ddkb.load(infer=...)``) puts them in their
own named graph, ``https://w3id.org/ddkb/graph/inferred/<mode>``; inferred
triples are never written into ``kb/``.

The closure runs in a child process under a time limit (OWL RL on the bundled KB
takes about 12 s; a big ``--data`` file can take hours): by default 120 s,
changed with the ``timeout`` argument or the environment variable
``DDKB_INFER_TIMEOUT`` (seconds; ``inf`` for no limit). When time is up the
work is stopped and :class:`InferenceTimeout` (exit code 1) is raised.

>>> from ddkb.reason import inferred_nquads
>>> data = (b'<https://w3id.org/ddkb/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
...         b'<https://w3id.org/ddkb/C> .\\n'
...         b'<https://w3id.org/ddkb/C> <http://www.w3.org/2000/01/rdf-schema#subClassOf> '
...         b'<https://w3id.org/ddkb/D> .\\n')
>>> inferred_nquads(data, "rdfs").decode().split()   # x rdf:type D
['<https://w3id.org/ddkb/x>', '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>', \
'<https://w3id.org/ddkb/D>', '.']
"""

from __future__ import annotations

import math
import os
from typing import Any

from .errors import DdkbError, InputError, QueryTimeout
from .namespaces import INFERRED_GRAPH, OWL, PREFIXES, RDF, RDFS, XSD

#: The inference modes ``--infer`` accepts (besides "none").
MODES = ("rdfs", "owlrl")

_VOCAB_NAMESPACES = (RDF, RDFS, OWL, XSD)
_RDF_TYPE = RDF + "type"
_NOISE_TYPES = {RDFS + "Resource", OWL + "Thing"}
_REFLEXIVE = {OWL + "sameAs", RDFS + "subClassOf", RDFS + "subPropertyOf",
              OWL + "equivalentClass", OWL + "equivalentProperty"}
_TOP_CLASSES = {OWL + "Thing", RDFS + "Resource"}

#: Seconds the closure may run when neither ``timeout`` nor the environment says.
DEFAULT_TIMEOUT = 120.0
#: The environment variable that changes :data:`DEFAULT_TIMEOUT` (``inf``: no limit).
TIMEOUT_ENV = "DDKB_INFER_TIMEOUT"


class InferenceTimeout(DdkbError):
    """The RDFS / OWL RL closure ran past its time limit and was stopped (exit code 1)."""


def infer_timeout(timeout: float | None = None) -> float:
    """The time limit of the closure in seconds: ``timeout``, else $DDKB_INFER_TIMEOUT, else 120.

    Raises InputError naming the variable when it is not a positive number.

    >>> infer_timeout(30)
    30.0
    """
    if timeout is None:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
        where = f"{TIMEOUT_ENV}={raw!r}"
    else:
        where = f"timeout={timeout!r}"
    if not timeout > 0:  # also NaN
        raise InputError(f"{where}: the inference time limit must be a positive number "
                         "of seconds (or inf for none)")
    return float(timeout)


def inferred_graph_name(mode: str) -> str:
    """The named graph that holds the triples inferred in ``mode``.

    >>> inferred_graph_name("rdfs")
    'https://w3id.org/ddkb/graph/inferred/rdfs'
    """
    _check_mode(mode)
    return f"{INFERRED_GRAPH}/{mode}"


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError(f"unknown inference mode '{mode}'; use one of: {', '.join(MODES)}")


def is_noise(s: Any, p: Any, o: Any) -> bool:
    """True for an inferred triple that says nothing about the knowledge base.

    Takes rdflib terms. Dropped: generalized triples (literal subject, non-IRI
    predicate), statements about the RDF/RDFS/OWL/XSD vocabularies themselves,
    ``x rdf:type rdfs:Resource`` / ``owl:Thing``, reflexive ``owl:sameAs``,
    ``rdfs:subClassOf``, ``rdfs:subPropertyOf`` and equivalences,
    ``rdfs:subClassOf``/``domain``/``range`` ``owl:Thing``, and any triple with a
    blank node (anonymous class expressions; their labels would not match the
    blank nodes of the loaded data anyway).
    """
    from rdflib import BNode, Literal, URIRef

    if isinstance(s, Literal) or not isinstance(p, URIRef):
        return True
    if isinstance(s, URIRef) and str(s).startswith(_VOCAB_NAMESPACES):
        return True
    ps, os_ = str(p), str(o)
    if ps == _RDF_TYPE and (os_ in _NOISE_TYPES or isinstance(o, Literal)):
        return True
    if ps in _REFLEXIVE and s == o:
        return True
    if ps in (RDFS + "subClassOf", RDFS + "domain", RDFS + "range") and os_ in _TOP_CLASSES:
        return True
    if isinstance(s, BNode) or isinstance(o, BNode):
        # anonymous class expressions (owl:unionOf ...) and list plumbing; a blank
        # node also could not be matched to the loaded data's own blank nodes
        return True
    return False


def _closure(graph, mode: str) -> None:
    """Expand ``graph`` in place with owlrl's RDFS or OWL 2 RL rules."""
    import owlrl

    semantics = owlrl.RDFS_Semantics if mode == "rdfs" else owlrl.OWLRL_Semantics
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False,
                           rdfs_closure=False).expand(graph)


def _new_triples(graph, mode: str) -> list[tuple]:
    """The cleaned triples that the closure of ``graph`` adds (``graph`` is not changed)."""
    import rdflib

    expanded = rdflib.Graph()
    for triple in graph:
        expanded.add(triple)
    _closure(expanded, mode)
    return [t for t in expanded if t not in graph and not is_noise(*t)]


def inferred_nquads(nquads: bytes, mode: str, timeout: float | None = None) -> bytes:
    """The triples that RDFS or OWL 2 RL adds to a dataset, as sorted N-Triples.

    ``nquads`` is the dataset as N-Quads (every graph is read; graphs already
    holding inferred triples are ignored); ``mode`` is "rdfs" or "owlrl".
    Only new triples are returned, without the noise listed in :func:`is_noise`.
    The work stops after ``timeout`` seconds (see :func:`infer_timeout`) with
    :class:`InferenceTimeout`. Raises InputError for an unknown mode, a bad
    time limit, unreadable N-Quads, or when memory runs out.
    """
    from .sparql import run_with_deadline

    _check_mode(mode)
    limit = infer_timeout(timeout)
    try:
        return run_with_deadline(lambda: _closure_nquads(nquads, mode), limit)
    except QueryTimeout:
        raise InferenceTimeout(
            f"inference ({mode}) stopped after {limit:g} s: set {TIMEOUT_ENV} to more "
            "seconds (or inf) to let it run longer") from None


def _closure_nquads(nquads: bytes, mode: str) -> bytes:
    """:func:`inferred_nquads` without the time limit (runs in the child process)."""
    try:
        return _closure_nquads_unguarded(nquads, mode)
    except MemoryError:
        raise InputError(f"out of memory while inferring ({mode}): try --infer rdfs or "
                         "smaller --data files") from None


def _closure_nquads_unguarded(nquads: bytes, mode: str) -> bytes:
    if mode == "owlrl":
        triples = _asserted_triples(nquads)
        lines = sorted(_nt_line(t) for t in owl_rl_closure(triples))
        return "".join(lines).encode("utf-8")
    import rdflib

    ds = rdflib.Dataset()
    try:
        ds.parse(data=nquads.decode("utf-8"), format="nquads")
    except Exception as err:  # rdflib raises several parser error types
        raise InputError(f"cannot read the dataset to infer from: {err}") from None
    graph = rdflib.Graph()
    for s, p, o, ctx in ds.quads((None, None, None, None)):
        name = str(getattr(ctx, "identifier", ctx) or "")
        if not name.startswith(INFERRED_GRAPH):
            graph.add((s, p, o))
    lines = sorted(_nt_line(t) for t in _new_triples(graph, mode))
    return "".join(lines).encode("utf-8")


def _asserted_triples(nquads: bytes) -> set[tuple]:
    """The distinct triples of every non-inferred graph, as rdflib terms.

    Parsed by pyoxigraph (fast) and converted term by term: no rdflib parser.
    """
    import pyoxigraph as ox

    try:
        quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    except (SyntaxError, ValueError) as err:
        raise InputError(f"cannot read the dataset to infer from: {err}") from None
    convert = _TermConverter()
    return {(convert(q.subject), convert(q.predicate), convert(q.object)) for q in quads
            if not (isinstance(q.graph_name, ox.NamedNode)
                    and q.graph_name.value.startswith(INFERRED_GRAPH))}


class _TermConverter:
    """pyoxigraph terms -> rdflib terms (memoised: the same IRIs recur all the time)."""

    def __init__(self) -> None:
        import rdflib

        self.rdflib = rdflib
        self.memo: dict[Any, Any] = {}

    def __call__(self, term: Any) -> Any:
        found = self.memo.get(term)
        if found is None:
            found = self.memo[term] = self._convert(term)
        return found

    def _convert(self, term: Any) -> Any:
        import pyoxigraph as ox

        rdflib = self.rdflib
        if isinstance(term, ox.NamedNode):
            return rdflib.URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return rdflib.BNode(term.value)
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == XSD + "string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def owl_rl_closure(triples: set[tuple]) -> list[tuple]:
    """The cleaned triples that OWL 2 RL adds to ``triples`` (rdflib-term 3-tuples).

    The rules run in ``reasonable`` (a Rust OWL 2 RL reasoner; about 40 times
    faster than owlrl on ddkb's data, see benchmarks/reasoners.py). Two things
    are done here to give owlrl's answer exactly:

    * reasonable returns plain literals typed ``xsd:string`` (the same term in
      RDF 1.1, a different one to rdflib): they are turned back into plain ones;
    * it leaves out the schema rules scm-dom1 and scm-rng1 (a property's domain
      and range extend to the superclasses of its domain and range), which
      :func:`_domain_range_closure` adds.
    """
    import rdflib
    import reasonable

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(list(triples))
    string = rdflib.URIRef(XSD + "string")
    out = set()
    for s, p, o in reasoner.reason():
        if isinstance(o, rdflib.Literal) and o.datatype == string:
            o = rdflib.Literal(str(o))
        if (s, p, o) not in triples:
            out.add((s, p, o))
    out |= _domain_range_closure(triples, out)
    return [t for t in out if t not in triples and not is_noise(*t)]


def _domain_range_closure(*sources: set[tuple]) -> set[tuple]:
    """OWL 2 RL's scm-dom1/scm-rng1: ``P domain C``, ``C subClassOf D`` => ``P domain D``.

    Reads the subclass, domain and range axioms of every set in ``sources``
    (one pass each; no union of the sets is made, they can be large).
    """
    import rdflib

    sub = rdflib.URIRef(RDFS + "subClassOf")
    domain_or_range = {rdflib.URIRef(RDFS + "domain"), rdflib.URIRef(RDFS + "range")}
    supers: dict[Any, set] = {}
    axioms = []
    for triples in sources:
        for t in triples:
            if t[1] == sub:
                supers.setdefault(t[0], set()).add(t[2])
            elif t[1] in domain_or_range:
                axioms.append(t)
    found = set()
    for s, prop, o in axioms:
        seen, todo = set(), [o]
        while todo:
            cls = todo.pop()
            for up in supers.get(cls, ()):
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        found.update((s, prop, c) for c in seen)
    return found


def _nt_line(triple: tuple) -> str:
    s, p, o = triple
    return f"{s.n3()} {p.n3()} {o.n3()} .\n"


def closure_graph(kb, mode: str = "rdfs"):
    """The KB's asserted triples plus what ``mode`` infers, as one rdflib Graph.

    A convenience for notebooks (the loader keeps inferred triples in their own
    named graph instead):

    >>> import ddkb
    >>> from ddkb.reason import closure_graph
    >>> g = closure_graph(ddkb.load(), "rdfs")             # doctest: +SKIP
    """
    import rdflib

    _check_mode(mode)
    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for s, p, o, ctx in kb.rdflib_dataset().quads((None, None, None, None)):
        name = str(getattr(ctx, "identifier", ctx) or "")
        if not name.startswith(INFERRED_GRAPH):
            graph.add((s, p, o))
    for triple in _new_triples(graph, mode):
        graph.add(triple)
    return graph
