"""The on-disk label index (ddkb.labelindex) on a large synthetic dataset.

Synthetic resources, each with a preferred label, two alt labels, a definition
and a type (words drawn from a Zipf-like vocabulary, so labels collide and
common words match many resources as in real data). Measures:

* the build from streaming rows: wall and CPU time (the machine may be shared),
  peak RSS of the building process, file size;
* with ``--store``: the same data bulk-loaded into an on-disk pyoxigraph store
  and indexed with ``build_from_store`` (the path ddkb uses);
* latency (median and max of ``--runs`` calls) of resolve (labels, alt
  labels, IRIs, misspellings), search and display_label;
* peak RSS and wall time of a fresh process that opens the index, resolves one
  name and runs one search (what ``ddkb show`` / ``ddkb search`` would pay).

Usage::

    python benchmarks/labelindex.py [--resources 1000000] [--runs 100] [--store]

Prints a markdown table. Targets: resolve and search well under 2 s, the fresh
process under 300 MB.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

NS = "http://example.org/bench/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TYPES = [NS + f"Type{i}" for i in range(40)]

# VmHWM, not ru_maxrss: Linux carries a parent's peak RSS over fork + exec into ru_maxrss
PROBE = """
import re, sys, time
start = time.perf_counter()
from ddkb.labelindex import LabelIndex
with LabelIndex(sys.argv[1]) as index:
    iri = index.resolve(sys.argv[2])
    hits = index.search(sys.argv[3])
status = open("/proc/self/status").read()
print(iri, len(hits), round(time.perf_counter() - start, 3),
      re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1))
