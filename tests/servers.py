"""Real SPARQL servers for the tests: Oxigraph server and Virtuoso Open Source 7.

Session-scoped pytest fixtures, imported by ``tests/conftest.py``:

* ``oxigraph_server``, ``virtuoso_server`` -- a running, empty server (:class:`Server`);
* ``oxigraph_kb``, ``virtuoso_kb`` -- a ``ddkb.remote.RemoteEndpoint`` on that server
  after the bundled KB was pushed to it (once per session).

Each server fixture starts the real server on free loopback ports in a throwaway folder, waits
(bounded) until its SPARQL endpoint answers, yields a :class:`Server` and, at the
end of the session -- also when the start failed -- stops the process and
deletes the folder.

A missing server program skips the tests that need it, unless
``DDKB_REQUIRE_EXTERNAL=1`` (set by CI), which turns the skip into a failure.
The Oxigraph server comes from the PyPI package ``oxigraph`` (test extras),
Virtuoso from the Debian package ``virtuoso-opensource`` (installed by
``.ci/run``).

The ``start_oxigraph`` / ``start_virtuoso`` functions work without pytest too
(``python -m tests.servers`` starts both and prints their URLs), for trying
things by hand.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: How long a server may take to answer its first query (seconds).
START_TIMEOUT = 60.0
#: Virtuoso's packaged ini file (Debian package virtuoso-opensource-7).
VIRTUOSO_INI = Path("/usr/share/virtuoso-opensource-7/virtuoso.ini")


@dataclass
class Server:
    """A running SPARQL server: its URLs, credentials and process."""

    name: str
    query_url: str
    graph_store_url: str
    update_url: str
    user: str | None
    password: str | None
    process: subprocess.Popen
    folder: Path
    log: Path
    started_in: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def auth(self) -> tuple[str, str] | None:
        """(user, password) for the write endpoints, or None if they need none."""
        return (self.user, self.password) if self.user and self.password else None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s) and delete its folder."""
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


class ServerNotAvailable(RuntimeError):
    """The server program is not installed."""


class ServerStartFailed(RuntimeError):
    """The server was found but did not start; the message quotes its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen) -> None:
    """Terminate ``process`` (and its process group) and wait for it, bounded."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _log_tail(log: Path, lines: int = 8) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())


def wait_until_answers(query_url: str, process: subprocess.Popen, log: Path,
                       timeout: float = START_TIMEOUT) -> None:
    """Poll ``ASK {}`` on ``query_url`` until it answers; ServerStartFailed after ``timeout``."""
    deadline = time.monotonic() + timeout
    body = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartFailed(f"exited with code {process.returncode}: {_log_tail(log)}")
        request = urllib.request.Request(query_url, data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json"})
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError) as err:
            last = str(err)
        time.sleep(0.1)
    raise ServerStartFailed(f"no answer from {query_url} within {timeout:.0f} s ({last}): "
                            f"{_log_tail(log)}")


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux), so a
    killed pytest leaves no server behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _spawn(argv: list[str], folder: Path, log: Path) -> subprocess.Popen:
    """Start ``argv`` in its own process group (so stop_process reaches its children)."""
    with open(log, "wb") as out:
        return subprocess.Popen(argv, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)


def _start(name: str, folder: Path, argv: list[str], query_url: str, **urls: str | None
           ) -> Server:
    """Spawn a server, wait until it answers; on failure stop it and delete ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    started = time.monotonic()
    process = _spawn(argv, folder, log)
    server = Server(name=name, query_url=query_url, process=process, folder=folder, log=log,
                    **urls)  # type: ignore[arg-type]
    try:
        wait_until_answers(query_url, process, log)
    except BaseException:
        server.stop()
        raise
    server.started_in = time.monotonic() - started
    return server


def oxigraph_program() -> str:
    """The ``oxigraph`` server program (PyPI package ``oxigraph``), next to this Python first."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise ServerNotAvailable("oxigraph server not installed (pip install oxigraph)")
    return found


