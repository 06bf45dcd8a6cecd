"""The on-disk label index: the same answers as the in-memory look-up and search of today."""

from __future__ import annotations

import functools
import sqlite3
import subprocess
import sys
import textwrap

import pyoxigraph as ox
import pytest

import ddkb
from ddkb.concepts import _score
from ddkb.errors import AmbiguousConcept, ConceptNotFound, DdkbError
from ddkb.labelindex import (
    SEARCH_CANDIDATES,
    LabelIndex,
    LabelIndexUnusable,
    build_from_store,
    fts5_available,
    score_normalised,
    store_has_iri,
)
from ddkb.lookup import _LOCAL_NAME, normalise
from ddkb.namespaces import curie

SDO = "https://schema.org/"
T = "http://example.org/t/"
QUERIES = ["trust", "defence diplomacy", "peace keeping", "exercise", "ADMM", "soft power",
           "instrument", "cbm", "confidence-building measures", "military", "cooperation",
           "regional security architecture", "Trust building", "verification status", "the",
           "peace", "ddkb", "zzzz", "  ", "asean defence ministers meeting plus"]
MISSES = ["peacekeping", "peace keping", "trsut building", "confidence bilding measure",
          "defense diplomcy", "influenses", "geopolitical challenges", "qqqxxy", "", "   ",
          "instrumnet", "ddkb:no-such-thing", "https://w3id.org/ddkb/nothing-here"]


def outcome(resolve, name: str, **options):
    """What resolving ``name`` gives: the IRI, or the error's type, message and details."""
    try:
        return resolve(name, **options)
    except (ConceptNotFound, AmbiguousConcept) as err:
        return (type(err).__name__, str(err), getattr(err, "suggestions", None),
                getattr(err, "candidates", None))


def names_of(kb) -> list[str]:
    """Every label, alt label, IRI, CURIE and local name of every labelled resource."""
    index = kb.concept_index()
    names = {e.label for e in index.entries} | set(index.primary)
    names |= {curie(i) for i in index.primary}
    names |= {_LOCAL_NAME.search(i).group(0) for i in index.primary}
    return sorted(names)


@pytest.fixture(scope="module", params=["fts5", "table"])
def bundled(request, kb, tmp_path_factory):
    """The bundled KB's label index, with each kind of word index."""
    path = tmp_path_factory.mktemp("labels") / f"{request.param}.sqlite"
    with build_from_store(kb.store, path, use_fts=request.param == "fts5") as index:
        yield index


@pytest.fixture(scope="module")
def core_kb(fixtures_dir):
    return ddkb.load(data=[fixtures_dir / "core" / "concepts.ttl"])


def test_docstring_examples_run():
    import doctest

    import ddkb.labelindex

    result = doctest.testmod(ddkb.labelindex)
    assert result.attempted > 0 and result.failed == 0


# -- the word index kind --------------------------------------------------------------------
def test_fts5_is_chosen_when_this_python_has_it(kb, tmp_path):
    with build_from_store(kb.store, tmp_path / "l.sqlite") as index:
        assert index.meta["words"] == ("fts5" if fts5_available() else "table")
        assert index.uses_fts == fts5_available()
    with build_from_store(kb.store, tmp_path / "t.sqlite", use_fts=False) as index:
        assert index.meta["words"] == "table" and not index.uses_fts
        assert index.resolve("mutual trust") == "https://w3id.org/ddkb/mutual-trust"


# -- resolve: the same as ConceptIndex.resolve ----------------------------------------------
def test_every_name_of_the_bundled_kb_resolves_as_today(kb, bundled):
    today = kb.concept_index()
    names = names_of(kb)
    assert len(names) > 1500
    differ = [n for n in names if outcome(today.resolve, n) != outcome(bundled.resolve, n)]
    assert differ == []
    for name in ("verification status", "confidence-building-measures"):
        assert outcome(bundled.resolve, name)[0] == "AmbiguousConcept"


def test_class_names_resolve_as_today(kb, bundled):
    today = kb.concept_index()
    names = names_of(kb)
    sample = [n for n in names if str(outcome(today.resolve, n)) in today.classes] + names[::15]
    assert len(sample) > 200
    differ = [n for n in sample if outcome(today.resolve, n, classes_only=True)
              != outcome(bundled.resolve, n, classes_only=True)]
    assert differ == []
    assert bundled.resolve("instrument", classes_only=True) == "https://w3id.org/ddkb/Instrument"


@pytest.mark.parametrize("name", MISSES + ["Confidence Building Measure", "verification status",
                                           "defense co-operation", "peace-keeping"])
