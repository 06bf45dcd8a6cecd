"""Load test of ``ddkb serve`` on loopback: throughput, p50/p99 latency and errors.

Starts a real ``ddkb serve`` on a free loopback port (or uses ``--url``), then:

1. **mixed load** -- ``--clients`` concurrent clients (default 50) for ``--duration``
   seconds (default 30), each picking at random a concept page (HTML, or
   Turtle/JSON-LD by ``Accept``) or a search (``/api/search``); with ``--sparql``
   also SPARQL SELECT queries POSTed to ``/sparql`` (skipped with a message when
   the server has no ``/sparql`` route);
2. **runaway** -- the same load while one runaway query is in flight all the
   time: with ``/sparql``, a cross join POSTed there (it runs until the server's
   time limit stops it); without, the heaviest page there is, a named query
   with no parameters (``/queries/needs-care``), requested back to back.

Bounded in time (``--duration`` per phase, 30 s per request) and in count
(``--max-requests`` per phase). Errors are non-2xx answers and failed requests
(the runaway's own answer, a 503 when the time limit stops it, is counted apart).

Usage::

    python benchmarks/serve_load.py [--clients 50] [--duration 30] [--sparql]
    python benchmarks/serve_load.py --url http://127.0.0.1:8000 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SEARCH_WORDS = ["soft", "trust", "exercise", "confidence", "norm", "peace", "dialogue",
                "asean", "military edu", "transparen", "risk", "nato", "region", "cyber"]
SPARQL_QUERIES = [
    "SELECT ?c ?l WHERE { ?c a skos:Concept ; skos:prefLabel ?l } LIMIT 50",
    "SELECT ?i ?o WHERE { ?i ddkb:fosters ?o } LIMIT 100",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
]
RUNAWAY_SPARQL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PREFIXES = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX ddkb: <https://w3id.org/ddkb/>\n")
REQUEST_TIMEOUT = 30.0


@dataclass
class Tally:
    """Latencies (seconds) and error counts per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind}: {detail}")

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    """``ddkb serve`` on a free loopback port; returns when it answers (at most 120 s)."""
    import urllib.request

    port = free_port()
    exe = Path(sys.executable).with_name("ddkb")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c",
                                          "from ddkb.cli import main; main()"]
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=5):
                return proc, url
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("ddkb serve exited before answering") from None
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit("ddkb serve did not answer within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def concept_paths(client, url: str) -> list[str]:
    """Every resource path listed on the A-Z page."""
    page = (await client.get(url + "/az")).text
    return sorted(set(re.findall(r'<li><a href="(/[^"#]+)">', page)))


async def has_sparql(client, url: str) -> bool:
    """True if the server answers the SPARQL protocol at /sparql (a POST of ASK {})."""
    r = await client.post(url + "/sparql", data={"query": "ASK {}"},
                          headers={"Accept": "application/sparql-results+json"})
    return r.status_code not in (404, 405)  # 405: only the GET-only resource route matched


async def one_request(client, url: str, paths: list[str], sparql: bool, tally: Tally) -> None:
    roll = random.random()
    if sparql and roll < 0.2:
        kind = "sparql"
        call = client.post(url + "/sparql", data={"query": PREFIXES + random.choice(
            SPARQL_QUERIES)}, headers={"Accept": "application/sparql-results+json"})
    elif roll < 0.45:
        kind = "search"
        call = client.get(url + "/api/search", params={"q": random.choice(SEARCH_WORDS)})
    else:
        kind = "page"
        accept = random.choice(["text/html"] * 3 + ["text/turtle", "application/ld+json"])
        call = client.get(url + random.choice(paths), headers={"Accept": accept})
    started = time.perf_counter()
    try:
        r = await call
        ok, detail = r.status_code < 400, f"HTTP {r.status_code}"
    except Exception as err:  # a failed request is an error to report, not a crash
        ok, detail = False, f"{type(err).__name__}: {err}"
    tally.add(kind, time.perf_counter() - started, ok, detail)


async def client_loop(client, url, paths, sparql, tally, stop_at, max_requests) -> None:
    while time.monotonic() < stop_at and tally.count < max_requests:
        await one_request(client, url, paths, sparql, tally)


async def runaway_loop(client, url: str, sparql: bool, stop_at: float, tally: Tally) -> None:
    """Keep one runaway query in flight until the phase ends."""
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            if sparql:
                r = await client.post(url + "/sparql", data={"query": RUNAWAY_SPARQL},
                                      timeout=120)
            else:
                r = await client.get(url + "/queries/needs-care", timeout=120)
            detail = f"HTTP {r.status_code}"
        except Exception as err:
            detail = type(err).__name__
        tally.add("runaway", time.perf_counter() - started, True, detail)
        tally.samples.append(f"runaway answered {detail} after "
                             f"{time.perf_counter() - started:.1f} s")


async def phase(url: str, clients: int, duration: float, sparql: bool, runaway: bool,
                max_requests: int) -> tuple[Tally, Tally, float]:
    import httpx

    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
        paths = await concept_paths(client, url)
        tally, side = Tally(), Tally()
        stop_at = time.monotonic() + duration
        started = time.perf_counter()
        tasks = [client_loop(client, url, paths, sparql, tally, stop_at, max_requests)
                 for _ in range(clients)]
        if runaway:
            tasks.append(runaway_loop(client, url, sparql, stop_at, side))
        await asyncio.gather(*tasks)
        return tally, side, time.perf_counter() - started


def report(title: str, tally: Tally, elapsed: float) -> None:
    print(f"\n{title}")
    print(f"  {'kind':<8} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in sorted(tally.latencies):
        values = tally.latencies[kind]
        print(f"  {kind:<8} {len(values):>9} {tally.errors.get(kind, 0):>7} "
              f"{percentile(values, 50) * 1000:>8.1f} {percentile(values, 99) * 1000:>8.1f}")
    every = [v for values in tally.latencies.values() for v in values]
    print(f"  {'all':<8} {len(every):>9} {sum(tally.errors.values()):>7} "
          f"{percentile(every, 50) * 1000:>8.1f} {percentile(every, 99) * 1000:>8.1f}")
    print(f"  throughput: {len(every) / elapsed:.1f} requests/s over {elapsed:.1f} s")
    for sample in tally.samples:
        print(f"  error: {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="use this running server instead of starting one")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    parser.add_argument("--sparql", action="store_true",
                        help="mix in SPARQL queries to /sparql (skipped if it is absent)")
    args = parser.parse_args()
    if not (1 <= args.clients <= 500 and 0 < args.duration <= 600):
        parser.error("--clients 1..500 and --duration up to 600 s")

    proc = None
    url = args.url
    if url is None:
        proc, url = start_server()
    try:
        import httpx

        async def probe() -> bool:
            async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
                return await has_sparql(client, url)

        sparql = args.sparql and asyncio.run(probe())
        if args.sparql and not sparql:
            print("--sparql: the server has no /sparql route (404/405); SPARQL left out of "
                  "the mix")
        print(f"ddkb serve at {url}: {args.clients} clients, {args.duration:.0f} s per phase")
        tally, _, elapsed = asyncio.run(phase(url, args.clients, args.duration, sparql,
                                              False, args.max_requests))
        report("Phase 1: mixed load", tally, elapsed)
        tally, side, elapsed = asyncio.run(phase(url, args.clients, args.duration, sparql,
                                                 True, args.max_requests))
        what = "runaway SPARQL query" if sparql else "heavy named query (no /sparql route)"
        report(f"Phase 2: mixed load with one {what} in flight", tally, elapsed)
        runs = side.latencies.get("runaway", [])
        print(f"  runaway: {len(runs)} runs, median {percentile(runs, 50):.2f} s"
              + ("; " + side.samples[-1] if side.samples else ""))
    finally:
        if proc is not None:
            stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
