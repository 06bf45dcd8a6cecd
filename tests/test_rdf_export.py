"""``ddkb export`` and ``ddkb release``: every RDF format carries the same triples."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import rdflib
from conftest import require_module, require_program
from rdflib.compare import isomorphic

import ddkb
from ddkb import rdf_export, release
from ddkb.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "link"
USERDATA = FIXTURES / "userdata.ttl"  # a small user file without imports
RDFLIB_NAMES = {"turtle": "turtle", "nt": "nt", "xml": "xml", "jsonld": "json-ld"}
RAPPER_NAMES = {"turtle": "turtle", "nt": "ntriples", "xml": "rdfxml"}


@pytest.fixture(scope="module")
def kb_with_data():
    return ddkb.load(data=[USERDATA])


@pytest.fixture(scope="module")
def union(kb_with_data):
    return rdf_export.union_graph(kb_with_data)


def _canonical(source, fmt: str) -> set:
    """The triples of a file or text, blank nodes canonicalised (RDFC-1.0, pyoxigraph):
    a fast isomorphism check for the CLI and release tests (the per-format tests above
    use rdflib's own parser and ``isomorphic``)."""
    import pyoxigraph as ox

    names = {"nt": ox.RdfFormat.N_TRIPLES, "turtle": ox.RdfFormat.TURTLE,
             "xml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}
    data = source.read_bytes() if isinstance(source, Path) else source.encode("utf-8")
    ds = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object)
                    for q in ox.parse(data, format=names[fmt]))
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in ds}


def _canonical_kb(kb) -> set:
    return _canonical(rdf_export.export(kb, "nt"), "nt")


def _parse(text: str, fmt: str) -> rdflib.Graph:
    if fmt == "trig":
        ds = rdflib.Dataset()
        ds.parse(data=text, format="trig")
        g = rdflib.Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    return rdflib.Graph().parse(data=text, format=RDFLIB_NAMES[fmt])


@pytest.mark.parametrize("fmt", ["turtle", "nt", "xml", "jsonld", "trig"])
def test_every_rdf_format_round_trips_isomorphic(kb_with_data, union, fmt):
    text = rdf_export.export(kb_with_data, fmt)
    back = _parse(text, fmt)
    assert len(back) == len(union) > 100
    assert isomorphic(back, union)
    # the user's file is in it, beside the bundled KB
    assert (rdflib.URIRef("http://example.org/user/NavalDrill"), None, None) in back
    assert (rdflib.URIRef("https://w3id.org/ddkb/ontology"), None, None) in back


def test_trig_keeps_one_named_graph_per_file(kb_with_data):
    ds = rdflib.Dataset()
    ds.parse(data=rdf_export.export(kb_with_data, "trig"), format="trig")
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert names == {f.graph for f in kb_with_data.files}
    user = rdflib.URIRef(USERDATA.resolve().as_uri())
    assert (rdflib.URIRef("http://example.org/user/NavalDrill"), None, None, user) in ds


