"""RDFS and OWL 2 RL inference (owlrl), kept apart from the asserted data.

:func:`inferred_nquads` takes a dataset, computes its deductive closure and
returns only the *new* triples, cleaned of the noise a rule reasoner produces
(axioms about RDF/RDFS/OWL/XSD themselves, ``x rdf:type rdfs:Resource``,
``x owl:sameAs x``, reflexive subclass axioms, triples with a literal subject or
a non-IRI predicate). The loader (``ddkb.load(infer=...)``) puts them in their
own named graph, ``https://w3id.org/ddkb/graph/inferred/<mode>``; inferred
triples are never written into ``kb/``.

The closure runs in a child process under a time limit (RDFS on the bundled KB
takes about 7 s, OWL RL well under 1 s; a big ``--data`` file can take hours):
by default 120 s, changed with the ``timeout`` argument or the environment
variable ``DDKB_INFER_TIMEOUT`` (seconds; ``inf`` for no limit). When time is up
the work is stopped and :class:`InferenceTimeout` (exit code 1) is raised.

OWL RL runs in ``reasonable`` on plain strings, not rdflib terms (see
:func:`_owl_rl_new_keys`): the same entailments, a fraction of the time.

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

import functools
import math
import os
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
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
_XSD_STRING = XSD + "string"

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


def inferred_nquads(nquads: bytes, mode: str, timeout: float | None = None, *,
                    canonical: bool = False) -> bytes:
    """The triples that RDFS or OWL 2 RL adds to a dataset, as sorted N-Triples.

    ``nquads`` is the dataset as N-Quads (every graph is read; graphs already
    holding inferred triples are ignored); ``mode`` is "rdfs" or "owlrl".
    Only new triples are returned, without the noise listed in :func:`is_noise`.
    The work stops after ``timeout`` seconds (see :func:`infer_timeout`) with
    :class:`InferenceTimeout`. Raises InputError for an unknown mode, a bad
    time limit, unreadable N-Quads, RDF 1.2 triple terms, or when memory runs out.

    ``canonical=True`` says that ``nquads`` is pyoxigraph's own dump
    (``Store.dump``: one quad a line, each term written its one way); OWL RL
    then reads it as text. Other N-Quads are first rewritten that way.
    """
    from .sparql import run_with_deadline

    _check_mode(mode)
    limit = infer_timeout(timeout)
    try:
        return run_with_deadline(lambda: _closure_nquads(nquads, mode, canonical), limit)
    except QueryTimeout:
        raise InferenceTimeout(
            f"inference ({mode}) stopped after {limit:g} s: set {TIMEOUT_ENV} to more "
            "seconds (or inf) to let it run longer") from None


def _closure_nquads(nquads: bytes, mode: str, canonical: bool = False) -> bytes:
    """:func:`inferred_nquads` without the time limit (runs in the child process).

    The cyclic garbage collector is paused meanwhile: the closure makes millions
    of tuples and no cycles, and the collector would walk them again and again
    (a third of the time spent reading the dataset).
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _closure_nquads_unguarded(nquads, mode, canonical)
    except MemoryError:
        raise InputError(f"out of memory while inferring ({mode}): try --infer rdfs or "
                         "smaller --data files") from None
    finally:
        if was_enabled:
            gc.enable()


def _closure_nquads_unguarded(nquads: bytes, mode: str, canonical: bool) -> bytes:
    if mode == "owlrl":
        if not canonical:
            nquads = _canonical_nquads(nquads)
        new = _owl_rl_new_keys(_asserted_keys(nquads))
        return "".join(sorted(map(_key_line, new))).encode("utf-8")
    import rdflib

    graph = rdflib.Graph()
    for triple in _asserted_triples(nquads):
        graph.add(triple)
    lines = sorted(_nt_line(t) for t in _new_triples(graph, mode))
    return "".join(lines).encode("utf-8")


def _canonical_nquads(nquads: bytes) -> bytes:
    """N-Quads rewritten by pyoxigraph: one quad a line, each term in its canonical form."""
    import pyoxigraph as ox

    store = ox.Store()
    try:
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    except (SyntaxError, ValueError) as err:
        raise InputError(f"cannot read the dataset to infer from: {err}") from None
    return store.dump(format=ox.RdfFormat.N_QUADS)


