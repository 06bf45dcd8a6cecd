"""What the untrusted-input checks (``ddkb.inputs``) cost next to loading itself.

For each size, a synthetic file of that many triples is written to a temporary
folder in Turtle (with some multi-line long strings, which the literal filter
measures) and in JSON-LD (an array of objects, each with a nested object, so
the bracket scan has real work), and timed:

* read s -- :func:`ddkb.inputs.read_bytes` (one bounded read);
* check s -- :func:`ddkb.inputs.check_content` (JSON-LD: the nesting scan;
  Turtle: nothing to check);
* filter s -- :func:`ddkb.inputs.may_hold_long_literal` with a limit of a
  tenth of the file (the byte searches that spare the scan);
* scan s -- :func:`ddkb.inputs.find_long_literal`, the scan of the whole
  store that :func:`ddkb.inputs.check_literal_sizes` runs for a file the
  filter cannot clear;
* load s -- ``ddkb.load(data=[file], use_cache=False)`` in total (bundled KB
  included), i.e. what the checks are a part of.

Usage::

    python benchmarks/inputs.py [--sizes 100000,1000000]

Run it under ``ulimit -v`` on a shared machine: a million triples takes about
1 GB of memory to load.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def write_turtle(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("@prefix ex: <https://example.org/bench/> .\n"
                 "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
        for i in range(0, n, 3):
            comment = (f'; rdfs:comment """thing {i},\nover two lines"""' if i % 30 == 0
                       else "")
            fh.write(f'ex:s{i} a ex:Thing ; rdfs:label "thing {i} [with brackets]"@en ; '
                     f"ex:next ex:s{i + 3} {comment}.\n")


def write_jsonld(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"@context": {"ex": "https://example.org/bench/", '
                 '"label": "http://www.w3.org/2000/01/rdf-schema#label"}, "@graph": [\n')
        for i in range(0, n, 3):
            node = {"@id": f"ex:s{i}", "label": f"thing {i} {{with}} [brackets]",
                    "ex:part": {"@id": f"ex:p{i}", "label": f"part {i}"}}
            fh.write(("," if i else "") + json.dumps(node) + "\n")
        fh.write("]}\n")


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated triple counts (default: 100000,1000000)")
    args = parser.parse_args()

    import pyoxigraph as ox

    import ddkb
    from ddkb import inputs

    print(f"{'triples':>9} {'format':>7} {'MB':>7} {'read s':>7} {'check s':>8} "
          f"{'filter s':>8} {'scan s':>7} {'load s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            for name, suffix, write, fmt in (
                    ("turtle", ".ttl", write_turtle, ox.RdfFormat.TURTLE),
                    ("jsonld", ".jsonld", write_jsonld, ox.RdfFormat.JSON_LD)):
                path = Path(tmp) / f"bench{suffix}"
                write(path, n)
                read_s, content = timed(inputs.read_bytes, path)
                check_s, _ = timed(inputs.check_content, path, content, fmt)
                load_s, kb = timed(ddkb.load, data=[path], use_cache=False)
                filter_s, may = timed(inputs.may_hold_long_literal, content, fmt,
                                      len(content) // 10)
                assert not may, "the filter should clear a file of short literals"
                scan_s, _ = timed(inputs.find_long_literal, kb.store, len(content))
                print(f"{n:>9} {name:>7} {len(content) / 1e6:>7.1f} {read_s:>7.2f} "
                      f"{check_s:>8.2f} {filter_s:>8.3f} {scan_s:>7.2f} {load_s:>7.2f}",
                      flush=True)
                del kb, content
                path.unlink()


if __name__ == "__main__":
    main()
