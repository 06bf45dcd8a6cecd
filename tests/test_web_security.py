"""``ddkb.web.security``: security headers, the query limiter and one-line error answers.

Each app here runs under a real uvicorn server on a free loopback port
(:func:`running_server`, also used by ``test_web_sparql``) and is asked with
httpx over real HTTP.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator

import anyio
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ddkb.web.security import (
    QueryLimiter,
    SecurityHeadersMiddleware,
    ServerBusy,
    content_security_policy,
    exception_handlers,
    security_headers,
)

#: Seconds a test server may take to start or stop (a bound, never an assertion).
START_LIMIT = 30.0


@contextlib.contextmanager
def running_server(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        started = threading.Event()
        for _ in range(int(START_LIMIT * 20)):
            if server.started or not thread.is_alive():
                started.set()
                break
            started.wait(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_LIMIT)
        sock.close()


def one_line_error(response: httpx.Response) -> str:
    """The body of an error answer, checked to be one ``Error: ...`` line without a traceback."""
    text = response.text
    assert text.startswith("Error: "), text[:200]
    assert text.count("\n") == 1 and text.endswith("\n"), text[:200]
    assert "Traceback" not in text and 'File "' not in text
    assert response.headers["content-type"].startswith("text/plain")
    return text[len("Error: "):].strip()


def assert_security_headers(response: httpx.Response) -> None:
    """Every answer carries the headers that keep pages from loading or leaking elsewhere."""
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    for directive, sources in directives.items():
        for source in sources.split():  # no outside origin anywhere, no wildcards
            assert source in ("'self'", "'none'", "'unsafe-inline'", "data:") or \
                source.startswith("'sha256-"), (directive, source)
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["referrer-policy"] == "no-referrer"


# -- a small app with every kind of answer ------------------------------------------------
async def fine(request):
    return PlainTextResponse("fine\n")


async def crash(request):
    raise RuntimeError("secret detail /home/someone/private.ttl")


async def teapot(request):
    raise HTTPException(418, "short and\nstout")


async def own_csp(request):
    return Response("x", headers={"Content-Security-Policy": "default-src 'none'"})


@pytest.fixture(scope="module")
def app_url():
    app = Starlette(routes=[Route("/fine", fine), Route("/crash", crash),
                            Route("/teapot", teapot), Route("/own-csp", own_csp)],
                    middleware=[Middleware(SecurityHeadersMiddleware)],
                    exception_handlers=exception_handlers())
    with running_server(app) as url:
        yield url


def test_headers_on_ordinary_answer(app_url):
    response = httpx.get(f"{app_url}/fine")
    assert response.status_code == 200 and response.text == "fine\n"
    assert_security_headers(response)


def test_csp_lets_concept_map_scripts_run():
    """Every inline script of a concept map is allowed by hash (a concept page embeds a map)."""
    from ddkb.conceptmap import INLINE_SCRIPTS
    from ddkb.conceptmap import content_security_policy as map_policy

    map_hashes = re.findall(r"'sha256-[^']+'", map_policy())
    assert len(map_hashes) == len(INLINE_SCRIPTS) == 3
    scripts = next(d for d in content_security_policy().split(";")
                   if d.strip().startswith("script-src"))
    assert all(h in scripts for h in map_hashes)


def test_exception_becomes_one_line_500_without_detail(app_url):
    response = httpx.get(f"{app_url}/crash")
    assert response.status_code == 500
    message = one_line_error(response)
    assert "RuntimeError" in message
    assert "secret" not in response.text and "/home" not in response.text
    assert_security_headers(response)


def test_http_exception_keeps_status_and_is_one_line(app_url):
    response = httpx.get(f"{app_url}/teapot")
    assert response.status_code == 418
    assert one_line_error(response) == "short and stout"
    assert_security_headers(response)


def test_not_found_and_wrong_method_are_one_line(app_url):
    missing = httpx.get(f"{app_url}/nowhere/../../etc/passwd")
    assert missing.status_code == 404
    assert one_line_error(missing) == "Not Found"
    assert_security_headers(missing)
    wrong = httpx.delete(f"{app_url}/fine")
    assert wrong.status_code == 405
    assert one_line_error(wrong) == "Method Not Allowed"
    assert {m.strip() for m in wrong.headers["allow"].split(",")} == {"GET", "HEAD"}


def test_header_set_by_the_app_is_kept(app_url):
    response = httpx.get(f"{app_url}/own-csp")
    assert response.headers["content-security-policy"] == "default-src 'none'"
    assert response.headers.get_list("content-security-policy") == ["default-src 'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_security_headers_names():
    assert set(security_headers()) == {"content-security-policy", "x-content-type-options",
                                       "referrer-policy", "x-frame-options",
                                       "cross-origin-opener-policy"}


# -- QueryLimiter -----------------------------------------------------------------------------
def test_limiter_runs_in_worker_threads_and_returns_the_result():
    limiter = QueryLimiter(max_concurrent=2, max_wait=5)
    loop_thread: list[int] = []

    async def main():
        loop_thread.append(threading.get_ident())
        return await limiter.run(lambda x: (x * 2, threading.get_ident()), 21)

    value, worker = anyio.run(main)
    assert value == 42
    assert worker != loop_thread[0]  # the event loop never evaluates a query itself
    assert limiter.running == 0


def test_limiter_refuses_beyond_capacity_after_its_wait_and_frees_the_slot():
    """One slot held by a blocked evaluation: a second call gets ServerBusy; later ones run."""
    limiter = QueryLimiter(max_concurrent=1, max_wait=0.2)
    release = threading.Event()
    outcomes: dict[str, object] = {}

    async def main():
        async with anyio.create_task_group() as tg:
            async def first():
                outcomes["first"] = await limiter.run(lambda: release.wait(60) and "first done")
            tg.start_soon(first)
            while limiter.running < 1:
                await anyio.sleep(0.01)
            try:
                await limiter.run(lambda: "never")
            except ServerBusy as err:
                outcomes["busy"] = (str(err), err.retry_after)
            release.set()
        outcomes["after"] = await limiter.run(lambda: "after")

    anyio.run(main)
    assert outcomes["first"] == "first done"
    message, retry_after = outcomes["busy"]
    assert "busy" in message and "1 queries are running" in message
    assert retry_after > 0
    assert outcomes["after"] == "after"
    assert limiter.running == 0


def test_limiter_gives_the_slot_back_when_the_evaluation_fails():
    limiter = QueryLimiter(max_concurrent=1, max_wait=0.2)

    def boom():
        raise ValueError("bad")

    async def main():
        with pytest.raises(ValueError):
            await limiter.run(boom)
        return await limiter.run(lambda: "ok")

    assert anyio.run(main) == "ok"


@pytest.mark.parametrize("args", [(0, 1.0), (2, -1.0), (2, float("nan"))])
def test_limiter_refuses_bad_settings(args):
    with pytest.raises(ValueError):
        QueryLimiter(*args)
