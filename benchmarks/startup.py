"""Cold start-up of ``ddkb`` against a plain rdflib script doing the same work.

Every measurement is a fresh process (so imports are paid every time); the
runs of the different commands are interleaved so that machine noise hits them
alike, and the median of each is reported with its ratio to the rdflib script.
The ddkb cache is warmed once first (that is its purpose); a ``--no-cache``
row shows the price without it.

Usage::

    python benchmarks/startup.py [--runs 7] [--concept "mutual trust"] [--named instruments]

Prints a markdown table. The target: ``ddkb query`` at most 0.25x the rdflib script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY = ("SELECT ?c ?l WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } "
         "ORDER BY ?l LIMIT 10")

RDFLIB_SCRIPT = """
import sys
import rdflib
from rdflib.util import guess_format
g = rdflib.Dataset(default_union=True)  # the same union default graph as ddkb
for path in sys.argv[1:]:
    fmt = guess_format(path) or "turtle"
    g.graph(rdflib.URIRef("file://" + path)).parse(path, format=fmt)
for row in g.query({query!r}):
    print(*row)
"""


def _ddkb() -> str:
    found = Path(sys.executable).with_name("ddkb")
    return str(found) if found.exists() else (shutil.which("ddkb") or "ddkb")


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--concept", default="instrument", help="concept for 'ddkb show'")
    parser.add_argument("--named", default="instruments", help="named query without parameters")
    args = parser.parse_args()

    from ddkb import paths

    files = [str(p) for p in paths.bundled_rdf_files()]
    workdir = Path(tempfile.mkdtemp(prefix="ddkb-bench-"))
    script = workdir / "plain_rdflib.py"
    script.write_text(RDFLIB_SCRIPT.format(query=QUERY), encoding="utf-8")
    env = dict(os.environ, DDKB_CACHE_DIR=str(workdir / "cache"))
    py, ddkb = sys.executable, _ddkb()
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "plain rdflib script (parse + 1 SELECT)": [py, str(script), *files],
        "ddkb query \"SELECT ...\"": [ddkb, "query", QUERY],
        f"ddkb query -n {args.named}": [ddkb, "query", "-n", args.named],
        f"ddkb show \"{args.concept}\"": [ddkb, "show", args.concept],
        "ddkb query --no-cache \"SELECT ...\"": [ddkb, "query", "--no-cache", QUERY],
    }
    for cmd in commands.values():  # warm the OS file cache and the ddkb cache
        _time(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(_time(cmd, env))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = medians["plain rdflib script (parse + 1 SELECT)"]
    import ddkb

    quads = len(ddkb.load(use_cache=False).store)
    print(f"Bundled KB: {len(files)} files, {quads} triples; "
          f"{args.runs} cold runs each, medians.\n")
    print("| command | median (s) | min (s) | ratio to rdflib script |")
    print("|---|---:|---:|---:|")
    for name, med in medians.items():
        print(f"| {name} | {med:.3f} | {min(times[name]):.3f} | {med / base:.2f}x |")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