def _read_quads(nquads: bytes) -> Iterator[Any]:
    """The quads of every non-inferred graph, parsed by pyoxigraph (InputError if unreadable)."""
    import pyoxigraph as ox

    quads = iter(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    while True:
        try:
            quad = next(quads)
        except StopIteration:
            return
        except (SyntaxError, ValueError) as err:
            raise InputError(f"cannot read the dataset to infer from: {err}") from None
        graph = quad.graph_name
        if not (isinstance(graph, ox.NamedNode) and graph.value.startswith(INFERRED_GRAPH)):
            yield quad


def _asserted_triples(nquads: bytes) -> set[tuple]:
    """The distinct triples of every non-inferred graph, as rdflib terms.

    Parsed by pyoxigraph (fast) and converted term by term: no rdflib parser.
    """
    convert = _TermConverter()
    return {(convert(q.subject), convert(q.predicate), convert(q.object))
            for q in _read_quads(nquads)}


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
        _refuse_triple_term(term)
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def _refuse_triple_term(term: Any) -> None:
    import pyoxigraph as ox

    if isinstance(term, ox.Triple):
        raise InputError("the dataset to infer from holds RDF 1.2 triple terms, which "
                         "inference cannot read")


# -- OWL 2 RL on N-Triples keys ------------------------------------------------------
#
# The OWL RL path works on *keys*, plain strings: an IRI is itself (it starts
# with a letter, its scheme), a blank node or a literal is its canonical
# N-Triples form as pyoxigraph writes it (``_:id``, ``"v"@lang``, ``"v"^^<dt>``;
# ``"v"`` for xsd:string), typed literals with the lexical form rdflib
# normalises them to (``"01"^^xsd:integer`` -> ``"1"``), so that two keys are
# equal exactly when the rdflib terms owlrl would reason on are. No rdflib term
# is built for the hundreds of thousands of triples that go into and come out
# of the reasoner (building and reading them took about three quarters of the
# closure's time).


class URIRef(str):
    """An IRI handed to reasonable: the str is the IRI, its key.

    reasonable's ``from_graph`` reads a term's kind from its class name
    (``URIRef``, ``BNode``, ``Literal``), its ``datatype`` and ``language``
    attributes and its text from ``str()``.
    """

    __slots__ = ()
    datatype = None
    language = None


class BNode(str):
    """A blank node handed to reasonable: the str is its key ``_:id``; ``str()`` gives the id.

    Use ``+`` or ``"".join`` (never an f-string or ``str()``) to get the key back.
    """

    __slots__ = ()
    datatype = None
    language = None

    def __str__(self) -> str:
        return self[2:]


class Literal(str):
    """A literal handed to reasonable: the str is its key; ``str()`` gives the lexical form.

    Use ``+`` or ``"".join`` (never an f-string or ``str()``) to get the key back.
    """

    def __new__(cls, key: str, value: str, language: str | None,
                datatype: str | None) -> Literal:
        made = super().__new__(cls, key)
        made.value, made.language, made.datatype = value, language, datatype
        return made

    def __str__(self) -> str:
        return self.value


def _literal_key(value: str, language: str | None = None, datatype: str | None = None, *,
                 rdflib: Any = None) -> str:
    """The key of a literal, with rdflib's normalisation of typed values (``"01"`` -> ``"1"``).

    The signature is rdflib's ``Literal(value, lang, datatype)``: reasonable
    calls it for each literal it returns. Typed literals (other than
    xsd:string) get the lexical form rdflib gives them, as in owlrl's answer;
    ``rdflib`` is that module (given while ``sys.modules`` holds a stand-in).
    """
    import pyoxigraph as ox

    if language:
        return str(ox.Literal(value, language=language))
    if datatype is None or datatype == _XSD_STRING:
        return str(ox.Literal(value))
    return _typed_key(_rdflib_lexical(value, datatype, rdflib), datatype)


def _typed_key(lexical: str, datatype: str) -> str:
    import pyoxigraph as ox

    return str(ox.Literal(lexical, datatype=ox.NamedNode(datatype)))


def _rdflib_lexical(value: str, datatype: str, rdflib: Any = None) -> str:
    """The lexical form rdflib normalises a typed literal to (``"01"^^xsd:integer`` -> ``"1"``)."""
    if rdflib is None:
        import rdflib
    return str(rdflib.Literal(value, datatype=rdflib.URIRef(datatype)))


def _rdflib_reasoner_term(term: Any) -> str:
    """An rdflib term as a key that reasonable's ``from_graph`` reads (see :class:`URIRef`).

    Its lexical form is taken as it is (rdflib has normalised it already).
    """
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, rdflib.Literal):
        value, language = str(term), term.language
        datatype = None if term.datatype is None else str(term.datatype)
        if language:
            return Literal(str(ox.Literal(value, language=language)), value, language, None)
        if datatype is None or datatype == _XSD_STRING:
            return Literal(str(ox.Literal(value)), value, None, None)
        return Literal(_typed_key(value, datatype), value, None, datatype)
    if isinstance(term, rdflib.BNode):
        return BNode("_:" + str(term))
    return URIRef(term)