def start_oxigraph(folder: Path | None = None) -> Server:
    """Start ``oxigraph serve`` on a free loopback port with its data in a new folder.

    Its default graph is its own default graph (not the union of the named
    graphs): the case ddkb's remote engine must handle.
    """
    program = oxigraph_program()
    folder = Path(folder or tempfile.mkdtemp(prefix="ddkb-oxigraph-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return _start("oxigraph", folder,
                  [program, "serve", "--location", str(folder / "data"),
                   "--bind", f"127.0.0.1:{port}"],
                  f"{base}/query", graph_store_url=f"{base}/store",
                  update_url=f"{base}/update", user=None, password=None)


def virtuoso_program() -> str:
    """The ``virtuoso-t`` program (Debian package virtuoso-opensource)."""
    found = shutil.which("virtuoso-t")
    if not found or not VIRTUOSO_INI.is_file():
        raise ServerNotAvailable("Virtuoso not installed (apt-get install virtuoso-opensource)")
    return found


#: ini keys rewritten in a copy of the packaged virtuoso.ini: (section, key) -> value
#: template; {dir} is the throwaway folder, {sql}/{http} the two loopback ports.
_VIRTUOSO_SETTINGS = {
    ("Database", "DatabaseFile"): "{dir}/virtuoso.db",
    ("Database", "ErrorLogFile"): "{dir}/virtuoso.log",
    ("Database", "LockFile"): "{dir}/virtuoso.lck",
    ("Database", "TransactionFile"): "{dir}/virtuoso.trx",
    ("Database", "xa_persistent_file"): "{dir}/virtuoso.pxa",
    ("TempDatabase", "DatabaseFile"): "{dir}/virtuoso-temp.db",
    ("TempDatabase", "TransactionFile"): "{dir}/virtuoso-temp.trx",
    ("Parameters", "ServerPort"): "127.0.0.1:{sql}",
    ("Parameters", "DirsAllowed"): "., {dir}, /usr/share/virtuoso-opensource-7/vad",
    # small buffers: a test server, not a production one (the default asks for 2 GB)
    ("Parameters", "NumberOfBuffers"): "10000",
    ("Parameters", "MaxDirtyBuffers"): "6000",
    ("Parameters", "MaxQueryMem"): "200M",
    ("Parameters", "ThreadsPerQuery"): "2",
    ("HTTPServer", "ServerPort"): "127.0.0.1:{http}",
    ("URIQA", "DefaultHost"): "127.0.0.1:{http}",
    # the packaged default silently cuts every answer at 10000 rows
    ("SPARQL", "ResultSetMaxRows"): "1000000",
}


def virtuoso_ini(template: str, folder: Path, sql_port: int, http_port: int,
                 settings: dict[tuple[str, str], str] | None = None) -> str:
    """The packaged virtuoso.ini with its files in ``folder`` and its ports on 127.0.0.1.

    A line-by-line rewrite (the file repeats keys, which configparser refuses).
    Every key of :data:`_VIRTUOSO_SETTINGS` must be found, so a changed packaged
    file fails loudly instead of starting a server on the system database.
    """
    values = {key: value.format(dir=folder, sql=sql_port, http=http_port)
              for key, value in {**_VIRTUOSO_SETTINGS, **(settings or {})}.items()}
    seen: set[tuple[str, str]] = set()
    section = ""
    out = []
    for line in template.splitlines():
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
        entry = re.match(r"^\s*([A-Za-z_][\w]*)\s*=", line)
        if entry and (section, entry.group(1)) in values:
            key = (section, entry.group(1))
            if key in seen:
                continue  # a repeated key: keep only the first, rewritten
            seen.add(key)
            line = f"{entry.group(1)} = {values[key]}"
        out.append(line)
    missing = set(values) - seen
    if missing:
        raise ServerStartFailed(f"{VIRTUOSO_INI} lacks the keys {sorted(missing)}")
    return "\n".join(out) + "\n"


def start_virtuoso(folder: Path | None = None,
                   settings: dict[tuple[str, str], str] | None = None) -> Server:
    """Start Virtuoso 7 (``virtuoso-t +foreground``) on free loopback ports with a new database.

    Its SPARQL endpoint is ``/sparql`` (read-only for anonymous users), its
    Graph Store endpoint with digest authentication ``/sparql-graph-crud-auth``
    (user ``dba``, password ``dba`` in a fresh database). ``settings`` changes
    more keys of the ini file: ``{("SPARQL", "ResultSetMaxRows"): "5"}``.
    """
    program = virtuoso_program()
    folder = Path(folder or tempfile.mkdtemp(prefix="ddkb-virtuoso-"))
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(virtuoso_ini(VIRTUOSO_INI.read_text(encoding="utf-8"), folder,
                                sql_port, http_port, settings), encoding="utf-8")
    base = f"http://127.0.0.1:{http_port}"
    server = _start("virtuoso", folder, [program, "+foreground", "+configfile", str(ini)],
                    f"{base}/sparql", graph_store_url=f"{base}/sparql-graph-crud-auth",
                    update_url=f"{base}/sparql-auth", user="dba", password="dba")
    server.extra["sql_port"] = sql_port
    return server


def start_or_skip(start, folder: Path | None = None) -> Server:
    """``start(folder)``, skipping the test if the server is not installed.

    Under ``DDKB_REQUIRE_EXTERNAL=1`` (CI) a missing server fails instead, like
    ``conftest.require_program``; a server that does not start always fails.
    """
    try:
        return start(folder)
    except ServerNotAvailable as err:
        if os.environ.get("DDKB_REQUIRE_EXTERNAL") == "1":
            pytest.fail(f"{err} (DDKB_REQUIRE_EXTERNAL=1)")
        pytest.skip(str(err))
    except ServerStartFailed as err:
        pytest.fail(f"{start.__name__}: {err}")


def _require(start) -> Iterator[Server]:
    """Start a server for a fixture (see start_or_skip) and always stop it afterwards."""
    server = start_or_skip(start)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[Server]:
    """A running Oxigraph server (plain default graph, no authentication)."""
    yield from _require(start_oxigraph)


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[Server]:
    """A running Virtuoso 7 (default graph = union of all graphs, digest auth for writes)."""
    yield from _require(start_virtuoso)


def bundled_sources() -> list:
    """The bundled KB as ``ddkb.push`` sources: one graph per file, named as ``ddkb.load`` does."""
    from ddkb import paths
    from ddkb.formats import rdf_format_for_path
    from ddkb.push import GraphSource

    return [GraphSource(paths.graph_name_for(p), p.read_bytes(), rdf_format_for_path(p).engine,
                        p.resolve().as_uri(), p.name)
            for p in paths.bundled_rdf_files()]


def push_bundled_kb(server: Server):
    """A ``RemoteEndpoint`` on ``server`` after pushing the bundled KB to it."""
    from ddkb.push import push
    from ddkb.remote import RemoteEndpoint

    endpoint = RemoteEndpoint(server.query_url, auth=server.auth)
    push(endpoint, bundled_sources())
    return endpoint


@pytest.fixture(scope="session")
def oxigraph_kb(oxigraph_server):
    """A ``RemoteEndpoint`` on the session's Oxigraph server, holding the bundled KB.

    A test that pushes something else must push the bundled KB back at its end.
    """
    return push_bundled_kb(oxigraph_server)


@pytest.fixture(scope="session")
def virtuoso_kb(virtuoso_server):
    """A ``RemoteEndpoint`` on the session's Virtuoso, holding the bundled KB (see oxigraph_kb)."""
    return push_bundled_kb(virtuoso_server)


if __name__ == "__main__":  # pragma: no cover - a manual helper
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop them on kill too
    servers = [start_oxigraph(), start_virtuoso()]
    try:
        for s in servers:
            print(f"{s.name}: {s.query_url} store={s.graph_store_url} update={s.update_url} "
                  f"started in {s.started_in:.1f} s", flush=True)
        print("Ctrl-C stops them", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for s in servers:
            s.stop()
