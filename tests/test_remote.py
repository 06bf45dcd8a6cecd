"""The remote engine and ``push`` against real servers: Oxigraph server and Virtuoso 7.

The bundled KB is pushed to each server once per module; every named query is
then run on the server and on the embedded pyoxigraph store and the rows must
be the same multisets. Tests that push something else run on a fresh Oxigraph
server of their own (it starts in a fraction of a second), or push the
bundled KB back at the end. Error cases use tiny local HTTP servers.
"""

from __future__ import annotations

import base64
import collections
import http.server
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyoxigraph as ox
import pytest
from servers import (
    bundled_sources,
    free_port,
    start_or_skip,
    start_oxigraph,
    stop_process,
    virtuoso_ini,
)

from ddkb import paths
from ddkb.errors import DataFileError, EndpointError, InputError, RefusedError
from ddkb.named import list_queries
from ddkb.namespaces import PREFIXES
from ddkb.push import GraphSource, push
from ddkb.remote import MANIFEST_GRAPH, STAGING_PREFIX, RemoteEndpoint, with_values

SERVERS = ["oxigraph", "virtuoso"]

#: Named queries that Virtuoso 7.2.5 (Debian 12) answers wrongly: its property paths
#: with inverse alternatives (``a|^b``) or ``a/rdfs:subClassOf*`` inside OPTIONAL drop
#: matches, and one answer holds the IRI ``iri_id_0_with_no_name_entry``. These cases
#: may differ on Virtuoso (they are xfailed there); every other case must agree.
VIRTUOSO_WRONG = {
    ("actors", ()), ("linked", ("concept",)), ("needs-care", ()), ("needs-care", ("status",)),
    ("outcomes-ranked", ()), ("regions", ()), ("regions", ("region",)),
}


def embedded_counts(kb) -> dict[str, int]:
    rows = kb.store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"].value: int(row["n"].value) for row in rows}


def server_graphs(endpoint: RemoteEndpoint) -> set[str]:
    rows = endpoint.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", union=False)
    return {row["g"].value for row in rows}


def quads(endpoint: RemoteEndpoint, graphs: list[str]) -> collections.Counter:
    """Every triple of ``graphs`` on the server (blank nodes as ``_:``), as a multiset."""
    values = " ".join(f"<{g}>" for g in graphs)
    rows = endpoint.query("SELECT ?g ?s ?p ?o WHERE { VALUES ?g { " + values + " } "
                          "GRAPH ?g { ?s ?p ?o } }", union=False)
    return collections.Counter(tuple(_key(row[v]) for v in ("g", "s", "p", "o")) for row in rows)


def _key(term) -> str | None:
    if term is None:
        return None
    return "_:" if isinstance(term, ox.BlankNode) else str(term)


# -- the servers with the bundled KB ------------------------------------------------------
@pytest.fixture(scope="module", params=SERVERS)
def server(request):
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(scope="module")
def remote(server, request) -> RemoteEndpoint:
    """An endpoint on ``server`` holding the bundled KB (pushed once per session)."""
    return request.getfixturevalue(f"{server.name}_kb")


@pytest.fixture()
def fresh_oxigraph(tmp_path) -> Iterator:
    """A new, empty Oxigraph server for one test (skipped if not installed)."""
    server = start_or_skip(start_oxigraph, tmp_path / "oxigraph")
    try:
        yield server
    finally:
        server.stop()


def test_push_gives_the_embedded_store_counts_per_graph(remote, kb):
    want = embedded_counts(kb)
    assert len(want) == len(paths.bundled_rdf_files())
    assert remote.counts(want) == want
    assert remote.pushed_graphs() == sorted(want)
    assert not [g for g in server_graphs(remote) if g.startswith(STAGING_PREFIX)]


def test_union_query_sees_every_pushed_graph(remote, kb, server):
    total = sum(embedded_counts(kb).values())
    # the graphs hold 10 triples twice: a union (not a merge) counts them twice, like pyoxigraph
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o . FILTER(?s != <{MANIFEST_GRAPH}>) }}"
    assert int(next(iter(kb.raw_query(count)))["n"].value) == total
    if server.name == "oxigraph":
        # its own default graph is empty: the union comes from the dataset ddkb sends
        assert not remote.query("ASK { ?s ?p ?o }", union=False)
        assert remote.dataset() == sorted(embedded_counts(kb))
        assert int(next(iter(remote.query(count)))["n"].value) == total
    else:
        # Virtuoso's default graph is already the union (with its own system graphs)
        assert remote.dataset() is None
        assert remote.query("ASK { ddkb:mutual-trust a skos:Concept }", prefixes=PREFIXES)