def _asserted_keys(nquads: bytes) -> set[tuple]:
    """The distinct triples of every non-inferred graph, as keys reasonable can read.

    ``nquads`` is pyoxigraph's dump (see :func:`_canonical_nquads`): each line
    is ``S P O .`` or ``S P O G .`` with single spaces, each term written its
    one way. Only a literal object can hold spaces; it ends at the line's last
    ``"`` (language tags, IRIs and blank node labels hold none).
    """
    memo: dict[str, str] = {}
    triples = set()
    add, get = triples.add, memo.get
    try:
        for line in nquads.decode("utf-8").split("\n"):
            if not line:
                continue
            s, p, rest = line.split(" ", 2)
            body = rest[:-2]  # without the final " ."
            if body[0] == '"':
                end = body.rindex('"') + 1
                suffix, _, graph = body[end:].partition(" ")
                o = body[:end] + suffix
            else:
                o, _, graph = body.partition(" ")
            if graph.startswith(_INFERRED_GRAPH_TEXT):
                continue
            ks, kp, ko = get(s), get(p), get(o)
            if ks is None:
                ks = memo[s] = _reasoner_term(s)
            if kp is None:
                kp = memo[p] = _reasoner_term(p)
            if ko is None:
                ko = memo[o] = _reasoner_term(o)
            add((ks, kp, ko))
    except (ValueError, IndexError, KeyError) as err:  # not pyoxigraph's dump after all
        raise InputError(f"cannot read the dataset to infer from: {err}") from None
    return triples


_INFERRED_GRAPH_TEXT = f"<{INFERRED_GRAPH}"


def _reasoner_term(key: str) -> str:
    """A term written in N-Triples, as reasonable's ``from_graph`` reads it (see :class:`URIRef`).

    Typed literals (other than xsd:string) get the lexical form rdflib gives
    them, as the rdflib terms owlrl reasons on would have.
    """
    if key[0] == "<":
        if key[1] == "<":
            raise InputError("the dataset to infer from holds RDF 1.2 triple terms, which "
                             "inference cannot read")
        return URIRef(key[1:-1])
    if key[0] == "_":
        return BNode(key)
    end = key.rindex('"')
    value, suffix = _unescape(key[1:end]), key[end + 1:]
    if not suffix:
        return Literal(key, value, None, None)
    if suffix[0] == "@":
        return Literal(key, value, suffix[1:], None)
    datatype = suffix[3:-1]  # ^^<datatype>
    value = _rdflib_lexical(value, datatype)
    return Literal(_typed_key(value, datatype), value, None, datatype)


_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
           "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)


