"""Run ddkb's fuzz harnesses for a bounded time; exit 1 if any finds a problem.

Usage::

    python fuzz/run.py                      # every harness, 60 s each
    python fuzz/run.py --seconds 300 load   # one harness, 5 minutes
    python fuzz/run.py --replay-open        # re-run the reproducers of open findings

Each harness (``fuzz/fuzz_<name>.py``, atheris + libFuzzer) starts from a seed
corpus built here -- the RDF fixtures of tests/ converted to every syntax, the
named queries and a few query forms -- plus the reproducers of fixed findings
in ``fuzz/findings/<name>/`` (regression inputs, always replayed first). A
finding is an exception other than a proper ddkb error, a crash, a hang
(``--hang-seconds`` on one input) or a memory blow-up (``--rss-mb``). Its
input is saved in ``--artifacts`` (a fresh temporary folder unless given)
with the command that replays it.

Findings reported but not fixed yet are listed in ``fuzz/findings/open/known.txt``
(a pattern of the exception each) with their inputs in ``fuzz/findings/open/<name>/``:
they do not fail a run, so the fuzzer goes on past them, unless ``--strict``;
``--replay-open`` replays their inputs too. Once one is fixed, move its input to
``fuzz/findings/<name>/`` and delete its line.

Needs atheris (``pip install '.[test]'`` on Linux). Exit codes: 0 no finding,
1 a finding, 2 bad usage or atheris missing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HARNESSES = ("load", "query")
MAX_LEN = 65536
#: Seeds in one RDF syntax per harness suffix byte (the order of common.SUFFIXES).
SEED_SYNTAXES = ("TURTLE", "N_TRIPLES", "N_QUADS", "TRIG", "RDF_XML", "JSON_LD")
RDF_SUFFIXES = {".ttl": 0, ".nt": 1, ".nq": 2, ".trig": 3, ".rdf": 4, ".owl": 4, ".xml": 4,
                ".jsonld": 5, ".json": 5}
#: The fixtures also given to the load harness in every syntax (small, varied content).
EVERY_SYNTAX = ("tests/fixtures/core/concepts.ttl", "tests/fixtures/network/small.ttl",
                "tests/fixtures/link/userdata.ttl", "tests/fixtures/validate/base.ttl")
QUERY_FORMS = (
    "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l } ORDER BY ?l LIMIT 5",
    "ASK { ddkb:nato ?p ?o }",
    "CONSTRUCT { ?s ddkb:fosters ?o } WHERE { ?s ddkb:fosters ?o }",
    "DESCRIBE ddkb:nato",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    'SELECT ?c WHERE { ?c skos:altLabel ?a FILTER(REGEX(?a, "^C", "i")) }',
    "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l }\0c=ddkb:nato",
    'SELECT ?l WHERE { ?c skos:prefLabel ?l }\0l="NATO"\nc=<https://w3id.org/ddkb/nato>',
)


def rdf_seeds(folder: Path) -> int:
    """Write the load harness's seeds: the RDF fixtures of tests/, a few in every syntax.

    Few seeds on purpose: each input loads the whole bundled KB too (a fraction
    of a second), and a short CI run must get past the seeds to fuzz.
    """
    import pyoxigraph as ox

    count = 0
    sources = [p for p in sorted((REPO / "tests" / "fixtures").rglob("*"))
               if p.suffix in RDF_SUFFIXES and p.is_file() and p.stat().st_size < MAX_LEN]
    for path in sources:
        content = path.read_bytes()
        seeds = [bytes([RDF_SUFFIXES[path.suffix]]) + content]
        if path.relative_to(REPO).as_posix() in EVERY_SYNTAX:
            try:
                quads = list(ox.parse(content, format=ox.RdfFormat.TURTLE,
                                      base_iri=path.as_uri()))
            except (SyntaxError, ValueError):  # the broken fixtures stay as they are
                quads = []
            for index, name in enumerate(SEED_SYNTAXES):
                fmt = getattr(ox.RdfFormat, name)
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
                data = ox.serialize(quads if fmt.supports_datasets else triples, format=fmt)
                if quads and data and len(data) < MAX_LEN:
                    seeds.append(bytes([index]) + data)
        for seed in seeds:
            count += 1
            (folder / f"seed-{count:04d}").write_bytes(seed)
    return count


def first_example(description: str) -> str:
    """The first quoted example of a parameter description (``e.g. "NATO"``), else ``x``."""
    found = re.findall(r'"([^"]+)"', description)
    return found[0] if found else "x"


def query_seeds(folder: Path) -> int:
    """Write the query harness's seeds: query forms (mode 0) and every named query (mode 1)."""
    sys.path.insert(0, str(REPO))
    from ddkb.named import list_queries

    seeds = [b"\0" + q.encode("utf-8") for q in QUERY_FORMS]
    for index, query in enumerate(list_queries()):
        seeds.append(b"\0" + query.text.encode("utf-8"))
        params = "\n".join(f"{p.name}={first_example(p.description)}" for p in query.params)
        seeds.append(b"\x01" + bytes([index]) + b"\0" + params.encode("utf-8"))
    for count, seed in enumerate(seeds, 1):
        (folder / f"seed-{count:04d}").write_bytes(seed)
    return len(seeds)


