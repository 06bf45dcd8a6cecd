"""A label index on disk: find a resource by name and search labels without reading the dataset.

Concept look-up (:meth:`LabelIndex.resolve`), "did you mean" suggestions
(:meth:`LabelIndex.suggest`), label search (:meth:`LabelIndex.search`) and
display labels (:meth:`LabelIndex.display_label`) answer from one SQLite file
built once, next to the store, from streams of rows: nothing of the whole
dataset is ever held in Python, and each answer reads only the index pages it
needs (B-tree look-ups on stored keys, full-text look-ups on words).

The answers equal those of :class:`ddkb.lookup.ConceptIndex` and
:func:`ddkb.concepts.search` (the same tiers, scores and order), with these
bounds so that no answer scans everything:

* a label longer than :data:`MAX_LABEL_CHARS` is indexed by its first
  :data:`MAX_LABEL_CHARS` characters (a name typed in full is cut the same way,
  so it is still found); a definition by its first :data:`MAX_DEFINITION_CHARS`;
* search scores the candidates of six groups, best first (the very label;
  all words in labels and some in the definition; label prefix; all words;
  some words; definition words), at most :data:`SEARCH_CANDIDATES` of each,
  and stops when no later group can enter the top; the answer is exact
  whenever each group fits (a larger group is cut in index order);
* suggestions are exhaustive (like today's) when the index holds at most
  :data:`EXHAUSTIVE_SUGGEST_KEYS` labels, otherwise drawn from at most
  :data:`SUGGEST_CANDIDATES` resources: those with every word of the name (a
  misspelt word replaced by label words spelt like it), those with a label
  starting like the name, those with any of these words;
* an ambiguous name lists at most :data:`MAX_LISTED` candidates (and says how
  many more there are).

Words are matched with SQLite's FTS5 when this Python's sqlite3 has it, else
with a plain (word, column, resource) table; both give the same answers.

From a store (:func:`build_from_store`), pyoxigraph answers one SELECT per
property in a background thread, as SPARQL TSV written to temporary files
beside the index and read as they grow (decoding the store's terms, the
larger cost, runs beside the Python that stages the rows); the staged rows
are then merged, sorted by IRI, in one pass that writes each resource.

The file records its format version and a fingerprint of
:func:`ddkb.lookup.normalise` (its keys depend on it); a file that is missing,
not an index, of another version or normaliser, or damaged raises
:class:`LabelIndexUnusable`: rebuild it.

>>> import ddkb, tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     with build_from_store(ddkb.load().store, pathlib.Path(folder) / "l.sqlite") as index:
...         print(index.resolve("peace-keeping"), index.search("soft power")[0].label)
https://w3id.org/ddkb/peacekeeping soft power
"""

from __future__ import annotations

import difflib
import heapq
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from .errors import AmbiguousConcept, ConceptNotFound, DdkbError
from .labels import display_rank, language_rank
from .lookup import closest, normalise
from .namespaces import OWL, RDF, RDFS, SKOS, curie, expand

#: Written in the file (``PRAGMA user_version`` and the meta table); bump it on any change.
FORMAT_VERSION = 1
#: ``PRAGMA application_id`` of a ddkb label index ("DDKL").
APPLICATION_ID = 0x44444B4C
#: Characters of a label that are indexed (a longer label is cut; see the module docstring).
MAX_LABEL_CHARS = 1000
#: Characters of a definition whose words are indexed.
MAX_DEFINITION_CHARS = 10_000
#: Most candidates of each of the six candidate groups of :meth:`LabelIndex.search`.
SEARCH_CANDIDATES = 5000
#: Up to this many labels, suggestions compare the name with every label.
EXHAUSTIVE_SUGGEST_KEYS = 5000
#: Most resources whose labels are compared with a name in a large index.
SUGGEST_CANDIDATES = 300
#: Most candidates an ambiguity error lists.
MAX_LISTED = 50

#: Label kinds as stored; the order (pref, alt, hidden, rdfs) is the order in
#: which today's index meets them, which decides whose label a suggestion shows.
KINDS = {"pref": 0, "alt": 1, "hidden": 2, "rdfs": 3}
_LOCAL = 4  # the local name of a labelled IRI: a name for the spelling-forgiving tiers only
_SHOWN = 5  # the CURIE shown for a resource with alt labels only: for search prefixes only
_NAMES = (0, 1, 2, 3)
_PREFERRED = (0, 3)  # today's "pref_exact": every label kind but alt (and hidden)
_CLASS_TYPES = (OWL + "Class", RDFS + "Class")
_BATCH = 5000
_CHUNK = 500  # IRIs or ids per "IN (...)" list
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Names whose normalised form fingerprints :func:`ddkb.lookup.normalise`: an index built
#: with another spelling normaliser has other keys and must be rebuilt.
_NORMALISER_PROBE = ("Confidence-Building Measures", "Defence Co-operation & Training",
                     "organisations", "capabilities", "colours", "programme centres",
                     "Peace-keeping", "analyses", "statuses", "Straße", "licence_offences")
#: SQLite errors that mean the file could not be written (not a fault of the index code).
_WRITE_FAILURE = re.compile(r"disk|full|unable to open|I/O|read-?only|permission", re.I)


def _normaliser_fingerprint() -> str:
    """A short hash of what :func:`ddkb.lookup.normalise` makes of a few tricky names."""
    import hashlib

    text = "\n".join(normalise(name) for name in _NORMALISER_PROBE)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class LabelIndexUnusable(DdkbError):
    """The label index file is missing, not an index, of another version or damaged.

    Nothing is wrong with the data: catch this and rebuild the index.
    """


# -- building ------------------------------------------------------------------------------
def fts5_available() -> bool:
    """True if this Python's sqlite3 can create FTS5 tables (the faster, smaller word index)."""
    try:
        with closing(sqlite3.connect(":memory:")) as con:
            con.execute("CREATE VIRTUAL TABLE probe USING fts5(a, tokenize='ascii')")
        return True
    except sqlite3.Error:
        return False


