"""The ``ddkb serve`` application: a Starlette app over one KnowledgeBase.

Routes (every page also in :mod:`ddkb.site`'s static files):

* ``/`` home, ``/browse`` concept scheme and class tree, ``/az`` A-Z index,
  ``/search?q=`` results, ``/api/search?q=`` suggestions (JSON),
  ``/fact-check``, ``/queries`` and ``/queries/NAME?param=...`` (``&format=csv|json``),
  ``/map/PATH`` the focus map of a resource, ``/static/...`` CSS and JS;
* ``/PATH`` -- any resource at the path of its IRI under ``https://w3id.org/ddkb/``,
  HTML or RDF by ``Accept`` (:mod:`ddkb.web.conneg`), or ``/PATH.ttl``,
  ``.nt``, ``.jsonld``, ``.rdf``; ``/ontology`` is the ontology's documentation.

Errors: an unknown resource or query is a 404 page, bad parameters a 400, an
unacceptable ``Accept`` a 406, a query past its time limit a 503; anything
else a 500 with one line -- never a traceback (it is logged instead).
The KB's calls run in Starlette's thread pool, so the event loop never waits.

>>> from starlette.testclient import TestClient
>>> client = TestClient(create_app())                      # doctest: +SKIP
>>> client.get("/defense-diplomacy.ttl").headers["content-type"]  # doctest: +SKIP
'text/turtle; charset=utf-8'
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import DdkbError, InputError, QueryMemoryExceeded, QueryTimeout
from ..namespaces import ONTOLOGY_IRI
from ..text import one_line
from . import conneg, pages
from .render import Links, render

log = logging.getLogger("ddkb.web")

#: Cache lifetime of pages and RDF (the KB does not change while the server runs).
CACHE_CONTROL = "public, max-age=300"
#: How many rendered answers (pages, RDF, searches) a server keeps in memory.
CACHE_ENTRIES = 1024


class Site:
    """The KB a server answers from and what it computes once about it.

    The KB does not change while the server runs, so rendered answers are kept
    (the last :data:`CACHE_ENTRIES` of them): a popular page is built once.
    """

    def __init__(self, kb: Any, sparql: bool = False,
                 query_timeout: float = pages.WEB_TIMEOUT) -> None:
        self.kb = kb
        self.sparql = sparql
        self.query_timeout = query_timeout
        self._known: frozenset[str] | None = None
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: tuple) -> Any:
        """The remembered answer under ``key``, or None (no KB work: safe on the event loop)."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None

    def cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        """``build()``, remembered under ``key`` (least recently used entries dropped)."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = build()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return value

    @property
    def known(self) -> frozenset[str]:
        """The local paths of every resource the KB describes (they have pages)."""
        if self._known is None:
            self._known = known_paths(self.kb)
        return self._known

    def links(self, here: str = "") -> Links:
        return Links("app", here, self.known, sparql=self.sparql)


def known_paths(kb: Any) -> frozenset[str]:
    """Paths of the ddkb IRIs that are the subject of a triple (each gets a page)."""
    rows = kb.select("""SELECT DISTINCT ?s WHERE { ?s ?p ?o
        FILTER(isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/ddkb/")
               && !STRSTARTS(STR(?s), "https://w3id.org/ddkb/graph/")) }""")
    found = {pages.path_for_iri(r["s"].value) for r in rows}
    return frozenset(p for p in found if p is not None and p not in pages.RESERVED)


# -- responses ------------------------------------------------------------------------------
def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": CACHE_CONTROL}
                        if status == 200 else {"Cache-Control": "no-store"})


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    """The error page (HTML), JSON for the API, or one line of text for an RDF client."""
    message = one_line(message)
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    offer = conneg.negotiate(request.headers.get("accept"))
    if offer is None or offer.name != "html":
        return PlainTextResponse(f"Error: {message}\n", status_code=status)
    site: Site = request.app.state.site
    titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
              406: "Not acceptable", 503: "Busy or too slow", 500: "Server error"}
    try:
        page = render("error.html", Links("app", "", frozenset(), sparql=site.sparql),
                      status=status, title=titles.get(status, "Error"), message=message)
    except Exception:  # the error page itself failed: still one line, never a traceback
        log.exception("cannot render the error page")
        return PlainTextResponse(f"Error: {message}\n", status_code=status)
    return _html(page, status)


def _status_for(err: DdkbError) -> int:
    if isinstance(err, pages.NotFound):
        return 404
    if isinstance(err, (QueryTimeout, QueryMemoryExceeded)):
        return 503
    if isinstance(err, InputError):
        return 400
    return 500


async def ddkb_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, DdkbError)
    status = _status_for(err)
    if status == 500:
        log.error("ddkb error on %s: %s", request.url.path, err)
    return error_response(request, status, str(err))


async def http_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, HTTPException)
    return error_response(request, err.status_code, err.detail or "error")


async def server_error(request: Request, err: Exception) -> Response:
    """Any unexpected error: logged with its traceback, answered with one line."""
    from .security import security_headers

    log.exception("internal error on %s", request.url.path)
    response = error_response(request, 500, f"internal error ({type(err).__name__}); "
                              "the server log has the details")
    # this handler runs outside every middleware: the security headers are added here
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    return response


# -- pages ------------------------------------------------------------------------------------
def _site(request: Request) -> Site:
    return request.app.state.site


def home(request: Request) -> Response:
    site = _site(request)
    return _html(site.cached(("page", "home"), lambda: render(
        "home.html", site.links(), **pages.home(site.kb))))


def browse(request: Request) -> Response:
    site = _site(request)
    return _html(site.cached(("page", "browse"), lambda: render(
        "browse.html", site.links("browse"), schemes=pages.concept_tree(site.kb),
        classes=pages.class_tree(site.kb))))


def a_to_z(request: Request) -> Response:
    site = _site(request)
    return _html(site.cached(("page", "az"), lambda: render(
        "az.html", site.links("az"), letters=pages.a_to_z(site.kb))))


def _text_param(request: Request, name: str, default: str = "") -> str:
    value = request.query_params.get(name, default)
    if "\x00" in value:
        raise InputError(f"{name}: contains a NUL character")
    return value


def search(request: Request) -> Response:
    site = _site(request)
    text = _text_param(request, "q").strip()
    hits = pages.search_hits(site.kb, text, limit=50) if text else []
    return _html(render("search.html", site.links("search"), q=text, hits=hits))


async def api_search(request: Request) -> Response:
    """Search suggestions as JSON; a repeated search is answered without the thread pool."""
    site = _site(request)
    text = _text_param(request, "q").strip()
    try:
        limit = int(request.query_params.get("limit", "10"))
    except ValueError:
        raise InputError("limit: not a whole number") from None
    key = ("search", text, limit)
    hits = site.peek(key)
    if hits is None:
        def build() -> list[dict[str, Any]]:
            found = pages.search_hits(site.kb, text, limit=limit) if text else []
            for hit in found:
                hit["url"] = site.links().resource(hit["iri"])
            return found

        hits = await run_in_threadpool(site.cached, key, build)
    return JSONResponse(hits, headers={"Cache-Control": CACHE_CONTROL})


def fact_check(request: Request) -> Response:
    site = _site(request)
    return _html(render("fact_check.html", site.links("fact-check"),
                        **pages.fact_check(site.kb, timeout=site.query_timeout)))


def query_list(request: Request) -> Response:
    site = _site(request)
    return _html(render("queries.html", site.links("queries"),
                        queries=pages.named_queries()))


def query_page(request: Request) -> Response:
    """A named query's form; with ``run`` (or any parameter) its answer; ``format`` downloads."""
    site = _site(request)
    name = request.path_params["name"]
    query = pages.named_query(name)
    given = {p.name: _text_param(request, p.name) for p in query.params
             if p.name in request.query_params}
    unknown = set(request.query_params) - {p.name for p in query.params} - {"format", "run"}
    if unknown:
        raise InputError(f"named query '{name}' has no parameter "
                         f"'{sorted(unknown)[0][:40]}'")
    fmt = request.query_params.get("format")
    ready = "run" in request.query_params or given or fmt or not any(
        p.required for p in query.params)
    result, error, status = None, None, 200
    if ready:
        try:
            result = pages.run_named_query(site.kb, name, given, timeout=site.query_timeout)
        except (InputError, QueryTimeout, QueryMemoryExceeded) as err:
            if fmt:
                raise
            error, status = one_line(str(err)), _status_for(err)
    if fmt and result is not None:
        text, media = pages.result_download(result["raw"], fmt)
        return Response(text, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
    return _html(render("query.html", site.links(f"queries/{name}"), query=query,
                        given=given, result=result, error=error), status)


def focus_map(request: Request) -> Response:
    """The focus map (depth 1) of a resource: ddkb's offline concept map page."""
    from ..conceptmap import ConceptMap
    from ..namespaces import curie
    from ..network import is_map_concept

    site = _site(request)
    iri = pages.require_resource(site.kb, request.path_params["path"])
    if not is_map_concept(site.kb, iri):  # a class, a property, a verification status ...
        raise pages.NotFound(f"{curie(iri)} has no concept map: it is no concept of the "
                             "concept graph (a class, property or verification status)")
    cmap = ConceptMap(site.kb, focus=iri, depth=1, max_nodes=pages.MAP_MAX_NODES)
    return _html(cmap.html)


async def resource(request: Request) -> Response:
    """A resource at the path of its IRI: HTML or RDF, by suffix or by ``Accept``.

    A page already rendered is answered on the event loop; building one runs
    in the thread pool.
    """
    site = _site(request)
    raw = request.path_params["path"]
    path, offer = conneg.split_suffix(raw)
    if offer is None:
        offer = conneg.negotiate(request.headers.get("accept"))
        if offer is None:
            raise HTTPException(406, "this resource is available as text/html, text/turtle, "
                                     "application/n-triples, application/ld+json and "
                                     "application/rdf+xml")
    iri = pages.iri_for_path(path)
    key = (offer.name, iri)
    body = site.peek(key)
    if body is None:
        body = await run_in_threadpool(site.cached, key,
                                       lambda: _build_resource(site, iri, path, offer.name))
    headers = {"Vary": "Accept", "Cache-Control": CACHE_CONTROL}
    media = "text/html" if offer.name == "html" else offer.media_type
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


def _build_resource(site: Site, iri: str, path: str, fmt: str) -> str:
    """The page or RDF of the resource at ``path`` (NotFound if the KB has no such thing)."""
    pages.require_resource(site.kb, path)
    if fmt == "html":
        return resource_html(site.kb, iri, site.links(path))
    return pages.serialize(pages.description(site.kb, iri), fmt)


def resource_html(kb: Any, iri: str, links: Links, maps: bool = True) -> str:
    """The HTML page of ``iri``: the ontology's documentation, or a resource page.

    A concept's page embeds its focus map when ``maps`` (the static site may leave
    the maps out: each is a self-contained page of some 800 kB).
    """
    if iri == ONTOLOGY_IRI:
        return render("ontology.html", links, doc=pages.ontology_doc(kb))
    page = pages.concept_page(kb, iri)
    map_src = links.map(iri) if maps and page["has_map"] else ""
    return render("resource.html", links, map_src=map_src, **page)


def favicon(request: Request) -> Response:
    return Response(status_code=204)


def create_app(kb: Any = None, *, sparql: bool = True, max_concurrent_queries: int = 4,
               middleware: list | None = None, query_timeout: float = pages.WEB_TIMEOUT,
               **load_options: Any) -> Starlette:
    """The ASGI application over ``kb`` (default: ``ddkb.load(**load_options)``).

    ``query_timeout`` (seconds) bounds each named query a page runs (fact check,
    the query pages); past it the page is a 503.

    With ``sparql`` (the default) it also answers the SPARQL 1.1 Protocol at
    ``/sparql`` with the query editor (:mod:`ddkb.web.sparql_protocol`): at most
    ``max_concurrent_queries`` evaluations at once, in their own threads, so a
    runaway query never holds up pages. Every answer carries the security
    headers of :mod:`ddkb.web.security` (a CSP allowing no other origin);
    ``middleware`` adds more Starlette middleware.
    """
    from starlette.middleware import Middleware

    from .security import QueryLimiter, SecurityHeadersMiddleware
    from .sparql_protocol import sparql_routes

    if kb is None:
        from ..kb import load

        kb = load(**load_options)
    extra = []
    if sparql:
        limiter = QueryLimiter(max_concurrent=max_concurrent_queries)
        extra = sparql_routes(lambda: kb, limiter=limiter)
    routes = [
        Route("/", home),
        Route("/browse", browse),
        Route("/az", a_to_z),
        Route("/search", search),
        Route("/api/search", api_search),
        Route("/fact-check", fact_check),
        Route("/queries", query_list),
        Route("/queries/{name:str}", query_page),
        Route("/map/{path:path}", focus_map),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(packages=[("ddkb.web", "static")]), name="static"),
        *extra,
        Route("/{path:path}", resource),
    ]
    stack = [Middleware(SecurityHeadersMiddleware), *(middleware or [])]
    app = Starlette(routes=routes, middleware=stack, exception_handlers={
        DdkbError: ddkb_error, HTTPException: http_error, Exception: server_error})
    app.state.site = Site(kb, sparql=bool(extra), query_timeout=query_timeout)
    return app

