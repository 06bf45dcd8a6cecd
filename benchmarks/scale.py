"""How ddkb's commands scale with the data loaded beside the KB.

Generates synthetic N-Triples shaped like ddkb's own data (concepts typed by
ddkb classes, SKOS pref/alt labels and definitions, relations between them
and, sparsely, to the bundled concepts) at several sizes, then measures each
command cold (empty cache: the store is built) and warm (store reused), wall
time and peak RSS of the whole process, alternating the commands within one
run so that machine noise spreads evenly. Anchors measured in the same run:

* pyoxigraph: in-memory load of the file, then the same COUNT query;
* pyoxigraph: open an on-disk store of the file read-only, then the query;
* pyoxigraph: ``bulk_load`` of the file into a new on-disk store (first build),
  into its default graph and, as ddkb stores each file, into a named graph
  (Oxigraph keeps six indexes of named-graph quads, three of default-graph ones);
* rdflib: parse and query (100 thousand triples only: it is too slow above).

    python benchmarks/scale.py --sizes 100000 1000000 2000000 --repeat 3
    python benchmarks/scale.py --sizes 100000 --repeat 1      # a quick look
    python benchmarks/scale.py --sizes 211000 --infer          # --infer owlrl, cold and warm

Prints a Markdown table (the README's "Scale" section) and writes JSON to
benchmarks/results/scale-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DDKB = "https://w3id.org/ddkb/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SYN = "http://example.org/syn/"
CLASSES = ("Instrument", "ConfidenceBuildingMeasure", "Outcome", "Risk", "Norm", "State",
           "Mitigation", "Threat", "Region")
RELATIONS = ("fosters", "hasRisk", "promotesNorm", "involvesActor", "inRegion", "mitigates")
WORDS = ("trust", "exercise", "maritime", "dialogue", "training", "security", "naval",
         "regional", "cooperation", "transparency", "hotline", "observer", "academy",
         "peacekeeping", "alliance", "outreach", "exchange", "capacity", "doctrine")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: Bundled concepts that synthetic ones link to now and then (map --focus, path).
ANCHORS = ("confidence-building-measures", "mutual-trust", "joint-military-exercise")


def generate(path: Path, triples: int) -> None:
    """Write about ``triples`` N-Triples shaped like ddkb's concepts to ``path``."""
    with path.open("w", encoding="utf-8") as out:
        written, i = 0, 0
        concepts = max(triples // 7, 10)
        while written < triples:
            c = f"<{SYN}c{i}>"
            words = [WORDS[(i * k + k) % len(WORDS)] for k in (1, 3, 7)]
            label = f"{words[0]} {words[1]} {i}"
            lines = [
                f"{c} <{RDF_TYPE}> <{DDKB}{CLASSES[i % len(CLASSES)]}> .",
                f"{c} <{RDF_TYPE}> <{SKOS}Concept> .",
                f'{c} <{SKOS}prefLabel> "{label}"@en .',
                f'{c} <{SKOS}altLabel> "{words[2]} {i}"@en .',
                f'{c} <{SKOS}definition> "A synthetic {words[0]} concept about '
                f'{words[1]} and {words[2]}, number {i}."@en .',
                f"{c} <{DDKB}{RELATIONS[i % len(RELATIONS)]}> <{SYN}c{(i * 31 + 7) % concepts}> .",
                f"{c} <{DDKB}{RELATIONS[(i + 1) % len(RELATIONS)]}> "
                f"<{SYN}c{(i * 17 + 3) % concepts}> .",
            ]
            if i % 20000 == 0:
                lines.append(f"{c} <{DDKB}fosters> <{DDKB}{ANCHORS[i // 20000 % len(ANCHORS)]}> .")
            out.write("\n".join(lines) + "\n")
            written += len(lines)
            i += 1


def ddkb_exe() -> str:
    exe = shutil.which("ddkb", path=str(Path(sys.executable).parent)) or shutil.which("ddkb")
    if not exe:
        sys.exit("ddkb is not installed beside this Python")
    return exe


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        print(f"  ! {' '.join(cmd[1:])}: exit {proc.returncode}: {err[:200]}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def anchor_script(kind: str, data: Path, work: Path) -> list[str]:
    code = {
        "ox-memory": f"""
import pyoxigraph as ox
s = ox.Store(); s.bulk_load(path={str(data)!r}, format=ox.RdfFormat.N_TRIPLES)
print(list(s.query({COUNT!r})))""",
        "ox-bulk-load": f"""
import pyoxigraph as ox, shutil
shutil.rmtree({str(work / 'anchor-db')!r}, ignore_errors=True)
s = ox.Store({str(work / 'anchor-db')!r}); s.bulk_load(path={str(data)!r},
    format=ox.RdfFormat.N_TRIPLES); s.flush()""",
        "ox-bulk-load-named": f"""
import pyoxigraph as ox, shutil
shutil.rmtree({str(work / 'anchor-named')!r}, ignore_errors=True)
s = ox.Store({str(work / 'anchor-named')!r}); s.bulk_load(path={str(data)!r},
    format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("file:///data.nt")); s.flush()""",
        "ox-read-only": f"""
import pyoxigraph as ox
s = ox.Store.read_only({str(work / 'anchor-db')!r}); print(list(s.query({COUNT!r})))""",
        "rdflib": f"""
import rdflib
g = rdflib.Graph(); g.parse({str(data)!r}, format="nt"); print(list(g.query({COUNT!r})))""",
    }[kind]
    return [sys.executable, "-c", code]


def commands(data: Path, infer: bool = False) -> dict[str, list[str]]:
    exe = ddkb_exe()
    base = [exe, "--data", str(data)]
    if infer:  # the OWL RL target: bundled KB + --data, first use and cached
        return {"query --infer owlrl": [exe, "--infer", "owlrl", "--data", str(data), "query",
                                        COUNT]}
    return {
        "query": [*base, "query", COUNT],
        "show": [*base, "show", "CBM"],
        "search": [*base, "search", "trust"],
        "map --focus": [*base, "map", "--focus", "CBM", "--depth", "1", "-o",
                        str(data.with_suffix(".html"))],
        "path": [*base, "path", "joint military exercise", "soft power"],
    }


def run_size(size: int, repeat: int, work: Path, infer: bool = False) -> list[dict]:
    data = work / f"syn-{size}.nt"
    generate(data, size)
    # A user's data file is rarely written in the 2 s before ddkb reads it: let it settle,
    # so that its digest is remembered as it would be (see ddkb.inputfile, "racy files").
    time.sleep(2.5)
    cache = work / f"cache-{size}"
    env = {**os.environ, "DDKB_CACHE_DIR": str(cache)}
    rows: list[dict] = []
    cmds = commands(data, infer)
    anchors = [] if infer else ["ox-memory", "ox-bulk-load", "ox-bulk-load-named",
                                "ox-read-only"] + (
        ["rdflib"] if size <= 100000 else [])
    samples: dict[str, list[tuple[float, float]]] = {}
    for _ in range(repeat):
        for name, cmd in cmds.items():  # cold: the store is built first; then warm
            shutil.rmtree(cache, ignore_errors=True)
            samples.setdefault(f"{name} (cold)", []).append(measure(cmd, env)[:2])
            samples.setdefault(f"{name} (warm)", []).append(measure(cmd, env)[:2])
        for kind in anchors:
            wall, rss, _ = measure(anchor_script(kind, data, work), env)
            samples.setdefault(f"anchor: {kind}", []).append((wall, rss))
    for name, values in samples.items():
        rows.append({"size": size, "what": name,
                     "wall_s": round(statistics.median(v[0] for v in values), 3),
                     "peak_mb": round(max(v[1] for v in values), 1), "n": len(values)})
    data.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000, 1000000, 2000000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--infer", action="store_true",
                        help="time only `ddkb --infer owlrl ... query`, cold and warm")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ddkb-scale-"))
    try:
        rows = [row for size in args.sizes
                for row in run_size(size, args.repeat, work, args.infer)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nMachine: {machine}\n")
    print("| triples of --data | what | wall (median) | peak RSS |")
    print("|---:|---|---:|---:|")
    for row in rows:
        print(f"| {row['size']:,} | {row['what']} | {row['wall_s']:.2f} s | "
              f"{row['peak_mb']:.0f} MB |")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    name = f"scale{'-infer' if args.infer else ''}-{stamp}.json"
    (out / name).write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
