"""Compare OWL 2 RL reasoners on ddkb's data: owlrl (pure Python) and reasonable (Rust).

For the bundled KB (and optionally synthetic data of N triples shaped like
ddkb's), run both reasoners, clean their output with ddkb's noise filter
(:func:`ddkb.reason.is_noise`) and report time, peak memory and how the sets of
entailments differ. This is the evidence behind the choice of ``--infer owlrl``'s
engine (README, "Inference").

    python benchmarks/reasoners.py            # bundled KB
    python benchmarks/reasoners.py --extra 200000
"""

from __future__ import annotations

import argparse
import resource
import time

import rdflib


def bundled_graph() -> rdflib.Graph:
    import ddkb

    kb = ddkb.load(use_cache=False)
    graph = rdflib.Graph()
    ds = rdflib.Dataset()
    ds.parse(data=kb.engine.dump_nquads().decode("utf-8"), format="nquads")
    for s, p, o, _ in ds.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def synthetic(graph: rdflib.Graph, n: int) -> None:
    """Add about ``n`` triples: concepts typed by ddkb classes, labelled, linked."""
    ddkb = rdflib.Namespace("https://w3id.org/ddkb/")
    ex = rdflib.Namespace("http://example.org/syn/")
    skos = rdflib.namespace.SKOS
    classes = [ddkb.Instrument, ddkb.ConfidenceBuildingMeasure, ddkb.Outcome, ddkb.Risk,
               ddkb.Norm, ddkb.State]
    props = [ddkb.fosters, ddkb.hasRisk, ddkb.promotesNorm, ddkb.involvesActor]
    i = 0
    while len(graph) < n:
        c = ex[f"c{i}"]
        graph.add((c, rdflib.RDF.type, classes[i % len(classes)]))
        graph.add((c, skos.prefLabel, rdflib.Literal(f"concept {i}", lang="en")))
        graph.add((c, props[i % len(props)], ex[f"c{(i * 7 + 3) % (n // 4 + 1)}"]))
        i += 1


def run_owlrl(graph: rdflib.Graph) -> tuple[set, float]:
    from ddkb.reason import _new_triples

    started = time.perf_counter()
    new = set(_new_triples(graph, "owlrl"))
    return new, time.perf_counter() - started


def run_reasonable(graph: rdflib.Graph) -> tuple[set, float]:
    import reasonable

    from ddkb.reason import is_noise

    started = time.perf_counter()
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(graph)
    out = reasoner.reason()
    new = {t for t in out if t not in graph and not is_noise(*t)}
    return new, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=int, default=0, help="synthetic triples to add")
    parser.add_argument("--skip-owlrl", action="store_true", help="only time reasonable")
    args = parser.parse_args()
    graph = bundled_graph()
    if args.extra:
        synthetic(graph, len(graph) + args.extra)
    print(f"input: {len(graph)} triples")
    fast, t_fast = run_reasonable(graph)
    print(f"reasonable: {len(fast)} new triples in {t_fast:.2f} s")
    if not args.skip_owlrl:
        slow, t_slow = run_owlrl(graph)
        print(f"owlrl:      {len(slow)} new triples in {t_slow:.2f} s")
        only_owlrl = slow - fast
        only_fast = fast - slow
        print(f"only owlrl: {len(only_owlrl)}; only reasonable: {len(only_fast)}")
        for t in sorted(only_owlrl, key=str)[:10]:
            print("  owlrl only:", *(str(x) for x in t))
        for t in sorted(only_fast, key=str)[:10]:
            print("  reasonable only:", *(str(x) for x in t))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
