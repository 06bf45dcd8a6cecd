"""Safety parts of ``ddkb serve``: security headers, a query limiter, one-line errors.

Interfaces (wired into the application by ``ddkb.web.app.create_app``):

* :class:`SecurityHeadersMiddleware` -- pure ASGI middleware that adds to every
  HTTP response a Content-Security-Policy allowing no outside origin
  (:func:`content_security_policy`: ``'self'`` only, plus the hashes of the
  concept map's inline scripts), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, ``X-Frame-Options: SAMEORIGIN`` (and
  ``frame-ancestors 'self'`` in the CSP) and ``Cross-Origin-Opener-Policy``.
  A header the application set itself is kept.
* :class:`QueryLimiter` -- at most ``max_concurrent`` SPARQL evaluations run at
  once, each in a worker thread of its own pool (the event loop and the thread
  pool that serves pages stay free); a request beyond the limit waits at most
  ``max_wait`` seconds for a slot, then :class:`ServerBusy` is raised (the
  SPARQL routes answer 503 with ``Retry-After``).
* :func:`exception_handlers` -- Starlette exception handlers that answer any
  error with one line of plain text: an ``HTTPException`` with its status and
  detail, anything else with ``500 Internal Server Error`` and the exception's
  type name only -- never a traceback, never the exception's text (which may
  hold paths or data).

Example::

    app = Starlette(routes=...,
                    middleware=[Middleware(SecurityHeadersMiddleware)],
                    exception_handlers=exception_handlers())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")

#: Default number of SPARQL evaluations that may run at the same time.
DEFAULT_MAX_CONCURRENT_QUERIES = 4
#: Default longest wait (seconds) for a free query slot before 503.
DEFAULT_MAX_QUEUE_WAIT = 10.0
#: Seconds a 503 answer asks the client to wait (``Retry-After``).
RETRY_AFTER_SECONDS = 5


def content_security_policy(extra_script_sources: tuple[str, ...] = ()) -> str:
    """The site's CSP: everything from ``'self'`` only; nothing from any other origin.

    Scripts: files from the site itself plus the inline scripts of ddkb's
    concept map (by their sha256 hashes, :func:`ddkb.conceptmap.inline_script_sources`),
    so a concept page may embed a map; no ``'unsafe-inline'`` or ``'unsafe-eval'``
    for scripts. Styles allow ``'unsafe-inline'`` (the map inlines its CSS and
    the query editor's CodeMirror sets style attributes); images and fonts may
    be ``data:`` URLs. ``frame-ancestors 'self'``: no other site may frame a page.
    """
    from ddkb.conceptmap import inline_script_sources

    scripts = " ".join(("'self'", *inline_script_sources(), *extra_script_sources))
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; worker-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def security_headers(extra_script_sources: tuple[str, ...] = ()) -> dict[str, str]:
    """The headers :class:`SecurityHeadersMiddleware` adds (name -> value)."""
    return {
        "content-security-policy": content_security_policy(extra_script_sources),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "SAMEORIGIN",
        "cross-origin-opener-policy": "same-origin",
    }


class SecurityHeadersMiddleware:
    """ASGI middleware: add :func:`security_headers` to every HTTP response.

    Pure ASGI (not ``BaseHTTPMiddleware``), so streamed answers stay streamed
    and errors raised below are not wrapped. A header the application set on a
    response (e.g. a stricter CSP) is left as it is.
    """

    def __init__(self, app: ASGIApp, *, extra_script_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = [(k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in security_headers(extra_script_sources).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ServerBusy(Exception):
    """Every query slot stayed taken for the longest wait: answer 503 with ``Retry-After``."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryLimiter:
    """Run blocking query evaluations in worker threads, at most ``max_concurrent`` at once.

    Each evaluation runs in a thread of this limiter's own pool (anyio
    ``CapacityLimiter``), so page views -- served on the event loop and in
    anyio's default thread pool -- never wait behind queries. A call that
    finds every slot taken waits up to ``max_wait`` seconds, then raises
    :class:`ServerBusy`. The evaluation itself is bounded by the query's own
    time limit (:meth:`ddkb.kb.KnowledgeBase.query` kills it), so a slot is
    always given back.
    """

    def __init__(self, max_concurrent: int = DEFAULT_MAX_CONCURRENT_QUERIES,
                 max_wait: float = DEFAULT_MAX_QUEUE_WAIT) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if not max_wait >= 0:
            raise ValueError("max_wait must be zero or more seconds")
        self.max_concurrent = max_concurrent
        self.max_wait = max_wait
        self._slots: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None

    def _limiters(self) -> tuple[anyio.CapacityLimiter, anyio.CapacityLimiter]:
        # created lazily: a CapacityLimiter belongs to the event loop that first uses it
        if self._slots is None or self._threads is None:
            self._slots = anyio.CapacityLimiter(self.max_concurrent)
            self._threads = anyio.CapacityLimiter(self.max_concurrent)
        return self._slots, self._threads

    @property
    def running(self) -> int:
        """How many evaluations hold a slot now."""
        return 0 if self._slots is None else int(self._slots.borrowed_tokens)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in a worker thread once a slot is free (ServerBusy after max_wait)."""
        slots, threads = self._limiters()
        token = object()  # one borrower per call (a task may run several queries)
        try:
            with anyio.fail_after(self.max_wait):
                await slots.acquire_on_behalf_of(token)
        except TimeoutError:
            raise ServerBusy(f"the server is busy: {self.max_concurrent} queries are running; "
                             f"try again in {RETRY_AFTER_SECONDS} s") from None
        try:
            return await anyio.to_thread.run_sync(func, *args, limiter=threads)
        finally:
            slots.release_on_behalf_of(token)


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line (line breaks become spaces), cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def error_response(status: int, message: str,
                   headers: Mapping[str, str] | None = None) -> PlainTextResponse:
    """A plain-text error answer: ``Error: <message>`` on one line."""
    return PlainTextResponse(f"Error: {one_line(message)}\n", status_code=status,
                             headers=dict(headers or {}))


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """An ``HTTPException`` as one line of text with its own status (and headers)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return error_response(exc.status_code, str(exc.detail), exc.headers)


async def server_busy_handler(request: Request, exc: Exception) -> Response:
    """:class:`ServerBusy` as 503 with ``Retry-After``."""
    retry = getattr(exc, "retry_after", RETRY_AFTER_SECONDS)
    return error_response(503, str(exc), {"Retry-After": str(retry)})


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Any other exception: 500 with the exception's type name only (no traceback, no text)."""
    # this handler runs outside every middleware (Starlette's ServerErrorMiddleware):
    # the security headers are set here
    return error_response(500, f"internal server error ({type(exc).__name__}); "
                               "the server log has the details", security_headers())


def exception_handlers() -> dict[Any, Callable]:
    """Handlers for ``Starlette(exception_handlers=...)``: every error answer is one line."""
    return {HTTPException: http_exception_handler, ServerBusy: server_busy_handler,
            Exception: internal_error_handler}