@pytest.mark.parametrize("fmt", ["turtle", "nt", "xml"])
def test_rapper_accepts_the_export_with_our_triple_count(kb_with_data, union, fmt, tmp_path):
    rapper = require_program("rapper")
    path = tmp_path / f"out.{fmt}"
    path.write_text(rdf_export.export(kb_with_data, fmt), encoding="utf-8")
    proc = subprocess.run([rapper, "-i", RAPPER_NAMES[fmt], "-c", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    count = re.search(r"returned (\d+) triples", proc.stderr)
    assert count and int(count.group(1)) == len(union)


def test_bundled_kb_has_no_owl_dl_problems(kb):
    """Untyped properties, property punning, undeclared classes, reification."""
    assert rdf_export.dl_problems(rdf_export.union_graph(kb)) == []


def test_owl_api_opens_the_rdfxml_export_as_owl2_dl(tmp_path):
    """The OWL API (bundled in HermiT.jar, shipped by owlready2) reads the RDF/XML export
    with no OWL 2 DL profile violation and no triple left unparsed -- except IRI-valued
    annotations of the ontology header, which that old OWL API (3.4) never parses."""
    java, javac = require_program("java"), require_program("javac")
    owlready2 = require_module("owlready2")
    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    classes = tmp_path / "classes"
    subprocess.run([javac, "-nowarn", "-cp", str(jar), "-d", str(classes),
                    str(FIXTURES / "OwlDlCheck.java")], check=True, capture_output=True,
                   timeout=120)
    rdfxml = tmp_path / "ddkb.rdf"
    rdfxml.write_text(rdf_export.export(ddkb.load(), "xml"), encoding="utf-8")
    proc = subprocess.run([java, "-cp", f"{jar}:{classes}", "OwlDlCheck", str(rdfxml)],
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert any(line.startswith("AXIOMS ") for line in lines), proc.stderr[-2000:]
    assert [line for line in lines if line.startswith("VIOLATION")] == []
    unparsed = [line for line in lines if line.startswith("UNPARSED")]
    assert all(line.startswith("UNPARSED <https://w3id.org/ddkb/ontology> ")
               for line in unparsed), unparsed


def test_dl_check_finds_the_usual_pitfalls():
    g = rdflib.Graph().parse(data="""
        @prefix ex: <http://example.org/> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        ex:p a owl:ObjectProperty, owl:AnnotationProperty .
        ex:q a owl:ObjectProperty .
        ex:a ex:undeclared ex:b ; ex:q "literal" ; a ex:NoClass .
        ex:s a rdf:Statement ; rdf:subject ex:a .
        """, format="turtle")
    # every pitfall, one line each, sorted; names are full IRIs (ex: is no ddkb prefix)
    assert rdf_export.dl_problems(g) == [
        "http://example.org/NoClass is used as a type but not declared owl:Class",
        "http://example.org/p is declared as annotation and object property",
        "http://example.org/q is an object property with a literal value",
        "http://example.org/s uses RDF reification vocabulary (rdf:subject)",
        "http://example.org/s uses RDF reification vocabulary (rdf:type)",
        "http://example.org/undeclared is used but not declared as a property",
    ]


def test_focus_exports_a_neighbourhood(kb):
    import pyoxigraph as ox

    full = _canonical_kb(kb)
    part = rdf_export.focus_triples(kb, "NATO", depth=1)
    nato = ox.NamedNode("https://w3id.org/ddkb/nato")
    own = {ox.Triple(q.subject, q.predicate, q.object)
           for q in kb.store.quads_for_pattern(nato, None, None, None)}
    assert own and own <= set(part)
    assert len(own) < len(part) < len(full)
    # depth 0: NATO's own statements, the claims about its relations and what they cite
    zero = set(rdf_export.focus_triples(kb, "NATO", depth=0))
    assert own <= zero
    claims = {q.subject for q in kb.store.quads_for_pattern(
        None, ox.NamedNode("https://w3id.org/ddkb/claimSubject"), nato, None)}
    assert claims <= {t.subject for t in zero}
    cited = {t.object for t in zero if t.predicate.value in (
        "http://purl.org/dc/terms/source", "https://w3id.org/ddkb/verificationStatus")}
    assert {t.subject for t in zero} == {nato} | claims | cited
    text = rdf_export.export(kb, "turtle", focus="NATO", depth=0)
    assert _canonical(text, "turtle") == _canonical(ox.serialize(
        zero, format=ox.RdfFormat.N_TRIPLES).decode(), "nt")
    with pytest.raises(InputError):
        rdf_export.export(kb, "nt", focus="no such concept at all")


def test_graph_formats_delegate_to_the_network_projection(kb):
    text = rdf_export.export(kb, "graphml")
    assert "<graphml" in text and "NATO" in text
    assert rdf_export.export(kb, "mermaid").lstrip().startswith(("graph", "flowchart"))


def test_unknown_format_is_an_input_error(kb):
    with pytest.raises(InputError, match="unknown export format 'png'"):
        rdf_export.export(kb, "png")


# -- CLI ---------------------------------------------------------------------------------

def test_cli_export_to_file_and_stdout(cli, runner, tmp_path):
    out = tmp_path / "kb.nt"
    result = runner.invoke(cli, ["export", "--format", "nt", "--data", str(USERDATA),
                                 "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    union = _canonical_kb(ddkb.load(data=[USERDATA]))
    assert result.stdout == ""
    assert _canonical(out, "nt") == union
    result = runner.invoke(cli, ["--data", str(USERDATA), "export", "-f", "jsonld"])
    assert result.exit_code == 0
    assert _canonical(result.stdout, "jsonld") == union


def test_cli_export_never_overwrites_an_input(cli, runner, tmp_path):
    data = tmp_path / "mine.ttl"
    original = USERDATA.read_text()  # a copy: the fixture itself is never at risk
    data.write_text(original)
    result = runner.invoke(cli, ["--data", str(data), "export", "-o", str(data)])
    assert result.exit_code == 2
    assert "refusing to overwrite an input file" in result.stderr
    assert data.read_text() == original


def test_cli_export_bad_format_exit_2(cli, runner):
    result = runner.invoke(cli, ["export", "--format", "png"])
    assert result.exit_code == 2


def test_real_ddkb_export_subprocess(tmp_path, ddkb_exe):
    out = tmp_path / "ddkb.rdf"
    proc = subprocess.run([ddkb_exe, "export", "--format", "xml", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _canonical(out, "xml") == _canonical_kb(ddkb.load())


# -- release ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return out, release.release(out)


def test_release_writes_every_artefact_with_a_valid_manifest(released):
    out, manifest = released
    v = manifest["version"]
    names = {e["path"] for e in manifest["files"]}
    assert {f"ddkb-{v}.ttl", f"ddkb-{v}.rdf", f"ddkb-{v}.jsonld", f"ddkb-{v}.nt",
            f"ddkb-{v}.trig", f"ddkb-{v}-inferred.ttl", f"ddkb-{v}-mappings.ttl",
            "ddkb-wikidata.sssom.tsv", "ddkb-dbpedia.sssom.tsv", "ddkb-unreviewed.sssom.tsv",
            "ddkb-vocabularies.sssom.tsv", "catalog-v001.xml", f"ddkb-{v}.context.jsonld"} == names
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]
    assert release.verify(out) == []
    union = _canonical_kb(ddkb.load())
    for suffix, fmt in ((".ttl", "turtle"), (".rdf", "xml"), (".jsonld", "jsonld"),
                        (".nt", "nt")):
        assert _canonical(out / f"ddkb-{v}{suffix}", fmt) == union


def test_release_jsonld_is_compact_and_ships_its_context(released):
    from ddkb import jsonld

    out, manifest = released
    v = manifest["version"]
    context_file = out / f"ddkb-{v}.context.jsonld"
    assert context_file.read_bytes() == jsonld.context_path().read_bytes()
    document = json.loads((out / f"ddkb-{v}.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == json.loads(context_file.read_text())["@context"]
    assert {"@id", "@type", "prefLabel"} <= set(
        next(n for n in document["@graph"] if n["@id"] == "ddkb:mutual-trust"))
    media = {e["path"]: e["media_type"] for e in manifest["files"]}
    assert media[context_file.name] == "application/ld+json"


def test_release_inferred_file_holds_the_closure(released, kb):
    """The loader's OWL RL closure, written by the exporter with the asserted triples."""
    out, manifest = released
    v = manifest["version"]
    inferred = rdflib.Graph().parse(out / f"ddkb-{v}-inferred.ttl", format="turtle")
    assert len(inferred) > len(kb.store)
    # OWL RL: NATO is an IGO, so a schema:Organization via the vocabulary alignment
    nato = rdflib.URIRef("https://w3id.org/ddkb/nato")
    assert (nato, rdflib.RDF.type, rdflib.URIRef("http://schema.org/Organization")) in inferred


def test_release_mappings_rdf_and_catalog(released):
    out, manifest = released
    v = manifest["version"]
    g = rdflib.Graph().parse(out / f"ddkb-{v}-mappings.ttl", format="turtle")
    assert len(set(g.subjects(rdflib.OWL.annotatedSource, None))) > 40
    catalog = (out / "catalog-v001.xml").read_text()
    assert 'name="https://w3id.org/ddkb/ontology"' in catalog and f'uri="ddkb-{v}.rdf"' in catalog


def test_verify_notices_a_changed_file(tmp_path, released):
    out, manifest = released
    copy = tmp_path / "copy"
    copy.mkdir()
    for entry in manifest["files"]:
        (copy / entry["path"]).write_bytes((out / entry["path"]).read_bytes())
    (copy / "manifest.json").write_text((out / "manifest.json").read_text())
    (copy / "catalog-v001.xml").write_text("changed")
    assert release.verify(copy) == [
        f"{copy / 'catalog-v001.xml'}: sha256 differs from the manifest"]


def test_release_with_a_broken_data_file_creates_no_folder(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("garbage <<< .\n", encoding="utf-8")
    out = tmp_path / "dist"
    with pytest.raises(InputError, match="broken.ttl"):
        release.release(out, data=[broken])
    assert not out.exists()


def test_release_never_overwrites_a_data_file(tmp_path):
    # e.g. re-releasing with the previous release's Turtle as --data, into the same folder
    out = tmp_path / "dist"
    out.mkdir()
    version = release.release_version(ddkb.load())
    mine = out / f"ddkb-{version}.ttl"
    mine.write_bytes(USERDATA.read_bytes())
    previous = {"name": "ddkb", "files": [
        {"path": mine.name, "sha256": hashlib.sha256(mine.read_bytes()).hexdigest()}]}
    (out / "manifest.json").write_text(json.dumps(previous))
    with pytest.raises(InputError, match="refusing to overwrite an input file"):
        release.release(out, data=[mine])
    assert mine.read_bytes() == USERDATA.read_bytes()
    assert json.loads((out / "manifest.json").read_text()) == previous
    assert sorted(p.name for p in out.iterdir()) == [mine.name, "manifest.json"]


def test_cli_release(cli, runner, tmp_path):
    result = runner.invoke(cli, ["release", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.stderr
    assert "manifest.json" in result.stdout
    assert release.verify(tmp_path / "d") == []


def test_export_focus_and_map_focus_pick_the_same_concepts(kb):
    """One definition of a neighbourhood: export --focus writes the map's concepts."""
    import pyoxigraph as ox

    from ddkb.network import project
    from ddkb.rdf_export import focus_triples

    skos_concept = ox.NamedNode("http://www.w3.org/2004/02/skos/core#Concept")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for focus, depth in (("CBM", 1), ("ADMM-Plus", 2)):
        triples = focus_triples(kb, focus, depth)
        described = {t.object.value for t in triples
                     if t.predicate.value == "https://w3id.org/ddkb/verificationStatus"}
        exported = {t.subject.value for t in triples
                    if t.predicate == rdf_type and t.object == skos_concept}
        assert exported - described == set(project(kb, focus=focus, depth=depth))
    # a doubtful relation travels with its claim, its status and its correction
    triples = focus_triples(kb, "Defense Yatra", 1)
    claim = "https://w3id.org/ddkb/claim/india-defense-yatra--contributesTo--soft-power"
    about = {t.predicate.value: t.object.value for t in triples if t.subject.value == claim}
    assert about["https://w3id.org/ddkb/verificationStatus"].endswith("status-not-supported")
    assert "Neighbourhood First" in about["https://w3id.org/ddkb/correction"]
