"""What compact JSON-LD costs next to expanded JSON-LD and N-Triples.

For the bundled KB alone and for the bundled KB plus a synthetic ``--data``
file of N concepts shaped like ddkb's (type, SKOS labels, a definition,
relations), time :func:`ddkb.rdf_export.export` in

* ``jsonld`` with ``jsonld_context="embed"`` (compact, context inline -- rdflib's
  compaction plus ddkb's ordering), ``"link"`` and ``"none"`` (expanded, pyoxigraph);
* ``nt`` (pyoxigraph), for scale;

and the size of each output, and the time ``ddkb.load(data=[file])`` takes to read
the compact file back (bundled KB included, no cache).

Usage::

    python benchmarks/jsonld.py [--sizes 0,20000] [--repeat 3]

Run it under ``ulimit -v`` on a shared machine (rdflib holds the whole graph).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def write_concepts(path: Path, n: int) -> None:
    """``n`` concepts of about 6 triples each, in Turtle."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("@prefix ddkb: <https://w3id.org/ddkb/> .\n"
                 "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
                 "@prefix ex: <https://example.org/bench/> .\n")
        for i in range(n):
            fh.write(f'ex:c{i} a skos:Concept, ddkb:Outcome ; skos:prefLabel "concept {i}"@en ;'
                     f' skos:altLabel "c{i}"@en ; skos:definition "Concept number {i}."@en ;'
                     f" ddkb:contributesTo ex:c{(i + 1) % n} .\n")


def timed(func, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,20000",
                        help="comma-separated numbers of synthetic concepts (0: bundled KB only)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()

    import ddkb
    from ddkb.rdf_export import export

    print(f"{'concepts':>8} {'triples':>8} {'output':>16} {'MB':>6} {'write s':>8} {'read s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            data = []
            if n:
                data = [Path(tmp) / f"concepts-{n}.ttl"]
                write_concepts(data[0], n)
            kb = ddkb.load(data=data, use_cache=False)
            for label, fmt, style in (("jsonld embed", "jsonld", "embed"),
                                      ("jsonld link", "jsonld", "link"),
                                      ("jsonld none", "jsonld", "none"), ("nt", "nt", None)):
                seconds, text = timed(lambda k=kb, f=fmt, s=style: export(k, f, jsonld_context=s),
                                      args.repeat)
                read = ""
                if fmt == "jsonld":
                    out = Path(tmp) / f"out-{n}-{style}.jsonld"
                    out.write_text(text, encoding="utf-8")
                    read_s, _ = timed(lambda o=out: ddkb.load(data=[o], use_cache=False),
                                      args.repeat)
                    read = f"{read_s:7.2f}"
                print(f"{n:>8} {len(kb.store):>8} {label:>16} "
                      f"{len(text.encode()) / 1e6:6.1f} {seconds:8.2f} {read:>7}", flush=True)


if __name__ == "__main__":
    main()
