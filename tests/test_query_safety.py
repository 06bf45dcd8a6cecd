"""Untrusted SPARQL: SERVICE/FROM decided from the parsed query, depth and size bounds,
the memory cap, crash isolation, UTF-8 input and ``-p`` terms on plain SPARQL.

The network tests run a real SPARQL endpoint on 127.0.0.1 and check what reached it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ddkb.errors import (
    EngineCrashed,
    InputError,
    QueryMemoryExceeded,
    RefusedError,
)
from ddkb.sparql import (
    MAX_NESTING,
    check_query,
    parse_size,
    run_with_deadline,
    tokens,
)

DDKB = shutil.which("ddkb", path=str(Path(sys.executable).parent)) or shutil.which("ddkb")
CROSS_JOIN = "SELECT * WHERE {?a ?b ?c . ?d ?e ?f . ?g ?h ?i} ORDER BY ?i"
ANSWER = {"head": {"vars": ["a"]},
          "results": {"bindings": [{"a": {"type": "literal", "value": "from the endpoint"}}]}}


def ddkb(*args: str | bytes, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``ddkb`` command (bytes arguments pass through undecoded)."""
    assert DDKB, "the ddkb command is not installed"
    res = subprocess.run([DDKB, *args], cwd=cwd, input=stdin, capture_output=True, timeout=120)
    res.stdout, res.stderr = (res.stdout.decode("utf-8", "replace"),
                              res.stderr.decode("utf-8", "replace"))
    return res


