"""Regression tests for what the fuzzers found (fuzz/findings/): each a one-line error, exit 2."""

from __future__ import annotations

import pytest


def _one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("args, expected", [
    (["query", 'SELECT * WHERE { ?s ?p "\udcff" }'],
     "Error: the query is not valid UTF-8 (character 25)"),
    (["query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "-p", "s=\udcff"],
     "Error: -p s: the value is not valid UTF-8"),
    (["query", "SELECT ?c WHERE { ?c a owl:Class } LIMIT 1", "-p", "?c=ddkb:Actor"],
     "Error: -p ?c=...: a parameter name is a SPARQL variable name without '?' "
     "(letters, digits and _), e.g. -p actor=NATO"),
    (["query", "SELECT ?c WHERE { ?c a owl:Class } LIMIT 1", "-p", "my var=x"],
     "Error: -p my var=...: a parameter name is a SPARQL variable name without '?' "
     "(letters, digits and _), e.g. -p actor=NATO"),
    (["query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "-p", "\udcd9on=4"],  # a surrogate
     "Error: -p \\udcd9on=...: a parameter name is a SPARQL variable name without '?' "
     "(letters, digits and _), e.g. -p actor=NATO"),
    (["query", "-n", "case-studies", "-p", "a\rb=x"],
     "Error: named query 'case-studies' has no parameter 'a\\x0db' (parameters: case)"),
])
def test_query_findings_are_one_line_input_errors(cli, runner, args, expected):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert _one_line_error(result) == expected


def test_an_xml_file_declaring_an_unknown_encoding(cli, runner, tmp_path):
    data = tmp_path / "u6.rdf"
    data.write_text('<?xml version="1.0" encoding="UTF-6"?>\n<rdf:RDF xmlns:rdf='
                    '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>')
    result = runner.invoke(cli, ["--data", str(data), "stats"])
    assert result.exit_code == 2
    assert _one_line_error(result) == (
        f"Error: {data}, line 1: the XML declaration names an encoding that cannot be read "
        "(unknown encoding: UTF-6)")


def test_rdf12_triple_terms_load_for_queries_but_are_refused_by_rdflib_steps(cli, runner,
                                                                            tmp_path):
    data = tmp_path / "t12.ttl"
    data.write_text("@prefix ex: <http://example.org/> .\n"
                    "ex:a ex:b ex:c {| ex:source ex:d |} .\n")
    counted = runner.invoke(cli, ["--data", str(data), "query", "--format", "csv",
                                  "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                  f"FILTER(?g = <{data.resolve().as_uri()}>) }}"])
    assert counted.exit_code == 0 and counted.stdout.split() == ["n", "3"]  # + reifier
    for args in (["validate"], ["--infer", "rdfs", "stats"]):
        result = runner.invoke(cli, ["--data", str(data), *args])
        assert result.exit_code == 2
        line = _one_line_error(result)
        assert line.startswith(f"Error: {data}: holds RDF 1.2 triple terms")
