"""``/sparql`` (ddkb.web.sparql_protocol) under a real uvicorn server, asked by real clients.

One server for the module: the routes of ``sparql_routes`` and the YASGUI files,
behind ``SecurityHeadersMiddleware``, over ``ddkb.load()``, with a time limit of
:data:`TIME_LIMIT` seconds and two query slots. Clients: SPARQLWrapper, rdflib's
``SPARQLStore``, httpx with every Accept header, and headless Chromium (YASGUI
running a query with every non-loopback request blocked).
"""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import rdflib
from conftest import require_program
from starlette.applications import Starlette
from starlette.middleware import Middleware
from test_web_security import assert_security_headers, one_line_error, running_server

import ddkb
from ddkb.sparql import MAX_QUERY_CHARS
from ddkb.web.security import QueryLimiter, SecurityHeadersMiddleware, exception_handlers
from ddkb.web.sparql_protocol import (
    EXAMPLE_QUERY,
    MAX_BODY_BYTES,
    SparqlSettings,
    editor_static_routes,
    negotiate,
    sparql_routes,
)

DDKB = "https://w3id.org/ddkb/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
#: The server's time limit (seconds): the runaway queries below are stopped by it.
TIME_LIMIT = 6.0
#: A query that would run for hours on the KB's ~8,000 triples (a triple cross join).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASEAN_LABEL = f"SELECT ?label WHERE {{ <{DDKB}asean> skos:prefLabel ?label }}"
CONSTRUCT_ASEAN = f"CONSTRUCT {{ <{DDKB}asean> ?p ?o }} WHERE {{ <{DDKB}asean> ?p ?o }}"
CLIENT_LIMIT = 120.0  # seconds a client waits at most (a bound for hung tests, not a check)


@pytest.fixture(scope="module")
def kb():
    return ddkb.load()


@pytest.fixture(scope="module")
def limiter():
    return QueryLimiter(max_concurrent=2, max_wait=1.0)


@pytest.fixture(scope="module")
def endpoint(kb, limiter):
    """The base URL of a running server; ``/sparql`` is its endpoint."""
    settings = SparqlSettings(timeout=TIME_LIMIT)
    app = Starlette(routes=[*sparql_routes(lambda: kb, limiter=limiter, settings=settings),
                            *editor_static_routes()],
                    middleware=[Middleware(SecurityHeadersMiddleware)],
                    exception_handlers=exception_handlers())
    with running_server(app) as url:
        yield url


@pytest.fixture()
def client(endpoint):
    with httpx.Client(base_url=endpoint, timeout=CLIENT_LIMIT) as session:
        yield session


