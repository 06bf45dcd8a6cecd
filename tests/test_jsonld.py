"""JSON-LD for people: ddkb's @context, compact export (embedded, linked, expanded),
reading it back with no network, through the API, the CLI and the installed ddkb."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

import ddkb
from ddkb import jsonld, rdf_export
from ddkb.errors import DataFileError, InputError

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "build_context.py"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: rdf:type, rdf:first and rdf:rest are written with the keywords @type and @list
KEYWORD_PREDICATES = {RDF_TYPE, "http://www.w3.org/1999/02/22-rdf-syntax-ns#first",
                      "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"}

#: literals and blank nodes that a careless compaction would change or lose
TRICKY_TURTLE = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix ddkb: <https://w3id.org/ddkb/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
<http://ex.org/a> skos:prefLabel "untagged", "fr label"@fr, "en label"@en, "t"^^xsd:token ;
  skos:altLabel "x"@en-GB ;
  ddkb:fosters "a literal on an object property", <http://ex.org/b>, [ skos:prefLabel "anon"@en ] ;
  dcterms:source "literal source" ;
  ddkb:memberCount 18, "018"^^xsd:integer, "99999999999999999999"^^xsd:integer,
      "1.5"^^xsd:double, 1.5, true, "1"^^xsd:boolean ;
  dcterms:created "2020-01-01"^^xsd:date, "2020"^^xsd:gYear, "not a date", "2020-1-1"^^xsd:date ;
  dcterms:modified "seven"^^xsd:integer, " 5"^^xsd:integer ;
  ddkb:claimText <http://ex.org/iri-in-text> ;
  skos:broader _:loop1 ; skos:related ( <http://ex.org/x> "lit" ( 1 2 ) "2020-01-01" ) ;
  dcterms:created ( "not a date" ) ;
  <http://ex.org/p> "plain", "@fake", "with \\"quotes\\" and \u00e9" ;
  a <http://ex.org/T>, skos:Concept, ddkb:Concept .
_:loop1 skos:related _:loop2 . _:loop2 skos:related _:loop1 .
_:shared skos:note "s" . <http://ex.org/c> skos:related _:shared .
<http://ex.org/d> skos:related _:shared .
"""


# -- helpers ---------------------------------------------------------------------------

