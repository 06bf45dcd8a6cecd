"""The networkx projection and the analytics over it (paths, related, rank, clusters).

Runs on the fixture graph ``tests/fixtures/network/small.ttl`` (a fictional "Blue
Harbour" programme in its own namespace, loaded beside the bundled KB) and a user
graph with its own class and property (``userdata.ttl``). Assertions look at the
fixture's nodes only, so they hold whatever the bundled KB contains.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import ddkb
from ddkb.errors import ConceptNotFound, InputError
from ddkb.network import (
    Step,
    clusters,
    format_step,
    project,
    rank,
    related,
    shortest_paths,
)

EX = "https://example.org/netfix/"
MY = "https://example.org/mine/"
STRATEGIC = "Strategic Instruments of Defense Diplomacy"
TRUST = "Building Trust and Transparency in International Security"
FIXTURE_CONCEPTS = {EX + n for n in (
    "joint-military-exercise", "hotline", "data-exchange", "mutual-trust", "transparency",
    "stability", "soft-power", "escalation", "communication", "no-first-use", "tricky",
)} | {MY + "nato-pfp"}


@pytest.fixture(scope="module")
def data_files(fixtures_dir):
    folder = fixtures_dir / "network"
    return [folder / "small.ttl", folder / "userdata.ttl"]


@pytest.fixture(scope="module")
def fkb(data_files):
    return ddkb.load(data=data_files)


@pytest.fixture(scope="module")
def G(fkb):
    return project(fkb)


@pytest.fixture(scope="module")
def FG(G):
    """The fixture's own component (the bundled KB's concepts left out)."""
    return G.subgraph(FIXTURE_CONCEPTS).copy()


def ours(graph) -> set[str]:
    return {n for n in graph if n.startswith((EX, MY))}


def labels(graph, nodes=None) -> set[str]:
    return {graph.nodes[n]["label"] for n in (ours(graph) if nodes is None else nodes)}


# -- projection -----------------------------------------------------------------
def test_projection_keeps_concepts_only(G):
    assert ours(G) == FIXTURE_CONCEPTS
    not_concepts = [
        EX + "s-trust", EX + "claim/jme-fosters-trust", "https://w3id.org/ddkb/Outcome",
        "https://w3id.org/ddkb/fosters", "https://w3id.org/ddkb/status-supported",
        "http://www.w3.org/2004/02/skos/core#Concept", MY + "Programme", MY + "funds",
        "https://example.org/not-a-concept", "https://w3id.org/ddkb/verification-scheme",
    ]
    assert not [n for n in not_concepts if n in G]
    assert all(isinstance(n, str) and n.startswith(("http://", "https://")) for n in G)


def test_node_attributes(G):
    hotline = G.nodes[EX + "hotline"]
    assert hotline["label"] == "Blue Harbour hotline"
    assert hotline["cls"] == "ConfidenceBuildingMeasure"
    assert hotline["types"][0] == "ddkb:ConfidenceBuildingMeasure"
    assert "skos:Concept" in hotline["types"]
    assert hotline["definition"].startswith("A direct line between military commands")
    assert hotline["sources"] == [TRUST]
    assert hotline["status"].casefold() == "supported"
    assert hotline["bundled"] is False
    assert G.nodes[EX + "joint-military-exercise"]["alt_labels"] == ["BH drill"]
    assert G.nodes[EX + "no-first-use"]["definition"] == ""
    assert G.nodes[EX + "no-first-use"]["status"] == ""


def test_user_data_concepts_keep_their_own_class_and_relation(G):
    node = G.nodes[MY + "nato-pfp"]
    assert (node["label"], node["cls"], node["bundled"]) == ("Harbour Partners Fund", "Programme",
                                                              False)
    (key, data), = G.get_edge_data(MY + "nato-pfp", EX + "joint-military-exercise").items()
    assert key == MY + "funds"
    assert data["label"] == "funds"


def test_edges_are_triples_never_merged(G):
    edges = G.get_edge_data(EX + "joint-military-exercise", EX + "mutual-trust")
    assert set(edges) == {"ddkb:fosters", "ddkb:contributesTo"}
    fosters = edges["ddkb:fosters"]
    assert fosters["predicate"] == "https://w3id.org/ddkb/fosters"
    assert fosters["label"] == "fosters"
    assert fosters["sources"] == [STRATEGIC, TRUST]  # claim's sections, in article order
    assert edges["ddkb:contributesTo"]["sources"] == []  # no claim for this triple
    fixture_edges = [e for e in G.edges(keys=True) if e[0] in FIXTURE_CONCEPTS]
    assert len(fixture_edges) == 13


def test_literal_and_non_property_triples_are_not_edges(G):
    # jme ddkb:hasRisk "accidents"@en ; skos:note "..." ; nato-pfp rdfs:seeAlso <not-a-concept>
    out = {(v, k) for _, v, k in G.out_edges(EX + "joint-military-exercise", keys=True)}
    assert out == {(EX + "mutual-trust", "ddkb:fosters"),
                   (EX + "mutual-trust", "ddkb:contributesTo"),
                   (EX + "escalation", "ddkb:hasRisk")}
    assert set(G.successors(MY + "nato-pfp")) == {EX + "joint-military-exercise"}


@pytest.mark.parametrize(("depth", "expected"), [
    (0, {"harbour trust"}),
    (1, {"harbour trust", "Blue Harbour exercise", "Blue Harbour hotline", "harbour stability"}),
    (2, {"harbour trust", "Blue Harbour exercise", "Blue Harbour hotline", "harbour stability",
         "harbour escalation", "Harbour Partners Fund", "harbour transparency",
         "harbour restraint", "harbour goodwill"}),
])
def test_focus_keeps_the_neighbourhood(fkb, depth, expected):
    sub = project(fkb, focus="harbour trust", depth=depth)
    assert labels(sub, sub) == expected
    assert sub.graph["focus"] == EX + "mutual-trust"
    # relations between kept nodes are kept, in their own direction
    if depth >= 1:
        assert sub.has_edge(EX + "joint-military-exercise", EX + "mutual-trust", "ddkb:fosters")


def test_focus_accepts_alt_label_and_iri(fkb):
    by_alt = project(fkb, focus="BH drill", depth=1)
    by_iri = project(fkb, focus=EX + "joint-military-exercise", depth=1)
    assert set(by_alt) == set(by_iri) == {EX + "joint-military-exercise", EX + "mutual-trust",
                                          EX + "escalation", MY + "nato-pfp"}


def test_unknown_focus_raises_with_suggestion(fkb):
    with pytest.raises(ConceptNotFound, match="harbour trust"):
        project(fkb, focus="harbour trusst")


def test_type_filter_is_subclass_aware(fkb):
    instruments = project(fkb, types=["Instrument"])
    assert labels(instruments) == {"Blue Harbour exercise", "Blue Harbour hotline",
                                   "Blue Harbour data exchange"}
    cbms = project(fkb, types=["ddkb:ConfidenceBuildingMeasure"])
    assert labels(cbms) == {"Blue Harbour hotline", "Blue Harbour data exchange"}
    # CBM -fosters-> outcome edges survive when both ends are kept
    mixed = project(fkb, types=["confidenceBuildingMeasure", "outcome"])
    assert mixed.has_edge(EX + "hotline", EX + "transparency", "ddkb:fosters")
    assert EX + "escalation" not in mixed


def test_exclude_types_and_user_class(fkb):
    no_outcomes = project(fkb, exclude_types=["Outcome"])
    assert labels(no_outcomes) == {"Blue Harbour exercise", "Blue Harbour hotline",
                                   "Blue Harbour data exchange", "harbour escalation",
                                   "harbour liaison", "harbour restraint",
                                   "Harbour Partners Fund"}
    assert labels(project(fkb, types=["Programme"])) == {"Harbour Partners Fund"}


def test_type_filter_never_drops_the_focus(fkb):
    sub = project(fkb, focus="harbour trust", depth=2, types=["Instrument"])
    assert labels(sub, sub) == {"harbour trust", "Blue Harbour exercise", "Blue Harbour hotline"}


def test_unknown_type_and_relation_list_valid_names(fkb):
    with pytest.raises(InputError, match=r"unknown type 'Weapon'.*ddkb:Instrument.*ddkb:Outcome"):
        project(fkb, types=["Weapon"])
    with pytest.raises(InputError, match=r"unknown relation 'causes'.*ddkb:fosters"):
        project(fkb, relations=["causes"])


def test_relations_filter_by_label_or_curie(fkb):
    by_label = project(fkb, relations=["fosters"])
    by_curie = project(fkb, relations=["ddkb:fosters", "has risk"])
    fixture = [e for e in by_label.edges(keys=True) if e[0] in FIXTURE_CONCEPTS]
    assert {k for *_, k in fixture} == {"ddkb:fosters"}
    assert len(fixture) == 4
    assert {k for u, _, k in by_curie.edges(keys=True) if u in FIXTURE_CONCEPTS} == {
        "ddkb:fosters", "ddkb:hasRisk"}


# -- paths ------------------------------------------------------------------------
def test_shortest_path_steps_carry_relations_and_sources(fkb):
    (path,) = shortest_paths(fkb, "Blue Harbour exercise", "harbour goodwill")
    assert [s.sentence() for s in path] == [
        "Blue Harbour exercise -fosters-> harbour trust",
        "harbour trust -contributes to-> harbour stability",
        "harbour stability -contributes to-> harbour goodwill",
    ]
    first = path[0]
    assert isinstance(first, Step)
    assert (first.source_iri, first.target_iri, first.forward) == (
        EX + "joint-military-exercise", EX + "mutual-trust", True)
    assert first.predicate == "https://w3id.org/ddkb/fosters"
    assert format_step(first) == (f"Blue Harbour exercise -fosters-> harbour trust  "
                                  f"(sources: {STRATEGIC}; {TRUST})")
    assert format_step(path[2]).endswith("(sources: no source recorded)")


def test_path_against_the_arrow_is_shown_reversed(G):
    (path,) = shortest_paths(G, "harbour trust", "Blue Harbour hotline")
    (step,) = path
    assert step.forward is False
    assert step.sentence() == "harbour trust <-fosters- Blue Harbour hotline"
    assert step.sections == [TRUST]


def test_k_paths_are_distinct_and_shortest_first(FG):
    paths = shortest_paths(FG, "Blue Harbour exercise", "harbour goodwill", k=5)
    node_seqs = [tuple([p[0].source_iri] + [s.target_iri for s in p]) for p in paths]
    assert len(paths) == 2  # the only two simple paths in the fixture
    assert len(set(node_seqs)) == len(node_seqs)
    assert [len(p) for p in paths] == [3, 5]
    assert "harbour trust <-fosters- Blue Harbour hotline" in [s.sentence() for s in paths[1]]


def test_directed_search_follows_arrows_only(G):
    assert shortest_paths(G, "harbour goodwill", "Blue Harbour exercise", directed=True) == []
    assert len(shortest_paths(G, "harbour goodwill", "Blue Harbour exercise")[0]) == 3
    (forward,) = shortest_paths(G, "Blue Harbour exercise", "harbour goodwill", directed=True)
    assert all(s.forward for s in forward)


def test_path_errors(G):
    with pytest.raises(ConceptNotFound, match="did you mean"):
        shortest_paths(G, "harbour trusst", "harbour goodwill")
    with pytest.raises(InputError, match="same concept"):
        shortest_paths(G, "BH drill", "Blue Harbour exercise")
    with pytest.raises(InputError, match="k must be"):
        shortest_paths(G, "harbour trust", "harbour goodwill", k=0)


# -- related, rank, clusters ------------------------------------------------------
def test_related_by_distance_with_connecting_relation(G):
    near = related(G, "harbour trust", depth=2)
    first = {(n.label, n.distance, n.via.sentence()) for n in near if n.distance == 1}
    assert first == {
        ("Blue Harbour exercise", 1, "harbour trust <-fosters- Blue Harbour exercise"),
        ("Blue Harbour hotline", 1, "harbour trust <-fosters- Blue Harbour hotline"),
        ("harbour stability", 1, "harbour trust -contributes to-> harbour stability"),
    }
    second = {n.label: n for n in near if n.distance == 2}
    assert set(second) == {"harbour escalation", "Harbour Partners Fund", "harbour transparency",
                           "harbour restraint", "harbour goodwill"}
    assert second["harbour goodwill"].via.source_label == "harbour stability"
    assert [n.distance for n in near] == sorted(n.distance for n in near)


def test_rank_measures(FG):
    degree = rank(FG, by="degree", top=3)
    assert {r.label for r in degree[:2]} == {"Blue Harbour exercise", "harbour trust"}
    assert degree[0].score == 4.0
    pagerank = rank(FG, by="pagerank", top=1)
    assert pagerank[0].label == "harbour goodwill"  # where the chains of relations end
    between = rank(FG, by="betweenness", type="Instrument", top=10)
    assert [r.label for r in between] == ["Blue Harbour exercise", "Blue Harbour hotline",
                                          "Blue Harbour data exchange"]
    assert between[0].score > between[1].score > between[2].score == 0.0
    with pytest.raises(InputError, match="valid: degree, pagerank, betweenness"):
        rank(FG, by="fame")


def test_clusters_are_named_after_a_central_member_and_stable(FG):
    found = clusters(FG)
    assert found == clusters(FG)  # fixed seed
    members = [m["iri"] for c in found for m in c.members]
    assert len(members) == len(set(members))
    assert set(members) <= FIXTURE_CONCEPTS
    for c in found:
        assert c.name == c.members[0]["label"]
        assert c.size >= 2
    by_member = {m["label"]: c.name for c in found for m in c.members}
    assert by_member["harbour trust"] == by_member["harbour stability"]
    assert by_member["harbour liaison"] == by_member["harbour escalation"]
    assert len(clusters(FG, min_size=len(FG) + 1)) == 0


# -- CLI ----------------------------------------------------------------------------
def _data_args(data_files):
    return [arg for f in data_files for arg in ("--data", str(f))]


def test_cli_path_text(runner, cli, data_files):
    res = runner.invoke(cli, ["path", "Blue Harbour exercise", "harbour goodwill", "--k", "2",
                              *_data_args(data_files)])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Path 1 of 2 (3 steps):" in out
    assert (f"  Blue Harbour exercise -fosters-> harbour trust  (sources: {STRATEGIC}; {TRUST})"
            in out.splitlines())
    assert "harbour trust <-fosters- Blue Harbour hotline  (sources: " + TRUST in out


def test_cli_path_json_and_markdown(runner, cli, data_files):
    res = runner.invoke(cli, ["path", "harbour trust", "Blue Harbour hotline", "--format", "json",
                              *_data_args(data_files)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    (step,) = data["paths"][0]
    assert step["predicate_label"] == "fosters" and step["forward"] is False
    assert step["sections"] == [TRUST]
    tricky = EX + "tricky"
    res = runner.invoke(cli, ["path", tricky, "harbour goodwill", "--format", "markdown",
                              *_data_args(data_files)])
    assert res.exit_code == 0, res.output
    assert "<script>" not in res.output
    assert r"\<script\>alert\(1\)\</script\>" in res.output
    assert "-*contributes to*->" in res.output


def test_cli_path_failures(runner, cli, data_files):
    res = runner.invoke(cli, ["path", "harbour goodwill", "BH drill", "--directed",
                              *_data_args(data_files)])
    assert res.exit_code == 1
    assert "no path from 'harbour goodwill' to 'BH drill'" in res.stderr
    res = runner.invoke(cli, ["path", "harbour trusst", "harbour goodwill",
                              *_data_args(data_files)])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "harbour trust" in res.stderr


def test_cli_related_rank_clusters(runner, cli, data_files):
    res = runner.invoke(cli, ["related", "harbour trust", *_data_args(data_files)])
    assert res.exit_code == 0, res.output
    assert ("1  harbour stability (Outcome)  [harbour trust -contributes to-> harbour stability]"
            in res.output.splitlines())
    res = runner.invoke(cli, ["related", "harbour trust", "--depth", "2", "--format", "json",
                              *_data_args(data_files)])
    rows = json.loads(res.output)
    assert {r["label"]: r["distance"] for r in rows}["harbour goodwill"] == 2

    res = runner.invoke(cli, ["rank", "--top", "1000", "--format", "json",
                              *_data_args(data_files)])
    scores = {r["iri"]: r["score"] for r in json.loads(res.output)}
    assert scores[EX + "mutual-trust"] == 4
    res = runner.invoke(cli, ["rank", "--type", "ConfidenceBuildingMeasure", "--by", "pagerank",
                              "--top", "1000", *_data_args(data_files)])
    assert res.exit_code == 0
    assert "Blue Harbour hotline" in res.output and "harbour trust" not in res.output
    assert all(line.endswith("(ConfidenceBuildingMeasure)") for line in res.output.splitlines())
    res = runner.invoke(cli, ["rank", "--type", "Weapon", *_data_args(data_files)])
    assert res.exit_code == 2 and "valid:" in res.stderr

    res = runner.invoke(cli, ["clusters", "--format", "json", *_data_args(data_files)])
    assert res.exit_code == 0
    found = json.loads(res.output)
    home = [c for c in found if any(m["iri"] == EX + "mutual-trust" for m in c["members"])]
    assert len(home) == 1 and home[0]["size"] == len(home[0]["members"])
    res = runner.invoke(cli, ["clusters", *_data_args(data_files)])
    assert "Cluster 1: " in res.output


def test_cli_help_has_examples(runner, cli):
    for command in ("path", "related", "rank", "clusters"):
        res = runner.invoke(cli, [command, "--help"])
        assert res.exit_code == 0
        assert "Examples:" in res.output and f"ddkb {command}" in res.output


def test_real_subprocess_path(data_files, ddkb_exe):
    cmd = [ddkb_exe, *_data_args(data_files), "path", "BH drill", "harbour goodwill"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "  harbour trust -contributes to-> harbour stability  (sources: " + STRATEGIC + ")" in (
        done.stdout.splitlines())
    none = subprocess.run([*cmd[:-2], "harbour goodwill", "BH drill", "--directed"],
                          capture_output=True, text=True, timeout=120)
    assert none.returncode == 1
    assert none.stderr.startswith("Error: no path")


def test_inferred_triples_only_on_request(data_files):
    kb = ddkb.load(data=data_files, infer="rdfs")
    asserted = project(kb)
    inferred = project(kb, include_inferred=True)
    fund, jme, hotline = MY + "nato-pfp", EX + "joint-military-exercise", EX + "hotline"
    # userdata.ttl: my:funds rdfs:subPropertyOf my:supports
    assert set(asserted.get_edge_data(fund, jme)) == {MY + "funds"}
    assert set(inferred.get_edge_data(fund, jme)) == {MY + "funds", MY + "supports"}
    assert inferred.get_edge_data(fund, jme)[MY + "supports"]["label"] == "supports"
    assert asserted.nodes[hotline]["types"] == ["ddkb:ConfidenceBuildingMeasure", "skos:Concept"]
    assert "ddkb:Instrument" in inferred.nodes[hotline]["types"]
    plain = project(ddkb.load(data=data_files))
    assert ({e for e in asserted.edges(keys=True) if e[0] in FIXTURE_CONCEPTS}
            == {e for e in plain.edges(keys=True) if e[0] in FIXTURE_CONCEPTS})


# -- the bundled KB -----------------------------------------------------------------
@pytest.fixture(scope="module")
def KG(kb):
    return project(kb)


def test_bundled_projection_is_the_concept_scheme(kb, KG):
    """Nodes are exactly the scheme's concepts; edges exactly the object-property triples
    between them, each with the sections of its claim."""
    members = {r["c"].value for r in kb.select(
        "SELECT DISTINCT ?c WHERE { ?c skos:inScheme ddkb:scheme }")}
    assert members and set(KG) == members
    (count,) = kb.select("""SELECT (COUNT(*) AS ?n) WHERE {
        ?p a owl:ObjectProperty . ?s ?p ?o .
        ?s skos:inScheme ddkb:scheme . ?o skos:inScheme ddkb:scheme }""")
    assert KG.number_of_edges() == int(count["n"].value)
    assert all(d["predicate"].startswith("https://w3id.org/ddkb/") and d["label"]
               for *_, d in KG.edges(data=True))
    assert all(d["sources"] for *_, d in KG.edges(data=True))  # every triple has a claim
    assert all(d["bundled"] and d["label"] and d["cls"] != "Concept"
               for _, d in KG.nodes(data=True))


def test_bundled_path_cites_sections(KG):
    (path,) = shortest_paths(KG, "joint military exercise", "mutual trust")
    (step,) = path
    assert step.sentence() == "joint military exercise -fosters-> mutual trust"
    assert "Building Trust and Transparency in International Security" in step.sections
    two = shortest_paths(KG, "joint military exercise", "soft power", k=2)
    assert len(two) == 2 and two[0] != two[1]
    assert all(s.sections for p in two for s in p)


def test_bundled_rank_and_clusters(KG):
    top = rank(KG, by="pagerank", type="Outcome", top=5)
    assert len(top) == 5 and all(r.cls == "Outcome" for r in top)
    assert "mutual trust" in [r.label for r in top]
    found = clusters(KG)
    assert len(found) >= 3
    assert sum(c.size for c in found) <= len(KG)


def test_real_subprocess_clusters_do_not_depend_on_hash_seed(data_files, ddkb_exe):
    """Louvain breaks ties by set order; string hashing must not change the answer."""
    cmd = [ddkb_exe, "clusters", "--format", "json", *_data_args(data_files)]
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert [c for c in outputs[0] if any(m["iri"] == EX + "mutual-trust" for m in c["members"])]


# -- bounds of the options (hardening) ----------------------------------------------------
def test_k_is_capped(G):
    """Each extra path costs a search of the graph: --k 100000 ran for minutes."""
    from ddkb.network import MAX_PATHS

    assert MAX_PATHS == 100
    assert len(shortest_paths(G, "BH drill", "harbour goodwill", k=MAX_PATHS)) >= 1
    for bad in (0, MAX_PATHS + 1, 100_000):
        with pytest.raises(InputError, match=rf"k must be between 1 and 100 .*not {bad}"):
            shortest_paths(G, "BH drill", "harbour goodwill", k=bad)


def test_path_k_over_the_cap_is_a_usage_error(runner, cli, data_files):
    res = runner.invoke(cli, [*_data_args(data_files), "path", "BH drill", "harbour goodwill",
                              "--k", "100000"])
    assert res.exit_code == 2
    assert "Invalid value for '-k' / '--k': 100000 is not in the range 1<=x<=100" in res.stderr
    helped = runner.invoke(cli, ["path", "--help"])
    assert "at most 100" in helped.stdout and "1<=x<=100" in helped.stdout


def test_path_k_over_the_cap_in_a_real_subprocess(data_files):
    import shutil
    import sys
    from pathlib import Path

    exe = shutil.which("ddkb", path=str(Path(sys.executable).parent)) or shutil.which("ddkb")
    done = subprocess.run([exe, *_data_args(data_files), "path", "BH drill", "harbour goodwill",
                           "--k", "100000"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "'--k': 100000 is not in the range 1<=x<=100" in done.stderr
    assert "Traceback" not in done.stderr