# -- real SPARQL clients ---------------------------------------------------------------------
def wrapper(endpoint: str, query: str, fmt: str, method: str = "GET"):
    from SPARQLWrapper import SPARQLWrapper

    sparql = SPARQLWrapper(f"{endpoint}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    sparql.setTimeout(int(CLIENT_LIMIT))
    return sparql.query().convert()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_json(endpoint, method):
    from SPARQLWrapper import JSON

    doc = wrapper(endpoint, ASEAN_LABEL, JSON, method)
    assert doc["head"]["vars"] == ["label"]
    assert doc["results"]["bindings"] == [
        {"label": {"type": "literal", "value": "ASEAN", "xml:lang": "en"}}]


def test_sparqlwrapper_xml(endpoint):
    from SPARQLWrapper import XML

    doc = wrapper(endpoint, ASEAN_LABEL, XML)  # an xml.dom.minidom document
    literals = doc.getElementsByTagName("literal")
    assert [lit.firstChild.data for lit in literals] == ["ASEAN"]
    assert literals[0].getAttribute("xml:lang") == "en"


def test_sparqlwrapper_csv(endpoint):
    from SPARQLWrapper import CSV

    query = ("SELECT ?c ?label WHERE { ?c a skos:Concept ; skos:prefLabel ?label "
             'FILTER (?label IN ("ASEAN"@en, "Australia"@en)) } ORDER BY ?label')
    rows = list(csv.reader(io.StringIO(wrapper(endpoint, query, CSV).decode("utf-8"))))
    assert rows == [["c", "label"], [f"{DDKB}asean", "ASEAN"],
                    [f"{DDKB}australia", "Australia"]]


def test_sparqlwrapper_ask(endpoint):
    from SPARQLWrapper import JSON

    assert wrapper(endpoint, f"ASK {{ <{DDKB}asean> a skos:Concept }}", JSON)["boolean"] is True
    assert wrapper(endpoint, f"ASK {{ <{DDKB}no-such> a skos:Concept }}", JSON)["boolean"] is False


def test_sparqlwrapper_construct_turtle(endpoint, kb):
    from SPARQLWrapper import TURTLE

    data = wrapper(endpoint, CONSTRUCT_ASEAN, TURTLE)
    graph = rdflib.Graph().parse(data=data, format="turtle")
    asean = rdflib.URIRef(f"{DDKB}asean")
    assert (asean, rdflib.URIRef(f"{SKOS}prefLabel"), rdflib.Literal("ASEAN", lang="en")) in graph
    expected = kb.query(CONSTRUCT_ASEAN).triples
    assert len(graph) == len({(t.subject, t.predicate, t.object) for t in expected}) > 3


def test_rdflib_sparqlstore(endpoint):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(f"{endpoint}/sparql", returnFormat="json"))
    rows = list(graph.query(
        "SELECT ?label WHERE { <https://w3id.org/ddkb/asean> "
        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }"))
    assert [str(r[0]) for r in rows] == ["ASEAN"]
    asean = rdflib.URIRef(f"{DDKB}asean")
    assert graph.query(f"ASK {{ <{asean}> ?p ?o }}").askAnswer is True
    labels = set(graph.objects(asean, rdflib.URIRef(f"{SKOS}prefLabel")))  # triples() via SELECT
    assert labels == {rdflib.Literal("ASEAN", lang="en")}
    built = graph.query(CONSTRUCT_ASEAN).graph
    assert (asean, rdflib.URIRef(f"{SKOS}prefLabel"), rdflib.Literal("ASEAN", lang="en")) in built
    assert len(built) > 3


# -- every Accept header, by httpx --------------------------------------------------------------
SELECT_TWO = ("SELECT ?c ?label WHERE { ?c skos:prefLabel ?label "
              'FILTER (?label IN ("ASEAN"@en, "Australia"@en)) } ORDER BY ?label')


def read_select(media: str, body: str) -> list[tuple[str, str]]:
    """(concept IRI, label) rows of a SELECT answer in any results format."""
    if "json" in media:
        doc = json.loads(body)
        return [(b["c"]["value"], b["label"]["value"]) for b in doc["results"]["bindings"]]
    if "xml" in media:
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(body)
        return [(res.find("r:binding[@name='c']/r:uri", ns).text,
                 res.find("r:binding[@name='label']/r:literal", ns).text)
                for res in root.iterfind("r:results/r:result", ns)]
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0] == ["c", "label"]
        return [tuple(r) for r in rows[1:]]
    lines = body.splitlines()
    assert lines[0] == "?c\t?label"
    return [(c[1:-1], label.split('"')[1]) for c, label in (ln.split("\t") for ln in lines[1:])]


