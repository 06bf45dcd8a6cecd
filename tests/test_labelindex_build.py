"""Building the label index from a store: the fast readers and builder give today's index.

The store is read as SPARQL TSV written by pyoxigraph (not as Python term
objects) and the resources are assembled in one merge pass; these tests
compare what that builds, table by table, with what the readers of before
(kept frozen here) give, on labels made to break a TSV reader; and
:func:`ddkb.lookup.normalise` with a frozen copy of its former self.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddkb.errors import ConceptNotFound
from ddkb.labelindex import (
    LabelIndex,
    _Prefetch,
    _tsv_lines,
    build_from_store,
    fts5_available,
)
from ddkb.lookup import normalise
from ddkb.namespaces import OWL, RDF, RDFS, SKOS, curie

T = "http://example.org/t/"
XSD = "http://www.w3.org/2001/XMLSchema#"


# -- normalise: byte-identical to its former self -------------------------------------------
_OLD_FIXES = {"defence": "defense", "offence": "offense", "licence": "license",
              "programme": "program", "centre": "center"}
_OLD_SUFFIXES = (("isation", "ization"), ("ising", "izing"), ("ised", "ized"),
                 ("ises", "izes"), ("ise", "ize"), ("our", "or"), ("ours", "ors"))
_OLD_PUNCT = re.compile(r"[^\w\s]|_")


@lru_cache(maxsize=8192)
def _old_word(word: str) -> str:
    word = _OLD_FIXES.get(word, word)
    for british, american in _OLD_SUFFIXES:
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + american
            break
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def old_normalise(text: str) -> str:
    """ddkb.lookup.normalise as it was before the label index build was made faster."""
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"(?<=\w)-(?=operat)", "", text)
    words = _OLD_PUNCT.sub(" ", text).split()
    return " ".join(_old_word(w) for w in words)


_PIECES = st.sampled_from([
    "defence", "Offence", "licence", "programme", "centres", "organisations", "organising",
    "analysed", "analyses", "colour", "colours", "ours", "capabilities", "ies", "series",
    "status", "glass", "basis", "co-operation", "Co-Operative", "-operat", "&", "_", "-",
    "2024", "42s", "Straße", "STRASSE", "ǅ", "ﬁ", "İstanbul", "ΣΑΣ", "١٢٣", "\u200f", "\t",
    "\n", " ", "peace-keeping", "x", "s", "is", "ises", "isation", "e"])


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=12), max_size=12),
       st.lists(st.sampled_from(["", " ", "-", "_", "&", "\n", "'s"]), max_size=12))
def test_normalise_equals_its_former_self(pieces, joints):
    text = "".join(p + (joints[i] if i < len(joints) else "") for i, p in enumerate(pieces))
    assert normalise(text) == old_normalise(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_equals_its_former_self_on_any_text(text):
    assert normalise(text) == old_normalise(text)


def test_normalise_of_words_it_skips_and_words_it_changes():
    assert normalise("Organisations 1234 co-operation & centres, 42x") == (
        "organisation 1234 cooperation and centre 42x")  # (plural cut after the fixes)


# -- the store readers of before, frozen ----------------------------------------------------
def _old_quads(store, predicate: str) -> Iterator[tuple[str, object]]:
    for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
        if isinstance(quad.subject, ox.NamedNode):
            yield quad.subject.value, quad.object


def old_labels(store):
    for kind, prop in (("pref", SKOS + "prefLabel"), ("alt", SKOS + "altLabel"),
                       ("hidden", SKOS + "hiddenLabel"), ("rdfs", RDFS + "label")):
        for iri, obj in _old_quads(store, prop):
            if isinstance(obj, ox.Literal):
                yield iri, obj.value, kind, obj.language or ""


def old_definitions(store):
    for iri, obj in _old_quads(store, SKOS + "definition"):
        if isinstance(obj, ox.Literal):
            yield iri, obj.value, obj.language or ""


def old_types(store):
    for iri, obj in _old_quads(store, RDF + "type"):
        if isinstance(obj, ox.NamedNode):
            yield iri, obj.value


def dump(path: Path) -> dict[str, list]:
    """Every table of an index file, in an order that does not depend on insertion order."""
    with sqlite3.connect(path) as con:
        out = {
            "schema": sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                         "WHERE name NOT LIKE 'sqlite_stat%'")),
            "meta": sorted(con.execute("SELECT key, value FROM meta")),
            "resources": [(*r[:6], None if r[6] is None else sorted(r[6].split("\n")))
                          for r in con.execute("SELECT * FROM resources ORDER BY id")],
            "labels": sorted(con.execute("SELECT rid, kind, exact, norm FROM labels"), key=repr),
            "type_iris": list(con.execute("SELECT * FROM type_iris ORDER BY id")),
            "types": sorted(con.execute("SELECT rid, tid FROM types")),
            "vocab": list(con.execute("SELECT word FROM vocab")),
        }
        if dict(out["meta"])["words"] == "fts5":
            con.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, words, instance)")
            out["words"] = sorted(con.execute("SELECT term, doc, col FROM temp.v"))
        else:
            out["words"] = sorted(con.execute("SELECT word, col, rid FROM words"))
    return out


# -- a store with labels made to break a TSV reader -------------------------------------------
TRICKY_TEXT = ("tab\there, new\nline, cr\r, \"quoted\", back\\slash, \\u0041 \\n kept, "
               "Straße, 東京, ☃ \U0001F600, \u200fRTL\u200f mark, \u2028sep\u2029, "
               "nul-ish \x01\x1f, bell \x07, vt \x0b ff \x0c")


def _lit(text: str, lang: str | None = None, datatype: str | None = None, **more) -> ox.Literal:
    if lang:
        return ox.Literal(text, language=lang, **more)
    if datatype:
        return ox.Literal(text, datatype=ox.NamedNode(datatype))
    return ox.Literal(text)


def tricky_store() -> ox.Store:
    """Labels with escapes, languages, datatypes, several graphs, blank nodes, odd IRIs."""
    store = ox.Store()
    graph = ox.NamedNode("http://example.org/graph/1")
    pref, alt, hidden = (ox.NamedNode(SKOS + p) for p in ("prefLabel", "altLabel", "hiddenLabel"))
    label, definition, rtype = (ox.NamedNode(RDFS + "label"), ox.NamedNode(SKOS + "definition"),
                                ox.NamedNode(RDF + "type"))
    node = {name: ox.NamedNode(T + name) for name in (
        "tricky", "gb", "rtl", "numbers", "alt-only", "dup", "class", "long", "empty")}
    odd = ox.NamedNode(T + "caf%C3%A9%20bar?q=1&x=%22#frag")
    unicode_iri = ox.NamedNode(T + "café/東京")
    blank = ox.BlankNode()
    direction = {"direction": ox.BaseDirection.RTL} if hasattr(ox, "BaseDirection") else {}
    quads = [
        (node["tricky"], pref, _lit(TRICKY_TEXT, "en")),
        (node["tricky"], alt, _lit(TRICKY_TEXT.upper())),
        (node["tricky"], definition, _lit("Defines \"this\"\tand\nthat \\ organisations.", "en")),
        (node["tricky"], definition, _lit("Définition française.", "fr")),
        (node["tricky"], rtype, ox.NamedNode(SKOS + "Concept")),
        (node["gb"], pref, _lit("Colour Programme", "en-GB")),
        (node["gb"], pref, _lit("Couleur", "fr")),
        (node["gb"], label, _lit("colour programme (rdfs)")),
        (node["gb"], rtype, ox.NamedNode(T + "Thing")),
        (node["rtl"], pref, _lit("سلام", "ar", **direction)),
        (node["rtl"], alt, _lit("\u200fשלום\u200f", "he")),
        (node["numbers"], label, _lit("042", datatype=XSD + "integer")),
        (node["numbers"], alt, _lit("true", datatype=XSD + "boolean")),
        (node["numbers"], alt, _lit("1.5e3", datatype=XSD + "double")),
        (node["numbers"], alt, _lit("2.50", datatype=XSD + "decimal")),
        (node["numbers"], hidden, _lit("typed \"x\"", datatype="http://example.org/dt")),
        (node["numbers"], pref, ox.NamedNode(T + "not-a-literal")),
        (node["alt-only"], alt, _lit("Only An Alternative")),
        (node["alt-only"], hidden, _lit("hidden one")),
        (node["alt-only"], rtype, ox.Literal("not an IRI")),
        (node["dup"], pref, _lit("Duplicate Name")),
        (node["class"], pref, _lit("Duplicate Name", "en")),
        (node["class"], rtype, ox.NamedNode(OWL + "Class")),
        (node["class"], rtype, blank),
        (node["class"], definition, _lit("A class of tricky things.", "en")),
        (node["long"], pref, _lit("  word " * 300)),
        (node["empty"], pref, _lit("")),
        (node["empty"], alt, _lit("   ")),
        (odd, pref, _lit("Odd IRI label")),
        (odd, rtype, ox.NamedNode(T + "Thing")),
        (unicode_iri, label, _lit("unicode iri", "de-CH-1996")),
        (blank, pref, _lit("blank subject")),
        (blank, rtype, ox.NamedNode(OWL + "Class")),
    ]
    for n, (s, p, o) in enumerate(quads):
        store.add(ox.Quad(s, p, o))
        if n % 3 == 0:  # also in a named graph: the same triple twice
            store.add(ox.Quad(s, p, o, graph))
    store.add(ox.Quad(node["dup"], alt, _lit("only in a named graph"), graph))
    return store


@pytest.mark.parametrize("use_fts", [True, False] if fts5_available() else [False])
def test_store_build_equals_the_build_from_the_readers_of_before(tmp_path, use_fts):
    store = tricky_store()
    new = tmp_path / "new.sqlite"
    old = tmp_path / "old.sqlite"
    build_from_store(store, new, use_fts=use_fts).close()
    LabelIndex.build(old, old_labels(store), old_definitions(store), old_types(store),
                     use_fts=use_fts).close()
    assert dump(new) == dump(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.sqlite", "old.sqlite"]


def test_tricky_labels_are_read_exactly(tmp_path):
    with build_from_store(tricky_store(), tmp_path / "l.sqlite") as index:
        assert index.display_label(T + "tricky") == TRICKY_TEXT
        assert index.resolve(TRICKY_TEXT) == T + "tricky"
        assert index.resolve(TRICKY_TEXT.lower()) == T + "tricky"
        assert index.display_label(T + "gb") == "Colour Programme"  # en-GB ranks as English
        assert index.resolve("color program") == T + "gb"
        assert index.display_label(T + "rtl") == "سلام"
        assert index.resolve("שלום") == T + "rtl"
        assert index.display_label(T + "numbers") == "42"  # the store's canonical integer
        assert index.resolve("1500") == index.resolve("2.5") == T + "numbers"  # canonical forms
        assert index.resolve("typed \"x\"") == T + "numbers"
        assert index.display_label(T + "alt-only") is None
        assert [(h.iri, h.label) for h in index.search("only an alternative")] == [
            (T + "alt-only", curie(T + "alt-only"))]  # no display label: its CURIE is shown
        assert index.resolve("hidden one") == T + "alt-only"
        assert index.types(T + "alt-only") == []
        assert index.resolve("Duplicate Name", classes_only=True) == T + "class"
        assert index.is_class(T + "class") and not index.is_class(T + "dup")
        assert index.types(T + "class") == [OWL + "Class"]
        assert index.resolve("only in a named graph") == T + "dup"
        assert index.resolve("odd iri label") == T + "caf%C3%A9%20bar?q=1&x=%22#frag"
        assert index.resolve("unicode iri") == T + "café/東京"
        assert index.types(T + "caf%C3%A9%20bar?q=1&x=%22#frag") == [T + "Thing"]
        assert index.display_label(T + "long") == ("  word " * 300)[:1000]
        with pytest.raises(ConceptNotFound, match="blank subject"):  # blank nodes are skipped
            index.resolve("blank subject")
        assert [h.iri for h in index.search("organisations")] == [T + "tricky"]
        assert [h.iri for h in index.search("tricky things")] == [T + "class"]
        assert len(index) == 11  # every labelled IRI, none of the blank node


def _many_labels(n: int) -> ox.Store:
    store = ox.Store()
    for k in range(n):
        store.add(ox.Quad(ox.NamedNode(f"{T}r{k}"), ox.NamedNode(SKOS + "prefLabel"),
                          ox.Literal(f"label {k} é\t" + "x" * 50)))
    return store


def test_prefetched_rows_are_read_while_written_and_the_files_removed(tmp_path):
    query = f"SELECT ?s ?o WHERE {{ ?s <{SKOS}prefLabel> ?o }}"
    prefetch = _Prefetch(_many_labels(30_000), [query, query], tmp_path)
    try:
        first = list(prefetch.rows(0))
        assert len(first) == 30_000 and len(set(map(tuple, first))) == 30_000
        assert all(len(row) == 2 for row in first)
        assert f"<{T}r7>" in {s for s, _ in first}
        assert '"label 7 é\\t' + "x" * 50 + '"' in {o for _, o in first}
        assert not prefetch.paths[0].exists()  # removed once read
        rows = prefetch.rows(1)
        assert len(next(rows)) == 2
        rows.close()  # a reader that stops early
    finally:
        prefetch.close()
    assert list(tmp_path.iterdir()) == []


def test_a_query_that_fails_in_the_thread_raises_in_the_reader(tmp_path):
    prefetch = _Prefetch(ox.Store(), ["SELECT ?s WHERE { this is not sparql }"], tmp_path)
    try:
        with pytest.raises(SyntaxError):
            list(prefetch.rows(0))
    finally:
        prefetch.close()
    assert list(tmp_path.iterdir()) == []


def test_tsv_lines_join_lines_cut_between_chunks():
    text = '?s\t?o\n<a>\t"é ☃"\n<b>\t"x"\n'.encode()
    chunks = [text[k:k + 3] for k in range(0, len(text), 3)]  # cuts inside characters too
    assert list(_tsv_lines(chunks)) == [["<a>", '"é ☃"'], ["<b>", '"x"']]
    assert list(_tsv_lines([b"?s\n"])) == []


def test_the_cli_shows_a_tricky_label_from_a_fresh_index(tmp_path, ddkb_exe):
    data = tmp_path / "tricky.nq"
    tricky_store().dump(str(data), ox.RdfFormat.N_QUADS)
    env = {**os.environ, "DDKB_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([ddkb_exe, "--data", str(data), "show", "colour programme"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Colour Programme"
    assert f"IRI:          {T}gb" in done.stdout and f"Type:         {T}Thing" in done.stdout
    indexes = list((tmp_path / "cache").rglob("labels.sqlite"))
    assert len(indexes) == 1
    with LabelIndex(indexes[0]) as index:  # built by that process, from its store
        assert index.display_label(T + "tricky") == TRICKY_TEXT
    assert list((tmp_path / "cache").rglob("*.tsv")) == []  # no prefetch file left behind
