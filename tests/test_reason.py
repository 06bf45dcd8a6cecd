"""Inference (RDFS, OWL 2 RL) kept in its own graph, and DL consistency (HermiT)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import require_module, require_program

import ddkb
from ddkb import paths
from ddkb.errors import InputError
from ddkb.kb import KnowledgeBase
from ddkb.namespaces import DDKB, INFERRED_GRAPH, OWL, RDF, RDFS, XSD
from ddkb.reason import closure_graph, inferred_graph_name, inferred_nquads

FIX = Path(__file__).parent / "fixtures" / "validate"
GOOD = FIX / "good.ttl"

INSTRUMENTS = "SELECT ?i WHERE { ?i a ddkb:Instrument }"


def _nquads(*files: Path) -> bytes:
    """The bundled ontology and sources plus ``files`` as N-Quads (small and fast to reason on)."""
    store = ox.Store()
    for path in [paths.ontology_dir() / "ddkb.ttl", paths.kb_dir() / "sources.ttl", *files]:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE,
                        to_graph=ox.NamedNode(path.resolve().as_uri()))
    return store.dump(format=ox.RdfFormat.N_QUADS)


def _triples(ntriples: bytes) -> list[tuple[str, str, str]]:
    store = ox.Store()
    store.load(ntriples, format=ox.RdfFormat.N_TRIPLES)
    return [(str(q.subject), str(q.predicate), str(q.object)) for q in store]


@pytest.fixture(scope="module")
def rdfs_kb():
    return ddkb.load(data=[GOOD], infer="rdfs")


@pytest.fixture(scope="module")
def owlrl_kb():
    """Ontology, sources and good.ttl with their OWL RL closure in its own graph.

    (The loader's own ``infer`` wiring is exercised with RDFS on the whole KB.)
    """
    data = _nquads(GOOD)
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_QUADS)
    store.load(inferred_nquads(data, "owlrl"), format=ox.RdfFormat.N_TRIPLES,
               to_graph=ox.NamedNode(inferred_graph_name("owlrl")))
    return KnowledgeBase(store, [], "owlrl")


def _values(rows, name="i") -> set[str]:
    return {r[name].value for r in rows}


def test_rdfs_finds_cbms_as_instruments(rdfs_kb):
    plain = _values(ddkb.load(data=[GOOD]).select(INSTRUMENTS))
    inferred = _values(rdfs_kb.select(INSTRUMENTS))
    assert DDKB + "fixture-hotline" not in plain  # typed only ConfidenceBuildingMeasure
    assert {DDKB + "fixture-hotline", DDKB + "fixture-exercise"} <= inferred
    cbms = _values(rdfs_kb.select("SELECT ?i WHERE { ?i a ddkb:ConfidenceBuildingMeasure }"))
    assert cbms and cbms <= inferred  # every CBM, the bundled ones too, is an Instrument


def test_owlrl_answers_inverse_properties(owlrl_kb):
    rows = owlrl_kb.select("SELECT ?i WHERE { ddkb:fixture-trust ddkb:fosteredBy ?i }")
    assert _values(rows) == {DDKB + "fixture-hotline", DDKB + "fixture-exercise"}
    rows = owlrl_kb.select("SELECT ?m WHERE { ddkb:fixture-escalation ddkb:mitigatedBy ?m }")
    assert _values(rows, "m") == {DDKB + "fixture-transparency"}


def test_inferred_triples_live_in_their_own_graph(rdfs_kb):
    graph = ox.NamedNode(inferred_graph_name("rdfs"))
    assert graph.value == INFERRED_GRAPH + "/rdfs"
    assert graph in set(rdfs_kb.store.named_graphs())
    hotline = ox.NamedNode(DDKB + "fixture-hotline")
    is_a = ox.NamedNode(RDF + "type")
    instrument = ox.NamedNode(DDKB + "Instrument")
    assert list(rdfs_kb.store.quads_for_pattern(hotline, is_a, instrument, graph))
    asserted = [q for q in rdfs_kb.store.quads_for_pattern(hotline, is_a, instrument)
                if q.graph_name != graph]
    assert asserted == []


def test_inferred_nquads_returns_only_new_clean_triples():
    data = _nquads(GOOD)
    out = inferred_nquads(data, "rdfs")
    triples = _triples(out)
    assert triples, "RDFS adds types through rdfs:subClassOf"
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_QUADS)
    for s, p, o in triples:
        assert not s.startswith('"'), "literal subject"
        assert not s.startswith(("<" + RDF, "<" + RDFS, "<" + OWL, "<" + XSD))
        assert o != f"<{RDFS}Resource>" and o != f"<{OWL}Thing>"
        assert not (p == f"<{OWL}sameAs>" and s == o)
        assert "_:" not in s + o
    new = {(s, p, o) for s, p, o in triples}
    old = {(str(q.subject), str(q.predicate), str(q.object)) for q in store}
    assert not new & old, "only triples that were not asserted"
    assert out == inferred_nquads(data, "rdfs"), "deterministic output"
    assert (f"<{DDKB}fixture-hotline>", f"<{RDF}type>", f"<{DDKB}Instrument>") in new


def test_owlrl_adds_inverse_triples_rdfs_does_not():
    data = _nquads(GOOD)
    inverse = (f"<{DDKB}fixture-trust>", f"<{DDKB}fosteredBy>", f"<{DDKB}fixture-hotline>")
    assert inverse in set(_triples(inferred_nquads(data, "owlrl")))
    assert inverse not in set(_triples(inferred_nquads(data, "rdfs")))


def test_unknown_mode_is_refused():
    with pytest.raises(InputError, match="unknown inference mode 'owl-dl'"):
        inferred_nquads(b"", "owl-dl")


def test_closure_graph_holds_asserted_and_inferred():
    from rdflib import RDF as R
    from rdflib import URIRef

    store = ox.Store()
    store.load(_nquads(GOOD), format=ox.RdfFormat.N_QUADS)
    g = closure_graph(KnowledgeBase(store, []), "rdfs")
    hotline = URIRef(DDKB + "fixture-hotline")
    assert (hotline, R.type, URIRef(DDKB + "ConfidenceBuildingMeasure")) in g
    assert (hotline, R.type, URIRef(DDKB + "Instrument")) in g


def _digest(files: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_inference_never_modifies_the_bundled_files():
    files = paths.bundled_rdf_files() + [GOOD]
    before = _digest(files)
    mtimes = {str(p): p.stat().st_mtime_ns for p in files}
    kb = ddkb.load(data=[GOOD], infer="rdfs", use_cache=False)
    assert ox.NamedNode(inferred_graph_name("rdfs")) in set(kb.store.named_graphs())
    assert _digest(files) == before
    assert {str(p): p.stat().st_mtime_ns for p in files} == mtimes
    assert not any("inferred" in p.name for p in paths.kb_dir().rglob("*"))


# -- DL consistency -----------------------------------------------------------------

def _hermit_consistent(graph) -> tuple[bool, str]:
    """Run HermiT (through owlready2) on an rdflib graph; (consistent?, explanation)."""
    owlready2 = require_module("owlready2")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kb.nt")
        graph.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        world.get_ontology(Path(path).as_uri()).load()
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as err:
            return False, str(err)
        unsatisfiable = list(world.inconsistent_classes())
        return not unsatisfiable, f"unsatisfiable classes: {unsatisfiable}"


def test_ontology_and_kb_are_dl_consistent(kb):
    require_program("java")
    consistent, why = _hermit_consistent(kb.rdflib_graph())
    assert consistent, why


def test_dl_reasoner_detects_an_inconsistent_kb():
    require_program("java")
    # ddkb:Actor and ddkb:Region are disjoint classes in the ontology
    kb = ddkb.load(data=[GOOD, FIX / "dl-inconsistent.ttl"])
    consistent, _ = _hermit_consistent(kb.rdflib_graph())
    assert not consistent


def test_the_fast_owl_rl_engine_gives_exactly_owlrls_entailments():
    """reasonable (Rust) + ddkb's scm-dom1/scm-rng1 pass == owlrl (pure Python), on the KB.

    This is what justifies running --infer owlrl on reasonable: the same
    entailments, found some 40 times faster (benchmarks/reasoners.py).
    """
    import rdflib

    from ddkb.reason import _asserted_triples, _new_triples, owl_rl_closure

    kb = ddkb.load(use_cache=False)
    triples = _asserted_triples(kb.store.dump(format=ox.RdfFormat.N_QUADS))
    graph = rdflib.Graph()
    for t in triples:
        graph.add(t)
    fast = set(owl_rl_closure(triples))
    slow = set(_new_triples(graph, "owlrl"))
    assert len(slow) > 1500
    assert fast == slow


# -- OWL RL on N-Triples keys: exact terms, the same answer on every path ----------------

TRICKY = Path(__file__).parent / "fixtures" / "infer" / "tricky-literals.ttl"
TRICKY_NS = "http://example.org/tricky/"


def _owlrl_answer(path: Path) -> set[tuple]:
    """owlrl's own entailments on ``path`` alone, stored as ddkb stores inferred triples.

    Both answers go through a pyoxigraph store, which keeps some datatypes as values
    (``"1.0"^^xsd:double`` is read back as ``"1"``).
    """
    import rdflib

    from ddkb.reason import _asserted_triples, _new_triples

    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:g"))
    graph = rdflib.Graph()
    for triple in _asserted_triples(store.dump(format=ox.RdfFormat.N_QUADS)):
        graph.add(triple)

    answer = ox.Store()
    answer.extend(ox.Quad(*map(_ox_term, t)) for t in _new_triples(graph, "owlrl"))
    return {(q.subject, q.predicate, q.object) for q in answer}


def _ox_term(term):
    """An rdflib term as a pyoxigraph term."""
    import rdflib

    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    return ox.NamedNode(str(term))


def test_owlrl_keeps_tricky_literals_exactly_as_owlrl_does(tmp_path, monkeypatch):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path))
    kb = ddkb.load(data=[TRICKY], infer="owlrl")
    graph = ox.NamedNode(inferred_graph_name("owlrl"))
    got = {(q.subject, q.predicate, q.object)
           for q in kb.store.quads_for_pattern(None, None, None, graph)
           if q.subject.value.startswith(TRICKY_NS)}
    assert got == _owlrl_answer(TRICKY)
    a, states = ox.NamedNode(TRICKY_NS + "a"), ox.NamedNode(TRICKY_NS + "states")
    objects = {o for s, p, o in got if (s, p) == (a, states)}
    for literal in (ox.Literal("line\nbreak, carriage\rreturn, tab\there"),
                    ox.Literal('a "quoted" word'), ox.Literal('"""'),
                    ox.Literal("back\\slash and a trailing one \\"),
                    ox.Literal("control \x01 \x1f \x7f and bell \x07"),
                    ox.Literal("non-ASCII: é ß 日本語 😀 \x85 \u2028 \ufffd"),
                    ox.Literal("British", language="en-gb"), ox.Literal("日本語", language="ja"),
                    ox.Literal("explicit string"), ox.Literal(""),
                    ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),  # "01" and "1"
                    ox.Literal("abc", datatype=ox.NamedNode(XSD + "integer")),
                    ox.Literal("custom \\ type", datatype=ox.NamedNode(TRICKY_NS + "type"))):
        assert literal in objects
    assert ox.Literal("01", datatype=ox.NamedNode(XSD + "integer")) not in objects
    assert not any(isinstance(t, ox.BlankNode) for triple in got for t in triple)
    b, c = ox.NamedNode(TRICKY_NS + "b"), ox.NamedNode(TRICKY_NS + "c")
    assert (b, states, ox.Literal("said by c", language="en")) in got  # through owl:sameAs
    assert (c, ox.NamedNode(TRICKY_NS + "knownBy"), a) in got