def named_cases() -> list[tuple[str, tuple[str, ...]]]:
    """Every named query with its required parameters, plus once with every parameter set."""
    cases = []
    for query in list_queries():
        required = tuple(p.name for p in query.params if p.required)
        cases.append((query.name, required))
        every = tuple(p.name for p in query.params if p.required or p.default is None)
        if every != required:
            cases.append((query.name, every))
    return cases


def _example_term(kb, query, param, bound: dict):
    """The first example in a parameter's description that names something in the KB,
    else the first value the query itself gives that variable."""
    for example in re.findall(r'"([^"]+)"', param.description):
        try:
            return kb.param_term(param.kind, example, param.name)
        except InputError:
            continue
    for row in kb.raw_query(query.text, bound):
        if row[param.name] is not None:
            return row[param.name]
    raise AssertionError(f"no usable value for parameter {param.name} of {query.name}")


def _bindings(kb, query, given: tuple[str, ...]) -> dict:
    """Substitutions as KnowledgeBase.run_named makes them: defaults, and values for ``given``."""
    bound = {p.name: kb.param_term(p.kind, p.default, p.name)
             for p in query.params if p.default is not None}
    for param in query.params:
        if param.name in given:
            bound[param.name] = _example_term(kb, query, param, dict(bound))
    return bound


def _rows(result, concat: set[str]) -> tuple[list[str], collections.Counter]:
    """Rows as a multiset; GROUP_CONCAT values as sorted parts (their order is unspecified)."""
    names = [v.value for v in result.variables]

    def norm(name, term):
        if name in concat and isinstance(term, ox.Literal):
            # SPARQL 1.1 makes it a simple literal (Virtuoso); pyoxigraph keeps a shared
            # language tag. An empty group: "" (Virtuoso) or unbound (pyoxigraph).
            return "|".join(sorted(term.value.split(" | "))) if term.value else None
        return _key(term)

    return names, collections.Counter(tuple(norm(n, row[n]) for n in names) for row in result)


@pytest.mark.parametrize("name,given", named_cases(),
                         ids=[f"{n}[{','.join(g)}]" for n, g in named_cases()])
def test_named_query_answers_agree(remote, kb, server, name, given):
    query = next(q for q in list_queries() if q.name == name)
    subs = _bindings(kb, query, given)
    concat = set(re.findall(r"GROUP_CONCAT\(.*?\)\s*AS\s*\?(\w+)", query.text, re.DOTALL))
    want = _rows(kb.raw_query(query.text, subs), concat)
    assert want[1], f"{name} answers nothing on the embedded store: a useless comparison"
    try:
        got = _rows(remote.query(query.text, prefixes=PREFIXES, substitutions=subs), concat)
    except EndpointError:
        if server.name == "virtuoso" and (name, given) in VIRTUOSO_WRONG:
            pytest.xfail("Virtuoso 7.2 sends a broken answer to this query")
        raise
    if got != want and server.name == "virtuoso" and (name, given) in VIRTUOSO_WRONG:
        pytest.xfail("Virtuoso 7.2 property paths answer this query wrongly")
    assert got == want


