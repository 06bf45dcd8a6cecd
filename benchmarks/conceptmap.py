"""Concept-map build time, HTML size and time to first drawing in Chromium.

For each size, a synthetic ``--data`` graph of that many concepts (five classes,
a ring of ``contributesTo`` plus ``enables`` chords and some parallel ``fosters``
edges, so about 1.6 edges per node) is written to a temporary folder, loaded
beside the bundled KB, and mapped with a focus on its first concept and a depth
that reaches all of it (so the map holds exactly the synthetic concepts).

Columns:

* build s -- ``ConceptMap(...)``: projection, layout, pyvis assembly, HTML rendering
  (of which "layout s" is the precomputed layout; 0 when the browser runs physics);
* HTML KB -- size of the file (about 690 KB of it is vis-network itself);
* drawn ms -- in the page, ``performance.now()`` at the first vis-network
  ``afterDrawing`` once the map is settled (after stabilisation when physics is on),
  i.e. from navigation start to a usable map; median of ``--runs`` page loads.

Usage::

    python benchmarks/conceptmap.py [--sizes 100,1000,5000] [--runs 3] [--chromium PATH]

Needs the Debian package ``chromium`` (driven through Playwright, offline).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

CLASSES = ("Outcome", "Risk", "ExerciseAndTraining", "Norm", "Mitigation")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def synthetic_ttl(n: int) -> str:
    """``n`` labelled, typed concepts: a ring, chords every 3rd node, parallel edges every 10th."""
    lines = ["@prefix ddkb: <https://w3id.org/ddkb/> .",
             "@prefix ex: <https://example.org/bench/> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> ."]
    for i in range(n):
        lines.append(f"ex:c{i} a ddkb:{CLASSES[i % len(CLASSES)]}, skos:Concept ; "
                     f'skos:prefLabel "benchmark concept {i}"@en ; '
                     f'skos:definition "Synthetic concept number {i}."@en .')
        lines.append(f"ex:c{i} ddkb:contributesTo ex:c{(i + 1) % n} .")
        if i % 3 == 0:
            lines.append(f"ex:c{i} ddkb:enables ex:c{(i * 7 + 11) % n} .")
        if i % 10 == 0:
            lines.append(f"ex:c{i} ddkb:fosters ex:c{(i + 1) % n} .")
    return "\n".join(lines) + "\n"


def measure_build(n: int, folder: Path) -> dict:
    import ddkb
    from ddkb import conceptmap

    data = folder / f"bench-{n}.ttl"
    data.write_text(synthetic_ttl(n), encoding="utf-8")
    kb = ddkb.load(data=[data])
    layout_time = 0.0
    original = conceptmap.precomputed_layout

    def timed_layout(*args, **kwargs):
        nonlocal layout_time
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            layout_time += time.perf_counter() - start

    conceptmap.precomputed_layout = timed_layout
    try:
        start = time.perf_counter()
        cmap = conceptmap.ConceptMap(kb, focus="benchmark concept 0", depth=n, max_nodes=None)
        build = time.perf_counter() - start
    finally:
        conceptmap.precomputed_layout = original
    out = folder / f"map-{n}.html"
    cmap.save(out)
    return {"n": cmap.node_count, "edges": cmap.edge_count, "build": build,
            "layout": layout_time, "bytes": out.stat().st_size, "physics": cmap.physics,
            "path": out}


def measure_draw(browser, path: Path, runs: int) -> float:
    """Median ms from navigation start to the settled map's first drawing (offline)."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith("file:") else route.abort())
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        page.wait_for_function("() => window.ddkbMap && window.ddkbMap.state.ready",
                               timeout=300_000)
        times.append(page.evaluate("ddkbMap.state.drawnMs"))
        context.close()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000",
                        help="comma-separated node counts (default: 100,1000,5000)")
    parser.add_argument("--runs", type=int, default=3, help="page loads per size (median)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="ddkb-bench-map-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for n in sizes:
            result = measure_build(n, Path(tmp))
            result["drawn"] = measure_draw(browser, result["path"], args.runs)
            rows.append(result)
            print(f"  measured {n} nodes", file=sys.stderr)
        browser.close()

    print("| nodes | edges | layout | build s | layout s | HTML KB | drawn ms |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for r in rows:
        layout = "physics (browser)" if r["physics"] else "precomputed"
        print(f"| {r['n']:,} | {r['edges']:,} | {layout} | {r['build']:.2f} | {r['layout']:.2f} "
              f"| {r['bytes'] / 1024:,.0f} | {r['drawn']:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
