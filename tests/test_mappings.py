"""SSSOM mapping sets, their validation, and the generated kb/external-links*.ttl files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import OWL, URIRef

from ddkb import mappings, paths
from ddkb.errors import DataFileError
from ddkb.namespaces import DBR, DDKB, SKOS, WD

FIXTURES = Path(__file__).parent / "fixtures" / "link"
FORBIDDEN = {"Q831663", "Q8719087", "Q485276", "Q45393"}


def _allowed() -> dict[tuple[str, str], str]:
    rows = [line for line in (FIXTURES / "allowed-ids.tsv").read_text().splitlines()
            if line and not line.startswith("#")]
    return {(kind, ident): status for kind, ident, status in csv.reader(rows, delimiter="\t")}


@pytest.fixture(scope="module")
def sets() -> dict[str, mappings.MappingSet]:
    return {s.name: s for s in mappings.bundled_sets()}


def _objects(mset):
    """(kind, identifier) of each external object of a set: ('wikidata', 'Q7184'), ..."""
    for row in mset.rows:
        iri = mset.expand(row["object_id"])
        if iri.startswith(WD):
            yield "wikidata", iri[len(WD):], row
        elif iri.startswith(DBR):
            yield "dbpedia", iri[len(DBR):], row


def test_the_four_sets_exist_with_their_header(sets):
    assert sorted(sets) == ["ddkb-dbpedia.sssom.tsv", "ddkb-unreviewed.sssom.tsv",
                            "ddkb-vocabularies.sssom.tsv", "ddkb-wikidata.sssom.tsv"]
    for name, mset in sets.items():
        meta = mset.metadata
        assert meta["mapping_set_id"] == f"https://w3id.org/ddkb/mappings/{name}"
        assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/"
        assert meta["mapping_set_version"] and meta["mapping_set_description"]
        assert meta["mapping_date"] == "2026-11-26"
        assert mset.columns[:7] == list(mappings.REQUIRED_COLUMNS)
        assert mappings.validate(mset) == []


def test_every_curie_prefix_resolves_in_the_curie_map(sets):
    for mset in sets.values():
        for row in mset.rows:
            for col in ("subject_id", "predicate_id", "object_id", "mapping_justification"):
                prefix = row[col].split(":", 1)[0]
                assert prefix in mset.curie_map, (mset.name, row[col])
        # and the map holds nothing unused
        used = {row[c].split(":", 1)[0] for row in mset.rows
                for c in ("subject_id", "predicate_id", "object_id", "mapping_justification")}
        assert set(mset.curie_map) == used, mset.name


def test_only_identifiers_from_the_reference_list(sets):
    allowed = _allowed()
    for mset in sets.values():
        for kind, ident, row in _objects(mset):
            assert (kind, ident) in allowed, (mset.name, ident)
            assert ident not in FORBIDDEN
            if mset.name != "ddkb-unreviewed.sssom.tsv":  # reviewed sets: verified only
                assert allowed[(kind, ident)] == "verified", (mset.name, ident)
            assert row["mapping_justification"] == "semapv:ManualMappingCuration"


def test_verified_wikidata_links_are_exact(sets):
    rows = {r["subject_id"]: r for r in sets["ddkb-wikidata.sssom.tsv"].rows}
    assert rows["ddkb:nato"]["object_id"] == "wd:Q7184"
    assert rows["ddkb:military-exercise"]["object_id"] == "wd:Q357104"
    assert "Q831663" in rows["ddkb:military-exercise"]["comment"]  # the note is kept
    assert rows["ddkb:cybersecurity"]["object_label"] == "computer security"
    assert rows["ddkb:pacific-islands"]["object_id"] == "wd:Q538"
    assert rows["ddkb:timor-leste"]["object_id"] == "wd:Q574"
    assert len(rows) == 14
    assert {r["predicate_id"] for r in rows.values()} == {"skos:exactMatch"}


def test_unreviewed_candidates_are_close_matches_with_lower_confidence(sets):
    unreviewed = sets["ddkb-unreviewed.sssom.tsv"].rows
    reviewed = [r for n in ("ddkb-wikidata.sssom.tsv", "ddkb-dbpedia.sssom.tsv")
                for r in sets[n].rows]
    assert {r["predicate_id"] for r in unreviewed} == {"skos:closeMatch"}
    assert all(r["comment"].startswith("unreviewed candidate") for r in unreviewed)
    assert max(float(r["confidence"]) for r in unreviewed) < \
        min(float(r["confidence"]) for r in reviewed)
    objects = {r["object_id"] for r in unreviewed}
    assert {"wd:Q653277", "wd:Q1143951", "dbr:Soft_power",
            "dbr:Association_of_Southeast_Asian_Nations"} <= objects
    # status "none" rows give no mapping; UN peacekeeping has no ddkb concept
    assert not objects & {"dbr:Asia-Pacific", "dbr:Hard_power", "dbr:Defence_diplomacy",
                          "wd:Q219575", "dbr:United_Nations_peacekeeping"}


def test_concept_mappings_name_real_concepts_with_their_labels(kb, sets):
    rows = kb.select("SELECT ?c ?l WHERE { ?c a skos:Concept ; skos:prefLabel ?l }")
    labels = {r["c"].value: r["l"].value for r in rows}
    for name in ("ddkb-wikidata.sssom.tsv", "ddkb-dbpedia.sssom.tsv",
                 "ddkb-unreviewed.sssom.tsv"):
        for row in sets[name].rows:
            iri = sets[name].expand(row["subject_id"])
            assert iri in labels, f"{name}: {row['subject_id']} is not a concept of the KB"
            assert row["subject_label"] == labels[iri], (name, row["subject_id"])


def test_vocabulary_alignments_name_declared_classes_and_properties(kb, sets):
    mset = sets["ddkb-vocabularies.sssom.tsv"]
    for row in mset.rows:
        iri = mset.expand(row["subject_id"])
        rows = kb.select(f"SELECT ?l WHERE {{ <{iri}> a ?k ; rdfs:label ?l "
                         "VALUES ?k { owl:Class owl:ObjectProperty } }")
        assert rows, f"{row['subject_id']} is not a declared class or property"
        assert row["subject_label"] == rows[0]["l"].value
        assert row["predicate_id"] in {"rdfs:subClassOf", "rdfs:subPropertyOf",
                                       "skos:closeMatch", "skos:broadMatch"}


def test_committed_external_links_equal_the_generated_ones():
    files = mappings.external_links_files()
    assert sorted(p.name for p in files) == ["external-links-unreviewed.ttl",
                                             "external-links.ttl"]
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, \
            f"{path} is out of date: run ddkb.mappings.write_external_links()"
        assert text.startswith("# GENERATED by ddkb.mappings")


def test_to_rdf_has_one_triple_per_mapping_and_dl_declarations(sets):
    g = mappings.to_rdf([sets["ddkb-wikidata.sssom.tsv"], sets["ddkb-vocabularies.sssom.tsv"]])
    assert (URIRef(DDKB + "nato"), URIRef(SKOS + "exactMatch"), URIRef(WD + "Q7184")) in g
    assert (URIRef(SKOS + "exactMatch"), None, OWL.AnnotationProperty) in g
    assert (URIRef("http://schema.org/Place"), None, OWL.Class) in g
    mapping_triples = [t for t in g if t[0].startswith(DDKB)]
    assert len(mapping_triples) == 14 + len(sets["ddkb-vocabularies.sssom.tsv"].rows)


def test_unreviewed_links_stay_out_of_the_reviewed_file(kb):
    graph = paths.graph_name_for(paths.kb_dir() / "external-links.ttl")
    rows = kb.select(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ddkb:soft-power ?p ?o }} }}")
    assert rows == []
    graph_u = paths.graph_name_for(paths.kb_dir() / "external-links-unreviewed.ttl")
    rows = kb.select(f"SELECT ?o WHERE {{ GRAPH <{graph_u}> "
                     "{ ddkb:soft-power skos:closeMatch ?o } }")
    assert {r["o"].value for r in rows} == {WD + "Q1143951", DBR + "Soft_power"}


def test_sssom_rdf_has_an_axiom_per_mapping(sets):
    from rdflib import Literal, Namespace

    sssom = Namespace(mappings.SSSOM_NS)
    g = mappings.to_sssom_rdf(list(sets.values()))
    axioms = list(g.subjects(OWL.annotatedSource, None))
    assert len(axioms) == sum(len(s.rows) for s in sets.values())
    nato = [a for a in axioms if (a, OWL.annotatedTarget, URIRef(WD + "Q7184")) in g]
    assert len(nato) == 1
    assert (nato[0], sssom.confidence, None) in g
    assert float(g.value(nato[0], sssom.confidence)) == pytest.approx(0.95)
    assert g.value(nato[0], sssom.subject_label) == Literal("NATO")


def test_format_round_trips_every_bundled_file(sets):
    for name, mset in sets.items():
        text = (mappings.mappings_dir() / name).read_text(encoding="utf-8")
        assert mappings.format_sssom(mset) == text
        assert mappings.parse_sssom(text, name).rows == mset.rows


GOOD_HEADER = """#curie_map:
#  ddkb: https://w3id.org/ddkb/
#  wd: http://www.wikidata.org/entity/
#  skos: http://www.w3.org/2004/02/skos/core#
#  semapv: https://w3id.org/semapv/vocab/
#mapping_set_id: https://example.org/x.sssom.tsv
#mapping_set_version: 1
#license: https://creativecommons.org/licenses/by/4.0/
#mapping_set_description: test
#mapping_date: 2026-11-26
"""
COLS = "\t".join(mappings.REQUIRED_COLUMNS)


@pytest.mark.parametrize("body, message", [
    (f"{COLS}\nddkb:a\ta\tskos:exactMatch\tfoo:Q1\tx\tsemapv:ManualMappingCuration\t0.9\n",
     "x.sssom.tsv:12: prefix of 'foo:Q1' (object_id) is not in curie_map"),
    (f"{COLS}\nddkb:a\ta\tskos:sameThing\twd:Q1\tx\tsemapv:ManualMappingCuration\t0.9\n",
     "x.sssom.tsv:12: unknown mapping predicate 'skos:sameThing'"),
    (f"{COLS}\nddkb:a\ta\tskos:exactMatch\twd:Q1\tx\tsemapv:ManualMappingCuration\thigh\n",
     "x.sssom.tsv:12: confidence 'high' is not a number in [0, 1]"),
    ("subject_id\tobject_id\nddkb:a\twd:Q1\n", "x.sssom.tsv: column subject_label is missing"),
])
def test_bad_mapping_files_are_refused_with_file_and_line(body, message):
    with pytest.raises(DataFileError) as err:
        mappings.parse_sssom(GOOD_HEADER + body, "x.sssom.tsv")
    assert str(err.value) == message


def test_missing_header_key_is_refused():
    header = GOOD_HEADER.replace("#license: https://creativecommons.org/licenses/by/4.0/\n", "")
    with pytest.raises(DataFileError, match="header has no license"):
        mappings.parse_sssom(header + COLS + "\n", "x.sssom.tsv")