"""


def _vocabulary(rng: random.Random, size: int = 40_000) -> list[str]:
    letters = "abcdefghijklmnoprstuvy"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 11))) for _ in range(size)}
    return sorted(words)


class Data:
    """Deterministic synthetic resources, regenerated on each pass (never a list of all).

    Word ``j`` of resource ``i`` is a fixed function of (i, j) looked up in a
    Zipf-like table (word k has weight 1/(k+1)), so every pass is cheap and
    only computes the part it needs.
    """

    TABLE = 1 << 20

    def __init__(self, n: int, seed: int = 7):
        self.n = n
        rng = random.Random(seed)
        self.vocab = _vocabulary(rng)
        weights = [1.0 / (k + 1) for k in range(len(self.vocab))]
        self.table = rng.choices(range(len(self.vocab)), weights, k=self.TABLE)

    def _words(self, i: int, start: int, count: int) -> list[str]:
        vocab, table, size = self.vocab, self.table, self.TABLE
        return [vocab[table[((i * 1000003 + j * 7919) * 2654435761 >> 7) % size]]
                for j in range(start, start + count)]

    def iri(self, i: int) -> str:
        return NS + f"r{i}"

    def pref(self, i: int) -> str:
        return " ".join(self._words(i, 0, 3)).capitalize()

    def alts(self, i: int) -> list[str]:
        return [" ".join(self._words(i, 3, 3)), " ".join(self._words(i, 6, 3))]

    def definition(self, i: int) -> str:
        return " ".join(self._words(i, 9, 20)).capitalize() + "."

    def rdf_type(self, i: int) -> str:
        return TYPES[i % len(TYPES)]

    def resources(self) -> Iterator[tuple[str, str, list[str], str, str]]:
        for i in range(self.n):
            yield (self.iri(i), self.pref(i), self.alts(i), self.definition(i), self.rdf_type(i))

    def labels(self) -> Iterator[tuple[str, str, str, str]]:
        for i in range(self.n):
            iri = self.iri(i)
            yield iri, self.pref(i), "pref", "en"
            for alt in self.alts(i):
                yield iri, alt, "alt", "en"

    def definitions(self) -> Iterator[tuple[str, str, str]]:
        for i in range(self.n):
            yield self.iri(i), self.definition(i), "en"

    def types(self) -> Iterator[tuple[str, str]]:
        for i in range(self.n):
            yield self.iri(i), self.rdf_type(i)

    def ntriples(self) -> Iterator[bytes]:
        def lit(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@en'

        for iri, pref, alts, definition, rdf_type in self.resources():
            lines = [f"<{iri}> <{SKOS}prefLabel> {lit(pref)} .",
                     *(f"<{iri}> <{SKOS}altLabel> {lit(a)} ." for a in alts),
                     f"<{iri}> <{SKOS}definition> {lit(definition)} .",
                     f"<{iri}> <{RDF_TYPE}> <{rdf_type}> ."]
            yield ("\n".join(lines) + "\n").encode()


def _reset_peak_rss() -> None:
    """Start a new peak-RSS measurement (Linux: clear_refs 5 resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # elsewhere the peak is that of the whole process so far


def _peak_rss_mb() -> float:
    """Peak RSS since the last reset (VmHWM), else of the whole process."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s*(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    return time.process_time()


def _build_rows(data: Data, path: Path) -> dict[str, float]:
    from ddkb.labelindex import LabelIndex

    _reset_peak_rss()
    start, cpu = time.perf_counter(), _cpu()
    LabelIndex.build(path, data.labels(), data.definitions(), data.types()).close()
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "rss": _peak_rss_mb()}


def _build_store(data: Data, folder: Path, path: Path) -> dict[str, float]:
    import pyoxigraph as ox

    from ddkb.labelindex import build_from_store

    nt = folder / "data.nt"
    with open(nt, "wb") as out:
        for chunk in data.ntriples():
            out.write(chunk)
    store = ox.Store(str(folder / "store"))
    start = time.perf_counter()
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    loaded = time.perf_counter() - start
    del store  # reopen: the index is built from a store as ddkb opens it, not a fresh load
    store = ox.Store(str(folder / "store"))
    _reset_peak_rss()
    start, cpu = time.perf_counter(), _cpu()
    build_from_store(store, path).close()
    return {"load": loaded, "seconds": time.perf_counter() - start, "cpu": _cpu() - cpu,
            "triples": len(store), "rss": _peak_rss_mb()}


def _timed(calls: list, fn) -> tuple[float, float]:
    times = []
    for arg in calls:
        start = time.perf_counter()
        try:
            fn(arg)
        except Exception:  # misses and ambiguities are answers too
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def _latencies(data: Data, path: Path, runs: int) -> dict[str, tuple[float, float]]:
    from ddkb.labelindex import LabelIndex

    rng = random.Random(11)
    sample = rng.sample(range(data.n), min(runs, data.n))
    prefs = [data.pref(i) for i in sample]
    alts = [data.alts(i)[0] for i in sample]
    iris = [data.iri(i) for i in sample]
    typos = [p[:3] + p[4:] for p in prefs]  # a letter dropped
    queries = [" ".join(p.split()[:2]) for p in prefs]
    common = [data.vocab[k] for k in range(min(runs, 20))] * (runs // 20 + 1)  # frequent words
    out = {}
    with LabelIndex(path) as index:
        out["resolve: preferred label"] = _timed(prefs, index.resolve)
        out["resolve: alt label"] = _timed(alts, index.resolve)
        out["resolve: IRI"] = _timed(iris, index.resolve)
        out["resolve: misspelt (suggestions)"] = _timed(typos, index.resolve)
        out["search: two words of a label"] = _timed(queries, index.search)
        out["search: one very common word"] = _timed(common, index.search)
        out["display_label"] = _timed(iris, index.display_label)
    return out


def _fresh_process(path: Path, name: str, query: str) -> tuple[float, float, str]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(path), name, query],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    iri, hits, seconds, rss_kb = done.stdout.split()
    return float(seconds), int(rss_kb) / 1024, f"{iri} ({hits} hits)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--store", action="store_true",
                        help="also build from an on-disk pyoxigraph store (slower)")
    parser.add_argument("--keep", help="folder to keep the index in (default: a temp folder)")
    args = parser.parse_args()

    folder = Path(args.keep or tempfile.mkdtemp(prefix="ddkb-labelindex-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    data = Data(args.resources)
    path = folder / "labels.sqlite"
    rows = [("resources (pref + 2 alt labels + definition + type)", f"{args.resources:,}")]
    try:
        build = _build_rows(data, path)
        rows += [("build from row streams: wall / CPU (s)",
                  f"{build['seconds']:.1f} / {build['cpu']:.1f}"),
                 ("peak RSS while building (MB)", f"{build['rss']:.0f}"),
                 ("index file (MB)", f"{path.stat().st_size / 2**20:.0f}")]
        if args.store:
            from_store = _build_store(data, folder, folder / "from-store.sqlite")
            rows += [(f"store: bulk load of {from_store['triples']:,} triples (s)",
                      f"{from_store['load']:.1f}"),
                     ("store: build_from_store: wall / CPU (s)",
                      f"{from_store['seconds']:.1f} / {from_store['cpu']:.1f}"),
                     ("store: peak RSS during build_from_store (MB)",
                      f"{from_store['rss']:.0f}")]
        for name, (median, worst) in _latencies(data, path, args.runs).items():
            rows.append((f"{name}: median / max of {args.runs} (ms)",
                         f"{median * 1000:.2f} / {worst * 1000:.1f}"))
        seconds, rss, answer = _fresh_process(path, data.pref(0), data.pref(0).split()[0])
        rows += [("fresh process: open + resolve + search, wall (s)", f"{seconds:.2f}"),
                 ("fresh process: peak RSS (MB)", f"{rss:.0f}"),
                 ("fresh process answer", answer)]
    finally:  # what was measured is printed even if a later step fails
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        print("| measure | value |\n|---|---:|")
        for name, value in rows:
            print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
