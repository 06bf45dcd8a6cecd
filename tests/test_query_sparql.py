"""The read-only / offline checks of ddkb.sparql and its error messages."""

from __future__ import annotations

import pytest

from ddkb.errors import InputError, RefusedError
from ddkb.sparql import check_query, keywords, prepare_query, run_with_deadline, syntax_error


@pytest.mark.parametrize("text,form", [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("ask { ?s ?p ?o }", "ask"),
    ("PREFIX ex: <http://e/> CONSTRUCT { ?s ex:p ?o } WHERE { ?s ?p ?o }", "construct"),
    ("DESCRIBE <http://e/x>", "describe"),
])
def test_query_forms(text, form):
    assert check_query(text) == form


@pytest.mark.parametrize("keyword", ["INSERT DATA { <a> <b> <c> }", "DELETE WHERE { ?s ?p ?o }",
                                     "LOAD <http://e/x>", "CLEAR ALL", "CREATE GRAPH <g>",
                                     "DROP ALL", "COPY <a> TO <b>", "MOVE <a> TO <b>",
                                     "ADD <a> TO <b>",
                                     "WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"])
def test_updates_are_always_refused(keyword):
    for allow in (False, True):
        with pytest.raises(RefusedError, match="read-only"):
            check_query(keyword, allow_network=allow)


@pytest.mark.parametrize("text,clause", [
    ("SELECT * WHERE { SERVICE <http://e/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { ?s ?p ?o .SERVICE <http://e/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }", "FROM"),
    ("SELECT * FROM NAMED <http://e/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM NAMED"),
])
def test_network_clauses_refused_unless_allowed(text, clause):
    with pytest.raises(RefusedError) as info:
        check_query(text)
    assert str(info.value).startswith(f"{clause} refused")
    assert "--allow-network" in str(info.value)
    assert check_query(text, allow_network=True) == "select"


def test_keywords_inside_strings_comments_iris_and_names_are_ignored():
    text = '''# FROM here, SERVICE there, DROP everything
PREFIX load: <http://e/insert/>
SELECT ?from ?service WHERE {
  ?s load:drop "SERVICE" ; load:x 'FROM NAMED' ; load:y """multi
  line DELETE""" ; load:z "DROP"@en-GB .
  ?s <http://e/SERVICE> $insert .
}'''
    assert check_query(text) == "select"
    assert "SERVICE" not in keywords(text)


def test_syntax_error_is_one_line_with_line_and_column():
    err = syntax_error("error at 3:17: expected one of ABS,\n AVG")
    assert str(err) == "SPARQL syntax error at line 3, column 17: expected one of ABS, AVG"


@pytest.mark.parametrize("module", ["ddkb.kb", "ddkb.store", "ddkb.lookup", "ddkb.sparql",
                                    "ddkb.results", "ddkb.concepts"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_deadline_of_infinity_or_nan():
    """--timeout inf/1e308 means no limit (not an overflow); NaN or 0 is bad input."""
    assert run_with_deadline(lambda: 7, float("inf")) == 7
    assert run_with_deadline(lambda: 7, 1e308) == 7
    for bad in (float("nan"), 0.0, -1.0):
        with pytest.raises(InputError, match="positive number of seconds"):
            run_with_deadline(lambda: 7, bad)


def test_cli_timeout_nan_is_a_usage_error(runner, cli):
    res = runner.invoke(cli, ["query", "ASK { ?s ?p ?o }", "--timeout", "nan"])
    assert res.exit_code == 2 and "positive number of seconds" in res.stderr
    res = runner.invoke(cli, ["query", "ASK { ?s ?p ?o }", "--timeout", "inf"])
    assert res.exit_code == 0 and res.stdout == "true\n"


def test_a_carriage_return_ends_a_comment_as_in_the_engine(kb):
    """The engine ends a comment at \\r too (rdflib does not): the checks must agree with it."""
    text = "# x\rDROP ALL\nASK { ?s ?p ?o }"
    with pytest.raises(RefusedError, match="^DROP refused"):
        check_query(text)
    with pytest.raises(RefusedError, match="^SERVICE refused"):
        kb.query("SELECT * WHERE { # x\rSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } \n}")
    with pytest.raises(InputError, match="line 2, column 4"):  # the engine reads DROPS as code
        kb.query("# x\rDROPS\nASK { ?s ?p ?o }")


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERV\u0131CE <http://e/> { } }",   # dotless i upper-cases to I
    "SELECT * WHERE { \u017fervice <http://e/> { } }",   # long s upper-cases to S
    r"SELECT * \u005Cu0046ROM <http://e/> WHERE { }",     # an escape left after unescaping
    r"SELECT * \u0046ROM <http://e/> WHERE { }",
])
def test_anything_that_may_spell_service_or_from_goes_to_the_parser(text):
    assert prepare_query(text).mentions_network
    with pytest.raises(RefusedError):
        check_query(text)


def test_plain_queries_skip_the_parser():
    assert not prepare_query("SELECT * WHERE { ?s ?p ?o }").mentions_network