def test_misspellings_and_ambiguous_names_as_today(kb, bundled, name):
    today = kb.concept_index()
    for classes_only in (False, True):
        expected = outcome(today.resolve, name, classes_only=classes_only)
        assert outcome(bundled.resolve, name, classes_only=classes_only) == expected


def test_lookups_use_indexes_not_scans(bundled):
    """Every query of resolve, suggest (bounded) and search is an index look-up (O(log n))."""
    statements: list[str] = []
    bundled._con.set_trace_callback(statements.append)
    try:
        assert bundled.resolve("ddkb:mutual-trust") == "https://w3id.org/ddkb/mutual-trust"
        assert bundled.resolve("Mutual Trust") == "https://w3id.org/ddkb/mutual-trust"
        assert bundled.resolve("peacekeepings") == "https://w3id.org/ddkb/peacekeeping"
        assert bundled.resolve("mutualtrust") == "https://w3id.org/ddkb/mutual-trust"
        assert bundled.suggest("peacekeping", exhaustive_limit=0)
        assert bundled.search("mutual trust")
    finally:
        bundled._con.set_trace_callback(None)
    with sqlite3.connect(bundled.path) as con:
        plans = {sql: [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
                 for sql in statements if sql.lstrip().upper().startswith("SELECT")}
    con.close()
    assert len(plans) > 10
    scans = {sql: plan for sql, plan in plans.items()
             if any(step.startswith("SCAN") and "VIRTUAL TABLE" not in step
                    and not step.startswith("SCAN (subquery") for step in plan)}
    assert scans == {}


def test_misspelling_suggests_the_concept(bundled):
    with pytest.raises(ConceptNotFound) as info:
        bundled.resolve("peacekeping")
    assert info.value.suggestions[0] == "peacekeeping"
    assert "did you mean: 'peacekeeping'" in str(info.value)


def test_core_fixture_resolves_as_today(core_kb, tmp_path):
    today = core_kb.concept_index()
    with build_from_store(core_kb.store, tmp_path / "core.sqlite") as index:
        for name in names_of(core_kb) + ["shared term", "Port Calls", "naval harbr visit",
                                         "defense cooperation and zeta capabilities"]:
            assert outcome(index.resolve, name) == outcome(today.resolve, name), name
        with pytest.raises(AmbiguousConcept) as info:
            index.resolve("shared term")
        assert [c for c, _ in info.value.candidates] == [T + "defence-cooperation-zeta",
                                                         T + "harbour-visit"]


def test_bounded_suggestions_still_find_close_labels(bundled):
    """A large index draws candidates instead of comparing every label; forced here."""
    for name, wanted in [("peacekeping", "peacekeeping"), ("trsut building", "mutual trust"),
                         ("confidence bilding measure", "confidence-building measures"),
                         ("instrumnet", "instrument")]:
        assert wanted in bundled.suggest(name, exhaustive_limit=0), name
        assert wanted in bundled.suggest(name), name


# -- search: the same as concepts.search -----------------------------------------------------
@functools.cache
def _all_hits_today(kb, query: str) -> tuple:
    return tuple(kb.search(query, limit=1_000_000))


def today_search(kb, query: str, limit: int = 20) -> list:
    """Today's search, with hits of equal score and label in IRI order (not store order)."""
    hits = _all_hits_today(kb, query)
    return sorted(hits, key=lambda h: (-h.score, h.label.lower(), h.iri))[:limit]


@pytest.mark.parametrize("query", QUERIES)
def test_search_equals_today(kb, bundled, query):
    assert bundled.search(query) == today_search(kb, query)
    assert bundled.search(query, limit=500) == today_search(kb, query, 500)


def test_search_ties_are_in_iri_order(kb, bundled):
    hits = bundled.search("verification status", limit=2)
    assert [h.curie for h in hits] == ["ddkb:VerificationStatus", "ddkb:verificationStatus"]
    assert {h.curie for h in kb.search("verification status", limit=2)} == {
        "ddkb:VerificationStatus", "ddkb:verificationStatus"}


def test_search_over_every_label_word(kb, bundled):
    words = sorted({w for e in kb.concept_index().entries for w in e.label.split()})[::9]
    assert len(words) > 50
    assert [w for w in words if bundled.search(w, limit=10) != today_search(kb, w, 10)] == []


def test_search_hit_content(bundled):
    hits = bundled.search("instrument", limit=3)
    assert (hits[0].score, hits[0].curie, hits[0].label) == (100, "ddkb:Instrument", "instrument")
    assert hits[0].cls == "ontology class"


def test_score_normalised_equals_the_search_score(kb):
    index = kb.concept_index()
    alts: dict[str, list[str]] = {}
    for e in index.entries:
        if e.kind == "alt":
            alts.setdefault(e.iri, []).append(e.label)
    defs = {r["c"].value: r["d"].value for r in kb.select(
        "SELECT ?c ?d WHERE { ?c skos:definition ?d }")}
    for text in QUERIES:
        query = normalise(text)
        words = set(query.split())
        for iri, label in index.primary.items():
            expected = _score(query, words, label, alts.get(iri, []), defs.get(iri, ""))
            got = score_normalised(query, words, normalise(label),
                                   [normalise(a) for a in alts.get(iri, [])],
                                   set(normalise(defs.get(iri, "")).split()))
            assert got == expected, (text, iri)


def test_a_common_word_beyond_the_candidate_bound(tmp_path):
    """More matches than SEARCH_CANDIDATES: the exact label and label order still win."""
    n = SEARCH_CANDIDATES + 200
    labels = ((f"{T}r{i}", f"aaa word {i:05d}", "pref", "en") for i in range(n))
    extra = [(T + "w", "Word", "pref", "en")]
    with LabelIndex.build(tmp_path / "many.sqlite", iter(list(labels) + extra)) as index:
        hits = index.search("word", limit=3)
    assert [(h.score, h.label) for h in hits] == [(100, "Word"), (70, "aaa word 00000"),
                                                 (70, "aaa word 00001")]


# -- display labels ---------------------------------------------------------------------------
def test_display_labels_equal_the_kb_labels(kb, bundled):
    labels = kb.build_label_map()
    iris = list(kb.concept_index().primary)
    assert bundled.display_labels(iris) == {i: labels[i] for i in iris if i in labels}
    assert all(bundled.label(i) == kb.label(i) for i in iris)
    assert bundled.display_label("https://w3id.org/ddkb/mutual-trust") == "mutual trust"
    assert bundled.display_label(T + "unknown") is None
    assert len(bundled) == len(iris)


def test_display_rule_language_and_kind(tmp_path):
    rows = [(T + "a", "Zed", "rdfs", "en"), (T + "a", "Bee", "pref", "fr"),
            (T + "b", "Alpha", "rdfs", "de"), (T + "b", "Beta", "rdfs", "en-GB"),
            (T + "c", "Gamma", "pref", ""), (T + "c", "Delta", "pref", "en"),
            (T + "d", "only alt", "alt", "en"), (T + "e", "", "pref", "en"),
            (T + "e", "empty pref", "alt", "en")]
    with LabelIndex.build(tmp_path / "d.sqlite", iter(rows)) as index:
        assert index.display_labels([T + x for x in "abcd"]) == {
            T + "a": "Bee", T + "b": "Beta", T + "c": "Delta"}
        assert index.label(T + "d") == T + "d"  # no CURIE prefix: the IRI itself
        assert index.resolve("only alt") == T + "d"
        assert index.label(T + "e") == ""  # an empty label is a label (as KnowledgeBase.label)
        assert [(h.label, h.curie) for h in index.search("empty pref")] == [("", T + "e")]


# -- schema.org-style data: rdfs:label-only classes, https IRIs -------------------------------
SCHEMA_TTL = f"""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <{SDO}> .
schema:Thing a rdfs:Class ; rdfs:label "Thing" ;
    rdfs:comment "The most generic type of item." .
schema:Organization a rdfs:Class ; rdfs:label "Organization" ;
    rdfs:comment "An organization such as a school, NGO, corporation, club, etc." ;
    rdfs:subClassOf schema:Thing .
schema:NGO a rdfs:Class ; rdfs:label "NGO" ; rdfs:subClassOf schema:Organization .
schema:member a rdf:Property ; rdfs:label "member" ;
    schema:domainIncludes schema:Organization ; schema:rangeIncludes schema:Person .
"""


@pytest.fixture()
def schema_store(tmp_path):
    path = tmp_path / "sdo.ttl"
    path.write_text("@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
                    + SCHEMA_TTL, encoding="utf-8")
    return ddkb.load(data=[path]).store


@pytest.mark.parametrize("name", [SDO + "Organization", f"<{SDO}Organization>",
                                  "schema:Organization", "Organization", "organizations",
                                  "ORGANIZATION"])
def test_schema_org_classes_resolve(schema_store, tmp_path, name):
    with build_from_store(schema_store, tmp_path / "s.sqlite") as index:
        assert index.resolve(name) == SDO + "Organization"
        assert index.resolve(name, classes_only=True) == SDO + "Organization"
        assert index.display_label(SDO + "Organization") == "Organization"
        assert index.types(SDO + "Organization") == ["http://www.w3.org/2000/01/rdf-schema#Class"]


def test_schema_org_search_and_unlabelled_iris(schema_store, tmp_path):
    with build_from_store(schema_store, tmp_path / "s.sqlite") as index:
        hits = index.search("organization")
        assert [(h.score, h.iri, h.cls) for h in hits[:1]] == [
            (100, SDO + "Organization", "ontology class")]
        assert index.resolve("member") == SDO + "member"
        with pytest.raises(ConceptNotFound):  # used, but labelled nowhere
            index.resolve("schema:Person")
        exists = store_has_iri(schema_store)
        assert index.resolve("schema:Person", exists=exists) == SDO + "Person"
        assert index.resolve(SDO + "Person", exists=exists) == SDO + "Person"
        with pytest.raises(ConceptNotFound):
            index.resolve("schema:Nobody", exists=exists)
        with pytest.raises(ConceptNotFound):  # a class must be a labelled class
            index.resolve("schema:Person", exists=exists, classes_only=True)


# -- hostile and odd labels -------------------------------------------------------------------
def test_unicode_and_control_characters(tmp_path):
    rows = [(T + "nul", "nul\x00label", "pref", "en"), (T + "bell", "bell\x07 tower", "pref", ""),
            (T + "emoji", "🤝 handshake", "pref", "en"), (T + "rtl", "سلام", "pref", "ar"),
            (T + "strasse", "Straße", "pref", "de"), (T + "accent", "Défense", "pref", "fr"),
            (T + "surrogate", "bad \ud800 text", "pref", "en"),
            (T + "space", "  padded  ", "rdfs", "en")]
    with LabelIndex.build(tmp_path / "u.sqlite", iter(rows)) as index:
        assert index.resolve("NUL\x00LABEL") == T + "nul"
        assert index.display_label(T + "nul") == "nul\x00label"
        assert index.resolve("bell tower") == T + "bell"
        assert index.resolve("🤝 HANDSHAKE") == T + "emoji"
        assert index.resolve("handshake") == T + "emoji"
        assert index.resolve("سلام") == T + "rtl"
        assert index.resolve("STRASSE") == T + "strasse"
        assert index.resolve("défense") == T + "accent"
        assert index.display_label(T + "surrogate") == "bad \ufffd text"
        assert index.resolve("padded") == T + "space"
        assert index.display_label(T + "space") == "  padded  "
        assert [h.iri for h in index.search("handshake")] == [T + "emoji"]
        assert [h.iri for h in index.search("défense")] == [T + "accent"]


def test_a_ten_megabyte_label(tmp_path):
    huge = "colossal " + "word " * 2_000_000
    rows = iter([(T + "huge", huge, "pref", "en"), (T + "small", "small thing", "pref", "en")])
    path = tmp_path / "h.sqlite"
    with LabelIndex.build(path, rows, iter([(T + "huge", huge, "en")]),
                          iter([(T + "huge", T + "Big")])) as index:
        assert index.resolve(huge) == T + "huge"
        assert index.resolve(huge.upper()) == T + "huge"
        assert [h.iri for h in index.search("colossal")] == [T + "huge"]
        assert len(index.display_label(T + "huge")) <= 1000
    assert path.stat().st_size < 1_000_000


def test_hidden_labels_count_as_alt_labels(tmp_path):
    rows = iter([(T + "a", "alpha", "pref", "en"), (T + "a", "alfa", "hidden", "en")])
    with LabelIndex.build(tmp_path / "x.sqlite", rows) as index:
        assert index.resolve("alfa") == T + "a"
        assert [(h.score, h.label) for h in index.search("alfa")] == [(60, "alpha")]
        assert index.display_label(T + "a") == "alpha"
    with pytest.raises(ValueError, match="label kind"):
        LabelIndex.build(tmp_path / "y.sqlite", iter([(T + "a", "x", "nickname", "")]))
    assert list(tmp_path.iterdir()) == [tmp_path / "x.sqlite"]


# -- damaged, old and missing files: a specific error, so the caller rebuilds ------------------
def _index(tmp_path, name="i.sqlite"):
    LabelIndex.build(tmp_path / name, iter([(T + "a", "alpha", "pref", "en")])).close()
    return tmp_path / name


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.unlink(), "does not exist"),
    (lambda p: p.write_bytes(b""), "not a ddkb label index"),
    (lambda p: p.write_bytes(b"this is not a database at all" * 100), "damaged or unreadable"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated|damaged"),
    (lambda p: _set_pragma(p, "user_version = 0"), "format version 0"),
    (lambda p: _set_pragma(p, "application_id = 7"), "not a ddkb label index"),
    (lambda p: _set_pragma(p, "user_version = 1; DROP TABLE words"), "damaged or unreadable"),
    (lambda p: _set_pragma(p, "user_version = 1; UPDATE meta SET value = 'x' "
                              "WHERE key = 'normaliser'"), "another spelling normaliser"),
])
def test_unusable_index_files(tmp_path, damage, message):
    path = _index(tmp_path)
    damage(path)
    with pytest.raises(LabelIndexUnusable, match=message) as info:
        LabelIndex(path)
    assert isinstance(info.value, DdkbError) and "\n" not in str(info.value)


