"""kb.query and ``ddkb query``: formats, safety, limits, timeouts and named queries."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

import ddkb
from ddkb.errors import QuerySyntaxError, QueryTimeout, RefusedError
from ddkb.results import SPARQL_RESULTS_NS, format_result

T = "http://example.org/t/"
SELECT = """SELECT ?c ?label ?def WHERE {
  ?c skos:prefLabel ?label . OPTIONAL { ?c skos:definition ?def }
  FILTER(STRSTARTS(STR(?c), "http://example.org/t/"))
} ORDER BY ?label"""
# a triple cross join sorted: never finishes in a test's lifetime
PATHOLOGICAL = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"


@pytest.fixture(scope="module")
def core_kb(fixtures_dir):
    return ddkb.load(data=[fixtures_dir / "core" / "concepts.ttl"])


@pytest.fixture(scope="module")
def answer(core_kb):
    return core_kb.query(SELECT)


def test_select_result(answer):
    assert answer.kind == "select"
    assert answer.variables == ["c", "label", "def"]
    labels = [row[1].value for row in answer.rows]
    assert labels == sorted(labels) and "naval harbour visit" in labels
    assert not answer.truncated


def test_json_follows_the_w3c_layout(answer):
    doc = json.loads(format_result(answer, "json"))
    assert doc["head"]["vars"] == ["c", "label", "def"]
    first = doc["results"]["bindings"][0]
    assert first["c"]["type"] == "uri" and first["c"]["value"].startswith(T)
    assert first["label"] == {"type": "literal", "xml:lang": "en",
                              "value": "defence co-operation & zeta capabilities"}


def test_json_leaves_unbound_variables_out(core_kb):
    doc = json.loads(format_result(core_kb.query(
        "SELECT ?s ?x WHERE { ?s a ddkb:SourceSection FILTER(STRSTARTS(STR(?s), "
        "'http://example.org/t/')) }"), "json"))
    assert all(set(b) == {"s"} for b in doc["results"]["bindings"])
    assert len(doc["results"]["bindings"]) == 2


def test_xml_uses_the_sparql_results_namespace(answer):
    root = ET.fromstring(format_result(answer, "xml"))
    ns = {"r": SPARQL_RESULTS_NS}
    assert root.tag == f"{{{SPARQL_RESULTS_NS}}}sparql"
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["c", "label", "def"]
    results = root.findall("r:results/r:result", ns)
    assert len(results) == len(answer.rows)
    lit = results[0].find("r:binding[@name='label']/r:literal", ns)
    assert lit.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert results[0].find("r:binding[@name='c']/r:uri", ns).text.startswith(T)


def test_csv_has_a_header_row_and_plain_values(answer):
    text = format_result(answer, "csv")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["c", "label", "def"]
    assert rows[1][0].startswith(T) and not rows[1][1].startswith('"')
    assert len(rows) == len(answer.rows) + 1


def test_tsv_uses_rdf_term_syntax(answer):
    lines = format_result(answer, "tsv").splitlines()
    assert lines[0] == "?c\t?label\t?def"
    first = lines[1].split("\t")
    assert first[0].startswith(f"<{T}") and first[1].endswith('"@en')


def test_markdown_table(answer):
    lines = format_result(answer, "markdown").splitlines()
    assert lines[0] == "| c | label | def |"
    assert lines[1] == "|---|---|---|"
    assert len(lines) == len(answer.rows) + 2


def test_table_shows_curies_with_labels(kb):
    result = kb.query("SELECT ?c WHERE { BIND(ddkb:Instrument AS ?c) }")
    text = format_result(result, "table", kb.label)
    assert "ddkb:Instrument (instrument)" in text
    assert text.rstrip().endswith("(1 row)")


def test_ask(core_kb):
    yes = core_kb.query("ASK { ?c skos:prefLabel 'zeta goodwill'@en }")
    assert yes.kind == "ask" and yes.boolean is True
    assert format_result(yes, "table") == "true\n"
    assert json.loads(format_result(yes, "json")) == {"head": {}, "boolean": True}
    root = ET.fromstring(format_result(core_kb.query("ASK { ?c ?p 'nothing at all' }"), "xml"))
    assert root.find(f"{{{SPARQL_RESULTS_NS}}}boolean").text == "false"


@pytest.mark.parametrize("fmt,rdf_format", [
    ("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
    ("xml", ox.RdfFormat.RDF_XML), ("jsonld", ox.RdfFormat.JSON_LD),
])
def test_construct_in_each_rdf_format_parses(core_kb, fmt, rdf_format):
    result = core_kb.query("CONSTRUCT { ?s ddkb:fosters ?o . ?s skos:prefLabel ?l } "
                           "WHERE { ?s ddkb:fosters ?o ; skos:prefLabel ?l }")
    assert result.kind == "construct"
    text = format_result(result, fmt)
    parsed = {str(t.triple) if hasattr(t, "triple") else str(t)
              for t in ox.parse(text.encode(), format=rdf_format)}
    assert parsed == {str(t) for t in result.triples}
    assert any(T + "harbour-visit" in t for t in parsed)
    assert text.endswith("\n")  # else the shell prompt sticks to the last line
    if fmt == "jsonld":  # compact with ddkb's context inline, like `ddkb export`
        doc = json.loads(text)
        assert doc["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
        assert all(not key.startswith("http") for node in doc["@graph"] for key in node)


def test_describe(core_kb):
    result = core_kb.query("DESCRIBE <http://example.org/t/goodwill-zeta>")
    assert result.kind == "describe"
    assert any(t.subject.value == T + "goodwill-zeta" for t in result.triples)


@pytest.mark.parametrize("text", ["INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
                                  "LOAD <http://example.org/data.ttl>", "DROP ALL"])
def test_updates_refused(core_kb, text):
    before = len(core_kb.store)
    with pytest.raises(RefusedError):
        core_kb.query(text, allow_network=True)
    assert len(core_kb.store) == before


def test_from_refused_then_allowed(kb):
    graph = "https://w3id.org/ddkb/graph/ontology/ddkb.ttl"
    text = f"SELECT ?c FROM <{graph}> WHERE {{ ?c a owl:Class }}"
    with pytest.raises(RefusedError, match="^FROM refused"):
        kb.query(text)
    # FROM picks the bundled graph of that name (nothing is fetched)
    allowed = {r[0].value for r in kb.query(text, allow_network=True).rows}
    in_graph = {r["c"].value for r in kb.select(
        f"SELECT ?c WHERE {{ GRAPH <{graph}> {{ ?c a owl:Class }} }}")}
    assert allowed == in_graph and "https://w3id.org/ddkb/Instrument" in allowed
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ ?s ?p ?o }}"
    only = kb.query(count.format(f"FROM <{graph}>"), allow_network=True).rows[0][0]
    everything = kb.query(count.format("")).rows[0][0]
    assert 0 < int(only.value) < int(everything.value)


def test_from_named_refused_then_allowed(kb):
    graph = "https://w3id.org/ddkb/graph/ontology/ddkb.ttl"
    text = f"SELECT ?g FROM NAMED <{graph}> WHERE {{ GRAPH ?g {{ ?c a owl:Class }} }}"
    with pytest.raises(RefusedError, match="^FROM NAMED refused"):
        kb.query(text)
    assert {r[0].value for r in kb.query(text, allow_network=True).rows} == {graph}


def test_service_refused_then_attempted(kb):
    text = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with pytest.raises(RefusedError, match="^SERVICE refused"):
        kb.query(text)
    with pytest.raises(ddkb.DdkbError) as info:  # allowed: the engine tries, and fails here
        kb.query(text, allow_network=True, timeout=20)
    assert not isinstance(info.value, RefusedError)


def test_syntax_error_one_line_with_line_and_column(kb):
    with pytest.raises(QuerySyntaxError) as info:
        kb.query("SELECT *\nWHERE {\n  ?s ?p \n}")
    msg = str(info.value)
    assert msg.startswith("SPARQL syntax error at line 4, column ")
    assert "\n" not in msg


def _children() -> set[int]:
    """This process's child processes (Linux /proc), e.g. test servers started earlier."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found |= {int(pid) for pid in (task / "children").read_text().split()}
    return found