def test_answers_have_pyoxigraph_types(remote, kb):
    construct = ("CONSTRUCT { ?c skos:prefLabel ?l } WHERE { ?c a ddkb:Outcome ; "
                 "skos:prefLabel ?l }")
    triples = remote.query(construct, prefixes=PREFIXES)
    assert isinstance(triples, ox.QueryTriples)
    assert {str(t) for t in triples} == {str(t) for t in kb.raw_query(construct)}
    assert len({str(t) for t in kb.raw_query(construct)}) > 5
    described = remote.query("DESCRIBE ddkb:mutual-trust", prefixes=PREFIXES)
    assert isinstance(described, ox.QueryTriples)
    # what DESCRIBE returns is up to the server: here, triples about the resource
    mutual_trust = f"{PREFIXES['ddkb']}mutual-trust"
    assert any(mutual_trust in (t.subject.value, t.object.value) for t in described)
    assert isinstance(remote.query("ASK { ?s ?p ?o }"), ox.QueryBoolean)
    assert remote.query("ASK { ddkb:mutual-trust a skos:Concept }", prefixes=PREFIXES)
    assert not remote.query("ASK { ddkb:no-such-thing ?p ?o }", prefixes=PREFIXES)
    solutions = remote.query("SELECT ?l WHERE { ddkb:mutual-trust skos:prefLabel ?l }",
                             prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    assert [str(r["l"]) for r in solutions] == ['"mutual trust"@en']


@pytest.mark.parametrize("text", [
    'mutual trust', '"} } . ?s ?p ?o } #', "a\\\" } UNION { ?c ?p ?l", "line\nbreak\t\x01",
])
def test_substituted_literals_are_data_never_query_text(remote, kb, text):
    query = "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l }"
    for term in (ox.Literal(text, language="en"), ox.Literal(text)):
        want = {str(r["c"]) for r in kb.raw_query(query, {"l": term})}
        got = {str(r["c"]) for r in remote.query(query, prefixes=PREFIXES,
                                                 substitutions={"l": term})}
        assert got == want
    assert {str(r["c"]) for r in remote.query(query, prefixes=PREFIXES, substitutions={
        "l": ox.Literal("mutual trust", language="en")})} == {f"<{PREFIXES['ddkb']}mutual-trust>"}


def test_push_twice_leaves_the_same_triples(remote, server, kb):
    graphs = sorted(embedded_counts(kb))
    before = quads(remote, graphs)
    report = push(remote, bundled_sources())
    assert quads(remote, graphs) == before
    assert sum(before.values()) == report.triples == sum(embedded_counts(kb).values())
    assert [g.graph for g in report.graphs] == [s.graph for s in bundled_sources()]
    assert report.removed == []


def test_interrupted_push_is_repaired_by_the_next(remote, kb):
    """Stop a push in the middle of a graph: the old graph stays whole; the next push cleans up."""
    want = embedded_counts(kb)
    events = []

    class Stop(Exception):
        pass

    def stop_in_third_graph(event):
        events.append(event)
        if event.graph_index == 3 and event.step == "upload" and event.chunk == 2:
            raise Stop

    extra = GraphSource("urn:ddkb-test:extra", b"<urn:a> <urn:b> <urn:c> .\n", "nt")
    third = bundled_sources()[2]
    chunk = max(1, want[third.graph] // 3)
    with pytest.raises(Stop):
        push(remote, [*bundled_sources(), extra], chunk_triples=chunk,
             progress=stop_in_third_graph)
    assert events[-1].chunks > 2
    # the graphs before, during and after the break hold exactly the old triples
    assert remote.counts(want) == want
    staging = [g for g in server_graphs(remote) if g.startswith(STAGING_PREFIX)]
    assert staging  # the interrupted upload's staging graph is left behind ...
    assert "urn:ddkb-test:extra" not in server_graphs(remote)  # never swapped in
    report = push(remote, bundled_sources())
    assert remote.counts(want) == want
    assert not [g for g in server_graphs(remote) if g.startswith(STAGING_PREFIX)]
    assert "urn:ddkb-test:extra" not in server_graphs(remote)
    assert report.removed == []  # nothing to remove: the extra graph never existed
    assert remote.pushed_graphs() == sorted(want)


def test_a_broken_source_stops_the_push_before_anything_is_sent(remote, kb):
    want = embedded_counts(kb)
    broken = GraphSource("urn:ddkb-test:broken", b"<urn:a> <urn:b> .\n", "nt", label="bad.nt")
    sent = remote.requests
    with pytest.raises(DataFileError, match=r"^bad\.nt, line 1"):
        push(remote, [*bundled_sources()[:1], broken, *bundled_sources()[1:]])
    assert remote.requests == sent
    assert remote.counts(want) == want


# -- push details on a fresh Oxigraph server ----------------------------------------------------
_BNODES = b"""@prefix ex: <http://example.org/> .
ex:s ex:list ( 1 2 3 4 5 ) ; ex:knows [ ex:name "a" ; ex:knows [ ex:name "b" ] ] .
ex:t ex:p "plain" , "01"^^<http://www.w3.org/2001/XMLSchema#integer> .
"""


def test_blank_nodes_stay_whole_across_chunks(fresh_oxigraph):
    endpoint = RemoteEndpoint(fresh_oxigraph.query_url)
    report = push(endpoint, [GraphSource("urn:g", _BNODES, "turtle")], chunk_triples=1)
    local = ox.Store()
    local.load(_BNODES, format=ox.RdfFormat.TURTLE)
    assert report.graphs[0].triples == len(local) == endpoint.count("urn:g") == 17
    # a chunk each for ex:t's two triples, the list (11 triples), the nested nodes (4)
    assert report.graphs[0].chunks == 4
    items = endpoint.query("SELECT ?x WHERE { <http://example.org/s> <http://example.org/list>"
                           "/rdf:rest*/rdf:first ?x }", prefixes=PREFIXES)
    assert sorted(int(r["x"].value) for r in items) == [1, 2, 3, 4, 5]
    names = endpoint.query("SELECT ?n WHERE { <http://example.org/s> (<http://example.org/"
                           "knows>)+/<http://example.org/name> ?n }")
    assert sorted(r["n"].value for r in names) == ["a", "b"]


def test_push_replaces_what_it_pushed_before(fresh_oxigraph):
    endpoint = RemoteEndpoint(fresh_oxigraph.query_url)
    one = GraphSource("urn:g1", b"<urn:a> <urn:b> <urn:c> .\n", "nt")
    two = GraphSource("urn:g2", b"<urn:a> <urn:b> <urn:d> .\n<urn:a> <urn:b> <urn:e> .\n", "nt")
    endpoint.put_graph("urn:not-ddkb", b"<urn:x> <urn:y> <urn:z> .\n")  # someone else's
    push(endpoint, [one, two])
    assert endpoint.counts(["urn:g1", "urn:g2"]) == {"urn:g1": 1, "urn:g2": 2}
    report = push(endpoint, [GraphSource("urn:g2", b"<urn:a> <urn:b> <urn:f> .\n", "nt")])
    assert report.removed == ["urn:g1"]
    assert server_graphs(endpoint) == {"urn:g2", "urn:not-ddkb", MANIFEST_GRAPH}
    assert [str(r["o"]) for r in endpoint.query("SELECT ?o WHERE { ?s ?p ?o }")] == ["<urn:f>"]
    assert endpoint.dataset() == ["urn:g2"]
    empty = push(endpoint, [GraphSource("urn:g2", b"", "nt")])
    assert empty.triples == 0 and endpoint.count("urn:g2") == 0


def test_push_refuses_bad_arguments(fresh_oxigraph):
    endpoint = RemoteEndpoint(fresh_oxigraph.query_url)
    good = GraphSource("urn:g", b"<urn:a> <urn:b> <urn:c> .\n", "nt")
    with pytest.raises(InputError, match="given twice"):
        push(endpoint, [good, good])
    with pytest.raises(InputError, match="reserved"):
        push(endpoint, [GraphSource(MANIFEST_GRAPH, b"", "nt")])
    with pytest.raises(InputError, match="unknown RDF format"):
        push(endpoint, [("urn:g", b"", "yaml")])
    with pytest.raises(InputError, match="not an IRI"):
        push(endpoint, [("not an iri", b"", "nt")])
    with pytest.raises(InputError, match="chunk_triples"):
        push(endpoint, [good], chunk_triples=0)
    assert endpoint.requests == 0


def test_graph_store_and_update_urls_are_derived(fresh_oxigraph, virtuoso_server):
    oxi = RemoteEndpoint(fresh_oxigraph.query_url)
    assert oxi.server_kind() == "oxigraph"
    assert oxi.graph_store_url() == fresh_oxigraph.graph_store_url
    assert oxi.update_url() == fresh_oxigraph.update_url
    virt = RemoteEndpoint(virtuoso_server.query_url, auth=virtuoso_server.auth)
    assert virt.server_kind() == "virtuoso"
    assert virt.graph_store_url() == virtuoso_server.graph_store_url
    assert virt.update_url() == virtuoso_server.update_url
    anonymous = RemoteEndpoint(virtuoso_server.query_url, auth=None)
    if not anonymous.has_credentials:
        assert anonymous.graph_store_url().endswith("/sparql-graph-crud")
    given = RemoteEndpoint(fresh_oxigraph.query_url, graph_store_url="http://127.0.0.1:1/gsp")
    assert given.graph_store_url() == "http://127.0.0.1:1/gsp"


# -- credentials ---------------------------------------------------------------------------
SECRET = "s3cret-Pa55-word"


def test_wrong_digest_password_is_refused_without_showing_it(virtuoso_server, monkeypatch):
    monkeypatch.setenv("DDKB_ENDPOINT_USER", "dba")
    monkeypatch.setenv("DDKB_ENDPOINT_PASSWORD", SECRET)
    endpoint = RemoteEndpoint(virtuoso_server.query_url,
                              graph_store_url=virtuoso_server.graph_store_url)
    assert endpoint.has_credentials and SECRET not in repr(endpoint)
    with pytest.raises(EndpointError) as caught:
        endpoint.put_graph("urn:ddkb-test:denied", b"<urn:a> <urn:b> <urn:c> .\n")
    message = str(caught.value)
    assert "HTTP 401" in message and "were refused" in message
    assert SECRET not in message and SECRET not in repr(caught.value)
    assert caught.value.exit_code == 2


def test_credentials_in_the_url_are_used_and_never_shown(fresh_oxigraph):
    port = fresh_oxigraph.query_url.split(":")[2].split("/")[0]
    endpoint = RemoteEndpoint(f"http://alice:{SECRET}@127.0.0.1:{port}/query")
    assert endpoint.url == f"http://127.0.0.1:{port}/query"
    assert endpoint.has_credentials
    assert SECRET not in repr(endpoint) and "alice" not in repr(endpoint)
    closed = free_port()
    with pytest.raises(EndpointError) as caught:
        RemoteEndpoint(f"http://alice:{SECRET}@127.0.0.1:{closed}/sparql").query("ASK {}")
    assert str(caught.value) == (f"cannot reach the SPARQL endpoint "
                                 f"http://127.0.0.1:{closed}/sparql: connection refused")


# -- error cases on tiny local servers -------------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers each request with the next (status, headers, body) of the server's script."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(dict(self.headers))
        script = self.server.script
        status, headers, body = script[min(len(self.server.seen), len(script)) - 1]
        if callable(body):
            body = body(self)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def http_server(script) -> Iterator[tuple[str, list]]:
    """A local HTTP server answering from ``script``; yields (URL, requests seen)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.script, server.seen = script, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/sparql", server.seen
    finally:
        server.shutdown()
        server.server_close()


JSON_OK = (200, {"Content-Type": "application/sparql-results+json"},
           json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
               {"x": {"type": "literal", "value": "ok"}}]}}).encode())


def test_connection_refused_is_one_line():
    port = free_port()
    with pytest.raises(EndpointError) as caught:
        RemoteEndpoint(f"http://127.0.0.1:{port}/sparql").query("ASK {}")
    assert str(caught.value) == (f"cannot reach the SPARQL endpoint "
                                 f"http://127.0.0.1:{port}/sparql: connection refused")
    assert caught.value.exit_code == 2


def test_an_html_answer_is_not_sparql_results():
    page = (200, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>Login</body></html>")
    with http_server([page]) as (url, _):
        with pytest.raises(EndpointError) as caught:
            RemoteEndpoint(url).query("SELECT * WHERE { ?s ?p ?o }")
    assert str(caught.value) == f"the SPARQL endpoint {url} answered text/html, not SPARQL results"


def test_broken_results_are_refused():
    broken = (200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {"vars"')
    with http_server([broken]) as (url, _):
        with pytest.raises(EndpointError, match=r"sent broken application/sparql-results\+json"):
            RemoteEndpoint(url).query("SELECT * WHERE { ?s ?p ?o }")


def test_http_errors_give_status_and_first_line_of_the_message():
    page = (500, {"Content-Type": "text/html"},
            b"<html><body>\n<h1>Query failed:\x1b[31m "
            + b"x" * 500 + b"</h1><p>second line</p></body></html>")
    with http_server([page]) as (url, _):
        with pytest.raises(EndpointError) as caught:
            RemoteEndpoint(url).query("ASK {}")
    message = str(caught.value)
    assert message.startswith(f"the SPARQL endpoint {url} answered HTTP 500 Internal Server "
                              "Error: Query failed: xxx")
    assert "\n" not in message and "\x1b" not in message and len(message) < 320
    assert "second line" not in message


def test_a_server_that_hangs_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections (the kernel does) and never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    try:
        with pytest.raises(EndpointError) as caught:
            RemoteEndpoint(url, timeout=0.3, retries=0).query("ASK {}")
    finally:
        listener.close()
    assert str(caught.value) == f"the SPARQL endpoint {url} did not answer within 0.3 s"


def test_a_server_that_drips_its_answer_times_out():
    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/sparql-results+json")
        handler.end_headers()
        import time

        for _ in range(40):  # one byte every 0.1 s: each read is quick, the whole is not
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)
        raise ConnectionAbortedError

    class Drip(_Handler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                drip(self)
            except OSError:
                pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/sparql"
    try:
        with pytest.raises(EndpointError, match="did not answer within 0.5 s"):
            RemoteEndpoint(url, timeout=0.5, retries=0).query("ASK {}")
    finally:
        server.shutdown()
        server.server_close()


def test_503_and_429_are_retried(monkeypatch):
    busy = (503, {"Retry-After": "0", "Content-Type": "text/plain"}, b"busy")
    slow_down = (429, {"Retry-After": "0"}, b"")
    with http_server([busy, slow_down, JSON_OK]) as (url, seen):
        endpoint = RemoteEndpoint(url)
        rows = list(endpoint.query("SELECT ?x WHERE { }", union=False))
    assert [r["x"].value for r in rows] == ["ok"]
    assert len(seen) == 3 and endpoint.requests == 3
    with http_server([busy]) as (url, seen):
        with pytest.raises(EndpointError, match=r"answered HTTP 503 Service Unavailable: busy$"):
            RemoteEndpoint(url, retries=2).query("ASK {}", union=False)
    assert len(seen) == 3  # one try and two retries


def test_401_without_credentials_says_how_to_log_in(monkeypatch):
    monkeypatch.delenv("DDKB_ENDPOINT_USER", raising=False)
    monkeypatch.delenv("DDKB_ENDPOINT_PASSWORD", raising=False)
    denied = (401, {"WWW-Authenticate": 'Basic realm="ddkb"'}, b"login first")
    with http_server([denied]) as (url, _):
        with pytest.raises(EndpointError) as caught:
            RemoteEndpoint(url).query("ASK {}")
    assert str(caught.value) == (f"the SPARQL endpoint {url} answered HTTP 401 Unauthorized "
                                 "(set DDKB_ENDPOINT_USER and DDKB_ENDPOINT_PASSWORD for a "
                                 "server that needs a login): login first")


def test_a_server_that_echoes_the_password_does_not_get_it_shown(monkeypatch):
    monkeypatch.setenv("DDKB_ENDPOINT_USER", "alice")
    monkeypatch.setenv("DDKB_ENDPOINT_PASSWORD", SECRET)

    def echo(handler):
        sent = handler.headers.get("Authorization", "")
        plain = base64.b64decode(sent.split()[-1]).decode() if sent else "nothing"
        return f"wrong login {plain}".encode()

    denied = (401, {"WWW-Authenticate": 'Basic realm="ddkb"'}, echo)
    with http_server([denied]) as (url, seen):
        endpoint = RemoteEndpoint(url)
        with pytest.raises(EndpointError) as caught:
            endpoint.query("ASK {}")
    assert any("Authorization" in h for h in seen)  # the password was offered ...
    message = str(caught.value)
    assert "wrong login alice:***" in message  # ... and the echo is masked
    for text in (message, repr(caught.value), repr(endpoint)):
        assert SECRET not in text


def test_an_answer_over_the_size_cap_is_refused():
    big = (200, {"Content-Type": "application/sparql-results+json"}, b" " * 5000)
    with http_server([big]) as (url, _):
        with pytest.raises(EndpointError, match="5000 bytes, more than the 1000-byte limit"):
            RemoteEndpoint(url, max_response_bytes=1000).query("ASK {}")


def test_queries_that_write_are_refused_before_sending():
    endpoint = RemoteEndpoint(f"http://127.0.0.1:{free_port()}/sparql")
    with pytest.raises(RefusedError, match="DROP refused"):
        endpoint.query("DROP ALL")
    assert endpoint.requests == 0


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_bad_timeouts_are_input_errors(timeout):
    with pytest.raises(InputError, match="positive number of seconds"):
        RemoteEndpoint("http://127.0.0.1:9/sparql", timeout=timeout)
    with pytest.raises(InputError, match="positive number of seconds"):
        RemoteEndpoint("http://127.0.0.1:9/sparql").query("ASK {}", timeout=timeout)


@pytest.mark.parametrize("url", ["ftp://host/sparql", "not a url", "http://:80/x"])
def test_bad_endpoint_urls_are_input_errors(url):
    with pytest.raises(InputError, match="URL"):
        RemoteEndpoint(url)


def test_from_env_needs_a_url(monkeypatch):
    monkeypatch.delenv("DDKB_ENDPOINT", raising=False)
    with pytest.raises(InputError, match="--endpoint URL or set DDKB_ENDPOINT"):
        RemoteEndpoint.from_env()
    monkeypatch.setenv("DDKB_ENDPOINT", "http://127.0.0.1:9/sparql")
    assert RemoteEndpoint.from_env().url == "http://127.0.0.1:9/sparql"


# -- the VALUES block --------------------------------------------------------------------------
def test_values_with_variables_named_like_keywords():
    """?from and ?where in the projection are variables, not the end of the SELECT clause
    (the 'members' named query projects ?from; with_values refused it as unprojected)."""
    iri = ox.NamedNode("urn:x")
    assert with_values("SELECT ?from ?where ?a WHERE { ?a <urn:p> ?from }", {"a": iri}) == (
        "SELECT ?from ?where ?a WHERE { VALUES (?a) { (<urn:x>) } ?a <urn:p> ?from }")
    with pytest.raises(InputError, match="parameter 'b' is not a variable"):
        with_values("SELECT ?from ?a WHERE { ?a <urn:p> ?b }", {"b": iri})


def test_values_go_into_the_outermost_where_group():
    iri = ox.NamedNode("urn:x")
    text = ('# a { comment }\nSELECT ?a WHERE { ?s <urn:p> "WHERE {" . '
            '{ SELECT ?a WHERE { ?a ?b ?c } } }')
    assert with_values(text, {"a": iri}) == (
        '# a { comment }\nSELECT ?a WHERE { VALUES (?a) { (<urn:x>) } ?s <urn:p> "WHERE {" . '
        '{ SELECT ?a WHERE { ?a ?b ?c } } }')
    assert with_values("CONSTRUCT { ?a <urn:p> ?b } WHERE { ?a <urn:q> ?b }", {"a": iri},
                       "construct") == (
        "CONSTRUCT { ?a <urn:p> ?b } WHERE { VALUES (?a) { (<urn:x>) } ?a <urn:q> ?b }")
    assert with_values("CONSTRUCT WHERE { ?a <urn:q> ?b }", {"a": iri}, "construct") == (
        "CONSTRUCT { ?a <urn:q> ?b } WHERE { VALUES (?a) { (<urn:x>) } ?a <urn:q> ?b }")
    assert with_values("ASK { ?a ?b ?c }", {"a": iri}, "ask") == (
        "ASK { VALUES (?a) { (<urn:x>) } ?a ?b ?c }")


def test_values_refuse_what_pyoxigraph_refuses():
    with pytest.raises(InputError, match="parameter 'b' is not a variable of the query's SELECT"):
        with_values("SELECT ?a (COUNT(?b) AS ?n) WHERE { ?a ?p ?b } GROUP BY ?a",
                    {"b": ox.NamedNode("urn:x")})
    assert "VALUES (?n)" in with_values("SELECT ?a (COUNT(?b) AS ?n) WHERE { ?a ?p ?b }",
                                        {"n": ox.Literal(1)})
    assert "VALUES (?b)" in with_values("SELECT * WHERE { ?a ?p ?b }", {"b": ox.Literal(1)})
    with pytest.raises(InputError, match="blank node"):
        with_values("SELECT ?a WHERE { ?a ?b ?c }", {"a": ox.BlankNode()})
    with pytest.raises(InputError, match="not a SPARQL variable name"):
        with_values("SELECT ?a WHERE { ?a ?b ?c }", {"a b": ox.Literal("x")})


# -- the fixtures themselves -----------------------------------------------------------------------
def test_virtuoso_ini_moves_files_and_ports(tmp_path):
    template = ("[Database]\nDatabaseFile = /var/lib/x/virtuoso.db\nErrorLogFile = a\n"
                "LockFile = b\nTransactionFile = c\nxa_persistent_file = d\n"
                "[TempDatabase]\nDatabaseFile = e\nTransactionFile = f\n"
                "[Parameters]\nServerPort = 1111\nDirsAllowed = .\nNumberOfBuffers = 1\n"
                "MaxDirtyBuffers = 1\nMaxQueryMem = 2G ; comment\nThreadsPerQuery = 4\n"
                "[HTTPServer]\nServerPort = 8890\n[URIQA]\nDefaultHost = localhost:8890\n"
                "[SPARQL]\nResultSetMaxRows = 10000\nResultSetMaxRows = 5\n")
    ini = virtuoso_ini(template, tmp_path, 4001, 4002)
    assert "/var/lib" not in ini and f"DatabaseFile = {tmp_path}/virtuoso.db" in ini
    assert "ServerPort = 127.0.0.1:4001" in ini and "ServerPort = 127.0.0.1:4002" in ini
    assert ini.count("ResultSetMaxRows") == 1
    from servers import ServerStartFailed

    with pytest.raises(ServerStartFailed, match="lacks the keys"):
        virtuoso_ini("[Database]\n", tmp_path, 1, 2)


def test_a_stopped_server_leaves_nothing_behind(tmp_path):
    server = start_or_skip(start_oxigraph, tmp_path / "ox")
    assert server.folder.is_dir() and server.process.poll() is None
    server.stop()
    stop_process(server.process)  # stopping twice is harmless
    assert server.process.poll() is not None and not server.folder.exists()
    with pytest.raises(EndpointError, match="connection refused"):
        RemoteEndpoint(server.query_url).query("ASK {}")


def test_many_failed_deletes_do_not_wear_out_digest_auth(virtuoso_server):
    """urllib counted digest rounds across requests: after five 404s every request got 401."""
    endpoint = RemoteEndpoint(virtuoso_server.query_url, auth=virtuoso_server.auth)
    assert [endpoint.delete_graph(f"urn:ddkb-test:missing-{i}") for i in range(8)] == [False] * 8
    endpoint.put_graph("urn:ddkb-test:after", b"<urn:a> <urn:b> <urn:c> .\n")
    assert endpoint.delete_graph("urn:ddkb-test:after")


def test_an_answer_the_server_cut_short_is_refused(tmp_path):
    """Virtuoso silently stops at ResultSetMaxRows (10000 by default); ddkb says so."""
    from servers import start_virtuoso

    server = start_or_skip(lambda folder: start_virtuoso(folder, settings={
        ("SPARQL", "ResultSetMaxRows"): "5"}), tmp_path / "virtuoso")
    try:
        endpoint = RemoteEndpoint(server.query_url, auth=server.auth)
        push(endpoint, [GraphSource("urn:g", "".join(
            f"<urn:s{i}> <urn:p> {i} .\n" for i in range(9)).encode(), "turtle")])
        assert len(list(endpoint.query("SELECT ?s WHERE { ?s <urn:p> ?o } LIMIT 4"))) == 4
        with pytest.raises(EndpointError) as caught:
            endpoint.query("SELECT ?s WHERE { ?s <urn:p> ?o }")
    finally:
        server.stop()
    assert str(caught.value) == (f"the SPARQL endpoint {server.query_url} cut its answer at 5 "
                                 "rows (a limit of the server: Virtuoso's ResultSetMaxRows); "
                                 "ask for fewer rows with LIMIT")


def test_a_big_first_upload_survives_the_digest_login(virtuoso_server):
    """Virtuoso answers 401 and closes the connection before reading a big body
    (a broken pipe): ddkb logs in with a bodiless request and sends it again."""
    big = b"".join(b"<urn:s%d> <urn:p> <urn:o> .\n" % i for i in range(20000))
    for attempt in range(2):  # the race is lost about half the time without the fix
        endpoint = RemoteEndpoint(virtuoso_server.query_url, auth=virtuoso_server.auth,
                                  graph_store_url=virtuoso_server.graph_store_url, timeout=120)
        endpoint.put_graph(f"urn:ddkb-test:big{attempt}", big)
        assert endpoint.count(f"urn:ddkb-test:big{attempt}") == 20000
        assert endpoint.delete_graph(f"urn:ddkb-test:big{attempt}")