def _set_pragma(path, statements):
    with sqlite3.connect(path) as con:
        con.executescript(f"PRAGMA {statements};")
    con.close()


def test_damage_after_opening_is_reported_as_unusable(tmp_path):
    path = _index(tmp_path)
    with sqlite3.connect(path) as con:  # a page the check does not read is overwritten
        page = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'labels'").fetchone()
    con.close()
    data = bytearray(path.read_bytes())
    start = (root[0] - 1) * page
    data[start:start + page] = b"\xff" * page
    path.write_bytes(bytes(data))
    with LabelIndex(path) as index, pytest.raises(LabelIndexUnusable, match="damaged"):
        index.resolve("alpha")


def test_failed_build_keeps_the_old_index(tmp_path):
    path = _index(tmp_path)

    def rows():
        yield (T + "b", "beta", "pref", "en")
        raise RuntimeError("the store went away")

    with LabelIndex(path) as old:
        with pytest.raises(RuntimeError):
            LabelIndex.build(path, rows())
        assert old.resolve("alpha") == T + "a"
    assert list(tmp_path.iterdir()) == [path]
    with LabelIndex(path) as index:
        assert index.resolve("alpha") == T + "a"


def test_unwritable_place_is_a_one_line_error(tmp_path):
    with pytest.raises(DdkbError, match="cannot write the label index .*no-such-folder"):
        LabelIndex.build(tmp_path / "no-such-folder" / "l.sqlite", iter([]))
    assert list(tmp_path.iterdir()) == []


