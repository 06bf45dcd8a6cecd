"""A remote SPARQL 1.1 endpoint as a query engine, answering like pyoxigraph's ``Store.query``.

:class:`RemoteEndpoint` sends queries over the SPARQL 1.1 Protocol (HTTP POST,
form-encoded) and reads the answer back into pyoxigraph's own result types
(``QuerySolutions``, ``QueryBoolean``, ``QueryTriples``), so code written for
the embedded store runs unchanged on a server:

* ``prefixes`` are declared as ``PREFIX`` lines unless the query declares them;
* ``substitutions`` (bound variables) travel as a ``VALUES`` block of serialised
  RDF terms at the start of the query's outermost WHERE group -- never as text
  pasted from the user -- which gives the same answers as pyoxigraph's
  substitutions (except ``BOUND(?var)``, which pyoxigraph reports as false);
* ``union=True`` makes the default graph the union of the graphs ddkb pushed
  (listed in the push manifest graph) or, with no manifest, of every named
  graph, by sending them as ``default-graph-uri`` and ``named-graph-uri``: an
  Oxigraph server's default graph is only its default graph and Virtuoso's is
  the union of *all* its graphs, system graphs included, so neither can be
  left to itself.

Robustness: a time limit on every request (connect and read), retries with
exponential backoff on 503 and 429 (honouring ``Retry-After``, capped), a cap
on the size of an answer, and one-line :class:`~ddkb.errors.EndpointError`
messages (exit code 2) for a refused connection, a timeout, an HTTP error and
an answer that is not SPARQL results. Credentials come from the environment
(``DDKB_ENDPOINT_USER`` / ``DDKB_ENDPOINT_PASSWORD``) or the ``auth`` argument;
basic and digest authentication are both answered. They are never shown: not
in ``repr``, not in any message (user info in a URL is taken as credentials
and removed from the URL).

Only the standard library speaks HTTP (``urllib.request``): it has digest
authentication, proxies from the environment and TLS, which is all this needs.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from .errors import EndpointError, InputError
from .formats import RDF_SYNTAXES, RESULT_SYNTAXES

#: Environment variables read by :meth:`RemoteEndpoint.from_env`.
ENV_URL = "DDKB_ENDPOINT"
ENV_USER = "DDKB_ENDPOINT_USER"
ENV_PASSWORD = "DDKB_ENDPOINT_PASSWORD"

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
#: Largest answer read from a server (bytes); a bigger one is refused.
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
#: Longest wait between two attempts, whatever ``Retry-After`` asks (seconds).
MAX_RETRY_WAIT = 10.0
#: First backoff wait (seconds); doubled after each attempt.
BACKOFF_BASE = 0.5
#: More named graphs than this and the union is left to the server's default graph.
MAX_DATASET_GRAPHS = 10_000

#: How ``union=True`` queries get the union of the graphs as default graph:
#: ``auto`` (send the graphs only if the server does not union them itself),
#: ``dataset`` (always send them), ``server`` (never; trust the server).
UNION_MODES = ("auto", "dataset", "server")

#: The graph where ``ddkb push`` records what it pushed (see :mod:`ddkb.push`).
MANIFEST_GRAPH = "https://w3id.org/ddkb/graph/push-manifest"
#: Graphs a push uploads into before swapping them in; never part of the union.
STAGING_PREFIX = "https://w3id.org/ddkb/graph/push-staging/"
#: The vocabulary of the manifest graph.
PUSH_NS = "https://w3id.org/ddkb/push#"

#: Media type -> result format of the SELECT/ASK answers read (CSV loses term types: not read).
_RESULT_FORMATS = {m: f.engine for f in RESULT_SYNTAXES if f.name != "csv" for m in f.media_types}
#: Media type -> RDF format of the CONSTRUCT/DESCRIBE answers read.
_GRAPH_FORMATS = {m: f.engine for f in RDF_SYNTAXES if f.name in ("nt", "turtle", "nquads", "xml")
                  for m in f.media_types}
_ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"

# Everything in a query that may hold a brace, a '#' or a keyword without being
# one: strings (long and short), IRIs and comments (same tokens as ddkb.sparql).
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
    re.DOTALL,
)
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RemoteEndpoint:
    """A SPARQL 1.1 endpoint on a server, queried like a pyoxigraph ``Store``.

    ``url`` is the query endpoint (e.g. ``http://127.0.0.1:7878/query`` for
    Oxigraph, ``http://host:8890/sparql`` for Virtuoso). ``update_url`` and
    ``graph_store_url`` (used by ``ddkb push``) are derived from it and the
    server's kind when not given. ``auth`` is ``(user, password)``; without it
    ``DDKB_ENDPOINT_USER`` / ``DDKB_ENDPOINT_PASSWORD`` are used when set.
    ``graphs`` fixes the union's graphs instead of reading them from the server;
    ``union`` is one of :data:`UNION_MODES` (see :meth:`dataset`).

    >>> RemoteEndpoint("http://alice:secret@127.0.0.1:7878/query")
    RemoteEndpoint('http://127.0.0.1:7878/query', credentials=set)
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, update_url: str | None = None,
                 graph_store_url: str | None = None, auth: tuple[str, str] | None = None,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 graphs: Iterable[str] | None = None, union: str = "auto") -> None:
        self.url, url_auth = _split_credentials(url, "endpoint URL")
        if not timeout > 0:
            raise InputError(f"the endpoint timeout must be a positive number of seconds, "
                             f"not {timeout!r}")
        if retries < 0:
            raise InputError(f"the number of retries must be 0 or more, not {retries!r}")
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.max_response_bytes = int(max_response_bytes)
        self._update_url = _split_credentials(update_url, "update URL")[0] if update_url else None
        self._graph_store_url = (_split_credentials(graph_store_url, "Graph Store URL")[0]
                                 if graph_store_url else None)
        self._credentials = auth or url_auth or _env_credentials()
        if union not in UNION_MODES:
            raise InputError(f"unknown union mode {union!r} (known: {', '.join(UNION_MODES)})")
        self.union = union
        self._fixed_graphs = list(graphs) if graphs is not None else None
        self._dataset: list[str] | None | bool = False  # False: not looked up yet
        self._server = ""
        self._opener = self._build_opener()
        self._logged_in = False
        self.requests = 0  # HTTP requests sent, retries included (for reports and tests)

    @classmethod
    def from_env(cls, url: str | None = None, **options: Any) -> RemoteEndpoint:
        """The endpoint named by ``url`` or else ``$DDKB_ENDPOINT``; InputError if neither."""
        url = url or os.environ.get(ENV_URL)
        if not url:
            raise InputError(f"no SPARQL endpoint given: use --endpoint URL or set {ENV_URL}")
        return cls(url, **options)

    def __repr__(self) -> str:
        state = "set" if self._credentials else "none"
        return f"RemoteEndpoint({self.url!r}, credentials={state})"

    @property
    def has_credentials(self) -> bool:
        """True when a user and password will be offered to the server."""
        return self._credentials is not None

    # -- queries ----------------------------------------------------------------
    def query(self, sparql: str, *, prefixes: Mapping[str, str] | None = None,
              substitutions: Mapping[Any, Any] | None = None, union: bool = True,
              timeout: float | None = None) -> Any:
        """Run a read-only query on the server; answer like pyoxigraph's ``Store.query``.

        Returns ``QuerySolutions`` (SELECT), ``QueryBoolean`` (ASK) or
        ``QueryTriples`` (CONSTRUCT/DESCRIBE). ``substitutions`` maps variable
        names (or ``pyoxigraph.Variable``) to pyoxigraph terms. ``union=False``
        leaves the default graph to the query's FROM clauses or the server.
        Raises EndpointError (unreachable, HTTP error, not SPARQL results),
        RefusedError for SPARQL Update, InputError for a bad substitution.
        """
        from .sparql import check_query

        if timeout is not None and not timeout > 0:  # also NaN
            raise InputError(f"the timeout must be a positive number of seconds, not {timeout!r}")
        form = check_query(sparql, allow_network=True)  # refuses updates
        text = with_prefixes(sparql, prefixes or {})
        if substitutions:
            text = with_values(text, substitutions, form)
        fields: list[tuple[str, str]] = [("query", text)]
        if union:
            for graph in self.dataset() or ():
                fields += [("default-graph-uri", graph), ("named-graph-uri", graph)]
        accept = _ACCEPT_RESULTS if form in ("select", "ask") else _ACCEPT_GRAPH
        status, ctype, body, headers = self._send("POST", self.url, _form(fields), {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            what="SPARQL endpoint", timeout=timeout)
        cut = headers.get("X-SPARQL-MaxRows")
        if cut:  # Virtuoso's ResultSetMaxRows: the answer is silently incomplete
            raise EndpointError(f"the SPARQL endpoint {_describe(self.url)} cut its answer at "
                                f"{self._sanitise(cut)} rows (a limit of the server: Virtuoso's "
                                "ResultSetMaxRows); ask for fewer rows with LIMIT")
        return self._read_answer(ctype, body, form)

    def update(self, sparql: str) -> None:
        """Run SPARQL Update on the update endpoint (used by ``ddkb push`` only)."""
        url = self.update_url()
        self._send("POST", url, _form([("update", sparql)]),
                   {"Content-Type": "application/x-www-form-urlencoded"}, what="update endpoint")

    def count(self, graph: str) -> int:
        """The number of triples in the named graph ``graph`` (0 if it does not exist)."""
        rows = list(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_iri(graph)} "
                               "{ ?s ?p ?o } }", union=False))
        return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0

    def counts(self, graphs: Iterable[str]) -> dict[str, int]:
        """Triples per named graph for ``graphs`` in one query (missing graphs count 0)."""
        wanted = list(graphs)
        result = {g: 0 for g in wanted}
        if not wanted:
            return result
        values = " ".join(_iri(g) for g in wanted)
        rows = self.query("SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { " + values + " } "
                          "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", union=False)
        for row in rows:
            result[row["g"].value] = int(row["n"].value)
        return result

    # -- the union's graphs -----------------------------------------------------------
    def dataset(self) -> list[str] | None:
        """The graphs to send as the query dataset, or None to use the server's default graph.

        Looked up once per endpoint. The graphs are those listed in ddkb's push
        manifest, else every named graph of the server (ddkb's bookkeeping
        graphs left out). With ``union="auto"`` they are sent only when the
        server's default graph is *not* already the union of its named graphs
        (Oxigraph server): Virtuoso gives wrong answers to some queries as
        soon as a dataset is sent (its 7.2 property paths), and its default
        graph is already the union. None too when there is no named graph, or
        more than :data:`MAX_DATASET_GRAPHS`, or the server refuses the look-up.
        """
        if self._fixed_graphs is not None:
            return self._fixed_graphs or None
        if self._dataset is False:
            self._dataset = self._look_up_dataset()
        return self._dataset  # type: ignore[return-value]

    def forget_dataset(self) -> None:
        """Look the union's graphs up again before the next query (after a push)."""
        self._dataset = False

    def pushed_graphs(self) -> list[str]:
        """The graphs the push manifest lists (empty if nothing was pushed)."""
        rows = self.query(f"SELECT ?g WHERE {{ GRAPH {_iri(MANIFEST_GRAPH)} "
                          f"{{ {_iri(MANIFEST_GRAPH)} {_iri(PUSH_NS + 'graph')} ?g }} }}",
                          union=False)
        return sorted(row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode))

    def _look_up_dataset(self) -> list[str] | None:
        try:
            graphs = self.pushed_graphs() or self._named_graphs()
            if not graphs or len(graphs) > MAX_DATASET_GRAPHS:
                return None
            if self.union == "server" or (self.union == "auto" and self._server_unions()):
                return None
        except EndpointError as err:
            if getattr(err, "status", None) is None:
                raise  # unreachable: the query itself would fail the same way
            return None  # the server refuses the look-up: its own default graph
        return graphs

    def _named_graphs(self) -> list[str]:
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } "
                          f"LIMIT {MAX_DATASET_GRAPHS + 1}", union=False)
        return sorted(row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)
                      and row["g"].value != MANIFEST_GRAPH
                      and not row["g"].value.startswith(STAGING_PREFIX))

    def _server_unions(self) -> bool:
        """True if a triple that is only in a named graph shows in the server's default graph."""
        sample = list(self.query(
            "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o)) }"
            " LIMIT 1", union=False))
        if not sample:
            return False
        row = sample[0]
        return bool(self.query("ASK { ?s ?p ?o }", union=False, substitutions={
            "s": row["s"], "p": row["p"], "o": row["o"]}))

    # -- Graph Store HTTP Protocol ----------------------------------------------------
    def put_graph(self, graph: str, data: bytes, content_type: str = "application/n-triples"
                  ) -> None:
        """Replace the named graph ``graph`` with ``data`` (Graph Store PUT)."""
        self._send("PUT", self._graph_url(graph), data, {"Content-Type": content_type},
                   what="Graph Store endpoint")

    def post_graph(self, graph: str, data: bytes, content_type: str = "application/n-triples"
                   ) -> None:
        """Add ``data`` to the named graph ``graph`` (Graph Store POST)."""
        self._send("POST", self._graph_url(graph), data, {"Content-Type": content_type},
                   what="Graph Store endpoint")

    def delete_graph(self, graph: str) -> bool:
        """Delete the named graph ``graph``; False if it did not exist (404)."""
        try:
            self._send("DELETE", self._graph_url(graph), None, {}, what="Graph Store endpoint")
        except EndpointError as err:
            if getattr(err, "status", None) == 404:
                return False
            raise
        return True

    def _graph_url(self, graph: str) -> str:
        return self.graph_store_url() + "?" + urllib.parse.urlencode({"graph": graph})

    # -- where to write ---------------------------------------------------------------
    def server_kind(self) -> str:
        """``virtuoso``, ``oxigraph``, ``fuseki`` or ``other``, from the ``Server`` header."""
        if not self._server:
            self.query("ASK { }", union=False)
        name = self._server.lower()
        for kind, mark in (("virtuoso", "virtuoso"), ("oxigraph", "oxigraph"),
                           ("fuseki", "fuseki"), ("fuseki", "jena")):
            if mark in name:
                return kind
        return "other"

    def graph_store_url(self) -> str:
        """The Graph Store Protocol URL: given, or derived for Virtuoso, Oxigraph and Fuseki."""
        if self._graph_store_url is None:
            self._graph_store_url = self._derive("graph store")
        return self._graph_store_url

    def update_url(self) -> str:
        """The SPARQL Update URL: given, or derived for Virtuoso, Oxigraph and Fuseki."""
        if self._update_url is None:
            self._update_url = self._derive("update")
        return self._update_url

    def _derive(self, which: str) -> str:
        kind = self.server_kind()
        parts = urllib.parse.urlsplit(self.url)
        root = f"{parts.scheme}://{parts.netloc}"
        folder = root + parts.path.rsplit("/", 1)[0]
        auth = self._credentials is not None
        if kind == "virtuoso":
            if which == "graph store":
                return root + ("/sparql-graph-crud-auth" if auth else "/sparql-graph-crud")
            return root + ("/sparql-auth" if auth else "/sparql")
        if kind == "oxigraph":
            return folder + ("/store" if which == "graph store" else "/update")
        if kind == "fuseki":
            return folder + ("/data" if which == "graph store" else "/update")
        option = "--graph-store-url" if which == "graph store" else "--update-url"
        raise EndpointError(f"cannot tell the {which} URL of {self.url} (an unknown kind of "
                            f"server); give it with {option}")

    # -- HTTP ----------------------------------------------------------------------------
    def _build_opener(self) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = []
        if self._credentials:
            user, password = self._credentials
            # "prior auth": after one accepted basic login, later requests send it at once
            manager = urllib.request.HTTPPasswordMgrWithPriorAuth()
            for url in (self.url, self._update_url, self._graph_store_url):
                if url:
                    parts = urllib.parse.urlsplit(url)
                    manager.add_password(None, f"{parts.scheme}://{parts.netloc}/", user,
                                         password)
            # digest first (its handler_order is lower): Virtuoso's crud-auth asks for it
            handlers += [_PreemptiveDigestAuthHandler(manager),
                         urllib.request.HTTPBasicAuthHandler(manager)]
        return urllib.request.build_opener(*handlers)

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str], *,
              what: str, timeout: float | None = None) -> tuple[int, str, bytes, Any]:
        """Send one request (retrying 503/429); return (status, content type, body, headers)."""
        limit = self.timeout if timeout is None else timeout
        shown = _describe(url)
        for attempt in range(self.retries + 1):
            self._reset_auth_handlers()
            request = urllib.request.Request(url, data=data, method=method, headers={
                "User-Agent": "ddkb", **headers})
            self.requests += 1
            try:
                return self._open(request, limit, shown, what)
            except urllib.error.HTTPError as err:
                self._server = err.headers.get("Server", "") or self._server
                body = _read_capped(err, self.max_response_bytes, time.monotonic() + limit,
                                    shown, what, limit, quiet=True)
                err.close()
                if err.code in (429, 503) and attempt < self.retries:
                    time.sleep(_retry_wait(err.headers.get("Retry-After"), attempt))
                    continue
                raise self._http_error(err.code, err.reason, err.headers, body, shown,
                                       what) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
                reason = getattr(err, "reason", err)
                if (self._credentials and data and attempt == 0 and not self._logged_in
                        and isinstance(reason, (BrokenPipeError, ConnectionResetError))):
                    # the server refused the login before reading the whole body: log in
                    # with a request that has none, then send the body authenticated
                    self._log_in(url, limit)
                    continue
                raise self._network_error(err, shown, what, limit) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_in(self, url: str, limit: float) -> None:
        """A HEAD request to ``url`` (any answer will do) so that the login is known."""
        self._logged_in = True
        self.requests += 1
        try:
            with self._opener.open(urllib.request.Request(url, method="HEAD", headers={
                    "User-Agent": "ddkb"}), timeout=limit):
                pass
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            pass  # the real request says what is wrong

    def _reset_auth_handlers(self) -> None:
        """Start the digest handler's retry count afresh for each request.

        urllib counts failed digest rounds across requests whenever an
        authenticated request ends in another error (a 404 from deleting a
        missing graph), and after five of them refuses every later request
        with "digest auth failed".
        """
        for handler in self._opener.handlers:
            reset = getattr(handler, "reset_retry_count", None)
            if reset is not None:
                reset()

    def _open(self, request: urllib.request.Request, limit: float, shown: str,
              what: str) -> tuple[int, str, bytes, Any]:
        deadline = time.monotonic() + limit
        with self._opener.open(request, timeout=limit) as answer:
            self._server = answer.headers.get("Server", "") or self._server
            ctype = answer.headers.get("Content-Type", "") or ""
            body = _read_capped(answer, self.max_response_bytes, deadline, shown, what, limit)
            return answer.status, ctype, body, answer.headers

    def _http_error(self, status: int, reason: str, headers: Any, body: bytes, shown: str,
                    what: str) -> EndpointError:
        detail = self._sanitise(_first_line(body, headers.get("Content-Type", "") or ""))
        hint = ""
        if status in (401, 403):
            hint = (f" (the credentials from {ENV_USER}/{ENV_PASSWORD} were refused)"
                    if self._credentials else
                    f" (set {ENV_USER} and {ENV_PASSWORD} for a server that needs a login)")
        message = f"the {what} {shown} answered HTTP {status} {reason or ''}".rstrip()
        message += hint + (f": {detail}" if detail else "")
        err = EndpointError(message)
        err.status = status  # type: ignore[attr-defined]
        return err

    def _network_error(self, err: BaseException, shown: str, what: str,
                       limit: float) -> EndpointError:
        reason = getattr(err, "reason", err)
        if isinstance(reason, (TimeoutError, socket.timeout)) or "timed out" in str(reason):
            return EndpointError(f"the {what} {shown} did not answer within {limit:g} s")
        if isinstance(reason, ConnectionRefusedError):
            return EndpointError(f"cannot reach the {what} {shown}: connection refused")
        if isinstance(reason, socket.gaierror):
            return EndpointError(f"cannot reach the {what} {shown}: unknown host")
        if isinstance(reason, ssl.SSLError):
            return EndpointError(f"cannot reach the {what} {shown}: TLS error "
                                 f"({self._sanitise(getattr(reason, 'reason', '') or '')})")
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return EndpointError(f"cannot reach the {what} {shown}: {self._sanitise(text)}")

    def _sanitise(self, text: str) -> str:
        """One short printable line with no credential in it (terminal escapes dropped)."""
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?", "", str(text))
        text = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
        if self._credentials:
            for secret in self._credentials[1:]:
                if secret:
                    text = text.replace(secret, "***")
        return text[:200] + ("..." if len(text) > 200 else "")

    def _read_answer(self, ctype: str, body: bytes, form: str) -> Any:
        media = ctype.split(";")[0].strip().lower()
        shown = _describe(self.url)
        if form in ("select", "ask"):
            fmt = _RESULT_FORMATS.get(media)
            if fmt is None:
                raise EndpointError(f"the SPARQL endpoint {shown} answered "
                                    f"{media or 'no content type'}, not SPARQL results")
            return _parse_results(body, fmt, media, shown)
        fmt = _GRAPH_FORMATS.get(media)
        if fmt is None:
            raise EndpointError(f"the SPARQL endpoint {shown} answered "
                                f"{media or 'no content type'}, not an RDF graph")
        graph = ox.Store()
        try:
            graph.load(body, format=fmt)
        except (SyntaxError, ValueError) as err:
            raise EndpointError(f"the SPARQL endpoint {shown} sent a broken {media} graph: "
                                f"{self._sanitise(str(err))}") from None
        return graph.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")