@pytest.mark.parametrize("accept,media", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("application/xml", "application/xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
    ("", "application/sparql-results+json"),
    ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/html;q=0.5, text/csv", "text/csv"),  # HTML liked less: the answer, not the editor
])
def test_select_by_accept(client, accept, media):
    response = client.get("/sparql", params={"query": SELECT_TWO},
                          headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    assert read_select(media, response.text) == [(f"{DDKB}asean", "ASEAN"),
                                                 (f"{DDKB}australia", "Australia")]
    assert_security_headers(response)


@pytest.mark.parametrize("accept,media,rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("*/*", "text/turtle", "turtle"),
])
@pytest.mark.parametrize("query", [CONSTRUCT_ASEAN, f"DESCRIBE <{DDKB}asean>"])
def test_graph_answers_by_accept(client, kb, query, accept, media, rdflib_format):
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    graph = rdflib.Graph().parse(data=response.text, format=rdflib_format)
    expected = {(t.subject.value, t.predicate.value, str(t.object.value))
                for t in kb.query(query).triples}
    assert {(str(s), str(p), str(o)) for s, p, o in graph} == expected


@pytest.mark.parametrize("accept,word", [("application/sparql-results+json", '"boolean": true'),
                                         ("application/sparql-results+xml",
                                          "<boolean>true</boolean>")])
def test_ask_by_accept(client, accept, word):
    response = client.get("/sparql", params={"query": f"ASK {{ <{DDKB}asean> ?p ?o }}"},
                          headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert word in response.text


@pytest.mark.parametrize("query,accept,media", [
    ("ASK {}", "text/csv", "application/sparql-results+json"),
    (CONSTRUCT_ASEAN, "application/sparql-results+json", "text/turtle"),
    (SELECT_TWO, "image/png", "application/sparql-results+json"),
])
def test_nothing_acceptable_gets_the_default_format(client, query, accept, media):
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    if media == "text/turtle":
        assert len(rdflib.Graph().parse(data=response.text, format="turtle")) > 3
    else:
        assert "head" in response.json()


def test_negotiate_prefers_client_quality_then_server_order():
    assert negotiate("select", "text/csv;q=0.5, text/tab-separated-values") == \
        ("text/tab-separated-values", "tsv")
    assert negotiate("graph", "application/*") == ("application/n-triples", "nt")
    assert negotiate("select", "image/png") is None
    assert negotiate("select", "*/*;q=0") is None


# -- POST: form and direct ------------------------------------------------------------------------
def test_post_form_and_direct_answer_like_get(client):
    accept = {"Accept": "text/csv"}
    get = client.get("/sparql", params={"query": SELECT_TWO}, headers=accept)
    form = client.post("/sparql", data={"query": SELECT_TWO}, headers=accept)
    direct = client.post("/sparql", content=SELECT_TWO.encode("utf-8"),
                         headers={**accept, "Content-Type": "application/sparql-query"})
    assert get.status_code == form.status_code == direct.status_code == 200
    assert get.text == form.text == direct.text
    assert read_select("text/csv", direct.text)[0] == (f"{DDKB}asean", "ASEAN")


def test_non_ascii_query_round_trips(client):
    query = 'SELECT ?x WHERE { BIND ("défense – 防衛" AS ?x) }'
    for response in (client.get("/sparql", params={"query": query}),
                     client.post("/sparql", content=query.encode("utf-8"),
                                 headers={"Content-Type": "application/sparql-query; "
                                                          "charset=UTF-8"})):
        assert response.status_code == 200
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "défense – 防衛"


def test_row_cap_cuts_and_says_so(kb):
    """The CLI's row cap holds on the endpoint; the answer says it was cut."""
    settings = SparqlSettings(timeout=TIME_LIMIT, max_rows=3)
    app = Starlette(routes=sparql_routes(lambda: kb, limiter=QueryLimiter(1, 5),
                                         settings=settings))
    with running_server(app) as url:
        response = httpx.get(f"{url}/sparql", params={"query": "SELECT ?s { ?s a skos:Concept }"},
                             timeout=CLIENT_LIMIT)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 3
    assert response.headers["x-ddkb-truncated"] == \
        "showing the first 3 rows; the answer has more (the endpoint's row cap)"


# -- refusals and errors: one line each ----------------------------------------------------------
@pytest.mark.parametrize("send,status,expected", [
    (lambda c: c.post("/sparql", data={"query": "SELECT * { SERVICE <http://example.org/s> "
                                                "{ ?s ?p ?o } }"}),
     400, "SERVICE refused: federated queries reach the network; this endpoint never allows "
          "them"),
    (lambda c: c.get("/sparql", params={"query": "SELECT * FROM <http://e/g> { ?s ?p ?o }"}),
     400, "FROM refused: dataset clauses are not allowed on this endpoint"),
    (lambda c: c.post("/sparql", data={"update": "DROP ALL"}),
     400, "SPARQL Update is refused: this endpoint is read-only"),
    (lambda c: c.post("/sparql", content=b"INSERT DATA { <a:b> <a:c> <a:d> }",
                      headers={"Content-Type": "application/sparql-update"}),
     400, "SPARQL Update is refused: this endpoint is read-only"),
    (lambda c: c.get("/sparql", params={"query": "DROP ALL"}),
     400, "DROP refused: this endpoint is read-only (SPARQL Update is not allowed)"),
    (lambda c: c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p"}),
     400, "SPARQL syntax error at line 1, column"),
    (lambda c: c.get("/sparql", params={"query": "SELECT * {}",
                                        "default-graph-uri": "http://e/g"}),
     400, "default-graph-uri is not supported: the default graph is the union of all graphs"),
    (lambda c: c.get("/sparql", params={"query": "SELECT * {}", "named-graph-uri": "http://e/g"}),
     400, "named-graph-uri is not supported"),
    (lambda c: c.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D"),
     400, "2 'query' parameters given; send exactly one"),
    (lambda c: c.get("/sparql"), 400, "no query given"),
    (lambda c: c.get("/sparql?query=%FF%FE"), 400, "the query string is not valid UTF-8"),
    (lambda c: c.post("/sparql", content=b"SELECT * { ?s ?p \xff }",
                      headers={"Content-Type": "application/sparql-query"}),
     400, "the query is not valid UTF-8 (byte 18)"),
    (lambda c: c.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}),
     415, "unsupported Content-Type 'text/plain'"),
    (lambda c: c.put("/sparql", content=b"x"), 405, "Method Not Allowed"),
])
def test_refusals_are_one_line(client, send, status, expected):
    response = send(client)
    assert response.status_code == status, response.text
    assert one_line_error(response).startswith(expected)
    assert_security_headers(response)