@pytest.fixture(scope="module")
def endpoint():
    """A SPARQL endpoint on a free local port; ``requests`` lists the paths it was asked for."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            requests.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps(ANSWER).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()
    thread.join()


# -- SERVICE and FROM are decided from the parsed query --------------------------------------
#: The issue's bypass and its relatives: each has a real SERVICE clause.
SERVICE_QUERIES = {
    "hash": r"SELECT * WHERE { BIND(ddkb:x\# AS ?z) SERVICE <{url}/hash> { ?a ?b ?c } }",
    "u": r"SELECT * WHERE { \u0053ERVICE <{url}/u> { ?a ?b ?c } }",
    "lower": "select * where { service <{url}/lower> { ?a ?b ?c } }",
    "U8": r"SELECT * WHERE { \U00000073ervice <{url}/U8> { ?a ?b ?c } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{url}/silent> { ?a ?b ?c } }",
    "exists": "ASK { FILTER EXISTS { SERVICE <{url}/exists> { ?a ?b ?c } } }",
    "subselect": "SELECT * WHERE { { SELECT ?a WHERE { SERVICE <{url}/sub> { ?a ?b ?c } } } }",
    "variable": "SELECT * WHERE { VALUES ?e { <{url}/var> } SERVICE ?e { ?a ?b ?c } }",
    # after unescaping, the quotes would hide SERVICE inside strings from a naive check
    "quotes": r'SELECT * WHERE { ?s ?p "x\u0022" . SERVICE <{url}/quotes> { ?a ?b ?c } '
              r'. ?s ?p "\u0022y" }',
    "comment": "SELECT * WHERE { ?s ?p <http://e/#x> . SERVICE <{url}/comment> { ?a ?b ?c } }",
    # the engine ends a comment at a carriage return; rdflib alone would not
    "cr": "SELECT * WHERE { # note\rSERVICE <{url}/cr> { ?a ?b ?c } \n}",
}


@pytest.mark.parametrize("name", SERVICE_QUERIES)
def test_service_is_refused_and_sends_nothing(kb, endpoint, name):
    url, requests = endpoint
    text = SERVICE_QUERIES[name].replace("{url}", url)
    with pytest.raises(RefusedError, match="refused") as info:
        kb.query(text, timeout=30)
    assert "--allow-network" in str(info.value)
    assert not [r for r in requests if r.startswith(f"/{name}")]


@pytest.mark.parametrize("name", ["hash", "u", "lower", "cr"])
def test_cli_service_bypasses_refused_then_sent_with_allow_network(endpoint, name, tmp_path):
    """The issue's reproduction on the real command: no request, then (allowed) one."""
    url, requests = endpoint
    text = SERVICE_QUERIES[name].replace("{url}", url)
    res = ddkb("query", text, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("Error: ") and "refused" in res.stderr
    assert len(res.stderr.splitlines()) == 1
    assert not [r for r in requests if r.startswith(f"/{name}")]
    # the same query, allowed: the endpoint is asked (so the test above can fail)
    res = ddkb("query", text, "--allow-network", "--format", "csv", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert [r for r in requests if r.startswith(f"/{name}")]
    assert "from the endpoint" in res.stdout


def test_service_refusal_message_is_unchanged(kb):
    with pytest.raises(RefusedError) as info:
        kb.query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert str(info.value) == ("SERVICE refused: federated queries reach the network; "
                               "add --allow-network to allow them")


def test_service_words_that_are_not_service_clauses_run(kb):
    text = ('PREFIX service: <http://e/service/> SELECT ?service WHERE { '
            '?s ?p "SERVICE <http://e/> {}" . ?s service:from ?service } # SERVICE FROM')
    assert kb.query(text).rows == []
    assert check_query(text) == "select"


def test_from_is_refused_with_an_accurate_message_and_fetches_nothing(kb, endpoint):
    url, requests = endpoint
    text = f"SELECT * FROM <{url}/from> WHERE {{ ?s ?p ?o }}"
    with pytest.raises(RefusedError) as info:
        kb.query(text)
    msg = str(info.value)
    assert msg.startswith("FROM refused:") and "--allow-network" in msg
    assert "nothing is fetched" in msg and "may load" not in msg
    assert kb.query(text, allow_network=True).rows == []  # no such loaded graph
    assert not [r for r in requests if r.startswith("/from")]


def test_union_default_graph_follows_the_parsed_dataset_clause(kb):
    graph = "https://w3id.org/ddkb/graph/ontology/ddkb.ttl"
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ ?s ?p ?o }} {}"
    everything = int(kb.query(count.format("", "")).rows[0][0].value)
    in_graph = int(kb.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> "
                             "{ ?s ?p ?o } }")[0]["n"].value)
    assert 0 < in_graph < everything
    # "from" in a comment or a string is no dataset clause: the union stays
    assert int(kb.query(count.format("", "# FROM <x>")).rows[0][0].value) == everything
    assert int(kb.query(count.format("", 'VALUES ?x { "from" }')).rows[0][0].value) \
        == everything
    # an escaped FROM is a FROM: refused, and when allowed it picks that graph only
    escaped = count.format(rf"\u0046ROM <{graph}>", "")
    with pytest.raises(RefusedError, match="^FROM refused"):
        kb.query(escaped)
    assert int(kb.query(escaped, allow_network=True).rows[0][0].value) == in_graph


def test_a_query_that_mentions_service_but_does_not_parse_is_refused(kb):
    text = "SELECT * WHERE { ?s ?p ?o  # service\n"  # no closing brace
    with pytest.raises(RefusedError, match=r"cannot parse it .*line 2, column 1"):
        kb.query(text)
    with pytest.raises(InputError, match="SPARQL syntax error"):  # allowed: the engine says
        kb.query(text, allow_network=True)


def test_updates_cannot_run_even_unchecked(kb):
    """The engine's query entry point parses queries only: an update is a syntax error there."""
    before = len(kb.store)
    for update in ("INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }", "DROP ALL",
                   "LOAD <http://127.0.0.1:9/x>"):
        with pytest.raises(SyntaxError):
            kb.store.query(update)
    assert len(kb.store) == before
    with pytest.raises(RefusedError, match="^DELETE/INSERT refused"):
        check_query("WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")


