"""``ddkb align``: conservative lexical matching of ddkb concepts to another vocabulary."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ddkb import align, mappings
from ddkb.align import ALT, PREF, Term
from ddkb.errors import DataFileError

FIXTURES = Path(__file__).parent / "fixtures" / "link"
THESAURUS = FIXTURES / "thesaurus.ttl"
TH = "http://example.org/thesaurus/"
D = "https://w3id.org/ddkb/"

#: What the test thesaurus must give at the default threshold (0.9): ddkb concept ->
#: (thesaurus term, predicate). Spelling variants, plurals, hyphens, case, abbreviations.
EXPECTED = {
    "defense-diplomacy": ("t001", "skos:exactMatch"),  # Defence diplomacy
    "confidence-building-measures": ("t002", "skos:closeMatch"),  # CBMs ~ altLabel CBM
    "counterterrorism": ("t003", "skos:exactMatch"),  # Counter terrorism
    "peacekeeping": ("t004", "skos:exactMatch"),
    "humanitarian-assistance": ("t005", "skos:closeMatch"),  # ~ altLabel humanitarian aid
    "military-exercise": ("t006", "skos:exactMatch"),  # Military exercises
    "soft-power": ("t007", "skos:exactMatch"),
    "hard-power": ("t008", "skos:exactMatch"),  # Hard Power
    "nato": ("t009", "skos:closeMatch"),  # altLabel NATO ~ prefLabel NATO
    "technology-transfer": ("t011", "skos:closeMatch"),  # ~ altLabel transfer of technology
    "cybersecurity": ("t012", "skos:exactMatch"),  # Cyber-security
}


def _pairs(mset):
    return {(mset.expand(r["subject_id"]), mset.expand(r["object_id"])): r for r in mset.rows}


# -- normalisation and scoring ------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("Defence Diplomacy", "defense diplomacy"),
    ("Confidence-building measures", "confidence building measure"),
    ("Counter-terrorism", "counterterrorism"),
    ("counter terrorism", "Counterterrorism"),
    ("Peacekeeping Operations", "peacekeeping operation"),
    ("Organisation", "organization"),
    ("Policies", "policy"),
    ("Cyber-security", "cybersecurity"),
    ("Peace-keeping", "peacekeeping"),
    ("Confidence-building measures", "confidence building measures"),
])
def test_normalisation_makes_variants_equal(a, b):
    assert align.same_label(a, b)


@pytest.mark.parametrize("a, b", [
    ("defense", "offense"),
    ("defense diplomacy", "offense diplomacy"),
    ("trust", "mutual trust"),
    ("peacekeeping", "peacekeeping budget"),
    ("soft power", "soft drink"),
    ("status", "statu"),
])
def test_normalisation_keeps_different_words_apart(a, b):
    assert not align.same_label(a, b)


@pytest.mark.parametrize("ours, theirs, score", [
    (("soft power", PREF), ("soft power", PREF), 1.0),
    (("soft power", PREF), ("Soft Power", PREF), 1.0),
    (("defense diplomacy", PREF), ("Defence diplomacy", PREF), 0.95),
    (("CBM", ALT), ("CBMs", PREF), 0.9),
    (("CBM", ALT), ("CBMs", ALT), 0.8),
    (("confidence-building measures", PREF), ("measures for building confidence", PREF), 0.75),
    (("defense diplomacy", PREF), ("offense diplomacy", PREF), 0.0),
    (("mutual trust", PREF), ("trust", PREF), 0.0),
    (("trust", ALT), ("trust fund", PREF), 0.0),
    (("trust", ALT), ("Trust", PREF), 0.9),  # the pair alone; the term check demotes it
    (("power", PREF), ("soft power", PREF), 0.0),
])
def test_label_scores(ours, theirs, score):
    assert align.score_labels(ours, theirs)[0] == score


def _t(iri, *labels):
    return Term(iri, [(text, PREF if i == 0 else ALT) for i, text in enumerate(labels)])


def test_short_form_alt_labels_are_demoted():
    ours = [_t("d:a", "mutual trust", "trust", "MT")]
    found = align.match(ours, [_t("o:1", "Trust"), _t("o:2", "MT")], threshold=0.5, many=True)
    assert {(c.obj.iri, c.score) for c in found} == {("o:1", 0.7), ("o:2", 0.9)}


def test_match_is_one_to_one_and_greedy_by_score():
    ours = [_t("d:a", "soft power"), _t("d:b", "hard power", "soft powers")]
    theirs = [_t("o:1", "Soft power")]
    found = align.match(ours, theirs, threshold=0.5)
    assert [(c.subject.iri, c.obj.iri, c.score) for c in found] == [("d:a", "o:1", 1.0)]
    found = align.match(ours, theirs, threshold=0.5, many=True)
    assert [(c.subject.iri, c.score) for c in found] == [("d:a", 1.0), ("d:b", 0.9)]


def test_ties_are_dropped_as_ambiguous_and_not_rematched_lower():
    ours = [_t("d:a", "soft power")]
    theirs = [_t("o:1", "Soft power"), _t("o:2", "Soft power"), _t("o:3", "power soft")]
    assert align.match(ours, theirs, threshold=0.5) == []
    assert len(align.match(ours, theirs, threshold=0.5, many=True)) == 3


def test_threshold_drops_weaker_matches():
    ours = [_t("d:a", "technology transfer")]
    theirs = [_t("o:1", "transfer of technology")]
    assert align.match(ours, theirs) == []
    [cand] = align.match(ours, theirs, threshold=0.75)
    assert cand.score == 0.75 and cand.predicate == "skos:closeMatch"


# -- against the bundled KB -----------------------------------------------------------------

def test_thesaurus_gives_exactly_the_expected_matches(kb):
    mset = align.align(kb, THESAURUS)
    found = {(s, o): r["predicate_id"] for (s, o), r in _pairs(mset).items()}
    expected = {(D + c, TH + t): pred for c, (t, pred) in EXPECTED.items()}
    assert found == expected


def test_short_forms_and_distractors_stay_below_the_threshold(kb):
    """'Trust' is only a short form of 'mutual trust' (an altLabel of ours), 'Arms control'
    only part of 'arms control agreement': neither reaches 0.75; no distractor does."""
    mset = align.align(kb, THESAURUS, threshold=0.75, many=True)
    objects = {o for _, o in _pairs(mset)}
    assert not {o for o in objects if o.startswith(TH + "d")}
    assert TH + "t010" not in objects
    weak = _pairs(align.align(kb, THESAURUS, threshold=0.7, many=True))
    assert (D + "arms-control-agreement", TH + "t010") in weak
    assert weak[(D + "arms-control-agreement", TH + "t010")]["confidence"] == "0.70"


def test_output_is_valid_sssom(kb):
    mset = align.align(kb, THESAURUS)
    text = mappings.format_sssom(mset)
    again = mappings.parse_sssom(text, "out.sssom.tsv")
    assert again.rows == mset.rows
    assert again.metadata["curie_map"]["th"] == TH
    assert {r["mapping_justification"] for r in again.rows} == {"semapv:LexicalMatching"}
    row = _pairs(mset)[(D + "defense-diplomacy", TH + "t001")]
    assert row["confidence"] == "0.95" and row["object_label"] == "Defence diplomacy"
    assert row["subject_match_field"] == "skos:prefLabel"


def test_mapping_date_follows_source_date_epoch(kb, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert align.align(kb, THESAURUS).metadata["mapping_date"] == "2023-11-14"


def test_terms_in_other_languages_are_ignored():
    terms, _ = align.read_terms(THESAURUS)
    labels = {text for t in terms for text, _ in t.labels}
    assert "Peacekeeping" in labels and "Maintien de la paix" not in labels


def test_broken_vocabulary_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://ex.org/> .\nex:a ex:b ")
    with pytest.raises(DataFileError, match="bad.ttl"):
        align.read_terms(bad)


# -- CLI -----------------------------------------------------------------------------------

def test_cli_align_to_file(cli, runner, tmp_path):
    out = tmp_path / "m.sssom.tsv"
    result = runner.invoke(cli, ["align", str(THESAURUS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    mset = mappings.read_sssom(out)
    assert len(mset.rows) == len(EXPECTED)
    assert f"{len(EXPECTED)} mappings written" in result.stderr


def test_cli_align_bad_threshold_and_missing_file(cli, runner, tmp_path):
    result = runner.invoke(cli, ["align", str(THESAURUS), "--threshold", "1.5"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["align", str(tmp_path / "nope.ttl")])
    assert result.exit_code == 2
    assert "nope.ttl" in result.stderr and "Traceback" not in result.stderr


def test_real_ddkb_align_subprocess(ddkb_exe):
    proc = subprocess.run([ddkb_exe, "align", str(THESAURUS), "--threshold", "0.95"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    mset = mappings.parse_sssom(proc.stdout, "stdout")
    assert {r["predicate_id"] for r in mset.rows} == {"skos:exactMatch"}
    assert (D + "soft-power", TH + "t007") in _pairs(mset)
