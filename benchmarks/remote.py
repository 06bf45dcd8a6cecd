"""Remote engine timings: server start, ``push`` of the bundled KB, every named query.

Starts each real server (Oxigraph server from the PyPI package ``oxigraph``,
Virtuoso 7 from the Debian package ``virtuoso-opensource``) on free loopback
ports with a throwaway database, pushes the bundled KB twice, then runs every
named query (with and without its parameters, as the tests do) on the server
and on the embedded store.

Columns:

* start s -- from spawning the server to its first answer to ``ASK {}``;
* push s, again s -- the first push of the bundled KB and a repeat (which
  replaces every graph), with the number of HTTP requests of the first;
* queries s -- every named-query case on the server (embedded store: in-process);
* agree -- cases whose rows equal the embedded store's (GROUP_CONCAT order aside).

Usage::

    python benchmarks/remote.py [--servers oxigraph,virtuoso]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="oxigraph,virtuoso")
    args = parser.parse_args()

    import servers
    from servers import bundled_sources
    from test_remote import _bindings, _rows, named_cases

    import ddkb
    from ddkb.errors import DdkbError
    from ddkb.named import list_queries
    from ddkb.namespaces import PREFIXES
    from ddkb.push import push
    from ddkb.remote import RemoteEndpoint

    kb = ddkb.load()
    queries = {q.name: q for q in list_queries()}
    cases = []
    for name, given in named_cases():
        query = queries[name]
        concat = set(re.findall(r"GROUP_CONCAT\(.*?\)\s*AS\s*\?(\w+)", query.text, re.DOTALL))
        cases.append((query, _bindings(kb, query, given), concat))
    started = time.perf_counter()
    expected = [_rows(kb.raw_query(q.text, subs), concat) for q, subs, concat in cases]
    embedded_s = time.perf_counter() - started

    print(f"{'server':<10} {'start s':>8} {'push s':>7} {'requests':>8} {'again s':>8} "
          f"{'queries s':>9} {'agree':>7}")
    print(f"{'embedded':<10} {'':>8} {'':>7} {'':>8} {'':>8} {embedded_s:>9.2f} "
          f"{len(cases)}/{len(cases)}")
    for name in args.servers.split(","):
        start = getattr(servers, f"start_{name}")
        try:
            server = start()
        except servers.ServerNotAvailable as err:
            print(f"{name:<10} not installed: {err}")
            continue
        try:
            endpoint = RemoteEndpoint(server.query_url, auth=server.auth)
            t0 = time.perf_counter()
            report = push(endpoint, bundled_sources())
            push_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            push(endpoint, bundled_sources())
            again_s = time.perf_counter() - t0
            agree = 0
            t0 = time.perf_counter()
            for (query, subs, concat), want in zip(cases, expected, strict=True):
                try:
                    got = _rows(endpoint.query(query.text, prefixes=PREFIXES,
                                               substitutions=subs), concat)
                except DdkbError:
                    continue
                agree += got == want
            queries_s = time.perf_counter() - t0
            print(f"{name:<10} {server.started_in:>8.2f} {push_s:>7.2f} {report.requests:>8} "
                  f"{again_s:>8.2f} {queries_s:>9.2f} {agree}/{len(cases)}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