def test_owlrl_gives_one_answer_on_every_path():
    """Store dump read as text == other N-Quads == the rdflib face (checked against owlrl)."""
    from ddkb.reason import _asserted_triples, owl_rl_closure

    data = _nquads(GOOD, TRICKY)
    fast = inferred_nquads(data, "owlrl", canonical=True)
    shuffled = b"\n".join(reversed(data.split(b"\n"))).replace(b" .", b"  .")
    assert inferred_nquads(shuffled, "owlrl") == fast  # not pyoxigraph's dump: rewritten first
    triples = {(t.subject, t.predicate, t.object)
               for t in ox.parse(fast, format=ox.RdfFormat.N_TRIPLES)}
    expected = {tuple(map(_ox_term, t)) for t in owl_rl_closure(_asserted_triples(data))}
    assert len(expected) > 100
    assert triples == expected


def test_owlrl_with_other_threads_alive_gives_the_same_answer():
    """With threads about, rdflib stays in sys.modules and reasonable's rdflib terms are read."""
    import sys
    import threading

    import rdflib

    from ddkb.reason import _closure_nquads

    data = _nquads(TRICKY)
    in_child = inferred_nquads(data, "owlrl")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        in_process = _closure_nquads(data, "owlrl")
    finally:
        stop.set()
        other.join()
    assert in_process == in_child
    assert sys.modules["rdflib"] is rdflib
    _closure_nquads(data, "owlrl")  # single thread: the stand-in, put back afterwards
    assert sys.modules["rdflib"] is rdflib


def test_owlrl_refuses_triple_terms_but_not_a_literal_that_looks_like_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path))
    looks = tmp_path / "looks.ttl"
    looks.write_text('<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> '
                     '"<<( <http://example.org/a> <http://example.org/b> '
                     '<http://example.org/c> )>>" .\n')
    kb = ddkb.load(data=[looks], infer="owlrl")
    assert ox.NamedNode(inferred_graph_name("owlrl")) in set(kb.store.named_graphs())
    real = tmp_path / "real.ttl"
    real.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c {| ex:source ex:d |} .\n")
    with pytest.raises(InputError, match=rf"^{real}: holds RDF 1.2 triple terms, which "
                                         r"--infer owlrl cannot read"):
        ddkb.load(data=[real], infer="owlrl")
    store = ox.Store()
    store.bulk_load(path=str(real), format=ox.RdfFormat.TURTLE)
    with pytest.raises(InputError, match="holds RDF 1.2 triple terms"):
        inferred_nquads(store.dump(format=ox.RdfFormat.N_QUADS), "owlrl")
