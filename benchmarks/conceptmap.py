"""Concept-map build time, HTML size and time to first drawing in Chromium.

For each size, a synthetic ``--data`` graph of that many concepts (five classes,
a ring of ``contributesTo`` plus ``enables`` chords and some parallel ``fosters``
edges, so about 1.6 edges per node) is written to a temporary folder, loaded
beside the bundled KB, and mapped with a focus on its first concept and a depth
that reaches all of it (so the map holds exactly the synthetic concepts).

Columns:

* shown at first -- concepts on screen when the page opens (maps above 30 concepts
  open with the 25 most connected; "+N more" shows the rest);
* overlapping labels / smallest label px -- at the opening view in a 1366x768 window:
  pairs of concept labels whose boxes (as vis-network measured them) overlap, and
  the smallest concept label on screen;
* build s -- ``ConceptMap(...)``: projection, fact-check, layout, pyvis assembly, HTML
  rendering (of which "layout s" is ``map_layout``: disclosure, layout, no-overlap pass);
* HTML KB -- size of the file (about 690 KB of it is vis-network itself);
* drawn ms -- in the page, ``performance.now()`` at the first vis-network
  ``afterDrawing``, i.e. from navigation start to a usable map; median of ``--runs``
  page loads.

Usage::

    python benchmarks/conceptmap.py [--sizes 100,1000,5000] [--runs 3] [--kb-maps]
                                    [--chromium PATH]

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


def timed_build(kb, name: str, folder: Path, **options) -> dict:
    """Build one map, timing the whole build and its layout (``map_layout``)."""
    from ddkb import conceptmap

    layout_time = 0.0
    original = conceptmap.map_layout

    def timed_layout(*args, **kwargs):
        nonlocal layout_time
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            layout_time += time.perf_counter() - start

    conceptmap.map_layout = timed_layout
    try:
        start = time.perf_counter()
        cmap = conceptmap.ConceptMap(kb, max_nodes=None, **options)
        build = time.perf_counter() - start
    finally:
        conceptmap.map_layout = original
    out = folder / f"map-{name}.html"
    cmap.save(out)
    return {"name": name, "n": cmap.node_count, "edges": cmap.edge_count, "build": build,
            "layout": layout_time, "bytes": out.stat().st_size, "shown": cmap.shown_at_opening,
            "path": out}


def measure_build(n: int, folder: Path) -> dict:
    import ddkb

    data = folder / f"bench-{n}.ttl"
    data.write_text(synthetic_ttl(n), encoding="utf-8")
    kb = ddkb.load(data=[data])
    return timed_build(kb, f"{n:,} synthetic", folder, focus="benchmark concept 0", depth=n)


#: The bundled KB's maps the README shows, and the whole KB.
KB_MAPS = {"quick start (defense diplomacy, depth 1)": {"focus": "defense diplomacy", "depth": 1},
           "CBM, depth 2": {"focus": "CBM", "depth": 2},
           "whole KB": {}}

READABILITY = """async () => {
    const m = window.ddkbMap, net = m.network, scale = net.getScale();
    const drawn = () => new Promise(done => { net.once('afterDrawing', done); net.redraw(); });
    const where = net.getViewPosition();
    net.fit({nodes: m.visibleIds(), animation: false});
    await drawn();
    const boxes = m.visibleIds().map(id => {
        const n = net.body.nodes[id], s = n.labelModule.size;
        return {l: s.left, t: s.top, r: s.left + s.width, b: s.top + s.height,
                px: n.labelModule.fontOptions.size * scale};
    });
    net.moveTo({position: where, scale: scale, animation: false});
    await drawn();
    let overlaps = 0;
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b) overlaps++;
    }
    return {overlaps, px: Math.min(...boxes.map(b => b.px))};
}"""


def measure_draw(browser, path: Path, runs: int) -> tuple[float, dict]:
    """Median ms from navigation start to the map's first drawing (offline, 1366x768),
    and the opening view's overlapping concept labels and smallest label size."""
    times = []
    seen: dict = {}
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith("file:") else route.abort())
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        page.wait_for_function("() => window.ddkbMap && window.ddkbMap.state.ready",
                               timeout=300_000)
        times.append(page.evaluate("ddkbMap.state.drawnMs"))
        seen = page.evaluate(READABILITY)
        context.close()
    return statistics.median(times), seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000",
                        help="comma-separated node counts (default: 100,1000,5000)")
    parser.add_argument("--runs", type=int, default=3, help="page loads per size (median)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    parser.add_argument("--kb-maps", action="store_true",
                        help="also measure the bundled KB's README maps and the whole KB")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="ddkb-bench-map-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        builds = []
        if args.kb_maps:
            import ddkb

            kb = ddkb.load()
            builds += [timed_build(kb, name, Path(tmp), **options)
                       for name, options in KB_MAPS.items()]
        builds += [measure_build(n, Path(tmp)) for n in sizes]
        for result in builds:
            result["drawn"], result["seen"] = measure_draw(browser, result["path"], args.runs)
            rows.append(result)
            print(f"  measured {result['name']}", file=sys.stderr)
        browser.close()

    print("| map | concepts | relations | shown at first | overlapping labels | smallest label px "
          "| build s | layout s | HTML KB | drawn ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['n']:,} | {r['edges']:,} | {r['shown']:,} "
              f"| {r['seen']['overlaps']} | {r['seen']['px']:.1f} | {r['build']:.2f} "
              f"| {r['layout']:.2f} | {r['bytes'] / 1024:,.0f} | {r['drawn']:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
