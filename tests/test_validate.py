"""Validation: SHACL shapes and QC queries over the bundled KB and broken fixtures.

Each broken fixture in ``tests/fixtures/validate/`` is loaded with the bundled
ontology and sources and the clean slice ``good.ttl`` (not the whole bundled KB,
to keep the tests fast), and must produce exactly the expected (check, focus)
pairs on the fixture's own nodes -- no more, no fewer. The CLI tests load the
fixtures beside the whole bundled KB.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from ddkb import paths
from ddkb.kb import KnowledgeBase
from ddkb.validate import (
    ValidationReport,
    Violation,
    qc_checks,
    relation_shapes,
    shapes_dir,
    shapes_graph,
    validate,
)

FIX = Path(__file__).parent / "fixtures" / "validate"
GOOD = FIX / "good.ttl"

CLAIM_ER = "claim:fixture-exercise--inRegion--fixture-region"

#: fixture file -> every (check, focus) it must raise on fixture nodes
CASES: dict[str, set[tuple[str, str]]] = {
    "missing-definition.ttl": {
        ("qc:missing-definition-violation", "ddkb:fixture-nodef"),
        ("shacl:SkosConceptShape", "ddkb:fixture-nodef"),
    },
    "missing-label.ttl": {
        ("qc:missing-label-violation", "ddkb:fixture-nodef"),
        ("shacl:SkosConceptShape", "ddkb:fixture-nodef"),
    },
    "label-without-language.ttl": {("shacl:SkosConceptShape", "ddkb:fixture-nodef")},
    "orphan.ttl": {("qc:orphan-concept-violation", "ddkb:fixture-orphan")},
    "dangling.ttl": {
        ("qc:dangling-reference-violation", "ddkb:fixture-trsut"),
        ("qc:undeclared-resource-violation", "ddkb:fixture-trsut"),
        ("qc:range-violation", "ddkb:fixture-hotline"),
        ("shacl:fosters-shape", "ddkb:fixture-hotline"),
    },
    "duplicate-label.ttl": {
        ("qc:duplicate-preferred-label-violation", "ddkb:fixture-trust"),
        ("qc:duplicate-preferred-label-violation", "ddkb:fixture-trust-2"),
    },
    "multiple-labels.ttl": {
        ("qc:multiple-preferred-labels-violation", "ddkb:fixture-hotline"),
        ("shacl:SkosConceptShape", "ddkb:fixture-hotline"),
    },
    "range.ttl": {
        ("qc:range-violation", "ddkb:fixture-exercise"),
        ("shacl:fosters-shape", "ddkb:fixture-exercise"),
    },
    "domain.ttl": {
        ("qc:domain-violation", "ddkb:fixture-hotline"),
        ("shacl:mitigates-shape", "ddkb:fixture-hotline"),
    },
    "claim-without-source.ttl": {
        ("qc:claim-without-source-violation", CLAIM_ER),
        ("shacl:ClaimShape", CLAIM_ER),
    },
    "claim-not-asserted.ttl": {("qc:claim-not-asserted-violation", CLAIM_ER)},
    "relation-without-claim.ttl": {
        ("qc:relation-without-claim-violation", "ddkb:fixture-exercise"),
    },
    "undefined-property.ttl": {("qc:undefined-property-violation", "ddkb:fixtureFosterz")},
    "undefined-class.ttl": {("qc:undefined-class-violation", "ddkb:FixtureInstrumnt")},
    "class-without-definition.ttl": {
        ("qc:class-or-property-without-definition-violation", "ddkb:FixtureClass"),
    },
    "concept-without-ddkb-class.ttl": {("shacl:DdkbSkosConceptShape", "ddkb:fixture-untyped")},
    "concept-bad-source.ttl": {
        ("shacl:ConceptShape", "ddkb:fixture-vague"),
        ("qc:undeclared-resource-violation", "ddkb:fixture-scheme"),
    },
    "contradicted-without-correction.ttl": {("shacl:CheckedStatementShape", CLAIM_ER)},
    "claim-incomplete.ttl": {
        ("shacl:ClaimShape", CLAIM_ER),
        ("shacl:VerificationStatusValueShape", CLAIM_ER),
        ("shacl:CheckedStatementShape", CLAIM_ER),
        ("shacl:verificationStatus-shape", CLAIM_ER),
        ("qc:dangling-reference-violation", "ddkb:status-fixture-maybe"),
        ("qc:undeclared-resource-violation", "ddkb:status-fixture-maybe"),
        ("qc:range-violation", CLAIM_ER),
    },
    "section-not-in-seed.ttl": {
        ("shacl:SourceSectionShape", "src:fixture-section"),
        ("shacl:sectionNumber-shape", "src:fixture-section"),
        ("qc:range-violation", "src:fixture-section"),
    },
    "ontology-header.ttl": {("shacl:OntologyHeaderShape", "ddkb:ontology")},
    "undeclared-resource.ttl": {("qc:undeclared-resource-violation", "ddkb:fixture-hotlyne")},
    "duplicate-definition.ttl": {
        ("qc:duplicate-definition-violation", "ddkb:fixture-trust"),
        ("qc:duplicate-definition-violation", "ddkb:fixture-confidence"),
    },
    "deprecated-without-replacement.ttl": {
        ("qc:deprecated-without-replacement-violation", "ddkb:fixture-retired"),
        ("qc:deprecated-without-replacement-violation", "ddkb:fixture-retired-twice"),
    },
    "pref-alt-label-clash.ttl": {("qc:pref-alt-label-clash-violation", "ddkb:fixture-hotline")},
    "membership-without-start-date.ttl": {
        ("qc:membership-without-start-date-violation", "http://example.org/fixture-membership"),
        ("qc:membership-without-start-date-violation",
         "http://example.org/fixture-undated-membership"),
        ("shacl:MembershipShape", "http://example.org/fixture-membership"),
        ("shacl:MembershipShape", "http://example.org/fixture-undated-membership"),
    },
    "count-without-as-of-date.ttl": {
        ("qc:count-without-as-of-date-violation", "http://example.org/fixture-count"),
        ("shacl:MemberCountShape", "http://example.org/fixture-count"),
    },
    "texts-without-language.ttl": {
        ("shacl:ClaimShape", CLAIM_ER),
        ("shacl:CheckedStatementShape", CLAIM_ER),
    },
}


def _small_kb(*files: Path) -> KnowledgeBase:
    """The bundled ontology and sources, good.ttl and ``files`` (no bundled concepts)."""
    store = ox.Store()
    base = [paths.ontology_dir() / "ddkb.ttl", paths.kb_dir() / "sources.ttl",
            FIX / "base.ttl", GOOD, *files]
    for path in base:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE,
                        to_graph=ox.NamedNode(path.resolve().as_uri()))
    return KnowledgeBase(store, [])


@functools.cache
def _report(*names: str):
    """The validation report of the small KB plus the named fixtures (computed once)."""
    return validate(_small_kb(*(FIX / n for n in names)))


def _fixture_problems(report, extra_focus: set[str] = frozenset()) -> set[tuple[str, str]]:
    """(check, focus) of the violations on fixture nodes (the bundled KB's own are ignored)."""
    return {(v.check, v.focus) for v in report.violations
            if "fixture" in v.focus or v.focus in extra_focus}


# -- the bundled KB ------------------------------------------------------------

def test_bundled_kb_conforms(kb):
    report = validate(kb)
    assert report.conforms, report.to_text()
    assert report.violations == [], report.to_text()
    assert report.triples > 500
    assert "shacl:ConceptShape" in report.shapes and "shacl:fosters-shape" in report.shapes


@pytest.mark.parametrize("check", qc_checks(), ids=lambda c: c.name)
def test_qc_query_returns_no_rows_on_bundled_kb(kb, check):
    rows = kb.select(check.text)
    assert rows == [], f"{check.name}: " + "; ".join(
        f"{r.get('focus')}: {r['message'].value}" for r in rows[:10])


def test_good_fixture_is_clean():
    report = _report()
    assert report.conforms, report.to_text()
    assert report.violations == []


# -- each check catches its broken fixture ---------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_fixture_is_caught(name):
    report = _report(name)
    expected = CASES[name]
    found = _fixture_problems(report, {focus for _, focus in expected})
    assert found == expected, report.to_text()
    assert not report.conforms


def test_every_qc_query_and_key_shape_has_a_broken_fixture():
    covered = {check for pairs in CASES.values() for check, _ in pairs}
    for check in qc_checks():
        assert f"qc:{check.name}" in covered, f"no fixture breaks {check.name}"
    for shape in ("SkosConceptShape", "DdkbSkosConceptShape", "ConceptShape", "ClaimShape",
                  "SourceSectionShape", "VerificationStatusValueShape", "CheckedStatementShape",
                  "OntologyHeaderShape", "fosters-shape", "MembershipShape", "MemberCountShape",
                  "mitigates-shape"):
        assert f"shacl:{shape}" in covered


def test_a_users_own_skos_concepts_need_no_ddkb_class():
    report = _report("foreign-vocabulary.ttl")
    assert report.conforms, report.to_text()
    assert report.violations == []


def test_violation_carries_label_path_and_message():
    report = _report("range.ttl")
    qc = [v for v in report.violations if v.check == "qc:range-violation"
          and v.focus == "ddkb:fixture-exercise"]
    assert qc == [Violation(
        check="qc:range-violation", focus="ddkb:fixture-exercise",
        focus_label="fixture exercise", path="ddkb:fosters",
        message="The value ddkb:fixture-state of ddkb:fosters is not a ddkb:Outcome "
                "(the property's rdfs:range).",
        severity="violation")]
    shacl = [v for v in report.violations if v.check == "shacl:fosters-shape"]
    assert len(shacl) == 1
    assert shacl[0].path == "ddkb:fosters" and shacl[0].focus_label == "fixture exercise"
    assert "must be a ddkb:Outcome" in shacl[0].message
    assert "ddkb:fixture-state" in shacl[0].message


def test_checked_statement_needs_correction_and_evidence():
    report = _report("contradicted-without-correction.ttl")
    found = {v.path: v.message for v in report.violations}
    assert set(found) == {"ddkb:correction", "ddkb:evidence"}
    assert "other than supported or unverified" in found["ddkb:correction"]
    assert "evidence it was checked against" in found["ddkb:evidence"]


def test_inferred_triples_do_not_hide_violations():
    # RDFS infers "fixture-hotline a ddkb:Mitigation" from the domain of
    # ddkb:mitigates; validation looks at the asserted graphs only.
    from ddkb.reason import inferred_graph_name, inferred_nquads

    kb = _small_kb(FIX / "domain.ttl")
    inferred = inferred_nquads(kb.store.dump(format=ox.RdfFormat.N_QUADS), "rdfs")
    assert b"<https://w3id.org/ddkb/fixture-hotline> " \
           b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> " \
           b"<https://w3id.org/ddkb/Mitigation> ." in inferred
    kb.store.bulk_load(inferred, format=ox.RdfFormat.N_TRIPLES,
                       to_graph=ox.NamedNode(inferred_graph_name("rdfs")))
    found = _fixture_problems(validate(kb))
    assert ("qc:domain-violation", "ddkb:fixture-hotline") in found
    assert ("shacl:mitigates-shape", "ddkb:fixture-hotline") in found


# -- the report ------------------------------------------------------------------

def test_report_text_and_dict():
    report = _report("orphan.ttl")
    text = report.to_text()
    assert "qc:orphan-concept-violation (1)" in text
    assert 'ddkb:fixture-orphan "fixture orphan"' in text
    assert text.splitlines()[-1].startswith("does NOT conform: 1 violation(s)")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["conforms"] is False
    assert data["counts"] == {"violation": 1, "warning": 0, "info": 0}
    assert data["violations"][0]["focus"] == "ddkb:fixture-orphan"
    assert data["violations"][0]["check"] == "qc:orphan-concept-violation"
    assert len(data["qc_checks"]) == len(qc_checks())


def test_report_text_keeps_multiline_labels_on_one_line():
    # a user's label (or a literal value quoted in a message) with line breaks
    # must not split a problem's block in the text report
    report = ValidationReport([Violation(
        check="qc:orphan-concept-violation", focus="ex:x", focus_label="two\nlines",
        path="skos:prefLabel", message='Bad value (value: "a\n\tb")')])
    lines = report.to_text().splitlines()
    assert '  ex:x "two lines"' in lines
    assert '    Bad value (value: "a b")' in lines


def test_shacl_only_and_qc_only():
    kb = _small_kb(FIX / "orphan.ttl")
    assert validate(kb, qc=False).violations == []  # orphans are a QC matter
    qc_only = validate(kb, shacl=False)
    assert qc_only.shapes == [] and len(qc_only.violations) == 1


# -- the rule files themselves --------------------------------------------------

@pytest.mark.parametrize("check", qc_checks(), ids=lambda c: c.name)
def test_qc_query_header_and_columns(check):
    assert check.path.name.endswith("-violation.rq")
    assert check.title and check.description
    projection = check.text[check.text.index("SELECT"):check.text.index("WHERE")]
    assert re.search(r"\?focus\b", projection) and re.search(r"\?message\b", projection)


def test_relation_shapes_agree_with_the_ontology():
    import rdflib
    from rdflib.compare import isomorphic

    ontology = rdflib.Graph().parse(paths.ontology_dir() / "ddkb.ttl")
    committed = rdflib.Graph().parse(shapes_dir() / "ddkb-relation-shapes.ttl")
    assert isomorphic(committed, relation_shapes(ontology)), (
        "ontology/shapes/ddkb-relation-shapes.ttl is out of date; regenerate it "
        "(see the command in its header)")


@pytest.mark.parametrize("prop, domain, range_", [
    ("fosters", "Concept", "Outcome"),
    ("mitigates", "Mitigation", "Risk"),
    ("involvesActor", "Concept", "Actor"),
    ("inRegion", "Concept", "Region"),
])
def test_key_relation_shapes(prop, domain, range_):
    rows = list(shapes_graph().query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX ddkb: <https://w3id.org/ddkb/>
        ASK {{ ?s sh:targetSubjectsOf ddkb:{prop} ; sh:class ddkb:{domain} ;
                  sh:property [ sh:path ddkb:{prop} ; sh:class ddkb:{range_} ] }}"""))
    assert rows == [True]


# -- CLI -------------------------------------------------------------------------

def test_cli_clean_kb_exits_0(runner, cli):
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("conforms: 0 violation(s)")


def test_cli_violations_exit_1(runner, cli):
    result = runner.invoke(cli, ["validate", "--data", str(GOOD),
                                 "--data", str(FIX / "domain.ttl")])
    assert result.exit_code == 1
    assert "qc:domain-violation (1)" in result.output
    assert 'ddkb:fixture-hotline "fixture hotline"' in result.output
    assert "path: ddkb:mitigates" in result.output
    assert "shacl:mitigates-shape (1)" in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("does NOT conform: ")


def test_cli_group_data_option_and_json(runner, cli):
    result = runner.invoke(cli, ["--data", str(GOOD), "validate", "--format", "json",
                                 "--no-shacl", "--data", str(FIX / "claim-not-asserted.ttl")])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["shapes"] == [] and data["conforms"] is False
    assert [(v["check"], v["focus"]) for v in data["violations"] if "fixture" in v["focus"]] \
        == [("qc:claim-not-asserted-violation", CLAIM_ER)]


def test_cli_bad_data_file_is_one_line_exit_2(runner, cli, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle .\n")
    result = runner.invoke(cli, ["validate", "--data", str(bad)])
    assert result.exit_code == 2
    assert "bad.ttl" in result.stderr and "Traceback" not in result.stderr


def test_subprocess_validate_bundled_kb_is_clean(ddkb_exe):
    clean = subprocess.run([ddkb_exe, "validate"], capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "conforms: 0 violation(s)" in clean.stdout


def test_subprocess_validate_finds_an_orphan(ddkb_exe):
    broken = subprocess.run([ddkb_exe, "validate", "--no-shacl", "--data", str(GOOD),
                             "--data", str(FIX / "orphan.ttl")],
                            capture_output=True, text=True, timeout=300)
    assert broken.returncode == 1
    assert "qc:orphan-concept-violation" in broken.stdout
    assert "ddkb:fixture-orphan" in broken.stdout


BAD_MEMBERSHIP = """\
@prefix ddkb: <https://w3id.org/ddkb/> .
@prefix src: <https://w3id.org/ddkb/source/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix time: <http://www.w3.org/2006/time#> .
<https://w3id.org/ddkb/membership/asean--japan> a org:Membership ;
    org:organization ddkb:asean ; org:member ddkb:japan ; dcterms:source src:fact-check ;
    org:memberDuring <https://w3id.org/ddkb/membership/asean--japan/period> .
<https://w3id.org/ddkb/membership/asean--japan/period> a time:Interval .
<https://w3id.org/ddkb/count/asean-12> a ddkb:MemberCount ; ddkb:memberCount 12 .
"""


def test_subprocess_group_data_membership_without_start_date_fails(ddkb_exe, tmp_path):
    """`ddkb --data bad.ttl validate`: a membership with no start date and a count with no
    "as of" date are both reported, by their QC check and by their SHACL shape."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(BAD_MEMBERSHIP, encoding="utf-8")
    proc = subprocess.run([ddkb_exe, "--data", str(bad), "validate"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "qc:membership-without-start-date-violation (1)" in out
    assert "https://w3id.org/ddkb/membership/asean--japan\n" in out.replace(" \n", "\n")
    assert "This membership has no start date" in out
    assert "qc:count-without-as-of-date-violation (1)" in out
    assert "shacl:MembershipShape (1)" in out and "shacl:MemberCountShape (1)" in out
    assert "path: org:memberDuring/time:hasBeginning/time:inXSDDate" in out
    assert out.rstrip().splitlines()[-1].startswith("does NOT conform: 4 violation(s)")
    # the bundled memberships all have their start date: the same run without bad.ttl passes
    assert "asean--brunei" not in out


USER_ADDITIONS = """@prefix ddkb: <https://w3id.org/ddkb/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ddkb:joint-military-exercise ddkb:fosters ddkb:regional-stability .
[] a ddkb:Claim ;
    ddkb:claimSubject ddkb:joint-military-exercise ; ddkb:claimPredicate ddkb:fosters ;
    ddkb:claimObject ddkb:regional-stability ;
    ddkb:claimText "Your own relation, drawn on the concept map."@en ;
    ddkb:verificationStatus ddkb:status-unverified ;
    ATTRIBUTION
    prov:generatedAtTime "2026-11-28T10:00:00Z"^^xsd:dateTime .
"""


@pytest.mark.parametrize("attributed", [True, False])
def test_a_users_own_claim_needs_a_source_or_an_author(attributed, tmp_path, runner, cli):
    """A concept map's "my additions" (attributed to the map user) validate; a claim that
    names neither a source nor who made it does not."""
    data = tmp_path / "mine.ttl"
    who = "prov:wasAttributedTo <https://w3id.org/ddkb/agent/map-user> ;" if attributed else ""
    data.write_text(USER_ADDITIONS.replace("ATTRIBUTION", who))
    result = runner.invoke(cli, ["--data", str(data), "validate", "--format", "json"])
    found = json.loads(result.output)
    problems = [v["check"] for v in found["violations"]
                if v["check"] in ("shacl:ClaimShape", "qc:claim-without-source-violation")]
    if attributed:
        assert result.exit_code == 0, result.output
        assert problems == []
    else:
        assert result.exit_code == 1
        assert sorted(problems) == ["qc:claim-without-source-violation", "shacl:ClaimShape"]