def test_timeout_stops_the_query(kb):
    before = _children()
    with pytest.raises(QueryTimeout, match=r"query stopped after 1 s \(--timeout\)"):
        kb.query(PATHOLOGICAL, timeout=1)
    # the evaluating process was killed and reaped: no new child is left behind
    assert _children() == before


def test_row_cap_is_reported(kb):
    result = kb.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", max_rows=5)
    assert len(result.rows) == 5
    assert result.truncated
    assert result.reason.startswith("showing the first 5 rows")


def test_limit_is_not_a_truncation(kb):
    result = kb.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", limit=3, max_rows=5)
    assert len(result.rows) == 3 and not result.truncated


def test_params_are_bound_as_terms_not_pasted(core_kb):
    text = "SELECT ?c ?label WHERE { ?c skos:prefLabel ?label }"
    injected = ox.Literal('x" } UNION { ?c ?p ?label } #')
    assert core_kb.query(text, params={"label": injected}).rows == []
    rows = core_kb.query(text, params={"c": T + "goodwill-zeta"}).rows
    assert [r[1].value for r in rows] == ["zeta goodwill"]


def test_named_query_with_a_concept_parameter(core_kb):
    result = core_kb.run_named("fosters", {"instrument": "port calls"})
    assert result.kind == "select"
    row = result.dicts()[0]
    assert row["instrument"].value == T + "harbour-visit"
    assert row["outcome"].value == T + "goodwill-zeta"