class _PreemptiveDigestAuthHandler(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that reuses the server's last challenge for the next requests.

    urllib's handler sends every request without credentials first and only
    answers the 401 that follows. With a big body that doubles the upload, and
    Virtuoso answers 401 and closes the connection before reading the body,
    which breaks the upload ("Broken pipe"). Reusing the nonce (with a growing
    nonce count, as RFC 7616 allows) avoids both; a server that no longer
    accepts it answers 401 and the normal round trip follows.
    """

    def __init__(self, passwd: Any = None) -> None:
        super().__init__(passwd)
        self._challenge: dict[str, str] | None = None

    def retry_http_digest_auth(self, req: Any, auth: str) -> Any:
        _, challenge = auth.split(" ", 1)
        self._challenge = urllib.request.parse_keqv_list(
            filter(None, urllib.request.parse_http_list(challenge)))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req: Any) -> Any:
        if self._challenge and not req.has_header("Authorization"):
            authorization = self.get_authorization(req, self._challenge)
            if authorization:
                req.add_unredirected_header("Authorization", f"Digest {authorization}")
        return req

    https_request = http_request


# -- building the request ------------------------------------------------------------
def with_prefixes(sparql: str, prefixes: Mapping[str, str]) -> str:
    """``sparql`` with a ``PREFIX`` line for each of ``prefixes`` it does not declare itself.

    >>> with_prefixes("PREFIX ex: <urn:a#> ASK { ex:a ex:b ex:c }", {"ex": "urn:b#", "x": "urn:x#"})
    'PREFIX x: <urn:x#>\\nPREFIX ex: <urn:a#> ASK { ex:a ex:b ex:c }'
    """
    declared = {m.group(1) for m in
                re.finditer(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?\s*:", _mask(sparql))}
    declared = {d or "" for d in declared}
    lines = [f"PREFIX {name}: {_iri(ns)}" for name, ns in prefixes.items()
             if name not in declared]
    return "\n".join([*lines, sparql]) if lines else sparql


def with_values(sparql: str, substitutions: Mapping[Any, Any], form: str = "select") -> str:
    """``sparql`` with its ``substitutions`` as a VALUES block opening the outermost WHERE group.

    Each value must be a pyoxigraph NamedNode or Literal (SPARQL's VALUES holds
    no blank nodes); it is serialised here, so no text from a user reaches the
    query unescaped. In a SELECT each substituted variable must be projected
    (as pyoxigraph requires).

    >>> import pyoxigraph as ox
    >>> with_values("SELECT ?x WHERE { ?x ?p ?o }", {"x": ox.NamedNode("urn:a")})
    'SELECT ?x WHERE { VALUES (?x) { (<urn:a>) } ?x ?p ?o }'
    """
    names, terms = [], []
    for key, value in substitutions.items():
        name = key.value if isinstance(key, ox.Variable) else str(key).lstrip("?$")
        if not _VARNAME.match(name):
            raise InputError(f"'{name}' is not a SPARQL variable name")
        names.append(name)
        terms.append(sparql_term(value, name))
    masked = _mask(sparql)
    if form == "select":
        _check_projected(masked, names)
    block = "VALUES (" + " ".join(f"?{n}" for n in names) + ") { (" + " ".join(terms) + ") }"
    start, template = _where_group(masked, form)
    if start < 0:  # DESCRIBE <iri> with no WHERE: add one
        return f"{sparql} WHERE {{ {block} }}"
    if template is not None:  # CONSTRUCT WHERE { T }: spell out the template
        body = sparql[template[0] + 1:template[1]]
        head = sparql[:template[0]].rstrip()
        head = head[:len(head) - len("WHERE")].rstrip() if head.upper().endswith("WHERE") else head
        return f"{head} {{{body}}} WHERE {{ {block}{body}}}{sparql[template[1] + 1:]}"
    return f"{sparql[:start + 1]} {block}{sparql[start + 1:]}"


def sparql_term(term: Any, name: str = "value") -> str:
    """A pyoxigraph NamedNode or Literal in SPARQL syntax, every character escaped as needed.

    >>> import pyoxigraph as ox
    >>> sparql_term(ox.Literal('say "hi"\\n', language="en"))
    '"say \\\\"hi\\\\"\\\\n"@en'
    """
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.Literal):
        text = _escape(term.value)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            return f'"{text}"'
        return f'"{text}"^^{_iri(term.datatype.value)}'
    if isinstance(term, ox.BlankNode):
        raise InputError(f"?{name}: a blank node cannot be sent to a SPARQL endpoint")
    raise InputError(f"?{name}: {type(term).__name__} is not an RDF term to bind")


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _iri(value: str) -> str:
    """``<value>`` for an IRI that pyoxigraph accepts (so it holds no ``>`` or space)."""
    return str(ox.NamedNode(value))


def _mask(sparql: str) -> str:
    """``sparql`` with strings, IRIs and comments blanked out, same length (offsets kept)."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)) if m.group(0)[0] != "<"
                       else "<" + " " * (len(m.group(0)) - 2) + ">", sparql)