def _unescape(text: str) -> str:
    """The string an N-Triples string literal's body stands for (``\\n``, ``\\u00E9``...)."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)) if m[1] or m[2] else _ECHARS[m[3]],
                       text)


def _reason_to_keys(triples: set[tuple]) -> list[tuple]:
    """Run reasonable on key triples; all triples of the closure come back as keys."""
    import threading

    import reasonable

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(triples)
    if threading.active_count() > 1:  # another thread could import rdflib meanwhile
        out = reasoner.reason()
    else:
        with _reasonable_builds_keys():
            out = reasoner.reason()
    if out and type(out[0][1]) is not str:  # rdflib terms (threads; a reasonable that kept
        out = [tuple(map(_rdflib_reasoner_term, t)) for t in out]  # its own rdflib module)
    return out


def _key_module(rdflib: Any) -> types.ModuleType:
    """A stand-in for the ``rdflib`` module while reasonable builds its answer: keys as terms."""
    module = types.ModuleType("rdflib", _key_module.__doc__)
    module.URIRef = str  # type: ignore[attr-defined]
    module.BNode = "_:{}".format  # type: ignore[attr-defined]
    module.Literal = functools.partial(_literal_key, rdflib=rdflib)  # type: ignore[attr-defined]
    return module


@contextmanager
def _reasonable_builds_keys() -> Iterator[None]:
    """Let reasonable's ``reason()`` return keys instead of rdflib terms.

    reasonable imports ``rdflib`` when it converts its answer and calls
    ``rdflib.URIRef(iri)``, ``rdflib.BNode(id)`` and ``rdflib.Literal(value,
    lang, datatype)`` for each term: about 1.4 million calls for 200 thousand
    triples, most of the closure's time. While this runs, ``sys.modules``
    holds :func:`_key_module` under that name, so the same calls return keys.
    Only used with one thread alive (the inference child process); the real
    module is put back at once. If a later reasonable keeps its own reference
    to rdflib, rdflib terms come back and :func:`_reason_to_keys` converts them.
    """
    import rdflib

    sys.modules["rdflib"] = _key_module(rdflib)
    try:
        yield
    finally:
        sys.modules["rdflib"] = rdflib


def _owl_rl_new_keys(triples: set[tuple]) -> list[tuple]:
    """The cleaned triples (keys) that OWL 2 RL adds to ``triples`` (keys, see :class:`URIRef`).

    The rules run in ``reasonable`` (a Rust OWL 2 RL reasoner; about 40 times
    faster than owlrl on ddkb's data, see benchmarks/reasoners.py). Two things
    are done here to give owlrl's answer exactly:

    * reasonable returns plain literals typed ``xsd:string`` (the same term in
      RDF 1.1, a different one to rdflib): their keys are the plain ones;
    * it leaves out the schema rules scm-dom1 and scm-rng1 (a property's domain
      and range extend to the superclasses of its domain and range), which
      :func:`_domain_range_closure` adds.
    """
    out = _reason_to_keys(triples)
    new = {t for t in out if t not in triples}
    new |= _domain_range_closure(triples, new)
    return [t for t in new if t not in triples and not _is_noise_key(*t)]


def owl_rl_closure(triples: set[tuple]) -> list[tuple]:
    """The cleaned triples that OWL 2 RL adds to ``triples`` (rdflib-term 3-tuples).

    The rdflib face of :func:`_owl_rl_new_keys` (which ``--infer owlrl`` uses
    on keys straight from pyoxigraph): for notebooks and for the test that
    compares it with owlrl.
    """
    import pyoxigraph as ox

    memo: dict[Any, str] = {}

    def key(term: Any) -> str:
        found = memo.get(term)
        if found is None:
            found = memo[term] = _rdflib_reasoner_term(term)
        return found

    new = _owl_rl_new_keys({(key(s), key(p), key(o)) for s, p, o in triples})
    text = "".join(map(_key_line, new)).encode("utf-8")
    convert = _TermConverter()
    return [(convert(t.subject), convert(t.predicate), convert(t.object))
            for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]


def _key_line(triple: tuple) -> str:
    """A cleaned triple of keys as an N-Triples line (its subject and predicate are IRIs)."""
    s, p, o = triple
    if o[0] != '"':
        o = "<" + o + ">"  # never a blank node here: is_noise drops them
    return "<" + s + "> <" + p + "> " + o + " .\n"


_SCHEMA = {RDFS + p for p in ("subClassOf", "domain", "range")}
#: how the key of a literal whose lexical form is a top class's IRI starts (is_noise uses str())
_KEY_TOP_LEXICAL = tuple(f'"{c}"' for c in _TOP_CLASSES)


def _is_noise_key(s: str, p: str, o: str) -> bool:
    """:func:`is_noise` on keys (same rules, same answers)."""
    if s[0] == '"' or p[0] in '"_':  # a literal subject, a predicate that is not an IRI
        return True
    if s.startswith(_VOCAB_NAMESPACES):
        return True
    if p == _RDF_TYPE and (o in _NOISE_TYPES or o[0] == '"'):
        return True
    if p in _REFLEXIVE and s == o:
        return True
    if p in _SCHEMA and (o in _TOP_CLASSES or o.startswith(_KEY_TOP_LEXICAL)):
        return True
    return s[0] == "_" or o[0] == "_"


def _domain_range_closure(*sources: set[tuple]) -> set[tuple]:
    """OWL 2 RL's scm-dom1/scm-rng1: ``P domain C``, ``C subClassOf D`` => ``P domain D``.

    Reads the subclass, domain and range axioms of every set in ``sources``
    (one pass each; no union of the sets is made, they can be large). The
    triples are keys (see :class:`URIRef`).
    """
    sub = RDFS + "subClassOf"
    domain_or_range = {RDFS + "domain", RDFS + "range"}
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