def test_oversized_body_is_413(client):
    body = b"query=" + b"A" * MAX_BODY_BYTES
    response = client.post("/sparql", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert one_line_error(response) == \
        f"the request body is larger than the limit of {MAX_BODY_BYTES:,} bytes"


def test_oversized_body_is_413_for_urllib(endpoint):
    """urllib sends its whole body before reading: it still gets the 413, not a reset."""
    import urllib.error
    import urllib.request

    body = b"query=" + b"A" * (MAX_BODY_BYTES + 1)
    request = urllib.request.Request(f"{endpoint}/sparql", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=CLIENT_LIMIT)
    assert caught.value.code == 413
    text = caught.value.read().decode("utf-8")
    assert text == f"Error: the request body is larger than the limit of {MAX_BODY_BYTES:,} bytes\n"
    assert caught.value.headers["x-content-type-options"] == "nosniff"


def test_oversized_body_without_length_is_413(client):
    """A chunked body (no Content-Length) is counted as it arrives."""
    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"#" * 65536

    response = client.post("/sparql", content=chunks(),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    assert "larger than the limit" in one_line_error(response)


def test_query_over_the_size_cap_is_400(client):
    """Under the body cap but over ddkb's query-size cap: the library's own check answers."""
    query = "ASK {}" + " " * (MAX_QUERY_CHARS - 5)
    response = client.post("/sparql", content=query.encode(),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert one_line_error(response) == \
        f"the query is {MAX_QUERY_CHARS + 1:,} characters long; the limit is {MAX_QUERY_CHARS:,}"


# -- a runaway query does not starve the rest ---------------------------------------------------
def test_runaway_queries_leave_pages_and_queries_answered(endpoint, limiter):
    """While runaway queries hold the query slots, other requests are still answered.

    One runaway: a small query (the second slot) and the editor page are answered
    while it still runs. Two runaways (every slot): a third query gets 503 with
    Retry-After, pages and static files are still served. Then the time limit
    stops both runaways: 500 with the time-limit message.
    """
    def run_away():
        with httpx.Client(timeout=CLIENT_LIMIT) as own:
            return own.post(f"{endpoint}/sparql", data={"query": RUNAWAY})

    def wait_until_running(count: int) -> None:
        for _ in range(int(CLIENT_LIMIT * 20)):
            if limiter.running >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"{count} queries never ran")

    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=endpoint,
                                                      timeout=CLIENT_LIMIT) as client:
        first = pool.submit(run_away)
        wait_until_running(1)
        small = client.get("/sparql", params={"query": ASEAN_LABEL})
        page = client.get("/sparql", headers={"Accept": "text/html"})
        assert not first.done()  # the answers came while the runaway still ran
        assert small.status_code == 200 and "ASEAN" in small.text
        assert page.status_code == 200 and "ddkb-yasgui" in page.text

        second = pool.submit(run_away)
        wait_until_running(2)
        busy = client.get("/sparql", params={"query": ASEAN_LABEL})
        script = client.get("/static/yasgui/ddkb-editor.js")
        page = client.get("/sparql", headers={"Accept": "text/html"})
        assert not first.done() and not second.done()
        assert busy.status_code == 503
        assert int(busy.headers["retry-after"]) > 0
        assert one_line_error(busy).startswith("the server is busy: 2 queries are running")
        assert script.status_code == 200 and "Yasgui" in script.text
        assert page.status_code == 200
        stopped = [first.result(CLIENT_LIMIT), second.result(CLIENT_LIMIT)]
    for response in stopped:
        assert response.status_code == 500
        assert one_line_error(response) == \
            f"query stopped after {TIME_LIMIT:g} s (the endpoint's time limit)"
    assert limiter.running == 0


# -- the query editor --------------------------------------------------------------------------
def test_editor_page_for_browsers(client):
    response = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,"
                                                        "application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<script src="/static/yasgui/yasgui.min.js"></script>' in html
    assert "http://" not in html.split('id="ddkb-editor-config"')[0]  # nothing from elsewhere
    config = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert config["endpoint"] == "/sparql"
    assert config["query"] == EXAMPLE_QUERY
    assert config["prefixes"]["ddkb"] == DDKB
    assert "<script>" not in html  # no inline script: the CSP allows none
    assert_security_headers(response)


def test_editor_page_takes_the_query_from_the_url(client):
    query = 'SELECT * { ?s ?p "</script><b>" }'
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "</script><b>" not in response.text
    config = json.loads(response.text.split('type="application/json">')[1].split("</script>")[0])
    assert config["query"] == query


@pytest.mark.parametrize("path,media", [("/static/yasgui/yasgui.min.js", "text/javascript"),
                                        ("/static/yasgui/yasgui.min.css", "text/css"),
                                        ("/static/yasgui/LICENSE.txt", "text/plain")])
def test_vendored_files_are_served(client, path, media):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert len(response.content) > 1000
    assert_security_headers(response)


def test_static_files_refuse_traversal(client):
    for path in ("/static/yasgui/../../sparql_protocol.py", "/static/yasgui/%2e%2e/security.py",
                 "/static/yasgui/..%2F..%2Fsecurity.py"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "import" not in response.text


@pytest.mark.browser
def test_editor_runs_a_query_in_chromium_offline(endpoint, tmp_path):
    """YASGUI from ddkb itself: type a query, run it, see the rows; nothing leaves loopback."""
    executable = require_program("chromium")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    blocked: list[str] = []
    problems: list[str] = []

    def route(handle) -> None:
        if handle.request.url.startswith(endpoint + "/"):
            handle.continue_()
        else:
            blocked.append(handle.request.url)
            handle.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-background-networking",
                                           "--disable-component-update", "--no-first-run"])
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.goto(f"{endpoint}/sparql")
            page.wait_for_function("window.ddkbEditor !== undefined", timeout=60_000)
            assert page.text_content("#ddkb-endpoint") == f"{endpoint}/sparql"
            page.click(".CodeMirror")
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.type("SELECT ?label WHERE { ?c a skos:Concept ; skos:prefLabel ?label "
                               'FILTER(STRSTARTS(?label, "ASEAN")) } ORDER BY ?label')
            page.keyboard.press("Control+Enter")
            page.wait_for_selector(".yasr table tbody tr", timeout=60_000)
            cells = page.locator(".yasr table tbody td").all_text_contents()
            page.screenshot(path=str(tmp_path / "sparql-editor.png"))
            clean = list(problems)
            page.keyboard.press("Control+A")
            page.keyboard.type("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
            page.keyboard.press("Control+Enter")
            page.wait_for_selector(".yasr :text('SERVICE refused')", timeout=60_000)
            shown = page.text_content(".yasr") or ""
        finally:
            browser.close()
    assert any("ASEAN Regional Forum" in cell for cell in cells)
    assert all("ASEAN" in cell for cell in cells if cell.strip() and not cell.strip().isdigit())
    assert blocked == []  # nothing, not even the SERVICE query's IRI, was asked elsewhere
    assert all(url.startswith(endpoint + "/") for url in requests)
    assert f"{endpoint}/sparql" in requests[1:]  # the query went to ddkb's own endpoint
    assert clean == []  # no script error, no CSP violation
    assert "Error: SERVICE refused: federated queries reach the network" in shown
    assert (tmp_path / "sparql-editor.png").stat().st_size > 10_000


def test_query_runs_in_thread_not_event_loop(kb):
    """The evaluation happens in a worker thread: no event loop runs in the thread that queries."""
    import asyncio

    on_loop: list[bool] = []

    def get_kb():
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return kb

    app = Starlette(routes=sparql_routes(get_kb, limiter=QueryLimiter(1, 5)))
    with running_server(app) as url:
        response = httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=CLIENT_LIMIT)
    assert response.status_code == 200
    assert on_loop == [False]


def test_doctests():
    import doctest

    import ddkb.web.sparql_protocol as module

    result = doctest.testmod(module)
    assert result.attempted >= 5 and result.failed == 0