def test_rebuild_replaces_the_file_under_an_open_reader(tmp_path):
    path = _index(tmp_path)
    with LabelIndex(path) as old:
        with LabelIndex.build(path, iter([(T + "b", "beta", "pref", "en")]),
                              meta={"source": "v2"}) as new:
            assert new.resolve("beta") == T + "b" and new.meta["source"] == "v2"
            with pytest.raises(ConceptNotFound):
                new.resolve("alpha")
        assert old.resolve("alpha") == T + "a"  # the reader keeps the file it opened
    assert list(tmp_path.iterdir()) == [path]


def test_another_process_reads_the_index_and_writes_nothing(kb, tmp_path):
    path = tmp_path / "l.sqlite"
    build_from_store(kb.store, path).close()
    script = textwrap.dedent("""
        import sys
        from ddkb.labelindex import LabelIndex
        with LabelIndex(sys.argv[1]) as index:
            print(index.resolve("peace-keeping"))
            print(index.search("mutual trust", limit=1)[0].label)
            try:
                index.resolve("peacekeping")
            except Exception as err:
                print(type(err).__name__, err)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "https://w3id.org/ddkb/peacekeeping", "mutual trust",
        "ConceptNotFound no concept called 'peacekeping'; did you mean: 'peacekeeping', "
        "'long-term peace'?"]
    assert list(tmp_path.iterdir()) == [path]  # no journal, -wal or -shm file


def test_store_with_blank_nodes_and_literal_types(tmp_path):
    store = ox.Store()
    store.bulk_load(f"""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        _:b skos:prefLabel "blank" .
        <{T}c> a owl:Class, _:anon ; skos:prefLabel "klass"@en, "Klasse"@de ;
            skos:definition "A class of things."@en ; skos:prefLabel <{T}not-a-literal> .
    """.encode(), format=ox.RdfFormat.TURTLE)
    with build_from_store(store, tmp_path / "b.sqlite") as index:
        assert len(index) == 1
        with pytest.raises(ConceptNotFound):
            index.resolve("blank")
        assert index.resolve("Klasse", classes_only=True) == T + "c"
        assert index.types(T + "c") == ["http://www.w3.org/2002/07/owl#Class"]
        assert [(h.score, h.label, h.cls) for h in index.search("thing")] == [
            (9, "klass", "ontology class")]