def canonical(triples) -> list[str]:
    """The triples with blank nodes canonicalised by pyoxigraph (RDFC-1.0), sorted."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def ox_read(text: str) -> list:
    """pyoxigraph's reading of JSON-LD; a linked ddkb context is passed in locally
    (pyoxigraph takes no document loader, and the tests never use the network)."""
    document = json.loads(text)
    if isinstance(document, dict) and document.get("@context") == jsonld.CONTEXT_IRI:
        document["@context"] = json.loads(jsonld.context_path().read_text())["@context"]
    return [q.triple for q in ox.parse(json.dumps(document).encode(),
                                       format=ox.RdfFormat.JSON_LD)]


def rdflib_read(text: str) -> rdflib.Graph:
    """rdflib's reading of JSON-LD; a linked ddkb context is given through rdflib's
    ``context=`` argument from the bundled file, never fetched."""
    document = json.loads(text)
    local = json.loads(jsonld.context_path().read_text())["@context"]
    if isinstance(document, dict) and document.get("@context") == jsonld.CONTEXT_IRI:
        del document["@context"]
        return rdflib.Graph().parse(data=json.dumps(document), format="json-ld",
                                    context=local)
    return rdflib.Graph().parse(data=text, format="json-ld")


def as_rdflib(triples) -> rdflib.Graph:
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
    return rdflib.Graph().parse(data=nt, format="nt")


def union_triples(kb) -> list:
    return list(kb.store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                               use_default_graph_as_union=True))


def term_iris() -> set[str]:
    """The IRI of every term the bundled context defines (not its bare prefixes)."""
    context = jsonld.bundled_context()
    return {jsonld.rdf_term(name) for name, value in context.items()
            if not (isinstance(value, str) and value.endswith(("/", "#")))}


@pytest.fixture(scope="module")
def bundled():
    return ddkb.load()


@pytest.fixture(scope="module")
def exports(bundled) -> dict[str, str]:
    return {style: rdf_export.export(bundled, "jsonld", jsonld_context=style)
            for style in jsonld.STYLES}


# -- the context -----------------------------------------------------------------------

def test_context_file_is_what_the_tool_generates():
    assert jsonld.render_context(jsonld.build_context()) == \
        jsonld.context_path().read_text(encoding="utf-8")
    res = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_tool_check_fails_when_the_ontology_has_a_new_term(tmp_path):
    ontology = tmp_path / "ddkb.ttl"
    ontology.write_text((ROOT / "ontology" / "ddkb.ttl").read_text(encoding="utf-8")
                        + "\nddkb:Treaty a owl:Class .\nddkb:signedBy a owl:ObjectProperty ;"
                          " rdfs:range ddkb:Actor .\n", encoding="utf-8")
    out = tmp_path / "ctx.jsonld"
    shutil.copy(jsonld.context_path(), out)
    res = subprocess.run([sys.executable, str(TOOL), "--check", "--ontology", str(ontology),
                          "--output", str(out)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert f"{out} is out of date: run python tools/build_context.py" in res.stderr
    res = subprocess.run([sys.executable, str(TOOL), "--ontology", str(ontology),
                          "--output", str(out)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    context = json.loads(out.read_text())["@context"]
    assert context["Treaty"] == "ddkb:Treaty"
    assert context["signedBy"] == {"@id": "ddkb:signedBy", "@type": "@id"}


def test_every_predicate_and_class_of_the_bundled_kb_has_a_term(bundled):
    used = {r["p"].value for r in bundled.select(
        "SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }")}
    used |= {r["c"].value for r in bundled.select(
        "SELECT DISTINCT ?c WHERE { GRAPH ?g { ?s a ?c } FILTER isIRI(?c) }")}
    assert len(used) > 60
    missing = sorted(used - KEYWORD_PREDICATES - term_iris())
    assert missing == []


def test_context_names_the_vocabularies_people_expect():
    context = jsonld.bundled_context()
    assert context["prefLabel"] == {"@id": "skos:prefLabel", "@language": "en"}
    assert context["fosters"] == {"@id": "ddkb:fosters", "@type": "@id"}
    assert context["created"] == {"@id": "dcterms:created", "@type": "xsd:date"}
    assert context["Instrument"] == "ddkb:Instrument"
    assert context["skos:Concept"] == "skos:Concept"  # "Concept" is ddkb:Concept
    assert context["Membership"] == "org:Membership"
    assert context["member"] == {"@id": "org:member", "@type": "@id"}
    assert context["organization"] == {"@id": "org:organization", "@type": "@id"}
    assert context["memberDuring"] == {"@id": "org:memberDuring", "@type": "@id"}
    assert context["Interval"] == "time:Interval" and context["Instant"] == "time:Instant"
    assert context["hasBeginning"] == {"@id": "time:hasBeginning", "@type": "@id"}
    assert context["hasEnd"] == {"@id": "time:hasEnd", "@type": "@id"}
    assert context["inXSDDate"] == {"@id": "time:inXSDDate", "@type": "xsd:date"}
    assert context["time"] == "http://www.w3.org/2006/time#"


def test_term_coercions_fit_the_bundled_kb(bundled):
    """An @id term only ever meets IRIs, an English-text term English text, a date term
    xsd:dates: so the export of the KB uses the short names everywhere."""
    for name, value in jsonld.bundled_context().items():
        if not isinstance(value, dict):
            continue
        iri = jsonld.rdf_term(name)
        objects = [q.object for q in bundled.store.quads_for_pattern(
            None, ox.NamedNode(iri), None, None)]
        if value.get("@type") == "@id" and name != "claimObject":  # literals: claimValue
            assert all(not isinstance(o, ox.Literal) for o in objects), name
        elif "@language" in value:
            assert all(isinstance(o, ox.Literal) and o.language == "en" for o in objects), name
        elif value.get("@type", "").startswith("xsd:"):
            datatype = jsonld.rdf_term(value["@type"])
            assert all(isinstance(o, ox.Literal) and o.datatype.value == datatype
                       for o in objects), name


def test_the_context_is_not_loaded_as_data(bundled):
    assert jsonld.CONTEXT_FILE not in {Path(f.path).name for f in bundled.files}


# -- export ----------------------------------------------------------------------------

@pytest.mark.parametrize("style", ["embed", "link", "none"])
def test_whole_kb_round_trips_with_pyoxigraph(bundled, exports, style):
    assert canonical(ox_read(exports[style])) == canonical(union_triples(bundled))


@pytest.mark.parametrize("style", ["embed", "link", "none"])
def test_whole_kb_round_trips_with_rdflib(bundled, exports, style):
    expected = as_rdflib(union_triples(bundled))
    got = rdflib_read(exports[style])
    assert len(got) == len(expected) > 8000
    assert isomorphic(got, expected)


@pytest.mark.parametrize("style", ["embed", "link"])
def test_whole_kb_round_trips_through_ddkbs_loader(bundled, exports, style, tmp_path):
    path = tmp_path / f"kb-{style}.jsonld"
    path.write_text(exports[style], encoding="utf-8")
    again = ddkb.load(data=[path], use_cache=False)
    graph = ox.NamedNode(path.resolve().as_uri())
    mine = [q.triple for q in again.store.quads_for_pattern(None, None, None, graph)]
    assert canonical(mine) == canonical(union_triples(bundled))


def test_compact_output_reads_like_json(exports):
    embedded = json.loads(exports["embed"])
    assert list(embedded) == ["@context", "@graph"]
    assert embedded["@context"] == jsonld.bundled_context()
    linked = json.loads(exports["link"])
    assert linked["@context"] == "https://w3id.org/ddkb/context.jsonld"
    assert linked["@graph"] == embedded["@graph"]
    nodes = {n["@id"]: n for n in embedded["@graph"]}
    admm = nodes["ddkb:admm-plus"]
    assert list(admm)[:2] == ["@id", "@type"]
    assert "Forum" in admm["@type"] and "skos:Concept" in admm["@type"]
    assert admm["prefLabel"] == "ADMM-Plus"
    assert "ddkb:australia" in admm["hasMember"]
    assert "ADMM+" in admm["altLabel"]
    claim = nodes["claim:admm-plus--employsInstrument--capacity-building"]
    assert claim["@type"] == "Claim" and claim["claimObject"] == "ddkb:capacity-building"
    assert set(claim) >= {"claimSubject", "claimPredicate", "claimObject", "claimText",
                          "source", "verificationStatus"}
    about_a_value = [n for n in embedded["@graph"] if "claimValue" in n]  # dates, years
    assert about_a_value and not [n for n in about_a_value if "claimObject" in n]
    ontology = nodes["ddkb:ontology"]
    assert ontology["created"] == "2026-11-26" and ontology["@type"] == "Ontology"
    # no full IRI as a key anywhere: every property has its short name
    keys = {k for n in embedded["@graph"] for k in n}
    assert not [k for k in keys if k.startswith("http")]
    assert '"prefLabel": "ADMM-Plus"' in exports["embed"]


def test_expanded_output_has_no_context(exports):
    document = json.loads(exports["none"])
    assert isinstance(document, list)
    assert "http://www.w3.org/2004/02/skos/core#prefLabel" in exports["none"]
    assert "@context" not in exports["none"]


def test_export_is_stable(bundled, exports):
    again = rdf_export.export(bundled, "jsonld")
    assert again == exports["embed"]
    assert '"_:' in again and '"_:b0"' in again  # shared blank nodes get stable labels


def test_tricky_literals_and_blank_nodes_round_trip():
    triples = [q.triple for q in ox.parse(TRICKY_TURTLE.encode(), format=ox.RdfFormat.TURTLE)]
    text = jsonld.compact(triples)
    assert canonical(ox_read(text)) == canonical(triples)
    assert isomorphic(rdflib_read(text), as_rdflib(triples))
    node = next(n for n in json.loads(text)["@graph"] if n["@id"] == "http://ex.org/a")
    assert node["prefLabel"] == "en label"  # the English one by its short name
    assert {"@type": "xsd:integer", "@value": "018"} in node["memberCount"]
    assert 18 in node["memberCount"]
    assert node["ddkb:fosters"] == "a literal on an object property"  # not an IRI
    assert "2020-1-1" in node["created"]  # ill-typed, kept as written


def test_ill_typed_literals_export_quietly(ddkb_exe, tmp_path):
    """rdflib logs a traceback for "2020-1-1"^^xsd:date; ddkb's stderr stays clean."""
    data = tmp_path / "odd.ttl"
    data.write_text(TRICKY_TURTLE, encoding="utf-8")
    res = subprocess.run([ddkb_exe, "--data", str(data), "export", "--format", "jsonld",
                          "--focus", "http://ex.org/a", "--depth", "0"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0 and res.stderr == ""
    node = next(n for n in json.loads(res.stdout)["@graph"] if n["@id"] == "http://ex.org/a")
    assert "2020-1-1" in node["created"]


def test_triple_terms_are_refused_with_one_line():
    s, p = ox.NamedNode("http://ex.org/s"), ox.NamedNode("http://ex.org/p")
    inner = ox.Triple(s, p, ox.Literal("x"))
    with pytest.raises(ValueError, match="triple term"):
        jsonld.compact([ox.Triple(s, p, inner)])


def test_focus_export_is_compact_and_round_trips(bundled):
    text = rdf_export.export(bundled, "jsonld", focus="mutual trust", depth=0)
    nodes = {n["@id"]: n for n in json.loads(text)["@graph"]}
    assert nodes["ddkb:mutual-trust"]["prefLabel"] == "mutual trust"
    expected = rdf_export.focus_triples(bundled, "mutual trust", 0)
    assert canonical(ox_read(text)) == canonical(expected)


def test_jsonld_context_with_another_format_is_refused(bundled):
    with pytest.raises(InputError, match=r"--jsonld-context link: only for --format jsonld"):
        rdf_export.export(bundled, "turtle", jsonld_context="link")
    with pytest.raises(InputError, match=r"--jsonld-context 'short': use embed, link, none"):
        rdf_export.export(bundled, "jsonld", jsonld_context="short")


# -- reading ---------------------------------------------------------------------------

def test_linked_context_is_resolved_locally_also_nested_and_in_arrays():
    ctx = jsonld.CONTEXT_IRI
    document = {"@context": [ctx, {"ex": "http://ex.org/"}],
                "@graph": [{"@id": "ex:a", "prefLabel": "a",
                            "ex:part": {"@context": ctx, "@id": "ex:b", "fosters": "ex:c"}}]}
    content = jsonld.with_local_context("x.jsonld", json.dumps(document).encode())
    triples = {str(q.triple) for q in ox.parse(content, format=ox.RdfFormat.JSON_LD)}
    assert '<http://ex.org/a> <http://www.w3.org/2004/02/skos/core#prefLabel> "a"@en' \
        in triples
    assert "<http://ex.org/b> <https://w3id.org/ddkb/fosters> <http://ex.org/c>" in triples
    untouched = b'{"@context": {"x": "http://ex.org/"}, "x:y": 1}'
    assert jsonld.with_local_context("y.jsonld", untouched) is untouched


def test_another_remote_context_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "theirs.jsonld"
    path.write_text('{"@context": "https://example.org/ctx.jsonld", "@id": "http://ex.org/a",'
                    ' "name": "x"}')
    with pytest.raises(DataFileError) as err:
        ddkb.load(data=[path], use_cache=False)
    message = str(err.value)
    assert message.startswith(f"{path}: the JSON-LD @context refers to a remote document")
    assert "never fetches" in message and "\n" not in message


# -- CLI -------------------------------------------------------------------------------

def test_cli_export_link_then_read_back(runner, cli, tmp_path):
    out = tmp_path / "mt.jsonld"
    res = runner.invoke(cli, ["export", "--format", "json-ld", "--jsonld-context", "link",
                              "--focus", "mutual trust", "--depth", "0", "-o", str(out)])
    assert res.exit_code == 0, res.output
    document = json.loads(out.read_text())
    assert document["@context"] == jsonld.CONTEXT_IRI
    res = runner.invoke(cli, ["--data", str(out), "query",
                              "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                              f"FILTER(?g = <{out.resolve().as_uri()}>) }}"])
    assert res.exit_code == 0, res.output
    expected = len(rdf_export.focus_triples(ddkb.load(), "mutual trust", 0))
    assert f"\n{expected}\n" in res.output


def test_cli_refuses_jsonld_context_for_turtle(runner, cli):
    res = runner.invoke(cli, ["export", "--format", "ttl", "--jsonld-context", "none"])
    assert res.exit_code == 2
    assert res.stderr.strip() == ("Error: --jsonld-context none: only for --format jsonld "
                                  "(not turtle)")
    assert res.stdout == ""


def test_cli_help_explains_the_choice(runner, cli):
    res = runner.invoke(cli, ["export", "--help"])
    assert res.exit_code == 0
    text = "".join(res.output.split())  # help wraps lines, even at hyphens
    assert "--jsonld-context[embed|link|none]" in text
    assert "Example:--formatjsonld--jsonld-contextlink" in text
    assert "ddkbexport--formatjsonld--jsonld-contextlink-oddkb.jsonld" in text


def test_installed_ddkb_exports_and_reads_compact_jsonld(ddkb_exe, tmp_path):
    res = subprocess.run([ddkb_exe, "export", "--format", "jsonld", "--focus", "CBM",
                          "--depth", "0"], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    document = json.loads(res.stdout)
    assert document["@context"]["prefLabel"] == {"@id": "skos:prefLabel", "@language": "en"}
    cbm = next(n for n in document["@graph"]
               if n["@id"] == "ddkb:confidence-building-measures")
    assert cbm["prefLabel"] == "confidence-building measures"
    linked = tmp_path / "cbm.jsonld"
    res = subprocess.run([ddkb_exe, "export", "--format", "jsonld", "--jsonld-context", "link",
                          "--focus", "CBM", "--depth", "0", "-o", str(linked)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    mine = tmp_path / "mine.jsonld"
    mine.write_text(json.dumps({"@context": jsonld.CONTEXT_IRI, "@id": "http://ex.org/mine",
                                "@type": "Instrument", "prefLabel": "my instrument",
                                "fosters": "ddkb:mutual-trust"}))
    res = subprocess.run([ddkb_exe, "--data", str(mine), "--data", str(linked), "show",
                          "my instrument"], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "my instrument" in res.stdout and "mutual trust" in res.stdout
    theirs = tmp_path / "theirs.jsonld"
    theirs.write_text('{"@context": "https://example.org/c.jsonld", "@id": "http://ex.org/t"}')
    res = subprocess.run([ddkb_exe, "--data", str(theirs), "stats"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith(f"Error: {theirs}: the JSON-LD @context refers to a remote")
    assert res.stderr.count("\n") == 1


def test_reading_linked_jsonld_does_not_import_rdflib(tmp_path):
    """The query path stays light: resolving ddkb's context needs json only."""
    mine = tmp_path / "mine.jsonld"
    mine.write_text(json.dumps({"@context": jsonld.CONTEXT_IRI, "@id": "http://ex.org/m",
                                "prefLabel": "m"}))
    code = ("import sys; sys.argv = ['ddkb', '--no-cache', '--data', sys.argv[1], 'query', "
            "'ASK { <http://ex.org/m> skos:prefLabel \"m\"@en }'];"
            "from ddkb.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('HEAVY', [m for m in ('rdflib', 'networkx') if m in sys.modules])")
    res = subprocess.run([sys.executable, "-c", code, str(mine)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert "true" in res.stdout.lower() and "HEAVY []" in res.stdout, res.stdout + res.stderr
