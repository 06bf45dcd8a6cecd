"""Concept cards, search and statistics (library and CLI)."""

from __future__ import annotations

import json

import pytest

import ddkb
from ddkb.concepts import render_card

T = "http://example.org/t/"


@pytest.fixture(scope="module")
def core_kb(fixtures_dir):
    return ddkb.load(data=[fixtures_dir / "core" / "concepts.ttl"])


def test_card_of_a_concept(core_kb):
    card = core_kb.concept("port call")
    assert card.iri == T + "harbour-visit"
    assert card.label == "naval harbour visit"
    assert card.alt_labels == ["port call", "shared term"]
    assert ("https://w3id.org/ddkb/Instrument", "instrument") in card.types
    assert card.definition.startswith("A warship calls")
    assert card.sources == ["Test section one"]
    out = card.grouped("out")
    fosters = out[core_kb.label("https://w3id.org/ddkb/fosters")]
    assert [r.other for r in fosters] == [T + "goodwill-zeta"]
    rel = fosters[0]
    assert rel.other_label == "zeta goodwill"
    assert rel.sources == ["Test section two"]
    assert rel.status == core_kb.label("https://w3id.org/ddkb/status-contradicted")
    assert rel.correction == "No such goodwill was measured."
    assert rel.claim == T + "claim-1"


def test_incoming_relations(core_kb):
    card = core_kb.concept("zeta goodwill")
    incoming = [r for r in card.relations if r.direction == "in"]
    assert [(r.other, r.property) for r in incoming] == [
        (T + "harbour-visit", "https://w3id.org/ddkb/fosters")]
    assert incoming[0].sources == ["Test section two"]


def test_doubtful_concept_says_so(core_kb):
    card = core_kb.concept("defense cooperation and zeta capabilities")
    assert card.correction == "The zeta programme never existed."
    assert card.evidence == "Test evidence note."
    assert card.doubtful
    text = render_card(card, "text")
    assert "CAUTION" in text and "The zeta programme never existed." in text
    md = render_card(card, "markdown")
    assert md.startswith("# defence co-operation & zeta capabilities")
    assert "> CAUTION" in md
    doc = json.loads(render_card(card, "json"))
    assert doc["doubtful"] is True and doc["iri"] == T + "defence-cooperation-zeta"


def test_search_ranks_exact_label_first(core_kb):
    hits = core_kb.search("zeta goodwill")
    assert hits[0].iri == T + "goodwill-zeta" and hits[0].score >= 100
    labels = [h.label for h in hits]
    assert "defence co-operation & zeta capabilities" in labels  # word match
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_search_orders_label_over_alt_over_definition(core_kb):
    hits = {h.iri: h.score for h in core_kb.search("port call")}
    assert hits[T + "harbour-visit"] > 0  # via the alt label
    by_def = {h.iri: h.score for h in core_kb.search("warship")}  # only in a definition
    assert 0 < by_def[T + "harbour-visit"] < hits[T + "harbour-visit"]
    assert core_kb.search("qqqxxy") == []


def test_search_reports_the_class(core_kb):
    hit = next(h for h in core_kb.search("naval harbour visit") if h.iri == T + "harbour-visit")
    assert hit.cls == "instrument" and hit.curie == T + "harbour-visit"


def test_search_names_ontology_terms_in_words(core_kb):
    from ddkb.concepts import render_hits

    kinds = {h.curie: h.cls for h in core_kb.search("fosters")}
    assert kinds["ddkb:fosters"] == "ontology property"
    hits = core_kb.search("instrument")
    assert {h.curie: h.cls for h in hits}["ddkb:Instrument"] == "ontology class"
    assert render_hits(hits).splitlines()[0].split() == ["score", "curie", "label", "kind"]


def test_search_help_explains_the_kind_column(runner, cli):
    res = runner.invoke(cli, ["search", "--help"])
    assert res.exit_code == 0 and "'kind' column" in res.stdout
    assert "source section" in res.stdout


def test_stats(core_kb):
    data = core_kb.stats()
    per_graph = {g["graph"]: g["triples"] for g in data["triples"]["per_graph"]}
    user_graph = next(f.graph for f in core_kb.files if not f.bundled)
    import pyoxigraph as ox

    in_file = list(ox.parse(path=next(f.path for f in core_kb.files if not f.bundled)))
    assert per_graph[user_graph] == len(in_file)
    assert data["triples"]["total"] == sum(per_graph.values()) == len(core_kb.store)
    assert data["claims"]["total"] >= 1
    assert data["claims"]["per_status"][core_kb.label(
        "https://w3id.org/ddkb/status-contradicted")] >= 1
    assert data["properties"]["ddkb:fosters"] >= 1
    assert data["concepts_per_class"]["instrument"] >= 2
    # generic types would only repeat the concept total, given once
    assert not {"skos:Concept", "owl:NamedIndividual", "concept"} & set(data["concepts_per_class"])
    assert data["concepts"] >= data["concepts_per_class"]["instrument"]
    assert data["sources"]["SourceSection"] >= 2