# -- the lexer, the depth bound and the size cap -----------------------------------------
def test_lexer_reads_prefixed_name_escapes_strings_iris_and_comments():
    text = (r"SELECT * { ?s ex:a\#b ex:c%41\( 'it''s' . ?s <http://e/(#> """
            '"""a "quoted" ((("""} # ((( SERVICE')
    toks = [(t.kind, t.text) for t in tokens(text)]
    assert ("pname", r"ex:a\#b") in toks and ("pname", r"ex:c%41\(") in toks
    assert ("iri", "<http://e/(#>") in toks
    assert ("string", '"""a "quoted" ((("""') in toks
    assert [t for k, t in toks if k == "punct"] == ["*", "{", ".", "}"]
    assert [t for k, t in toks if k == "string"][:2] == ["'it'", "'s'"]
    assert not any("SERVICE" in t for _, t in toks)


def test_a_query_nested_100000_levels_is_refused_before_parsing(kb):
    deep = "SELECT * WHERE { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }"
    with pytest.raises(InputError) as info:
        kb.query(deep, timeout=None)
    assert str(info.value) == f"query nests 100002 levels deep; the limit is {MAX_NESTING}"
    with pytest.raises(InputError, match="levels deep"):
        kb.query("SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }")


def test_cli_deep_query_is_one_line_exit_2(tmp_path):
    deep = "ASK { " + "{" * 100_000 + "}" * 100_000 + " }"
    for extra in ([], ["--timeout", "inf"]):
        res = ddkb("query", "-f", "-", *extra, cwd=tmp_path, stdin=deep.encode())
        assert res.returncode == 2, res.stderr
        assert res.stderr == f"Error: query nests 100001 levels deep; the limit is {MAX_NESTING}\n"


def test_brackets_in_strings_iris_comments_and_names_do_not_count(kb):
    many = "(" * 500
    text = (f'SELECT ?x WHERE {{ BIND("{many}" AS ?x) ?x ?p <http://e/{many}> . '
            f"?x ?p ex:a{chr(92)}({chr(92)}(  # {many}\n}}")
    text = "PREFIX ex: <http://e/> " + text
    assert kb.query(text).rows == []


@pytest.mark.parametrize("shape", ["paren", "brace"])
def test_nesting_at_the_limit_is_checked_by_the_parser(kb, shape):
    """A query as deep as allowed, with FROM, gets through rdflib's parser to a real verdict."""
    if shape == "paren":
        n = MAX_NESTING - 2  # WHERE { FILTER( ... ) }
        text = "SELECT * FROM <http://e/g> WHERE { FILTER(" + "(" * n + "true" + ")" * n + ") }"
    else:
        n = MAX_NESTING
        text = "SELECT * FROM <http://e/g> WHERE " + "{" * n + "}" * n
    with pytest.raises(RefusedError, match="^FROM refused"):
        kb.query(text)
    assert kb.query(text, allow_network=True).rows == [()]  # one empty solution
    with pytest.raises(InputError, match=f"nests {MAX_NESTING + 1} levels"):
        kb.query(text.replace("{" * n, "{" * (n + 1)).replace("(" * n, "(" * (n + 1)))


def test_query_size_is_capped(kb):
    text = "ASK { ?s ?p ?o }" + " " * 1_000_000
    with pytest.raises(InputError) as info:
        kb.query(text)
    assert str(info.value) == "the query is 1,000,016 characters long; the limit is 1,000,000"


# -- memory cap and crash isolation ------------------------------------------------------------
def test_memory_cap_stops_the_cross_join(kb):
    for timeout in (60, None):  # without a time limit it still runs in the capped process
        with pytest.raises(QueryMemoryExceeded) as info:
            kb.query(CROSS_JOIN, timeout=timeout, max_memory=300 << 20)
        assert str(info.value) == "query stopped: it needed more than 300 MB (--max-memory)"