def _clean(text: str) -> str:
    """``text`` storable as UTF-8 (a lone surrogate, which no RDF parser yields, becomes U+FFFD)."""
    if not text.isascii() and _SURROGATE.search(text):
        return _SURROGATE.sub("\ufffd", text)
    return text


def _cut(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """The indexed part of a name or label: stripped, at most ``limit`` characters."""
    return text.strip()[:limit]


def _lang_rank(lang: str) -> int:
    """0 for English or untagged text, 1 for any other language (:mod:`ddkb.labels`)."""
    return language_rank(lang)


_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE resources(
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL,
    display TEXT,              -- the display label; NULL when the resource has alt labels only
    display_norm TEXT NOT NULL, -- normalise(display, else the CURIE)
    is_class INTEGER NOT NULL DEFAULT 0,
    def_words TEXT,            -- the distinct normalised words of its definition
    alt_norms TEXT             -- normalise() of each alt and hidden label, one a line
);
CREATE TABLE labels(
    rid INTEGER NOT NULL,      -- resources.id
    kind INTEGER NOT NULL,     -- 0 pref, 1 alt, 2 hidden, 3 rdfs, 4 local name, 5 shown CURIE
    exact TEXT,                -- the stripped label, case-folded (NULL for kinds 4 and 5)
    norm TEXT NOT NULL         -- normalise(label)
);
CREATE TABLE type_iris(id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE types(rid INTEGER NOT NULL, tid INTEGER NOT NULL);  -- type_iris.id
CREATE TABLE vocab(word TEXT PRIMARY KEY) WITHOUT ROWID;  -- every word of a label
"""
_STAGING = """
CREATE TEMP TABLE stage_labels(iri TEXT, kind INTEGER, drank INTEGER, text TEXT, exact TEXT,
                               norm TEXT);
CREATE TEMP TABLE stage_defs(iri TEXT, lrank INTEGER, words TEXT);
CREATE TEMP TABLE stage_types(iri TEXT, type TEXT);
CREATE TEMP TABLE stage_classes(iri TEXT);
"""


def _batches(rows: Iterable[tuple], size: int = _BATCH) -> Iterator[list[tuple]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _label_stage_rows(rows: Iterable[tuple[str, str, str, str]], *,
                      clean: bool = True) -> Iterator[tuple]:
    """Staging rows of (iri, text, kind, language) label rows; unknown kinds are an error.

    ``clean=False`` skips :func:`_clean` for text that cannot hold a lone
    surrogate (decoded from UTF-8, as a store's is).
    """
    kinds, preferred, limit = KINDS, _PREFERRED, MAX_LABEL_CHARS
    ranks: dict[tuple[int, str], int | None] = {}  # display rank of (kind, language)
    for iri, text, kind, lang in rows:
        code = kinds.get(kind)
        if code is None:
            raise ValueError(f"label kind must be one of {sorted(KINDS)}, not {kind!r}")
        if clean:
            iri, text = _clean(iri), _clean(text)
        key = _cut(text)
        drank = None
        if code in preferred:  # the display rule of ddkb.labels
            drank = ranks.get((code, lang), -1)
            if drank == -1:
                drank = display_rank("pref" if code == 0 else "rdfs", lang)
                if len(ranks) < 1000:
                    ranks[code, lang] = drank
        yield (iri, code, drank, text[:limit], key.casefold(), normalise(key))


def _definition_stage_rows(rows: Iterable[tuple[str, str, str]], *,
                           clean: bool = True) -> Iterator[tuple]:
    """Staging rows of (iri, text, language) definition rows (``clean`` as for labels)."""
    limit = MAX_DEFINITION_CHARS
    for iri, text, lang in rows:
        if clean:
            iri, text = _clean(iri), _clean(text)
        words = sorted(set(normalise(text[:limit]).split()))
        yield (iri, _lang_rank(lang), " ".join(words))


class _SortedRows:
    """Rows sorted by their first column, taken key by key in increasing key order.

    With rows of several tables sorted by IRI this is a merge join: each row is
    read once, and no IRI is looked up in a B-tree.
    """

    def __init__(self, rows: Iterable[tuple]):
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, key: str) -> list[tuple]:
        """The rows whose first column is ``key`` (rows with a smaller one are skipped)."""
        rows, row = self._rows, self._next
        while row is not None and row[0] < key:
            row = next(rows, None)
        found = []
        while row is not None and row[0] == key:
            found.append(row)
            row = next(rows, None)
        self._next = row
        return found


def _display_order(row: tuple) -> tuple:
    """Sort key of a staged label row for the display label: best rank, then text."""
    return (row[2] is None, row[2] or 0, row[3], row[5])


class _Builder:
    """Fills a new index file from streams of rows (see :meth:`LabelIndex.build`).

    The rows are staged in temporary tables, then read back sorted by IRI and
    merged in one pass (:meth:`assemble`) that writes each resource with its
    labels, types and word-index row: the resource ids follow the IRIs' order,
    and no IRI is joined through a B-tree (a sort per table instead of a
    look-up per row).
    """

    def __init__(self, con: sqlite3.Connection, use_fts: bool):
        self.con = con
        self.use_fts = use_fts

    def stage(self, labels, definitions, types, classes) -> None:
        con = self.con
        for batch in _batches(_label_stage_rows(labels)):
            con.executemany("INSERT INTO stage_labels VALUES (?,?,?,?,?,?)", batch)
        for batch in _batches(_definition_stage_rows(definitions)):
            con.executemany("INSERT INTO stage_defs VALUES (?,?,?)", batch)
        for batch in _batches((_clean(i), _clean(t)) for i, t in types):
            con.executemany("INSERT INTO stage_types VALUES (?,?)", batch)
        for batch in _batches((_clean(i),) for i in classes):
            con.executemany("INSERT INTO stage_classes VALUES (?)", batch)

    def stage_from_store(self, labels: Iterable[tuple[str, str, str, str]],
                         definitions: Iterable[tuple[str, str, str]],
                         types: Iterable[list[str]]) -> None:
        """Stage rows read from a store: labels and definitions as for :meth:`stage` (their
        text needs no cleaning), ``types`` as pairs of TSV terms (IRIs kept, in SQL)."""
        con = self.con
        for batch in _batches(_label_stage_rows(labels, clean=False)):
            con.executemany("INSERT INTO stage_labels VALUES (?,?,?,?,?,?)", batch)
        for batch in _batches(_definition_stage_rows(definitions, clean=False)):
            con.executemany("INSERT INTO stage_defs VALUES (?,?,?)", batch)
        con.executemany("""INSERT INTO stage_types SELECT substr(?1, 2, length(?1) - 2),
                               substr(?2, 2, length(?2) - 2)
                           WHERE substr(?1, 1, 1) = '<' AND substr(?2, 1, 1) = '<'
                               AND substr(?2, 1, 2) != '<<'""", types)

    def _create_words(self) -> None:
        if self.use_fts:
            self.con.execute("""CREATE VIRTUAL TABLE words USING fts5(
                               label, alts, other, def, tokenize='ascii', detail=column,
                               content='', columnsize=0)""")
        else:
            self.con.execute("""CREATE TABLE words(word TEXT NOT NULL, col INTEGER NOT NULL,
                           rid INTEGER NOT NULL, PRIMARY KEY(word, col, rid)) WITHOUT ROWID""")

    def assemble(self) -> None:
        """Resources, labels, local names, shown CURIEs, types and word-index rows, in one pass.

        Per labelled IRI (in IRI order, id 1, 2, ...): the display label (best
        rank, then text; none when the IRI has alt labels only, then its CURIE
        is its shown name), its distinct labels, its local name, whether it is
        a class, its best definition (best language, then text; only for a
        resource with a type, like today's search) and the words of each.
        """
        con = self.con
        self._create_words()
        con.execute("CREATE TEMP TABLE typed(rid INTEGER NOT NULL, type TEXT NOT NULL)")
        labels = con.execute("""SELECT iri, kind, drank, text, exact, norm FROM stage_labels
                                ORDER BY iri, kind, exact, norm""")
        definitions = _SortedRows(con.execute(
            "SELECT iri, words FROM stage_defs ORDER BY iri, lrank, words"))
        types = _SortedRows(con.execute(
            "SELECT DISTINCT iri, type FROM stage_types ORDER BY iri, type"))
        classes = _SortedRows(con.execute("SELECT DISTINCT iri FROM stage_classes ORDER BY iri"))
        out: dict[str, list[tuple]] = {"resources": [], "labels": [], "words": [], "typed": []}
        for rid, (iri, rows) in enumerate(groupby(labels, itemgetter(0)), 1):
            self._resource(rid, iri, list(rows), definitions.take(iri), types.take(iri),
                           bool(classes.take(iri)), out)
            if len(out["resources"]) >= _BATCH:
                self._write(out)
        self._write(out)
        con.execute("CREATE UNIQUE INDEX resources_iri ON resources(iri)")
        con.execute("CREATE INDEX labels_rid ON labels(rid)")
        con.execute("INSERT INTO type_iris(iri) SELECT DISTINCT type FROM typed ORDER BY type")
        con.execute("""INSERT INTO types(rid, tid) SELECT t.rid, n.id FROM typed t
                       JOIN type_iris n ON n.iri = t.type""")
        con.execute("CREATE INDEX types_rid ON types(rid)")

    @staticmethod
    def _resource(rid: int, iri: str, rows: list[tuple], definitions: list[tuple],
                  types: list[tuple], is_class: bool, out: dict[str, list[tuple]]) -> None:
        """Add the rows of one labelled resource to ``out`` (see :meth:`assemble`).

        ``rows`` are its staged labels sorted by (kind, exact, norm), so equal
        labels are neighbours.
        """
        best = min(rows, key=_display_order) if len(rows) > 1 else rows[0]
        display, display_norm = (None, "") if best[2] is None else (best[3], best[5])
        labels, alts, other = out["labels"], [], []
        last = None
        for _, kind, _, _, exact, norm in rows:
            if (kind, exact, norm) != last:  # one row per distinct label
                last = (kind, exact, norm)
                labels.append((rid, kind, exact, norm))
                (alts if kind in (1, 2) else other).append(norm)
        # the local name (what _LOCAL_NAME finds: the text after the last "/" or "#")
        if local := normalise(iri[max(iri.rfind("/"), iri.rfind("#")) + 1:]):
            labels.append((rid, _LOCAL, None, local))
        if display is None:
            display_norm = normalise(curie(iri))
            labels.append((rid, _SHOWN, None, display_norm))
        def_words = None
        if types:
            out["typed"] += [(rid, t) for _, t in types]
            is_class = is_class or any(t in _CLASS_TYPES for _, t in types)
            if definitions:
                def_words = definitions[0][1]
        alt_norms = "\n".join(alts) if alts else None
        out["resources"].append((rid, iri, display, display_norm, int(is_class), def_words,
                                 alt_norms))
        out["words"].append((rid, display_norm, alt_norms, " ".join(other) if other else None,
                             def_words))

    def _write(self, out: dict[str, list[tuple]]) -> None:
        """Write and empty the rows gathered by :meth:`_resource`."""
        con = self.con
        con.executemany("INSERT INTO resources VALUES (?,?,?,?,?,?,?)", out["resources"])
        con.executemany("INSERT INTO labels VALUES (?,?,?,?)", out["labels"])
        con.executemany("INSERT INTO typed VALUES (?,?)", out["typed"])
        if self.use_fts:
            con.executemany("INSERT INTO words(rowid, label, alts, other, def) VALUES (?,?,?,?,?)",
                            out["words"])
        else:
            con.executemany("INSERT OR IGNORE INTO words VALUES (?,?,?)",
                            [(w, col, rid) for rid, *columns in out["words"]
                             for col, text in enumerate(columns)
                             for w in set((text or "").split())])
        for rows in out.values():
            rows.clear()

    def word_index(self) -> None:
        """Merge the word index and list every word of a label (for suggestions)."""
        con = self.con
        if self.use_fts:
            con.execute("INSERT INTO words(words) VALUES ('optimize')")
            con.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, words, col)")
            con.execute("""INSERT INTO vocab SELECT DISTINCT term FROM temp.terms
                           WHERE col != 'def' ORDER BY term""")
        else:
            con.execute("INSERT INTO vocab SELECT DISTINCT word FROM words WHERE col != 3")

    def finish(self, extra: dict[str, str]) -> None:
        con = self.con
        con.execute("CREATE INDEX labels_exact ON labels(exact, kind) WHERE exact IS NOT NULL")
        con.execute("CREATE INDEX labels_squash ON labels(replace(norm, ' ', ''), kind)")
        con.execute("PRAGMA analysis_limit = 1000")  # quick statistics for the query planner
        con.execute("ANALYZE")
        counts = {
            "resources": con.execute("SELECT count(*) FROM resources").fetchone()[0],
            "label_keys": con.execute(
                "SELECT count(*) FROM labels WHERE kind IN (0,1,2,3)").fetchone()[0],
        }
        meta = {"format": "ddkb-labelindex", "version": str(FORMAT_VERSION),
                "normaliser": _normaliser_fingerprint(),
                "words": "fts5" if self.use_fts else "table",
                **{k: str(v) for k, v in counts.items()}, **extra}
        con.executemany("INSERT INTO meta VALUES (?,?)", list(meta.items()))
        con.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# -- reading -------------------------------------------------------------------------------
def _iri_forms(text: str) -> list[str]:
    """The IRIs a typed name may denote: a CURIE's expansion and its http/https twin, or itself."""
    expanded = expand(text)
    if expanded is None:
        return [text[1:-1] if text.startswith("<") and text.endswith(">") else text]
    forms = [expanded]
    for a, b in (("http://", "https://"), ("https://", "http://")):
        if expanded.startswith(a):  # schema: is http://schema.org/, its data often https
            forms.append(b + expanded[len(a):])
            break
    return forms


def _after(prefix: str) -> str:
    """A string greater than every string starting with ``prefix`` and less than any other
    string that is greater than ``prefix`` (the end of a prefix range; ``prefix`` non-empty)."""
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return "\U0010ffff" * (len(prefix) + 1)
    nxt = ord(stem[-1]) + 1
    return stem[:-1] + chr(0xE000 if 0xD800 <= nxt <= 0xDFFF else nxt)


def _fts_phrase(words: Iterable[str], op: str) -> str:
    return "(" + f" {op} ".join('"' + w.replace('"', '""') + '"' for w in sorted(words)) + ")"


def score_normalised(query: str, words: set[str], label: str, alts: Iterable[str],
                     definition_words: set[str]) -> int:
    """:func:`ddkb.concepts._score` on text already normalised (normalise is not idempotent).

    Exact label 100, label prefix or all words 70, some words 40-54, alt label
    60 (exact) or 30 (prefix, all words), plus up to 9 for definition words.
    """
    lab_words = set(label.split())
    score = 0
    if label == query:
        score = 100
    elif label.startswith(query) or (words and words <= lab_words):
        score = 70
    elif words & lab_words:
        score = 40 + int(15 * len(words & lab_words) / len(words))
    for alt in alts:
        if alt == query:
            score = max(score, 60)
        elif alt.startswith(query) or (words and words <= set(alt.split())):
            score = max(score, 30)
    if definition_words and words:
        hits = len(words & definition_words)
        if hits:
            score += int(9 * hits / len(words))
    return score


class LabelIndex:
    """A label index file opened read-only; see the module docstring. Close it (or use ``with``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise LabelIndexUnusable(f"label index {self.path} does not exist")
        try:
            self._con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1",
                                        uri=True, check_same_thread=False)
        except sqlite3.Error as err:
            raise LabelIndexUnusable(f"label index {self.path} cannot be opened: {err}") from None
        try:
            self.meta = self._check()
        except BaseException:
            self._con.close()
            raise
        self.uses_fts = self.meta["words"] == "fts5"

    # -- life cycle ----------------------------------------------------------------------
    @classmethod
    def build(cls, path: str | Path, labels: Iterable[tuple[str, str, str, str]],
              definitions: Iterable[tuple[str, str, str]] = (),
              types: Iterable[tuple[str, str]] = (), classes: Iterable[str] = (), *,
              use_fts: bool | None = None, meta: dict[str, str] | None = None) -> LabelIndex:
        """Build the index file at ``path`` from streams of rows and open it.

        ``labels``: (iri, text, kind, language) with kind ``pref``, ``alt``,
        ``hidden`` (treated like ``alt``) or ``rdfs``; ``definitions``: (iri,
        text, language) of skos:definition; ``types``: (iri, type IRI) of
        rdf:type; ``classes``: IRIs that are classes (those typed owl:Class or
        rdfs:Class in ``types`` are classes anyway). Each is read once, in
        batches: pass iterators, not lists. ``use_fts`` forces the word index
        kind (default: FTS5 when available). ``meta`` is stored and read back
        in :attr:`meta` (e.g. a fingerprint of the data, to know when to rebuild).

        The file is written under a temporary name and renamed into place, so a
        reader never sees half an index; a failed build leaves nothing behind
        (a file that cannot be written, e.g. a full disk, raises DdkbError).
        """
        return cls._build(path, lambda builder: builder.stage(labels, definitions, types, classes),
                          use_fts=use_fts, meta=meta)

    @classmethod
    def _build(cls, path: str | Path, stage: Callable[[_Builder], None], *,
               use_fts: bool | None, meta: dict[str, str] | None) -> LabelIndex:
        """Build the index file at ``path``, its staging tables filled by ``stage``; open it."""
        path = Path(path)
        use_fts = fts5_available() if use_fts is None else use_fts
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            with closing(sqlite3.connect(tmp, isolation_level=None)) as con:
                for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                               "cache_size = -65536", "temp.cache_size = -65536",
                               "locking_mode = EXCLUSIVE"):
                    con.execute(f"PRAGMA {pragma}")
                con.executescript(_SCHEMA + _STAGING)  # (executescript would end a transaction)
                con.execute("BEGIN")
                builder = _Builder(con, use_fts)
                stage(builder)
                builder.assemble()
                builder.word_index()
                builder.finish(dict(meta or {}))
                con.execute("COMMIT")
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except (sqlite3.OperationalError, OSError) as err:
            tmp.unlink(missing_ok=True)
            if isinstance(err, sqlite3.OperationalError) and not _WRITE_FAILURE.search(str(err)):
                raise
            raise DdkbError(f"cannot write the label index {path}: {err}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return cls(path)

    def _check(self) -> dict[str, str]:
        """The meta table, after checking this is a complete index of this format version."""
        what = f"label index {self.path}"
        try:
            app, version = (self._con.execute(f"PRAGMA {p}").fetchone()[0]
                            for p in ("application_id", "user_version"))
            if app != APPLICATION_ID:
                raise LabelIndexUnusable(f"{what} is not a ddkb label index")
            if version != FORMAT_VERSION:
                raise LabelIndexUnusable(f"{what} has format version {version}, "
                                         f"this ddkb reads version {FORMAT_VERSION}: rebuild it")
            pages = self._con.execute("PRAGMA page_count").fetchone()[0]
            page_size = self._con.execute("PRAGMA page_size").fetchone()[0]
            if self.path.stat().st_size < pages * page_size:
                raise LabelIndexUnusable(f"{what} is truncated")
            meta = dict(self._con.execute("SELECT key, value FROM meta"))
            if meta.get("version") != str(FORMAT_VERSION) or meta.get("words") not in (
                    "fts5", "table"):
                raise LabelIndexUnusable(f"{what} has an unknown layout: rebuild it")
            if meta.get("normaliser") != _normaliser_fingerprint():
                raise LabelIndexUnusable(f"{what} was built with another spelling "
                                         "normaliser: rebuild it")
            probe = ("SELECT rowid FROM words WHERE words MATCH '\"a\"' LIMIT 1"
                     if meta["words"] == "fts5" else "SELECT 1 FROM words LIMIT 1")
            self._con.execute(probe).fetchall()  # e.g. "no such module: fts5"
            return meta
        except sqlite3.Error as err:
            raise LabelIndexUnusable(f"{what} is damaged or unreadable ({err})") from None

    def close(self) -> None:
        """Close the file (the object is unusable afterwards)."""
        self._con.close()

    def __enter__(self) -> LabelIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """All rows of one query; a damaged file raises :class:`LabelIndexUnusable`."""
        try:
            return self._con.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as err:
            raise LabelIndexUnusable(f"label index {self.path} is damaged ({err})") from None

    # -- resources and labels ------------------------------------------------------------
    def __len__(self) -> int:
        """The number of labelled resources."""
        return int(self.meta["resources"])

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and bool(
            self._rows("SELECT 1 FROM resources WHERE iri = ?", (iri,)))

    def display_label(self, iri: str) -> str | None:
        """The display label of ``iri`` (English or untagged skos:prefLabel, then a
        prefLabel in another language, then rdfs:label; ties by text), or None."""
        rows = self._rows("SELECT display FROM resources WHERE iri = ?", (iri,))
        return rows[0][0] if rows else None

    def display_labels(self, iris: Iterable[str]) -> dict[str, str]:
        """IRI -> display label for those of ``iris`` that have one."""
        out: dict[str, str] = {}
        for batch in _batches(((i,) for i in iris), _CHUNK):
            marks = ",".join("?" * len(batch))
            out.update(self._rows(f"SELECT iri, display FROM resources WHERE iri IN ({marks}) "
                                  "AND display IS NOT NULL", [i for (i,) in batch]))
        return out

    def label(self, iri: str) -> str:
        """The display label of ``iri``, else its CURIE (like ``KnowledgeBase.label``)."""
        display = self.display_label(iri)
        return curie(iri) if display is None else display

    def types(self, iri: str) -> list[str]:
        """The rdf:type IRIs of a labelled ``iri``, sorted."""
        return [t for (t,) in self._rows("""SELECT n.iri FROM resources r
            JOIN types t ON t.rid = r.id JOIN type_iris n ON n.id = t.tid
            WHERE r.iri = ? ORDER BY n.iri""", (iri,))]

    def is_class(self, iri: str) -> bool:
        """True if ``iri`` is labelled and typed owl:Class or rdfs:Class."""
        return bool(self._rows("SELECT 1 FROM resources WHERE iri = ? AND is_class", (iri,)))

    # -- resolve -------------------------------------------------------------------------
    def resolve(self, name: str, *, classes_only: bool = False,
                exists: Callable[[str], bool] | None = None) -> str:
        """The IRI ``name`` denotes; raises ConceptNotFound or AmbiguousConcept.

        Tried in order, the first step with any match wins (as in
        :meth:`ddkb.lookup.ConceptIndex.resolve`): full IRI, ``<IRI>`` or CURIE
        (a CURIE also in its http/https twin: ``schema:`` data is often
        https); exact (case-insensitive) preferred label or rdfs:label; exact
        label of any kind; the spelling-normalised form of any label or local
        name; the same with spaces dropped (peace-keeping = peacekeeping).
        ``classes_only`` keeps classes only. ``exists(iri)``, when given, is
        asked about an IRI or CURIE the index does not know (an unlabelled
        resource of the store, say); if it says yes, that IRI is the answer.
        """
        text = name.strip()
        if not text:
            raise ConceptNotFound("empty concept name")
        cls = " AND r.is_class" if classes_only else ""
        forms = _iri_forms(text)
        for iri in forms:
            if self._rows(f"SELECT 1 FROM resources r WHERE r.iri = ?{cls}", (iri,)):
                return iri
        if exists is not None and not classes_only:
            for iri in forms:
                if exists(iri):
                    return iri
        cut = _cut(text)
        key, norm = cut.casefold(), normalise(cut)
        squash = norm.replace(" ", "")
        tiers = [("l.exact = ?", (key,), _PREFERRED), ("l.exact = ?", (key,), _NAMES)]
        if norm:
            names = (*_NAMES, _LOCAL)
            # (+: keeps SQLite from folding the norm value into the indexed expression)
            tiers += [("replace(l.norm, ' ', '') = ? AND +l.norm = ?", (squash, norm), names),
                      ("replace(l.norm, ' ', '') = ?", (squash,), names)]
        for where, params, kinds in tiers:
            condition = f"{where} AND l.kind IN ({','.join(map(str, kinds))}){cls}"
            found = self._matching(condition, params)
            if len(found) == 1:
                return found[0]
            if found:
                self._ambiguous(name, found, condition, params)
        suggestions = self.suggest(text, classes_only=classes_only)
        what = "class" if classes_only else "concept"
        hint = (f"; did you mean: {', '.join(repr(s) for s in suggestions)}?" if suggestions
                else "; try 'ddkb search'")
        raise ConceptNotFound(f"no {what} called '{name}'{hint}", suggestions)

    def _matching(self, condition: str, params: tuple) -> list[str]:
        """IRIs of resources with a label meeting ``condition``, sorted, at most MAX_LISTED+1."""
        return [i for (i,) in self._rows(
            f"""SELECT DISTINCT r.iri FROM labels l JOIN resources r ON r.id = l.rid
                WHERE {condition} ORDER BY r.iri LIMIT ?""", (*params, MAX_LISTED + 1))]

    def _ambiguous(self, name: str, found: list[str], condition: str, params: tuple) -> None:
        total = len(found)
        if total > MAX_LISTED:
            total = self._rows(f"""SELECT count(DISTINCT l.rid) FROM labels l
                JOIN resources r ON r.id = l.rid WHERE {condition}""", params)[0][0]
        listed = [(curie(c), self.label(c)) for c in found[:MAX_LISTED]]
        text = "; ".join(f"{c} ({lbl})" for c, lbl in listed)
        if total > MAX_LISTED:
            text += f"; and {total - MAX_LISTED} more"
        raise AmbiguousConcept(
            f"'{name}' matches {total} concepts: {text}; use a CURIE or IRI", listed)

    # -- suggest -------------------------------------------------------------------------
    def suggest(self, text: str, *, classes_only: bool = False, n: int = 5,
                exhaustive_limit: int | None = None) -> list[str]:
        """Up to ``n`` display labels of labels close to ``text`` (difflib over normalised labels).

        Every label is compared when the index holds at most ``exhaustive_limit``
        (default :data:`EXHAUSTIVE_SUGGEST_KEYS`) labels, else a bounded set of
        candidates (see the module docstring).
        """
        key = normalise(_cut(text))
        limit = EXHAUSTIVE_SUGGEST_KEYS if exhaustive_limit is None else exhaustive_limit
        cls = " AND r.is_class" if classes_only else ""
        if int(self.meta["label_keys"]) <= limit:
            rows = self._rows(f"""SELECT l.norm, l.kind, r.display, r.iri FROM labels l
                JOIN resources r ON r.id = l.rid WHERE l.kind IN (0,1,2,3){cls}""")
        else:
            rows = self._candidate_label_rows(key, cls)
        return _close_labels(key, rows, n)

    def _candidate_label_rows(self, key: str, cls: str) -> list[tuple]:
        """Labels of at most SUGGEST_CANDIDATES resources whose labels may be close to ``key``.

        Best first: labels with every word of the name, a misspelt word
        replaced by an indexed word spelt like it; labels starting like the
        name; labels with any of those words.
        """
        names = ("label", "alts", "other")
        options = [[w] if self._rows("SELECT 1 FROM vocab WHERE word = ?", (w,))
                   else self._close_words(w) for w in dict.fromkeys(key.split())]
        options = [o for o in options if o]
        groups = []
        if options:
            groups.append(self._words_match([(o, names, "OR") for o in options]))
        squash = key.replace(" ", "")
        if squash:
            start = squash[:4]
            groups.append(("""SELECT rid FROM labels WHERE replace(norm, ' ', '') >= ?
                              AND replace(norm, ' ', '') < ? AND kind IN (0,1,2,3)""",
                           (start, _after(start))))
        if len(options) > 1:
            groups.append(self._words_any({w for o in options for w in o}, names))
        rids: dict[int, None] = {}
        for sub, params in groups:
            for (rid,) in self._rows(f"""SELECT r.id FROM resources r
                    WHERE r.id IN (SELECT rid FROM ({sub}) LIMIT ?){cls}""",
                                     (*params, SUGGEST_CANDIDATES)):
                rids[rid] = None
            if len(rids) >= SUGGEST_CANDIDATES:
                break
        rows: list[tuple] = []
        for batch in _batches(((r,) for r in islice(rids, SUGGEST_CANDIDATES)), _CHUNK):
            marks = ",".join("?" * len(batch))
            rows += self._rows(f"""SELECT l.norm, l.kind, r.display, r.iri FROM labels l
                JOIN resources r ON r.id = l.rid WHERE l.kind IN (0,1,2,3)
                AND l.rid IN ({marks})""", [r for (r,) in batch])
        return rows

    def _close_words(self, word: str, n: int = 3, near: int = 1000) -> list[str]:
        """Label words spelt like ``word``: difflib among the ``near`` words on either side of
        it in alphabetical order that share its first two letters."""
        start = word[:2]
        terms = [t for (t,) in self._rows(
            "SELECT word FROM vocab WHERE word >= ? AND word < ? ORDER BY word LIMIT ?",
            (word, _after(start), near))]
        terms += [t for (t,) in self._rows(
            "SELECT word FROM vocab WHERE word < ? AND word >= ? ORDER BY word DESC LIMIT ?",
            (word, start, near))]
        return difflib.get_close_matches(word, terms, n=n, cutoff=0.75)

    # -- search --------------------------------------------------------------------------
    def _words_any(self, words: Iterable[str], columns: tuple[str, ...]) -> tuple[str, tuple]:
        """SQL giving ``rid`` of resources with any of ``words`` in ``columns``, and its params."""
        return self._words_match([(words, columns, "OR")])

    def _words_match(self, clauses: list[tuple[Iterable[str], tuple[str, ...], str]]
                     ) -> tuple[str, tuple]:
        """SQL giving ``rid`` of resources meeting every clause (words, columns, "AND"/"OR").

        An "AND" clause wants every word somewhere in the columns, an "OR"
        clause one of them.
        """
        if self.uses_fts:
            expr = " AND ".join("{" + " ".join(cols) + "} : " + _fts_phrase(set(words), op)
                                for words, cols, op in clauses)
            return "SELECT rowid AS rid FROM words WHERE words MATCH ?", (expr,)
        parts, params = [], []
        for words, columns, op in clauses:
            words = sorted(set(words))
            cols = ",".join(str(("label", "alts", "other", "def").index(c)) for c in columns)
            sql = (f"SELECT rid FROM words WHERE word IN ({','.join('?' * len(words))}) "
                   f"AND col IN ({cols}) GROUP BY rid")
            if op == "AND":
                sql += " HAVING count(DISTINCT word) = ?"
            parts.append(sql)
            params += [*words, len(words)] if op == "AND" else words
        return " INTERSECT ".join(parts), tuple(params)

    def search(self, text: str, limit: int = 20) -> list:
        """Resources ranked by label and definition match, best first (ties by label).

        The same scores and order as :func:`ddkb.concepts.search` (hits of
        equal score and label, which today come in store order, are in IRI
        order), computed over bounded candidate groups (see the module
        docstring); returns :class:`ddkb.concepts.SearchHit` objects.
        """
        from .concepts import SearchHit, _class_label

        query = normalise(_cut(text))
        words = set(query.split())
        if not words or limit <= 0:
            return []
        seen: set[int] = set()
        scored: list[tuple[int, str, str, str]] = []  # (-score, sort key, iri, shown label)
        for sub, params, best in self._search_groups(query, words):
            if best is not None and len(scored) >= limit:
                if -heapq.nsmallest(limit, scored)[-1][0] > best:
                    break  # nothing left in this or later groups can enter the top `limit`
            rows = self._group_rows(sub, params)
            for rid, iri, display, lab, def_words, alts in rows:
                if rid in seen:
                    continue
                seen.add(rid)
                score = score_normalised(query, words, lab, (alts or "").split("\n") if alts
                                         else [], set((def_words or "").split()))
                if score > 0:
                    shown = curie(iri) if display is None else display
                    scored.append((-score, shown.lower(), iri, shown))
        return [SearchHit(-neg, iri, curie(iri), shown, _class_label(self, self.types(iri)))
                for neg, _, iri, shown in heapq.nsmallest(limit, scored)]

    def _group_rows(self, sub: str, params: tuple) -> list[tuple]:
        """Rows to score of (at most SEARCH_CANDIDATES) members of a candidate group.

        A larger group is cut in index order (not label order), so its cost
        does not grow with its size; its hits are then a sample of its best.
        """
        return self._rows(f"""SELECT r.id, r.iri, r.display, r.display_norm,
                r.def_words, r.alt_norms FROM resources r
                WHERE r.id IN (SELECT rid FROM ({sub}) LIMIT ?)""", (*params, SEARCH_CANDIDATES))

    def _search_groups(self, query: str, words: set[str]
                       ) -> list[tuple[str, tuple, int | None]]:
        """Candidate groups (SQL giving ``rid``, params, best score of a resource first met there).

        Best first: once ``limit`` hits score above the best a group can add
        (exactly so when every earlier group fitted in SEARCH_CANDIDATES), the
        search stops.
        """
        squash = query.replace(" ", "")
        all_words = (words, ("label", "alts"), "AND")
        return [
            ("""SELECT rid FROM labels WHERE replace(norm, ' ', '') = ? AND +norm = ?
                AND kind IN (0,1,2,3,5)""", (squash, query), None),  # the very label: 100, 60
            (*self._words_match([all_words, (words, ("def",), "OR")]), 79),  # all words + def
            ("""SELECT rid FROM labels WHERE replace(norm, ' ', '') >= ?
                AND replace(norm, ' ', '') < ? AND kind IN (0,1,2,3,5)""",  # label prefix: 70
             (squash, _after(squash)), 79),
            (*self._words_match([all_words]), 70),  # all words, none in the definition: 70, 30
            (*self._words_any(words, ("label",)), 63),  # some words: 40-54 (+9)
            (*self._words_any(words, ("def",)), 9),  # definition words only
        ]


def _close_labels(key: str, rows: list[tuple], n: int) -> list[str]:
    """Today's suggestion rule over label rows (norm, kind, display, iri).

    Each normalised label shows the display label of the resource met first
    (labels in kind order pref, alt, hidden, rdfs; then by display label and IRI).
    """
    labels: dict[str, str] = {}
    shown = [(norm, kind, curie(iri) if display is None else display, iri)
             for norm, kind, display, iri in rows if norm]
    for norm, _, display, _ in sorted(shown, key=lambda r: (r[1], r[2], r[3])):
        labels.setdefault(norm, display)
    return closest(key, labels, n)


# -- from a store ----------------------------------------------------------------------------
#: Read from a store, each in a query: (label kind or None, property).
_STORE_LABELS = (("pref", SKOS + "prefLabel"), ("alt", SKOS + "altLabel"),
                 ("hidden", SKOS + "hiddenLabel"), ("rdfs", RDFS + "label"))
#: (subjects that are not IRIs are dropped while parsing: a FILTER costs the store more)
_SOLUTIONS = "SELECT ?s ?o WHERE {{ ?s <{}> ?o }}"
_TSV_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_TSV_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}


def _tsv_unescape(match: re.Match) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) > 1 else _TSV_ESCAPES.get(code, code)


def _tsv_literal(term: str) -> tuple[str, str] | None:
    """(text, language) of a literal in SPARQL TSV syntax; None for an IRI, blank node or triple.

    A literal is ``"text"``, ``"text"@lang`` (``@lang--dir`` with a base
    direction), ``"text"^^<datatype>``, or a number or boolean written bare.
    """
    first = term[:1]
    if first == '"':
        end = term.rindex('"')
        text = term[1:end]
        if "\\" in text:
            text = _TSV_ESCAPE.sub(_tsv_unescape, text)
        suffix = term[end + 1:]
        return text, suffix[1:].partition("--")[0] if suffix[:1] == "@" else ""
    if first in ("<", "_", ""):
        return None
    return term, ""


def _tsv_iri(term: str) -> str | None:
    """The IRI of a term in SPARQL TSV syntax, None for anything else."""
    return term[1:-1] if term[:1] == "<" and term[:2] != "<<" else None


class _Prefetch:
    """SELECT queries answered, one after another, by pyoxigraph in a background thread.

    Decoding terms is what reading a store costs; pyoxigraph does it in Rust,
    without the GIL, writing SPARQL TSV into temporary files beside the index,
    and :meth:`rows` reads each file as it grows: the decoding runs on one
    core while the Python that stages the rows runs on another, and nothing
    is held in memory but a chunk of TSV. Each file is removed once read, the
    rest by :meth:`close`. A TSV line is one solution (tabs and line breaks in
    a literal are escaped).
    """

    #: Bytes read from a file at a time.
    CHUNK = 1 << 20

    def __init__(self, store: Any, queries: list[str], folder: Path):
        import threading

        stem = f".labels-{os.getpid()}-{threading.get_ident()}"
        self.paths = [folder / f"{stem}-{n}.tsv" for n in range(len(queries))]
        self.started = [threading.Event() for _ in queries]
        self.done = [threading.Event() for _ in queries]
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(store, queries),
                                        name="ddkb-label-prefetch", daemon=True)
        self._thread.start()

    def _run(self, store: Any, queries: list[str]) -> None:
        import pyoxigraph as ox

        try:
            for query, path, started, done in zip(queries, self.paths, self.started,
                                                  self.done, strict=True):
                if self._stop.is_set():
                    break
                path.touch()  # (so that the reader can open it before pyoxigraph writes)
                started.set()
                solutions = store.query(query, use_default_graph_as_union=True)
                solutions.serialize(str(path), ox.QueryResultsFormat.TSV)
                del solutions  # (pyoxigraph wants it dropped in the thread that made it)
                done.set()
        except BaseException as err:  # e.g. a full disk: raised by rows()
            self.failure = err.with_traceback(None)
        finally:
            for event in (*self.started, *self.done):
                event.set()

    def rows(self, n: int) -> Iterator[list[str]]:
        """The solutions of query ``n``, each as its TSV terms, read as they are written."""
        self.started[n].wait()
        if self.failure is None:
            with open(self.paths[n], "rb") as tsv:
                yield from _tsv_lines(self._chunks(tsv, self.done[n]))
            self.paths[n].unlink(missing_ok=True)
        if self.failure is not None:
            raise self.failure

    def _chunks(self, tsv: Any, done: Any) -> Iterator[bytes]:
        """The bytes of a file being written until ``done`` is set, then to its end."""
        finished = False
        while True:
            chunk = tsv.read(self.CHUNK)
            if chunk:
                yield chunk
            elif finished:
                return
            else:  # wait for more; once done, read to the end once more
                finished = done.wait(0.002)

    def close(self) -> None:
        """Stop after the query under way, wait for it and remove the files."""
        self._stop.set()
        self._thread.join()
        for path in self.paths:
            path.unlink(missing_ok=True)


def _tsv_lines(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """The terms of each solution of a SPARQL TSV text given in chunks (header skipped)."""
    carry = b""
    header = True
    for chunk in chunks:
        end = chunk.rfind(b"\n")
        if end < 0:
            carry += chunk
            continue
        lines = (carry + chunk[:end]).decode("utf-8").split("\n")
        carry = chunk[end + 1:]
        if header:
            del lines[0]
            header = False
        for line in lines:
            yield line.split("\t")
    if carry and not header:
        yield carry.decode("utf-8").split("\t")


def _store_labels(solutions: Iterable[Iterable[list[str]]]) -> Iterator[tuple[str, str, str, str]]:
    """(iri, text, kind, language) of every label of an IRI, from the solutions of the
    :data:`_STORE_LABELS` queries."""
    for (kind, _), rows in zip(_STORE_LABELS, solutions, strict=True):
        for subject, term in rows:
            if (iri := _tsv_iri(subject)) is not None and (literal := _tsv_literal(term)):
                yield iri, literal[0], kind, literal[1]


def _store_definitions(rows: Iterable[list[str]]) -> Iterator[tuple[str, str, str]]:
    """(iri, text, language) of every skos:definition of an IRI, from solutions (?s ?o)."""
    for subject, term in rows:
        if (iri := _tsv_iri(subject)) is not None and (literal := _tsv_literal(term)):
            yield iri, literal[0], literal[1]


def build_from_store(store: Any, path: str | Path, *, use_fts: bool | None = None,
                     meta: dict[str, str] | None = None) -> LabelIndex:
    """Build the label index of a pyoxigraph ``store`` (every graph) at ``path`` and open it.

    Reads skos:prefLabel, skos:altLabel, skos:hiddenLabel, rdfs:label,
    skos:definition and rdf:type of IRI subjects, streaming: pyoxigraph
    decodes them in a thread into temporary files beside ``path``, read as
    they grow (see :class:`_Prefetch`).
    """
    path = Path(path)
    queries = [_SOLUTIONS.format(prop) for _, prop in _STORE_LABELS]
    queries += [_SOLUTIONS.format(SKOS + "definition"), _SOLUTIONS.format(RDF + "type")]
    prefetch = _Prefetch(store, queries, path.parent)
    labels = (prefetch.rows(n) for n in range(len(_STORE_LABELS)))
    try:
        return LabelIndex._build(path, lambda builder: builder.stage_from_store(
            _store_labels(labels), _store_definitions(prefetch.rows(len(_STORE_LABELS))),
            prefetch.rows(len(_STORE_LABELS) + 1)), use_fts=use_fts, meta=meta)
    finally:
        prefetch.close()


def store_has_iri(store: Any) -> Callable[[str], bool]:
    """An ``exists`` test for :meth:`LabelIndex.resolve`: is ``iri`` used anywhere in ``store``?"""
    import pyoxigraph as ox

    def exists(iri: str) -> bool:
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        return any(next(iter(store.quads_for_pattern(*pattern)), None) is not None
                   for pattern in ((node, None, None), (None, None, node), (None, node, None)))

    return exists
