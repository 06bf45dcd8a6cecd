"""Loading: bundled graphs, the union default graph, user files in every format, bad files."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

import ddkb
from ddkb import paths
from ddkb.errors import DataFileError, InputError
from ddkb.namespaces import GRAPH

CORE = "core"
T = "http://example.org/t/"


def _graphs(kb) -> set[str]:
    return {g.value for g in kb.store.named_graphs()}


def test_bundled_files_each_in_their_own_graph(kb):
    bundled = paths.bundled_rdf_files()
    assert any(p.name == "ddkb.ttl" for p in bundled)
    expected = {paths.graph_name_for(p) for p in bundled}
    assert GRAPH + "ontology/ddkb.ttl" in expected
    assert expected <= _graphs(kb)
    assert all(f.bundled for f in kb.files)


def test_default_graph_is_the_union(kb):
    # the ontology's classes and the KB's sources live in different graphs,
    # yet one query without GRAPH sees both
    rows = kb.select("""SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {
        GRAPH ?g { ?s ?p ?o } }""")
    assert int(rows[0]["n"].value) == len(kb.files)
    assert kb.query("ASK { ddkb:Instrument a owl:Class }").boolean is True
    per_graph = kb.select("SELECT ?g WHERE { GRAPH ?g { ddkb:Instrument a owl:Class } }")
    assert [r["g"].value for r in per_graph] == [GRAPH + "ontology/ddkb.ttl"]


@pytest.mark.parametrize("fmt,suffix", [
    (ox.RdfFormat.TURTLE, ".ttl"), (ox.RdfFormat.N_TRIPLES, ".nt"),
    (ox.RdfFormat.RDF_XML, ".rdf"), (ox.RdfFormat.JSON_LD, ".jsonld"),
    (ox.RdfFormat.N_QUADS, ".nq"), (ox.RdfFormat.TRIG, ".trig"),
])
def test_user_data_in_each_format(fixtures_dir, tmp_path, fmt, suffix):
    triples = list(ox.parse(path=fixtures_dir / CORE / "concepts.ttl"))
    target = tmp_path / f"concepts{suffix}"
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(T + "g")) for t in triples]
        ox.serialize(quads, target, format=fmt)
    else:
        ox.serialize([t.triple for t in triples], target, format=fmt)
    kb = ddkb.load(data=[target])
    assert kb.lookup("port call") == T + "harbour-visit"
    user = [f for f in kb.files if not f.bundled]
    assert [f.path for f in user] == [target]
    assert user[0].graph == target.resolve().as_uri()


def test_data_format_overrides_the_extension(fixtures_dir, tmp_path):
    odd = tmp_path / "concepts.data"
    odd.write_bytes((fixtures_dir / CORE / "concepts.ttl").read_bytes())
    with pytest.raises(InputError, match="unknown RDF format"):
        ddkb.load(data=[odd])
    kb = ddkb.load(data=[odd], data_format="turtle")
    assert kb.label(T + "goodwill-zeta") == "zeta goodwill"


def test_trig_keeps_its_named_graphs_and_puts_default_triples_in_the_file_graph(fixtures_dir):
    path = fixtures_dir / CORE / "graphs.trig"
    kb = ddkb.load(data=[path])
    rows = kb.select("SELECT ?g ?s WHERE { GRAPH ?g { ?s skos:prefLabel ?l } "
                     "FILTER(STRSTARTS(STR(?s), 'http://example.org/t/trig')) } ORDER BY ?s")
    assert [(r["g"].value, r["s"].value) for r in rows] == [
        (path.resolve().as_uri(), T + "trig-default"), (T + "graph-a", T + "trig-named")]


def test_jsonld_with_inline_context(fixtures_dir):
    kb = ddkb.load(data=[fixtures_dir / CORE / "inline-context.jsonld"])
    assert kb.label(T + "jsonld-concept") == "jsonld test concept"


def test_jsonld_remote_context_is_refused_not_fetched(fixtures_dir):
    with pytest.raises(DataFileError) as info:
        ddkb.load(data=[fixtures_dir / CORE / "remote-context.jsonld"])
    msg = str(info.value)
    assert "remote-context.jsonld" in msg and "never fetches" in msg and "\n" not in msg


def test_broken_turtle_is_one_line_with_file_and_line(fixtures_dir):
    with pytest.raises(DataFileError) as info:
        ddkb.load(data=[fixtures_dir / CORE / "broken.ttl"])
    msg = str(info.value)
    assert msg.startswith(str(fixtures_dir / CORE / "broken.ttl") + ", line 4, column")
    assert "\n" not in msg


def test_broken_rdfxml_names_the_line(fixtures_dir):
    with pytest.raises(DataFileError) as info:
        ddkb.load(data=[fixtures_dir / CORE / "broken.rdf"])
    assert "broken.rdf, line 4" in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(DataFileError, match=r"nope\.ttl: no such file$"):
        ddkb.load(data=[tmp_path / "nope.ttl"])


def test_unknown_infer_mode():
    with pytest.raises(InputError, match="unknown inference mode"):
        ddkb.load(infer="magic")


def test_rdfs_inference_goes_to_its_own_graph(fixtures_dir):
    kb = ddkb.load(data=[fixtures_dir / CORE / "concepts.ttl"], infer="rdfs")
    graph = "https://w3id.org/ddkb/graph/inferred/rdfs"
    assert graph in _graphs(kb)
    # harbour-visit is an Instrument, and Instrument is a subclass of Concept
    rows = kb.select(f"SELECT ?c WHERE {{ GRAPH <{graph}> {{ ?c a ddkb:Concept }} }}")
    assert T + "harbour-visit" in {r["c"].value for r in rows}
    again = ddkb.load(data=[fixtures_dir / CORE / "concepts.ttl"], infer="rdfs")
    assert again.from_cache  # the closure is not computed twice
    assert len(again.store) == len(kb.store)
    assert graph in _graphs(again)


def test_rdflib_views_still_work(kb):
    """The rdflib views hold exactly the store's content: every quad, every distinct triple."""
    distinct = kb.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                         "WHERE { ?s ?p ?o } }")
    assert len(kb.rdflib_graph()) == int(distinct[0]["n"].value) > 1000
    quads = list(kb.rdflib_dataset().quads((None, None, None, None)))
    assert len(quads) == len(kb.store)
    assert {str(getattr(q[3], "identifier", q[3])) for q in quads} == _graphs(kb)


def test_user_graph_conflicts_become_warnings(fixtures_dir, runner, cli):
    path = fixtures_dir / CORE / "conflict.ttl"
    kb = ddkb.load(data=[path])
    assert kb.warnings and any("Instrument" in w for w in kb.warnings)
    cached = ddkb.load(data=[path])
    assert cached.from_cache and cached.warnings == kb.warnings
    res = runner.invoke(cli, ["--data", str(path), "query", "ASK { ?s ?p ?o }"])
    assert res.exit_code == 0
    assert res.stdout == "true\n"
    assert f"Warning: {kb.warnings[0]}" in res.stderr