def fuzz(name: str, seconds: int, args: argparse.Namespace, work: Path,
         artifacts: Path) -> bool:
    """Run one harness for ``seconds``; True if it ended with no finding."""
    corpus = work / f"corpus-{name}"
    corpus.mkdir()
    seeded = (rdf_seeds if name == "load" else query_seeds)(corpus)
    replay = [d for d in (HERE / "findings" / name,) if d.is_dir()]
    if args.replay_open and (HERE / "findings" / "open" / name).is_dir():
        replay.append(HERE / "findings" / "open" / name)
    prefix = artifacts / f"{name}-"
    command = [sys.executable, str(HERE / f"fuzz_{name}.py"), str(corpus), *map(str, replay),
               f"-max_total_time={seconds}", f"-timeout={args.hang_seconds}",
               f"-rss_limit_mb={args.rss_mb}", f"-max_len={MAX_LEN}",
               f"-artifact_prefix={prefix}", "-print_final_stats=1",
               f"-dict={HERE / ('rdf.dict' if name == 'load' else 'sparql.dict')}"]
    if args.seed is not None:
        command.append(f"-seed={args.seed}")
    log = artifacts / f"{name}.log"
    # every temporary file of the harness lands in ``work``, which is removed at the end
    env = {**os.environ, "DDKB_FUZZ_SCRATCH": str(work / f"scratch-{name}"), "TMPDIR": str(work),
           "DDKB_FUZZ_STRICT": "1" if args.strict else "0"}
    print(f"== fuzz {name}: {seconds} s from {seeded} seeds"
          f"{' + ' + ', '.join(str(d.relative_to(REPO)) for d in replay) if replay else ''}",
          flush=True)
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=work, env=env,
                              timeout=seconds + 10 * args.hang_seconds + 600)
    text = log.read_text(errors="replace")
    stats = re.findall(r"stat::(number_of_executed_units|peak_rss_mb):\s*(\d+)", text)
    print(f"   {', '.join(f'{k} {v}' for k, v in stats) or 'no stats'}; exit {done.returncode}")
    found = sorted(artifacts.glob(f"{name}-*"))
    if done.returncode == 0 and not found:
        return True
    print(f"   FINDING (log: {log})")
    for line in text.splitlines()[-30:]:
        print(f"   | {line}")
    for path in found:
        print(f"   input saved: {path}\n   replay: {sys.executable} "
              f"{HERE / f'fuzz_{name}.py'} -runs=1 {path}")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("harness", nargs="*", help=f"which of {', '.join(HARNESSES)} "
                        "(default: all)")
    parser.add_argument("--seconds", type=int, default=60, help="time per harness (60)")
    parser.add_argument("--hang-seconds", type=int, default=30,
                        help="one input taking longer is a hang (30)")
    parser.add_argument("--rss-mb", type=int, default=3072, help="memory cap, MB (3072)")
    parser.add_argument("--seed", type=int, default=None, help="libFuzzer random seed")
    parser.add_argument("--artifacts", type=Path, default=None,
                        help="folder for the inputs of findings (default: a new temp folder)")
    parser.add_argument("--replay-open", action="store_true",
                        help="also replay fuzz/findings/open/ (findings not fixed yet)")
    parser.add_argument("--strict", action="store_true",
                        help="open findings (fuzz/findings/open/known.txt) fail the run too")
    args = parser.parse_args(argv)
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    unknown = sorted(set(args.harness) - set(HARNESSES))
    if unknown:
        parser.error(f"unknown harness {', '.join(unknown)} (known: {', '.join(HARNESSES)})")
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("fuzz/run.py: atheris is not installed (pip install '.[test]' on Linux)",
              file=sys.stderr)
        return 2
    artifacts = args.artifacts or Path(tempfile.mkdtemp(prefix="ddkb-fuzz-findings-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ddkb-fuzz-work-"))
    try:
        results = [fuzz(name, args.seconds, args, work, artifacts)
                   for name in (args.harness or HARNESSES)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if all(results):
        print(f"fuzz: no finding in {len(results)} harness(es)")
        if args.artifacts is None:
            shutil.rmtree(artifacts, ignore_errors=True)
        return 0
    print(f"fuzz: {results.count(False)} harness(es) found problems; inputs in {artifacts}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
