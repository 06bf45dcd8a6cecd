"""``/sparql``: the SPARQL 1.1 Protocol (query operation only) over the loaded knowledge base.

Interface (wired into the application by ``ddkb.web.app.create_app``)::

    sparql_routes(get_kb, *, limiter, settings=None) -> list[BaseRoute]
    editor_static_routes() -> list[BaseRoute]      # /static/yasgui/... (if /static is not
                                                   # already served from ddkb/web/static)

``get_kb()`` returns the :class:`~ddkb.kb.KnowledgeBase` to query (called in the
worker thread); ``limiter`` is the app's :class:`~ddkb.web.security.QueryLimiter`;
``settings`` (:class:`SparqlSettings`) holds the limits.

What ``/sparql`` accepts (https://www.w3.org/TR/sparql11-protocol/#query-operation):

* ``GET /sparql?query=...``, ``POST`` with ``application/x-www-form-urlencoded``
  (``query=...``) and ``POST`` with ``application/sparql-query`` (the query is the
  body). More than one ``query`` is a 400.
* The answer's format follows ``Accept``: SELECT and ASK as
  ``application/sparql-results+json`` (the default), ``application/sparql-results+xml``,
  ``text/csv`` or ``text/tab-separated-values`` (SELECT only); CONSTRUCT and DESCRIBE
  as ``text/turtle`` (the default), ``application/n-triples``, ``application/rdf+xml`` or
  ``application/ld+json``. When nothing on offer is acceptable the answer comes in
  the default format of its kind (HTTP allows this instead of 406; rdflib's
  ``SPARQLStore`` asks for SPARQL JSON even for a CONSTRUCT and reads Turtle fine).
* Read-only: an ``update`` parameter or an ``application/sparql-update`` body is
  refused with 400; a SPARQL Update sent as ``query`` is refused with 400 by the
  query checks. Methods other than GET/POST get 405.
* ``default-graph-uri`` / ``named-graph-uri`` are refused with 400: the default graph
  is always the union of all graphs (``GRAPH <g> { ... }`` reads one graph).
* Every query goes through :meth:`ddkb.kb.KnowledgeBase.query` -- the same checks and
  limits as ``ddkb query``: SERVICE and FROM refused, the query-size and nesting caps,
  a time limit and a memory cap (the evaluation runs in a killed-on-time child
  process), and a row cap (a longer answer is cut and flagged in the
  ``X-DDKB-Truncated`` header). It runs in a worker thread under the
  :class:`~ddkb.web.security.QueryLimiter` (503 with ``Retry-After`` when every slot
  stays taken), so the event loop is never blocked.
* A request body over ``settings.max_body`` bytes: 413. A malformed query or bad
  parameter: 400; a query stopped by its time or memory limit: 500 (the protocol's
  "failed to execute"). Every error body is one line of text, ``Error: ...``.
* ``GET /sparql`` without a query from a browser (``Accept`` prefers ``text/html``)
  answers the query editor page (YASGUI, served from ``/static/yasgui/``), with the
  ``query`` filled in when one is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ddkb.errors import DdkbError, EndpointError, InputError
from ddkb.kb import DEFAULT_MAX_MEMORY, DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, KnowledgeBase
from ddkb.web.security import QueryLimiter, ServerBusy, error_response, server_busy_handler

#: Largest request body accepted (bytes): room for the 1,000,000-character query
#: cap of :mod:`ddkb.sparql` even when URL-encoded.
MAX_BODY_BYTES = 4 << 20
#: A body over the cap is read (and dropped) up to this many times the cap, so that
#: the client reads the 413 instead of a reset connection.
DRAIN_FACTOR = 8

SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"

#: Media type -> ddkb result format name, per kind of answer; the first is the default.
RESULT_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "select": (("application/sparql-results+json", "json"), ("application/json", "json"),
               ("application/sparql-results+xml", "xml"), ("application/xml", "xml"),
               ("text/xml", "xml"), ("text/csv", "csv"), ("text/tab-separated-values", "tsv")),
    "ask": (("application/sparql-results+json", "json"), ("application/json", "json"),
            ("application/sparql-results+xml", "xml"), ("application/xml", "xml"),
            ("text/xml", "xml")),
    "graph": (("text/turtle", "turtle"), ("application/n-triples", "nt"),
              ("application/rdf+xml", "xml"), ("application/ld+json", "jsonld"),
              ("text/plain", "nt")),
}

EXAMPLE_QUERY = """\
PREFIX ddkb: <https://w3id.org/ddkb/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# Concepts of the knowledge base with their English labels
SELECT ?concept ?label ?definition WHERE {
  ?concept a skos:Concept ;
           skos:prefLabel ?label .
  FILTER (lang(?label) = "en")
  OPTIONAL { ?concept skos:definition ?definition }
}
ORDER BY ?label
LIMIT 25
"""


@dataclass(frozen=True)
class SparqlSettings:
    """Limits of ``/sparql`` (the CLI's defaults): seconds, rows, bytes of memory, body bytes."""

    timeout: float | None = DEFAULT_TIMEOUT
    max_rows: int | None = DEFAULT_MAX_ROWS
    max_memory: int | None = DEFAULT_MAX_MEMORY
    max_body: int = MAX_BODY_BYTES


class ProtocolError(Exception):
    """A request the protocol says to refuse: ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


# -- content negotiation -------------------------------------------------------------------
def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs, in the header's order; no header is ``*/*``.

    The pairs are read by :func:`ddkb.web.conneg.parse_accept` (one parser for the
    whole server, with its length cap).

    >>> parse_accept("text/csv;q=0.5, application/sparql-results+json")
    [('text/csv', 0.5), ('application/sparql-results+json', 1.0)]
    """
    from ddkb.web.conneg import parse_accept as parse_ranges

    if not header or not header.strip():
        return [("*/*", 1.0)]
    return parse_ranges(header)


def quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """(q, specificity) the client gives ``media_type``: the most specific range wins.

    Specificity: 2 for an exact match, 1 for ``type/*``, 0 for ``*/*``, -1 for none.
    """
    kind = media_type.split("/")[0]
    best = (0.0, -1)
    for media, q in ranges:
        if media == media_type:
            level = 2
        elif media == f"{kind}/*":
            level = 1
        elif media == "*/*":
            level = 0
        else:
            continue
        if level > best[1]:
            best = (q, level)
    return best


def negotiate(kind: str, accept: str | None) -> tuple[str, str] | None:
    """(media type, ddkb format name) for a ``select``/``ask``/``graph`` answer, or None.

    The client's q decides, then how specifically it named the type, then the
    server's order (JSON first for results, Turtle first for graphs).

    >>> negotiate("select", "text/csv, */*;q=0.1")
    ('text/csv', 'csv')
    >>> negotiate("graph", None)
    ('text/turtle', 'turtle')
    >>> negotiate("ask", "text/csv") is None
    True
    """
    ranges = parse_accept(accept)
    offers = RESULT_TYPES[kind]
    scored = [(quality(media, ranges), -i, media, name) for i, (media, name) in enumerate(offers)]
    (q, level), _, media, name = max(scored)
    return (media, name) if q > 0 and level >= 0 else None


def prefers_html(accept: str | None) -> bool:
    """True when the client names ``text/html`` and likes it at least as much as any answer type.

    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> prefers_html("text/html;q=0.5, text/csv"), prefers_html("*/*")
    (False, False)
    """
    ranges = parse_accept(accept)
    html_q, html_level = quality("text/html", ranges)
    answers = max(quality(media, ranges)[0] for offers in RESULT_TYPES.values()
                  for media, _ in offers)
    return html_level == 2 and html_q > 0 and html_q >= answers


# -- reading the request ---------------------------------------------------------------------
def parse_form(raw: bytes, where: str) -> dict[str, list[str]]:
    """URL-encoded ``name=value&...`` (UTF-8 after percent-decoding, strictly) as lists."""
    try:
        text = raw.decode("ascii")
        return parse_qs(text, keep_blank_values=True, strict_parsing=False,
                        encoding="utf-8", errors="strict", max_num_fields=1000)
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {where} is not valid UTF-8 (percent-encoded)") from None
    except ValueError as err:
        raise ProtocolError(400, f"the {where} could not be read ({err})") from None


async def read_body(request: Request, cap: int) -> bytes:
    """The request body; more than ``cap`` bytes is refused with 413.

    A body over the cap is still read to its end (and dropped), up to
    :data:`DRAIN_FACTOR` times the cap: a client that sends its whole body before
    reading the answer (urllib, curl) would otherwise see the connection reset
    instead of the 413. A body declared larger than that is refused at once.
    """
    length = request.headers.get("content-length", "").strip()
    declared = int(length) if length.isdigit() else 0
    too_large = ProtocolError(413, f"the request body is larger than the limit of {cap:,} bytes")
    if declared > cap * DRAIN_FACTOR:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap * DRAIN_FACTOR:
            raise too_large
        if size <= cap:
            chunks.append(chunk)
    if size > cap or declared > cap:
        raise too_large
    return b"".join(chunks)


def media_type_of(request: Request) -> tuple[str, str]:
    """(media type, charset) of the request's Content-Type (lower case; charset '' if none)."""
    fields = [f.strip() for f in request.headers.get("content-type", "").split(";")]
    charset = ""
    for param in fields[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return fields[0].lower(), charset


async def request_params(request: Request, max_body: int) -> dict[str, list[str]]:
    """The protocol parameters of a GET or POST request (``query``, graph URIs, ...)."""
    params = parse_form(request.scope.get("query_string", b""), "query string")
    if request.method != "POST":
        return params
    media, charset = media_type_of(request)
    if media == SPARQL_UPDATE:
        raise ProtocolError(400, "SPARQL Update is refused: this endpoint is read-only")
    if media not in (FORM, SPARQL_QUERY):
        raise ProtocolError(415, f"unsupported Content-Type '{media or '(none)'}': send "
                                 f"{FORM} (query=...) or {SPARQL_QUERY}")
    body = await read_body(request, max_body)
    if media == FORM:
        if params.get("query"):
            raise ProtocolError(400, "give the query in the request body or in the URL, "
                                     "not both")
        for name, values in parse_form(body, "request body").items():
            params.setdefault(name, []).extend(values)
        return params
    if charset not in ("", "utf-8", "utf8", "us-ascii", "ascii"):
        raise ProtocolError(415, f"charset '{charset}' is not supported; send UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(400, f"the query is not valid UTF-8 (byte {err.start + 1})") from None
    if "query" in params:
        raise ProtocolError(400, f"with Content-Type {SPARQL_QUERY} the query is the body; "
                                 "do not also give query= in the URL")
    params["query"] = [text]
    return params


def the_query(params: dict[str, list[str]]) -> str | None:
    """The single ``query`` (None if absent), refusing updates and dataset parameters."""
    if "update" in params:
        raise ProtocolError(400, "SPARQL Update is refused: this endpoint is read-only")
    for name in ("default-graph-uri", "named-graph-uri"):
        if name in params:
            raise ProtocolError(400, f"{name} is not supported: the default graph is the "
                                     "union of all graphs; use GRAPH <iri> { ... } in the "
                                     "query to read one graph")
    queries = params.get("query", [])
    if len(queries) > 1:
        raise ProtocolError(400, f"{len(queries)} 'query' parameters given; send exactly one")
    return queries[0] if queries else None


# -- answering -------------------------------------------------------------------------------
#: CLI advice in the library's messages -> what it means on the endpoint.
_WEB_WORDING = (
    (re.compile(r"; add --allow-network to allow them"), "; this endpoint never allows them"),
    (re.compile(r"are allowed only with --allow-network \(then FROM <g> reads the loaded "
                r"graph g; nothing is fetched\)"), "are not allowed on this endpoint"),
    (re.compile(r"; fix the query, or add --allow-network to run it unchecked"),
     "; fix the query"),
    (re.compile(r"\(--timeout\)"), "(the endpoint's time limit)"),
    (re.compile(r"\(--max-memory\)"), "(the endpoint's memory cap)"),
    (re.compile(r"ddkb query is read-only"), "this endpoint is read-only"),
    (re.compile(r" \(use --max-rows to raise the cap\)"), " (the endpoint's row cap)"),
)


def web_message(text: str) -> str:
    """A library message with its command-line advice put in the endpoint's terms."""
    for pattern, replacement in _WEB_WORDING:
        text = pattern.sub(replacement, text)
    return text


def status_for(err: DdkbError) -> int:
    """400 for the client's fault (bad or refused query), 502 when the KB's own remote
    endpoint (``--endpoint``) failed, 500 for a query that failed to run (time, memory)."""
    if isinstance(err, InputError):
        return 400
    return 502 if isinstance(err, EndpointError) else 500


def result_response(result: Any, accept: str | None) -> Response:
    """A QueryResult in the negotiated format (the kind's default if none on offer fits)."""
    from ddkb.results import format_result

    kind = "graph" if result.kind in ("construct", "describe") else result.kind
    # nothing acceptable fits this kind of answer (e.g. a client that asks every query
    # for SPARQL JSON, as rdflib's SPARQLStore does, sends a CONSTRUCT): the kind's
    # default format, as HTTP allows, rather than 406 -- the client reads Content-Type
    media, name = negotiate(kind, accept) or RESULT_TYPES[kind][0]
    body = format_result(result, name)
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if result.truncated:
        headers["X-DDKB-Truncated"] = web_message(result.reason)
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


@cache
def _templates():
    """The Jinja2 environment of ``ddkb/web/templates`` (autoescaping on), made once."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("ddkb.web", "templates"),
                       autoescape=select_autoescape(default=True))


def editor_page(request: Request, query: str | None = None) -> HTMLResponse:
    """The YASGUI query editor, set up for this endpoint (and ``query``, if given)."""
    import json

    from ddkb.namespaces import PREFIXES

    config = {"endpoint": request.url.path, "query": query or EXAMPLE_QUERY,
              "prefixes": PREFIXES}
    # JSON inside <script type="application/json">: no "<" may end the element
    config_json = json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e")
    html = _templates().get_template("sparql_editor.html").render(config_json=config_json)
    return HTMLResponse(html, headers={"Vary": "Accept", "Cache-Control": "no-store"})


def sparql_routes(get_kb: Callable[[], KnowledgeBase], *, limiter: QueryLimiter,
                  settings: SparqlSettings | None = None) -> list[BaseRoute]:
    """The ``/sparql`` route (GET and POST) answering over ``get_kb()`` under ``limiter``."""
    limits = settings or SparqlSettings()

    def evaluate(text: str):
        return get_kb().query(text, timeout=limits.timeout, max_rows=limits.max_rows,
                              max_memory=limits.max_memory)

    async def sparql(request: Request) -> Response:
        accept = request.headers.get("accept")
        try:
            query = the_query(await request_params(request, limits.max_body))
            if request.method == "GET" and prefers_html(accept):
                return editor_page(request, query)
            if query is None:
                raise ProtocolError(400, "no query given: send query=... (GET or a POST form) "
                                         f"or POST the query as {SPARQL_QUERY}")
            result = await limiter.run(evaluate, query)
            return result_response(result, accept)
        except ProtocolError as err:
            return error_response(err.status, str(err), err.headers)
        except ServerBusy as err:
            return await server_busy_handler(request, err)
        except DdkbError as err:
            return error_response(status_for(err), web_message(str(err)))

    return [Route("/sparql", sparql, methods=["GET", "POST"], name="sparql")]


def static_folder() -> str:
    """The folder of ddkb's web static files (``ddkb/web/static``)."""
    return str(resources.files("ddkb.web").joinpath("static"))


def editor_static_routes() -> list[BaseRoute]:
    """``/static/yasgui/...``: the vendored YASGUI files and ddkb's editor script."""
    from starlette.staticfiles import StaticFiles

    return [Mount("/static/yasgui",
                  app=StaticFiles(directory=f"{static_folder()}/yasgui"), name="yasgui")]