def test_cli_memory_cap_bounds_the_peak_and_exits_1(tmp_path):
    """Run the real command from a fresh Python that reports its descendants' peak memory."""
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "print(r.returncode); print(r.stderr, end='')\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    res = subprocess.run([sys.executable, "-c", code, DDKB, "query", CROSS_JOIN,
                          "--max-memory", "300M", "--timeout", "inf"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    code_line, message, peak_kb = res.stdout.splitlines()
    assert code_line == "1"
    assert message == "Error: query stopped: it needed more than 300 MB (--max-memory)"
    assert int(peak_kb) < 800 * 1024  # 300 MB for the query on top of the loaded KB


@pytest.mark.parametrize("value,size", [("512M", 512 << 20), ("4G", 4 << 30), ("1.5g", 3 << 29),
                                        ("300MiB", 300 << 20), ("64kb", 64 << 10),
                                        ("0", None), ("none", None)])
def test_sizes(value, size):
    assert parse_size(value) == size


@pytest.mark.parametrize("value", ["garbage", "500", "-1G", "4X", ""])
def test_cli_bad_max_memory_is_a_usage_error(runner, cli, value):
    res = runner.invoke(cli, ["query", "ASK {}", "--max-memory", value])
    assert res.exit_code == 2
    assert "Invalid value for '--max-memory'" in res.stderr and "512M" in res.stderr


def test_cli_max_memory_none_runs(runner, cli):
    res = runner.invoke(cli, ["query", "ASK { ?s ?p ?o }", "--max-memory", "none"])
    assert res.exit_code == 0 and res.stdout == "true\n"


def test_a_child_that_dies_of_a_signal_is_named():
    with pytest.raises(EngineCrashed, match=r"^the query engine crashed \(SIGSEGV\)"):
        run_with_deadline(lambda: os.kill(os.getpid(), signal.SIGSEGV), 30)
    with pytest.raises(EngineCrashed, match=r"crashed \(SIGKILL\)"):
        run_with_deadline(lambda: os.kill(os.getpid(), signal.SIGKILL), None)


def test_the_childs_stderr_is_drained_and_kept_off_the_terminal(capfd):
    def chatty() -> int:
        os.write(2, b"noise " * 200_000)  # far more than a pipe holds
        return 5

    assert run_with_deadline(chatty, 60) == 5
    assert "noise" not in capfd.readouterr().err


def test_no_time_limit_still_runs_in_a_child():
    assert run_with_deadline(os.getpid, None) != os.getpid()
    assert run_with_deadline(os.getpid, float("inf")) != os.getpid()


def test_cli_engine_crash_is_one_line_exit_2(tmp_path):
    """Thousands of joined patterns overflow the engine's stack; the CLI survives and says so."""
    import resource

    if resource.getrlimit(resource.RLIMIT_STACK)[0] == resource.RLIM_INFINITY:
        pytest.skip("an unlimited stack does not overflow")
    flat = "SELECT * WHERE { " + "?s ?p ?o . " * 80_000 + "}"
    res = ddkb("query", "-f", "-", "--timeout", "inf", cwd=tmp_path, stdin=flat.encode())
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("Error: the query engine crashed (SIGSEGV)")
    assert len(res.stderr.splitlines()) == 1 and "internal error" not in res.stderr


# -- input that is not UTF-8 ---------------------------------------------------------------
def test_stdin_not_utf8_names_line_and_byte(runner, cli, tmp_path):
    data = b'SELECT * WHERE {\n ?s ?p "caf\xe9" }'
    res = runner.invoke(cli, ["query", "-f", "-"], input=data)
    assert res.exit_code == 2
    assert res.stderr == "Error: standard input: not valid UTF-8 (line 2, byte 29)\n"
    res = ddkb("query", "-f", "-", cwd=tmp_path, stdin=data)
    assert (res.returncode, res.stderr) == (2, "Error: standard input: not valid UTF-8 "
                                               "(line 2, byte 29)\n")


