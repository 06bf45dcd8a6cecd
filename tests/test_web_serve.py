"""A real ``ddkb serve`` subprocess on a free loopback port, asked with every Accept header.

:class:`LiveServer` starts the installed ``ddkb`` console script, waits (bounded)
until it answers, and stops it afterwards; the browser tests use it too.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

#: How long the server may take to load the KB and answer (seconds).
START_TIMEOUT = 90.0


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it: bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``ddkb serve`` in a subprocess: ``url``, ``stop()``, its stderr after it stopped."""

    def __init__(self, ddkb_exe: str, *args: str, cwd: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([ddkb_exe, *args, "serve", "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     cwd=cwd, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ddkb serve exited: {self.proc.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"ddkb serve did not answer within {START_TIMEOUT} s")

    def get(self, path: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
        """A raw GET (the path is sent exactly as given, never normalised)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest("GET", path, skip_accept_encoding=True)
            if accept is not None:
                conn.putheader("Accept", accept)
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def stop(self) -> str:
        """Stop the server (SIGINT, like Ctrl-C; then SIGKILL) and return its stderr."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.stderr.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(ddkb_exe, tmp_path_factory):
    live = LiveServer(ddkb_exe, cwd=tmp_path_factory.mktemp("serve"))
    yield live
    live.stop()


ACCEPTS = [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("text/turtle;q=0.2, application/ld+json;q=0.8", "application/ld+json", "json-ld"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.91", "text/turtle", "turtle"),
]


@pytest.mark.parametrize(("accept", "media", "parser"), ACCEPTS)
def test_every_accept_header_over_http(server, accept, media, parser):
    status, headers, body = server.get("/mutual-trust", accept)
    assert status == 200
    assert headers["content-type"] == f"{media}; charset=utf-8"
    graph = rdflib.Graph().parse(data=body.decode("utf-8"), format=parser)
    me = rdflib.URIRef("https://w3id.org/ddkb/mutual-trust")
    assert (me, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
            rdflib.Literal("mutual trust", lang="en")) in graph


@pytest.mark.parametrize("accept", [None, "text/html",
                                    "text/html,application/xhtml+xml,*/*;q=0.8", "*/*"])
def test_browsers_get_html(server, accept):
    status, headers, body = server.get("/mutual-trust", accept)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"<h1>mutual trust" in body


def test_suffix_and_accept_give_the_same_graph(server):
    for suffix, accept, parser in ((".ttl", "text/turtle", "turtle"),
                                   (".jsonld", "application/ld+json", "json-ld")):
        _, _, by_suffix = server.get("/soft-power" + suffix)
        _, _, by_accept = server.get("/soft-power", accept)
        assert isomorphic(rdflib.Graph().parse(data=by_suffix.decode(), format=parser),
                          rdflib.Graph().parse(data=by_accept.decode(), format=parser))


def test_not_acceptable_and_not_found(server):
    status, _, body = server.get("/soft-power", "image/png")
    assert status == 406 and body.startswith(b"Error: ")
    status, _, body = server.get("/no-such-concept-here")
    assert status == 404 and b"Traceback" not in body


@pytest.mark.parametrize("path", [
    "/../../../etc/passwd", "/static/../../../etc/passwd", "/static/..%2f..%2fsetup.cfg",
    "/%2e%2e/%2e%2e/etc/passwd", "/static/%2e%2e/%2e%2e/setup.cfg", "/map/../../etc/passwd",
    "/..\\..\\etc\\passwd", "/static//etc/passwd",
])
def test_no_path_traversal_over_raw_http(server, path):
    status, _, body = server.get(path)
    assert status in (400, 404)
    assert b"root:" not in body and b"[metadata]" not in body


def test_static_files_and_search_api(server):
    status, headers, body = server.get("/static/ddkb.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    status, headers, body = server.get("/api/search?q=mutual")
    assert status == 200 and b'"mutual trust"' in body


def test_port_in_use_is_one_line_exit_2(ddkb_exe, server, tmp_path):
    done = subprocess.run([ddkb_exe, "serve", "--port", str(server.port)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"Error: port {server.port} on 127.0.0.1 is already in use; " \
                          "choose another with --port\n"


def test_serve_with_data_and_ctrl_c(ddkb_exe, tmp_path):
    data = tmp_path / "mine.ttl"
    data.write_text('@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
                    '<https://w3id.org/ddkb/harbour-shield> a skos:Concept ; '
                    'skos:prefLabel "Harbour Shield"@en .\n')
    live = LiveServer(ddkb_exe, "--data", str(data), cwd=tmp_path)
    try:
        status, _, body = live.get("/harbour-shield")
        assert status == 200 and b"Harbour Shield" in body
    finally:
        stderr = live.stop()
    assert "Serving the ddkb knowledge base on http://127.0.0.1:" in stderr
    assert "Traceback" not in stderr


def test_help_texts_have_examples(runner, cli):
    for command in ("serve", "site"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.output and f"ddkb {command}" in result.output


def test_query_does_not_import_the_web_stack(ddkb_exe, tmp_path):
    code = ("import sys, ddkb.cli; "
            "sys.argv=['ddkb','query','-n','instruments','--limit','1']; "
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    ddkb.cli.run_guarded(ddkb.cli.cli)\n"
            "print(sorted(m for m in ('starlette','uvicorn','jinja2') if m in sys.modules))")
    python = Path(ddkb_exe).with_name("python")
    exe = str(python) if python.exists() else "python3"
    done = subprocess.run([exe, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