def test_cli_show_search_stats(runner, cli, fixtures_dir):
    data = str(fixtures_dir / "core" / "concepts.ttl")
    res = runner.invoke(cli, ["--data", data, "show", "PORT CALLS"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("naval harbour visit\n")
    assert "zeta goodwill" in res.stdout and "Test section two" in res.stdout
    res = runner.invoke(cli, ["show", "--data", data, "shared term"])
    assert res.exit_code == 2 and "matches 2 concepts" in res.stderr
    res = runner.invoke(cli, ["search", "--data", data, "zeta", "--format", "json"])
    assert res.exit_code == 0
    assert {h["iri"] for h in json.loads(res.stdout)} >= {T + "goodwill-zeta"}
    res = runner.invoke(cli, ["stats", "--data", data, "--format", "json"])
    assert json.loads(res.stdout)["claims"]["total"] >= 1
    res = runner.invoke(cli, ["--data", data, "stats"])
    assert res.stdout.startswith("Triples: ") and "Claims:" in res.stdout


def test_relations_without_a_claim_carry_no_claim_data(kb):
    card = kb.concept("ddkb:Instrument")
    assert card.relations
    assert all(r.claim is None and r.status is None and not r.sources for r in card.relations)


# -- member counts with their "as of" date ------------------------------------------

def test_card_gives_member_counts_with_their_dates(kb):
    card = kb.concept("ADMM-Plus")
    assert [(c.number, c.as_of) for c in card.member_counts] == [
        (19, "2025-11-01"), (18, "2010-10-12")]
    assert card.members == "19 members as of November 2025; 18 from 2010"
    assert kb.concept("ASEAN").members == "11 members as of October 2025; 10 from 1999"
    assert kb.concept("ARF").members == "27 members as of November 2025"
    assert kb.concept("NATO").members is None
    # the count nodes are the card's Members line, not relations
    assert not [r for r in card.relations if r.property.endswith("hasMemberCount")]
    members = [r.other_label for r in card.grouped("out")["has member"]]
    assert len(members) == 19 and "Timor-Leste" in members
    data = card.to_dict()
    assert data["members"] == "19 members as of November 2025; 18 from 2010"
    assert data["member_counts"][0] == {
        "number": 19, "as_of": "2025-11-01",
        "iri": "https://w3id.org/ddkb/count/admm-plus-19-as-of-2025-11-01"}


def test_show_prints_the_count_with_its_time(runner, cli, ddkb_exe):
    import subprocess

    line = "Members:      19 members as of November 2025; 18 from 2010"
    text = render_card(ddkb.load().concept("ADMM-Plus"))
    assert line in text.splitlines()
    md = render_card(ddkb.load().concept("ADMM-Plus"), "markdown")
    assert "- **Members:** 19 members as of November 2025; 18 from 2010" in md
    res = runner.invoke(cli, ["show", "ADMM-Plus"])
    assert res.exit_code == 0, res.stderr
    assert line in res.stdout.splitlines()
    proc = subprocess.run([ddkb_exe, "show", "ASEAN Defence Ministers' Meeting-Plus"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert line in proc.stdout.splitlines()
    assert "partly supported" in proc.stdout


def test_card_gives_each_membership_its_period(kb):
    card = kb.concept("ADMM-Plus")
    by_member = {r.other_label: r.period for r in card.grouped("out")["has member"]}
    assert by_member["Timor-Leste"] == "from 2025-11-01"
    assert by_member["Australia"] == "from 2010-10-12"
    brunei = kb.concept("Brunei")
    assert {r.other_label: r.period for r in brunei.grouped("in")["has member"]} == {
        "ASEAN": "from 1984-01-07", "ADMM-Plus": "from 2010-10-12"}
    # the membership nodes themselves are not listed among the incoming relations
    assert not [r for r in brunei.relations if r.property.startswith("http://www.w3.org/ns/org#")]
    text = render_card(card)
    assert "    - Timor-Leste (ddkb:timor-leste) [member from 2025-11-01] [supported" in text