def test_named_query_parameter_errors(core_kb):
    with pytest.raises(ddkb.InputError, match="needs -p instrument="):
        core_kb.run_named("fosters", {})
    with pytest.raises(ddkb.InputError, match="no parameter 'nope'"):
        core_kb.run_named("fosters", {"instrument": "port call", "nope": "x"})
    with pytest.raises(ddkb.InputError, match="did you mean"):
        core_kb.run_named("fosters", {"instrument": "naval harbr visit"})


# -- the CLI (in process) ------------------------------------------------------------------
def _run(runner, cli, args):
    return runner.invoke(cli, args, catch_exceptions=False)


def test_cli_query_formats(runner, cli, fixtures_dir):
    data = str(fixtures_dir / "core" / "concepts.ttl")
    res = _run(runner, cli, ["--data", data, "query", SELECT, "--format", "csv"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0] == "c,label,def"
    res = _run(runner, cli, ["query", "--data", data, SELECT])
    assert "naval harbour visit" in res.stdout and "(3 rows)" in res.stdout


def test_cli_named_query_and_output_file(runner, cli, fixtures_dir, tmp_path):
    data = str(fixtures_dir / "core" / "concepts.ttl")
    out = tmp_path / "answer.json"
    res = _run(runner, cli, ["--data", data, "query", "-n", "fosters", "-p",
                             "instrument=naval harbour visit", "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["results"]["bindings"][0]["outcome"]["value"] == T + "goodwill-zeta"


def test_cli_query_from_file_and_row_cap(runner, cli, tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("SELECT ?s WHERE { ?s ?p ?o }", encoding="utf-8")
    res = _run(runner, cli, ["query", "-f", str(q), "--max-rows", "2", "--format", "tsv"])
    assert res.exit_code == 0
    assert len(res.stdout.splitlines()) == 3
    assert "Warning: showing the first 2 rows" in res.stderr and "--max-rows" in res.stderr


def test_cli_errors_and_exit_codes(runner, cli):
    res = _run(runner, cli, ["query", "DROP ALL"])
    assert res.exit_code == 2 and res.stderr.startswith("Error: DROP refused")
    res = _run(runner, cli, ["query", "SELECT * WHERE { SERVICE <http://e/> { ?s ?p ?o } }"])
    assert res.exit_code == 2 and "--allow-network" in res.stderr
    res = _run(runner, cli, ["query", "SELEC * WHERE {}"])
    assert res.exit_code == 2 and "line 1, column" in res.stderr
    res = _run(runner, cli, ["query", PATHOLOGICAL, "--timeout", "1"])
    assert res.exit_code == 1 and "query stopped after 1 s (--timeout)" in res.stderr
    res = _run(runner, cli, ["query"])
    assert res.exit_code == 2 and "exactly one query" in res.stderr
    res = _run(runner, cli, ["query", "-n", "fosterz"])
    assert res.exit_code == 2 and "did you mean: fosters" in res.stderr


def test_cli_empty_query_is_named_as_such(runner, cli, tmp_path):
    res = _run(runner, cli, ["query", "  "])
    assert res.exit_code == 2 and res.stderr.startswith("Error: the query is empty")
    blank = tmp_path / "blank.rq"
    blank.write_text("\n", encoding="utf-8")
    res = _run(runner, cli, ["query", "-f", str(blank)])
    assert res.exit_code == 2 and res.stderr == f"Error: {blank}: the query is empty\n"
    res = runner.invoke(cli, ["query", "-f", "-"], input="")
    assert res.exit_code == 2 and res.stderr == "Error: standard input: the query is empty\n"


def test_cli_queries_lists_names_and_params(runner, cli):
    res = _run(runner, cli, ["queries"])
    assert res.exit_code == 0
    assert any(line.startswith("fosters ") and "instrument (concept)" in line
               for line in res.stdout.splitlines())
    doc = json.loads(_run(runner, cli, ["queries", "--format", "json"]).stdout)
    fosters = next(q for q in doc if q["name"] == "fosters")
    assert fosters["params"][0] == {"name": "instrument", "kind": "concept", "required": True,
                                    "default": None, "description":
                                    'The instrument or concept, e.g. "joint military exercise"'}


def test_cli_limit_and_stdin(runner, cli):
    res = runner.invoke(cli, ["query", "-f", "-", "--limit", "2", "--format", "csv"],
                        input="SELECT ?c WHERE { ?c a owl:Class } ORDER BY ?c")
    assert res.exit_code == 0, res.stderr
    assert len(res.stdout.splitlines()) == 3 and "Warning" not in res.stderr