def test_query_file_not_utf8_and_with_a_bom(runner, cli, tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_bytes(b"ASK { ?s ?p '\xff' }")
    res = runner.invoke(cli, ["query", "-f", str(bad)])
    assert res.exit_code == 2
    assert res.stderr == f"Error: {bad}: not valid UTF-8 (line 1, byte 14)\n"
    bom = tmp_path / "bom.rq"
    bom.write_bytes("\ufeffASK { ?s ?p ?o }".encode())
    res = runner.invoke(cli, ["query", "-f", str(bom)])
    assert res.exit_code == 0 and res.stdout == "true\n"


def test_argument_not_utf8_is_bad_input(tmp_path):
    res = ddkb("query", b"ASK { ?s ?p '\xff' }", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == "Error: the query is not valid UTF-8 (character 14)\n"


# -- -p on a plain SPARQL query ----------------------------------------------------------
LABELS = "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l }"


@pytest.mark.parametrize("value,expected", [
    ("soft power", ["https://w3id.org/ddkb/soft-power"]),          # bare text: English
    ('"soft power"@en', ["https://w3id.org/ddkb/soft-power"]),
    ('"soft power"@EN', ["https://w3id.org/ddkb/soft-power"]),
    ('"soft power"', []),                                          # a plain string, as asked
    ('x" } UNION { ?c ?p ?l } #', []),                             # bound, never pasted
])
def test_cli_param_literals(runner, cli, value, expected):
    res = runner.invoke(cli, ["query", LABELS, "-p", f"l={value}", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    found = [b["c"]["value"] for b in json.loads(res.stdout)["results"]["bindings"]]
    assert found == expected


@pytest.mark.parametrize("value", ["ddkb:soft-power", "<https://w3id.org/ddkb/soft-power>",
                                   "https://w3id.org/ddkb/soft-power", "my:soft-power"])
def test_cli_param_iris(runner, cli, value):
    text = "PREFIX my: <https://w3id.org/ddkb/> " + LABELS
    res = runner.invoke(cli, ["query", text, "-p", f"c={value}", "--format", "csv"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1:] == ["https://w3id.org/ddkb/soft-power,soft power"]


@pytest.mark.parametrize("value", ["18", '"18"^^xsd:integer',
                                   '"18"^^<http://www.w3.org/2001/XMLSchema#integer>'])
def test_cli_param_typed_literals(runner, cli, value):
    text = "SELECT ?count ?n WHERE { ?count ddkb:memberCount ?n }"
    res = runner.invoke(cli, ["query", text, "-p", f"n={value}", "--format", "csv"])
    assert res.exit_code == 0, res.stderr
    rows = res.stdout.splitlines()[1:]
    assert rows == ["https://w3id.org/ddkb/count/admm-plus-18-as-of-2010-10-12,18"]


@pytest.mark.parametrize("value,needle", [("nope:x", "unknown prefix 'nope:'"),
                                          ('"x"@', "not a literal"),
                                          ('"x"^^', "not a literal"),
                                          ('"soft power', "is a quote missing?"),
                                          ("<not an iri>", "not an IRI"),
                                          ("http://e/a b", "not a valid RDF term")])
def test_cli_param_errors(runner, cli, value, needle):
    """A value that starts like an IRI or a literal and is not one: an error, not text."""
    res = runner.invoke(cli, ["query", LABELS, "-p", f"l={value}"])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"Error: -p l={value}: ") and needle in res.stderr
    assert len(res.stderr.splitlines()) == 1


def test_cli_param_not_utf8(tmp_path):
    res = ddkb("query", LABELS, "-p", b"l=caf\xe9", cwd=tmp_path)
    assert (res.returncode, res.stderr) == (2, "Error: -p l: the value is not valid UTF-8\n")


def test_cli_help_documents_params_and_limits(runner, cli):
    text = runner.invoke(cli, ["query", "--help"]).stdout
    assert '"text"@en' in text and "English text" in text
    assert "--max-memory" in text and "512M" in text and "levels deep" in text
