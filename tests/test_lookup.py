"""Concept lookup by label, alt label, CURIE and IRI, with spelling variants."""

from __future__ import annotations

import pytest

import ddkb
from ddkb.errors import AmbiguousConcept, ConceptNotFound
from ddkb.lookup import normalise

T = "http://example.org/t/"


@pytest.fixture(scope="module")
def core_kb(fixtures_dir):
    return ddkb.load(data=[fixtures_dir / "core" / "concepts.ttl"])


@pytest.mark.parametrize("name", [
    "naval harbour visit",            # prefLabel
    "NAVAL HARBOUR VISIT",            # any case
    "port call",                      # altLabel
    "Port Calls",                     # plural
    "naval harbor visit",             # -our/-or
    "naval-harbour-visit",            # hyphens
    "  naval   harbour visit. ",      # spaces and punctuation
    "http://example.org/t/harbour-visit",    # full IRI
    "<http://example.org/t/harbour-visit>",  # IRI in angle brackets
    "harbour-visit",                  # local name
])
def test_names_of_one_concept(core_kb, name):
    assert core_kb.lookup(name) == T + "harbour-visit"


@pytest.mark.parametrize("name", [
    "defence co-operation & zeta capabilities",
    "defense cooperation and zeta capabilities",   # defence/defense, co-operation, &/and
    "Defense Co-operation and Zeta Capability",     # -ies/-y
])
def test_spelling_variants(core_kb, name):
    assert core_kb.lookup(name) == T + "defence-cooperation-zeta"


def test_curie_of_the_bundled_ontology(kb):
    assert kb.lookup("ddkb:Instrument") == "https://w3id.org/ddkb/Instrument"
    assert kb.lookup("instrument", classes_only=True) == "https://w3id.org/ddkb/Instrument"


def test_miss_suggests_close_labels(core_kb):
    with pytest.raises(ConceptNotFound) as info:
        core_kb.lookup("naval harbr visit")
    assert "naval harbour visit" in info.value.suggestions
    assert "did you mean" in str(info.value) and "'naval harbour visit'" in str(info.value)
    assert "\n" not in str(info.value)


def test_miss_without_anything_close(core_kb):
    with pytest.raises(ConceptNotFound, match="no concept called 'qqqxxy'"):
        core_kb.lookup("qqqxxy")


def test_ambiguous_name_lists_candidates(core_kb):
    with pytest.raises(AmbiguousConcept) as info:
        core_kb.lookup("shared term")
    iris = [c for c, _ in info.value.candidates]
    assert iris == [T + "defence-cooperation-zeta", T + "harbour-visit"]
    msg = str(info.value)
    assert "naval harbour visit" in msg and "defence co-operation & zeta capabilities" in msg


def test_preferred_label_beats_an_alt_label(tmp_path):
    data = tmp_path / "pref.ttl"
    data.write_text("""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/t/p1> skos:prefLabel "kappa drill"@en .
<http://example.org/t/p2> skos:prefLabel "kappa exercise"@en ; skos:altLabel "kappa drill"@en .
""", encoding="utf-8")
    kb = ddkb.load(data=[data])
    assert kb.lookup("kappa drill") == T + "p1"


def test_normalise():
    assert normalise("Confidence-Building Measures") == "confidence building measure"
    assert normalise("militarisation") == normalise("militarization")
    assert normalise("Offence & Defence") == normalise("offense and defense")
    assert normalise("capabilities") == normalise("capability")


def test_label_prefers_english_preflabel(core_kb):
    assert core_kb.label(T + "harbour-visit") == "naval harbour visit"
    assert core_kb.label("https://w3id.org/ddkb/nothing-here") == "ddkb:nothing-here"