def _matching_brace(masked: str, start: int) -> int:
    depth = 0
    for i in range(start, len(masked)):
        if masked[i] == "{":
            depth += 1
        elif masked[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise InputError("the query's braces do not balance")


def _where_group(masked: str, form: str) -> tuple[int, tuple[int, int] | None]:
    """Offset of the outermost WHERE group's ``{`` (-1 if none); for ``CONSTRUCT WHERE``
    also the (start, end) of the group that is both template and pattern."""
    keyword = re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", masked)
    if keyword is None:
        raise InputError("the query has no SELECT, ASK, CONSTRUCT or DESCRIBE")
    after = keyword.end()
    first = masked.find("{", after)
    if form != "construct":
        if first < 0 and form != "describe":
            raise InputError("the query has no WHERE group")
        return first, None
    if first < 0:
        raise InputError("the query has no WHERE group")
    if re.match(r"(?i)\s*WHERE\s*$", masked[after:first]):
        return first, (first, _matching_brace(masked, first))
    where = masked.find("{", _matching_brace(masked, first) + 1)
    if where < 0:
        raise InputError("the query has no WHERE group")
    return where, None


def _check_projected(masked: str, names: list[str]) -> None:
    """Raise InputError if a substituted variable is not projected by the SELECT."""
    # a variable may be called ?from or ?where: only the bare keywords end the clause
    match = re.search(r"(?i)\bSELECT\b(.*?)(?:(?<![?$])\bWHERE\b|(?<![?$])\bFROM\b|\{)",
                      masked, re.DOTALL)
    if match is None:
        return
    clause = match.group(1)
    if re.search(r"(?<![\w?$])\*", clause):
        return
    projected = set(re.findall(r"(?i)\bAS\s+[?$](\w+)", clause))
    depth = 0
    for token in re.finditer(r"[()]|[?$]\w+", clause):
        text = token.group(0)
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0:
            projected.add(text[1:])
    for name in names:
        if name not in projected:
            raise InputError(f"parameter '{name}' is not a variable of the query's SELECT "
                             "clause; add it there or use SELECT *")


def _form(fields: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(fields).encode("utf-8")


# -- reading the answer ----------------------------------------------------------------
def _parse_results(body: bytes, fmt: ox.QueryResultsFormat, media: str, shown: str) -> Any:
    """Parse SPARQL results, every row checked now (pyoxigraph parses rows lazily, so a
    bad row would otherwise raise a raw error in the caller's loop)."""
    try:
        return _checked_results(body, fmt)
    except (SyntaxError, ValueError) as err:
        first = str(err)
    if fmt == ox.QueryResultsFormat.JSON and re.search(r"(?i)blank node|bnode", first):
        try:  # Virtuoso names blank nodes "nodeID://b10001": not a valid label
            return _checked_results(_relabel_json_bnodes(body), fmt)
        except (SyntaxError, ValueError) as err:
            first = str(err)
    detail = " ".join(first.split())[:200]
    raise EndpointError(f"the SPARQL endpoint {shown} sent broken {media} results: {detail}")


def _checked_results(body: bytes, fmt: ox.QueryResultsFormat) -> Any:
    results = ox.parse_query_results(body, fmt)
    if isinstance(results, ox.QueryBoolean):
        return results
    for _ in results:
        pass
    return ox.parse_query_results(body, fmt)


def _relabel_json_bnodes(body: bytes) -> bytes:
    """SPARQL JSON results with every blank node label made a valid one (same label, same node)."""
    try:
        data = json.loads(body)
    except ValueError as err:
        raise SyntaxError(str(err)) from None
    for row in (data.get("results") or {}).get("bindings") or []:
        for value in row.values():
            if isinstance(value, dict) and value.get("type") == "bnode":
                value["value"] = "b" + str(value.get("value", "")).encode("utf-8").hex()
    return json.dumps(data).encode("utf-8")


def _read_capped(answer: Any, cap: int, deadline: float, shown: str, what: str, limit: float,
                 *, quiet: bool = False) -> bytes:
    """Read an HTTP answer's body: at most ``cap`` bytes, and not past ``deadline``.

    ``quiet`` (for error pages) returns what was read instead of raising.
    """
    length = answer.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > cap and not quiet:
        raise EndpointError(f"the {what} {shown} sent an answer of {int(length)} bytes, "
                            f"more than the {cap}-byte limit")
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            if quiet:
                break
            raise EndpointError(f"the {what} {shown} did not answer within {limit:g} s")
        try:
            chunk = answer.read(min(1 << 20, cap + 1 - size))
        except (OSError, http.client.HTTPException):
            if quiet:
                break
            raise
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            if quiet:
                break
            raise EndpointError(f"the {what} {shown} sent more than {cap} bytes; "
                                "the answer was refused")
    return b"".join(chunks)


def _first_line(body: bytes, ctype: str) -> str:
    """The first line of a server's error message (HTML tags dropped)."""
    text = body[:65536].decode("utf-8", errors="replace")
    if "html" in ctype.lower() or text.lstrip().startswith("<"):
        title = re.search(r"(?is)<title>(.*?)</title>", text)
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>|<[^>]*>", "\n", text)
        text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
        if title and title.group(1).strip() and not text.strip():
            text = title.group(1)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _retry_wait(retry_after: str | None, attempt: int) -> float:
    """Seconds to wait before the next attempt: Retry-After if given, else backoff; capped."""
    wait = BACKOFF_BASE * (2 ** attempt)
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            wait = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
                wait = max(0.0, when.timestamp() - time.time())
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
    return min(max(wait, 0.0), MAX_RETRY_WAIT)


# -- credentials -------------------------------------------------------------------------
def _split_credentials(url: str, what: str) -> tuple[str, tuple[str, str] | None]:
    """(the URL without user info, (user, password) from it or None); InputError if not http(s)."""
    try:
        parts = urllib.parse.urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise InputError(f"the {what} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"the {what} must be an http:// or https:// URL, not "
                         f"{_describe(str(url))!r}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port else "")
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    creds = None
    if parts.username is not None:
        creds = (urllib.parse.unquote(parts.username),
                 urllib.parse.unquote(parts.password or ""))
    return clean, creds


def _env_credentials() -> tuple[str, str] | None:
    user = os.environ.get(ENV_USER)
    password = os.environ.get(ENV_PASSWORD)
    if user and password is not None:
        return user, password
    return None


def _describe(url: str) -> str:
    """A URL fit for a message: no user info, no query string (it may hold a graph or a token)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "(an invalid URL)"


def graph_digest(graph: str) -> str:
    """A short stable name for ``graph`` (used for its staging graph)."""
    return hashlib.sha256(graph.encode("utf-8")).hexdigest()[:24]
