"""The loaded knowledge base: ontology + KB + user files in one RDF dataset.

``load()`` reads the bundled ontology and KB (one named graph per file) and any
user ``--data`` files into a pyoxigraph store; every query runs on that one
engine with the union of all graphs as its default graph. The loaded (and
inferred) dataset is cached on disk (:mod:`ddkb.cache`) so that later runs
start fast.

>>> import ddkb
>>> kb = ddkb.load()
>>> rows = kb.select("SELECT ?c WHERE { ?c a owl:Class } LIMIT 1")
>>> kb.query("ASK { ?c a owl:Class }").boolean
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import cache, paths
from .errors import DataFileError, DdkbError, InputError
from .formats import RDF_NAMES, RDF_SYNTAXES, rdf_format, rdf_format_for_path
from .inputfile import InputFile
from .inputs import (
    DEFAULT_MAX_INPUT_SIZE,
    DEFAULT_MAX_JSONLD_DEPTH,
    DEFAULT_MAX_LITERAL_SIZE,
    Limits,
    check_literal_sizes,
    memory_error,
    parse_size,
)
from .namespaces import GRAPH, INFERRED_GRAPH, PREFIXES, XSD

#: File suffix -> engine format (kept for callers; the table is :mod:`ddkb.formats`).
FORMATS_BY_SUFFIX = {x: f.engine for f in RDF_SYNTAXES for x in f.suffixes}
#: Format name or alias -> engine format (kept for callers; see :func:`ddkb.formats.rdf_format`).
FORMATS_BY_NAME = {n: f.engine for f in RDF_SYNTAXES for n in (f.name, *f.aliases)}

INFER_MODES = ("rdfs", "owlrl")
#: Default limits of :meth:`KnowledgeBase.query`.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10000
#: Memory a query may use on top of the loaded KB (bytes): 2 GB lets a handful of
#: queries run side by side on an ordinary machine.
DEFAULT_MAX_MEMORY = 2 << 30


@dataclass(frozen=True)
class SourceFile:
    """One file loaded into the dataset and the named graph that holds it."""

    path: Path
    graph: str
    bundled: bool


@dataclass
class QueryResult:
    """The answer to a query, already read from the engine (capped by ``max_rows``).

    ``kind`` is ``select``, ``ask``, ``construct`` or ``describe``. SELECT fills
    ``variables`` and ``rows`` (tuples of pyoxigraph terms, ``None`` if unbound);
    ASK fills ``boolean``; CONSTRUCT/DESCRIBE fill ``triples``. ``truncated`` is
    True when the row cap cut the answer short, and ``reason`` says so in words.
    """

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Any] = field(default_factory=list)
    truncated: bool = False
    reason: str = ""

    def dicts(self) -> list[dict[str, Any]]:
        """SELECT rows as dicts of variable -> term (unbound variables left out)."""
        return [{v: t for v, t in zip(self.variables, row, strict=True) if t is not None}
                for row in self.rows]


def _drop_empty_columns(result: QueryResult, names: list[str]) -> QueryResult:
    """Drop the SELECT columns ``names`` that are unbound in every row.

    A named query must project its parameters, so an optional parameter left
    unset would show as a column that is always empty; a column the query
    fills itself (e.g. ``?actor`` when no actor is asked for) is kept.
    """
    if result.kind != "select":
        return result
    drop = {i for i, v in enumerate(result.variables)
            if v in names and all(row[i] is None for row in result.rows)}
    if drop:
        result.variables = [v for i, v in enumerate(result.variables) if i not in drop]
        result.rows = [tuple(t for i, t in enumerate(row) if i not in drop)
                       for row in result.rows]
    return result


def _sort_list_columns(result: QueryResult, columns: dict[str, str]) -> None:
    """Sort the parts of ``GROUP_CONCAT`` columns, whose order SPARQL leaves to the engine."""
    if result.kind != "select" or not columns:
        return
    where = {i: columns[v] for i, v in enumerate(result.variables) if v in columns}
    if not where:
        return

    def fixed(i: int, term: Any) -> Any:
        sep = where.get(i)
        if sep is None or not isinstance(term, ox.Literal) or sep not in term.value:
            return term
        text = sep.join(sorted(term.value.split(sep), key=lambda part: (part.casefold(), part)))
        if term.language:
            return ox.Literal(text, language=term.language)
        return ox.Literal(text, datatype=term.datatype)

    result.rows = [tuple(fixed(i, t) for i, t in enumerate(row)) for row in result.rows]


class KnowledgeBase:
    """An RDF dataset over pyoxigraph, with the union of its graphs as default graph.

    ``warnings`` holds load warnings (e.g. a user graph that redefines a ddkb
    term); the CLI prints them to stderr.
    """

    def __init__(self, engine: Any, files: list[SourceFile], infer: str | None = None,
                 warnings: list[str] | None = None, from_cache: bool = False,
                 index_on_demand: bool = False, progress: Any = None):
        from .store import EmbeddedEngine

        self.engine = EmbeddedEngine(engine) if isinstance(engine, ox.Store) else engine
        self.files = files
        self.infer = infer
        self.warnings: list[str] = list(warnings or [])
        self.from_cache = from_cache
        self.limits = Limits()  # load() sets the limits it read with; align reads with them too
        self._rdflib_dataset = None
        self._index = None
        self._labels: dict[str, str] | None = None
        self._label_rows: list[tuple[str, str, str, str]] | None = None
        self._label_memo: dict[str, str | None] = {}
        self._label_index: Any = None
        self._label_index_pid = 0
        #: a cached store's label index is built by the first command that needs it
        self._index_on_demand = index_on_demand
        self._progress = progress

    @property
    def store(self) -> ox.Store:
        """The embedded pyoxigraph store (only for the embedded engine)."""
        store = getattr(self.engine, "store", None)
        if store is None:
            raise DdkbError(f"this operation needs the embedded store, not the {self.engine.kind} "
                            "engine")
        return store

    def graphs(self) -> list[str]:
        """The IRIs of the dataset's named graphs (one per file, plus inferred ones)."""
        return self.engine.graphs()

    def close(self) -> None:
        """Release the store (and its lock); the KnowledgeBase is unusable afterwards."""
        self.engine.close()

    def input_files(self) -> list[Path]:
        """Every file this KB was read from: the bundled files, the ``--data`` files,
        the files they ``owl:imports`` and the ``catalog-v001.xml`` beside any of the
        user's files (the catalogs consulted for those imports).

        Every command that writes an output passes this list to
        :func:`ddkb.fileio.write_atomic` (``protect=``), so no output replaces a file
        the KB depends on.
        """
        from .usergraphs import CATALOG_NAME

        found = [f.path for f in self.files]
        for f in self.files:
            catalog = f.path.parent / CATALOG_NAME
            if not f.bundled and catalog not in found and catalog.is_file():
                found.append(catalog)
        return found

    # -- querying -------------------------------------------------------------
    def raw_query(self, sparql: str, substitutions: dict[str, Any] | None = None, *,
                  union: bool = True, graphs: list[str] | None = None) -> Any:
        """Run SPARQL on the store (union default graph, ddkb prefixes predeclared).

        No safety checks and no time limit: for ddkb's own queries. Use
        :meth:`query` for queries typed by a user. ``union=False`` leaves the
        default graph to the query's own FROM clauses; ``graphs`` limits the
        dataset to those named graphs (their union is the default graph).
        """
        from .sparql import syntax_error

        subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
        try:
            return self.engine.query(sparql, prefixes=PREFIXES, union=union,
                                     substitutions=subs or None, graphs=graphs)
        except SyntaxError as err:
            raise syntax_error(str(err)) from None

    def select(self, sparql: str, **bindings: Any) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts of variable name -> pyoxigraph term."""
        result = self.raw_query(sparql, bindings)
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]

    def query(self, sparql: str, *, params: dict[str, Any] | None = None,
              timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None,
              max_rows: int | None = DEFAULT_MAX_ROWS,
              max_memory: int | None = DEFAULT_MAX_MEMORY,
              allow_network: bool = False) -> QueryResult:
        """Run a user's SPARQL query safely and read its answer.

        * Updates are refused; SERVICE and FROM [NAMED] are refused unless
          ``allow_network``; a query longer than 1,000,000 characters or
          nested more than 200 levels deep is refused (:mod:`ddkb.sparql`).
        * ``params`` maps variable names to RDF terms (pyoxigraph terms, or
          strings taken as IRIs); they are bound by substitution, never pasted
          into the text.
        * The checks and the evaluation run in a forked process (always, so
          that an engine crash cannot take the caller down):
          ``timeout`` seconds (None: no limit) and ``max_memory`` bytes
          (None: no cap) bound it; past them it is killed and
          :class:`~ddkb.errors.QueryTimeout` or
          :class:`~ddkb.errors.QueryMemoryExceeded` is raised.
        * ``limit``: keep only the first ``limit`` rows (like SPARQL LIMIT).
        * ``max_rows``: a safety cap; a longer answer is cut and flagged
          ``truncated`` with a ``reason``.

        >>> kb = load()
        >>> kb.query("SELECT ?c WHERE { ?c a owl:Class }", limit=2).variables
        ['c']
        """
        return self._run_query(sparql, params=params, timeout=timeout, limit=limit,
                               max_rows=max_rows, max_memory=max_memory,
                               allow_network=allow_network, bundled=False)

    def _run_query(self, sparql: str, *, params: dict[str, Any] | None,
                   timeout: float | None, limit: int | None, max_rows: int | None,
                   max_memory: int | None, allow_network: bool, bundled: bool) -> QueryResult:
        """:meth:`query`; a ``bundled`` (named) query skips the SERVICE/FROM parse.

        A named query is ddkb's own text (its parameters are bound as terms,
        never pasted in), and the tests check every one with
        :func:`~ddkb.sparql.check_query`: parsing it again at each run would
        only cost rdflib's import (most of a second) when its comments say "from".
        """
        from .sparql import check_network, prepare_query, run_with_deadline

        _check_text(sparql, "the query")
        for key in params or {}:
            if not _VARIABLE_NAME.match(str(key)):
                raise InputError(f"-p {key}=...: a parameter name is a SPARQL variable name "
                                 "without '?' (letters, digits and _), e.g. -p actor=NATO")
        subs = {k: (ox.NamedNode(v) if isinstance(v, str) else v)
                for k, v in (params or {}).items()}
        cap = None if max_rows is None else max_rows + 1
        if limit is not None:
            cap = limit if cap is None else min(cap, limit)

        def evaluate() -> QueryResult:  # all of it under the limits, even the checks
            prepared = prepare_query(sparql)
            # FROM [NAMED] picks the graphs itself; else the default graph is the union
            union = bundled or check_network(prepared, allow_network=allow_network)
            return _read_result(self.raw_query(prepared.text, subs, union=union),
                                prepared.form, cap)

        try:
            if self.engine.kind == "remote":  # the server does the work; its client has a limit
                result = self.engine.with_timeout(timeout, evaluate)
            else:
                result = run_with_deadline(evaluate, timeout, max_memory=max_memory)
        except DdkbError as err:
            missing = re.search(r"variable \?(\w+) in its SELECT projection", str(err))
            if missing:
                raise InputError(f"parameter '{missing.group(1)}' is not a variable of the "
                                 "query's SELECT clause; add it there or use SELECT *") from None
            raise
        size = len(result.rows) if result.kind == "select" else len(result.triples)
        if max_rows is not None and size > max_rows:
            del result.rows[max_rows:]
            del result.triples[max_rows:]
            noun = "rows" if result.kind == "select" else "triples"
            result.truncated = True
            result.reason = (f"showing the first {max_rows} {noun}; the answer has more "
                             "(use --max-rows to raise the cap)")
        return result

    def run_named(self, name: str, params: dict[str, str] | None = None,
                  **options: Any) -> QueryResult:
        """Run the named query ``name`` with user-typed ``params`` (name -> text).

        Each value becomes an RDF term by the parameter's kind (a concept name
        is looked up, a class name too, an IRI/CURIE is expanded, a literal is
        a plain string) and is bound by substitution. ``options`` go to
        :meth:`query`. Raises InputError for an unknown or missing parameter.

        >>> kb = load()
        >>> kb.run_named("instruments").kind
        'select'
        """
        from .named import get_query

        named = get_query(name)
        given = dict(params or {})
        for key in given:
            named.param(key)  # raises, naming the known parameters
        bound: dict[str, Any] = {}
        for param in named.params:
            value = given.get(param.name, param.default)
            if value is None:
                if param.required:
                    raise InputError(f"named query '{name}' needs -p {param.name}=VALUE "
                                     f"({param.description or param.kind})")
                continue
            bound[param.name] = self.param_term(param.kind, value, param.name)
        limits = {"timeout": DEFAULT_TIMEOUT, "limit": None, "max_rows": DEFAULT_MAX_ROWS,
                  "max_memory": DEFAULT_MAX_MEMORY, "allow_network": False, **options}
        result = self._run_query(named.text, params=bound, bundled=True, **limits)
        _sort_list_columns(result, named.list_columns)
        return _drop_empty_columns(result, [p.name for p in named.params if p.name not in bound])

    def param_term(self, kind: str, value: str, name: str = "value", *,
                   prefixes: dict[str, str] | None = None) -> Any:
        """The RDF term for a user-typed parameter ``value`` of the given kind.

        Kinds: ``concept`` and ``class`` (looked up by name), ``iri`` (an IRI
        or CURIE), ``literal`` (a plain string), ``date`` (``YYYY-MM-DD``, an
        ``xsd:date``) and ``term``: the value written
        as a SPARQL term -- ``<IRI>`` or CURIE (ddkb's prefixes and
        ``prefixes``), ``"text"@en``, ``"text"``, ``"5"^^xsd:int``, ``42``,
        ``true`` -- where any other text is English text (``"text"@en``, like
        the KB's labels). Used for ``-p`` on a plain SPARQL query.

        >>> kb = load()
        >>> kb.param_term("term", "soft power")
        <Literal value=soft power language=en>
        >>> kb.param_term("term", "ddkb:Instrument").value
        'https://w3id.org/ddkb/Instrument'
        """
        _check_text(value, f"-p {name}")
        if kind == "concept":
            return ox.NamedNode(self.lookup(value))
        if kind == "class":
            return ox.NamedNode(self.lookup(value, classes_only=True))
        if kind == "iri":
            from .namespaces import expand

            text = value.strip()
            iri = expand(text) or (text[1:-1] if text.startswith("<") and text.endswith(">")
                                   else text)
            try:
                if ":" not in iri:
                    raise ValueError(iri)
                return ox.NamedNode(iri)
            except ValueError:
                raise InputError(f"-p {name}={value}: not an IRI or known CURIE") from None
        if kind == "term":
            return _term(value, name, {**PREFIXES, **(prefixes or {})})
        if kind == "date":
            return _date_term(value, name)
        return ox.Literal(value)

    # -- concepts -------------------------------------------------------------
    def lookup(self, name: str, *, classes_only: bool = False) -> str:
        """The IRI of the concept called ``name`` (label, alt label, CURIE or IRI).

        An on-disk store answers from its label index (:mod:`ddkb.labelindex`),
        reading only index entries; otherwise every label is read once
        (:class:`~ddkb.lookup.ConceptIndex`). Both give the same answers.
        Raises ConceptNotFound (with suggestions) or AmbiguousConcept.
        """
        index = self.label_index()
        if index is not None:
            from .labelindex import store_has_iri

            return index.resolve(name, classes_only=classes_only,
                                 exists=store_has_iri(self.store))
        if self.engine.kind == "remote" and self._index is None and not classes_only:
            from .lookup import exact_on_server

            found = exact_on_server(self, name)
            if found is not None:
                return found
        return self.concept_index().resolve(name, classes_only=classes_only)

    def label_index(self):
        """The store's label index (a :class:`~ddkb.labelindex.LabelIndex`), or None.

        None for an in-memory store, a remote endpoint, or an index file that
        is missing or unusable (then lookups read the labels themselves).
        """
        folder = getattr(self.engine, "folder", None)
        if folder is None:
            return None
        if self._label_index is None or self._label_index_pid != os.getpid():
            from .labelindex import LabelIndex, LabelIndexUnusable

            try:
                self._label_index = LabelIndex(folder / LABEL_INDEX)
            except LabelIndexUnusable:
                self._label_index = self._build_label_index(folder) or False
            self._label_index_pid = os.getpid()
        return self._label_index or None

    def _build_label_index(self, folder: Path):
        """Build a cached store's missing (or outdated) label index, once, under its build lock.

        Done on first need rather than with the store, so that ``ddkb query``
        on millions of triples does not pay for an index it never reads; the
        index then lives beside the store and every later command reuses it.
        Another process building it at the same time is waited for.
        """
        if not self._index_on_demand:
            return None
        from .labelindex import LabelIndex, LabelIndexUnusable
        from .store import build_lock

        lock = build_lock(folder)
        try:
            if not lock.exclusive():
                return None
            try:
                return LabelIndex(folder / LABEL_INDEX)
            except LabelIndexUnusable:
                pass
            if self._progress is not None:
                self._progress(0, None, "indexing labels (once for this data) ...")
            build_label_index(self.engine.store, folder)
            if self._progress is not None:
                self._progress(0, 0, "indexing labels (once for this data): done")
            return LabelIndex(folder / LABEL_INDEX)
        finally:
            lock.release()

    def concept_index(self):
        """The label index used by :meth:`lookup` (built once)."""
        if self._index is None:
            from .lookup import ConceptIndex

            self._index = ConceptIndex.from_kb(self)
        return self._index

    def label(self, iri: str) -> str:
        """A readable label for ``iri``: English prefLabel, other label, else its CURIE."""
        found = self._own_label(str(iri))
        if found is not None:
            return found
        from .namespaces import curie

        return curie(str(iri))

    def _own_label(self, iri: str) -> str | None:
        """The best skos:prefLabel / rdfs:label of ``iri`` or None.

        Before the full label map exists (it is built for concept lookup), a
        few direct index look-ups are far cheaper than reading every label.
        """
        if self._labels is None:
            if iri not in self._label_memo:
                self._label_memo[iri] = _best_label(self.engine, iri)
            return self._label_memo[iri]
        return self._labels.get(iri)

    def label_rows(self) -> list[tuple[str, str, str, str]]:
        """(iri, label, kind, language) of every pref/alt/rdfs label (read once)."""
        if self._label_rows is None:
            from .lookup import label_rows

            self._label_rows = label_rows(self)
        return self._label_rows

    def has_label(self, iri: str) -> bool:
        """True if ``iri`` has a skos:prefLabel or rdfs:label."""
        return self._own_label(str(iri)) is not None

    def build_label_map(self) -> dict[str, str]:
        """Every labelled IRI -> its display label (read once; used by concept lookup)."""
        if self._labels is None:
            self._labels = _label_map(self)
        return self._labels

    def concept(self, name: str):
        """The :class:`~ddkb.concepts.ConceptCard` of a concept (any name lookup accepts)."""
        from .concepts import concept_card

        return concept_card(self, self.lookup(name))

    def search(self, text: str, limit: int = 20):
        """Concepts ranked by how well their labels and definition match ``text``."""
        from .concepts import search

        return search(self, text, limit=limit)

    def stats(self):
        """Counts of triples, concepts, properties, claims and sources (a dict)."""
        from .concepts import stats

        return stats(self)

    def concept_map(self, **options: Any):
        """An interactive concept map (:class:`~ddkb.conceptmap.ConceptMap`).

        It shows inline in Jupyter.
        """
        from .conceptmap import ConceptMap

        return ConceptMap(self, **options)

    # -- rdflib views (for validation, exports and graph analytics) ------------
    def rdflib_dataset(self):
        """The whole dataset as an rdflib ``Dataset`` (built once, on first use)."""
        if self._rdflib_dataset is None:
            import rdflib

            refuse_triple_terms(self, "validation, inference and this export")
            data = self.engine.dump_nquads()
            ds = rdflib.Dataset()
            ds.parse(data=data.decode("utf-8"), format="nquads")
            self._rdflib_dataset = ds
        return self._rdflib_dataset

    def rdflib_graph(self):
        """The union of every graph as one rdflib ``Graph``."""
        import rdflib

        g = rdflib.Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        for s, p, o, _ in self.rdflib_dataset().quads((None, None, None, None)):
            g.add((s, p, o))
        return g


#: SPARQL's VARNAME, roughly: ASCII letters, digits, _ and non-ASCII letters (no surrogates,
#: which no query text can hold: a name with one could not even be sent to the engine).
_NAME_CHARS = "\u00b7\u00c0-\ud7ff\ue000-\uffff"
_VARIABLE_NAME = re.compile(rf"^[A-Za-z_0-9{_NAME_CHARS}][\w{_NAME_CHARS}]*$")


def _check_text(text: str, what: str) -> None:
    """Refuse text that cannot be UTF-8 (a byte the shell could not decode, kept as a surrogate).

    Checked before the query process starts, so the error is the caller's, not a crash there.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        if what == "the query":
            raise InputError(f"the query is not valid UTF-8 (character {err.start + 1})") from None
        raise InputError(f"{what}: the value is not valid UTF-8") from None


def _date_term(value: str, name: str) -> Any:
    """``value`` as an ``xsd:date`` literal; InputError unless it is a real date YYYY-MM-DD."""
    import datetime

    text = value.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"-p {name}={value}: not a date; write it as YYYY-MM-DD, "
                         "e.g. 2020-01-01") from None
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "date"))


def _term(value: str, name: str, prefixes: dict[str, str]) -> Any:
    """A pyoxigraph term for a ``-p`` value written as a SPARQL term (see ``param_term``)."""
    from .sparql import parse_term

    try:
        term = parse_term(value, prefixes)
        if term.iri is not None:
            if ":" not in term.iri:
                raise ValueError(term.iri)
            return ox.NamedNode(term.iri)
        if term.language:
            return ox.Literal(term.value, language=term.language)
        return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))
    except InputError as err:
        message = str(err)
        raise InputError(f"-p {name}: {message}" if message.startswith("the value")
                         else f"-p {name}={message}") from None
    except ValueError as err:
        raise InputError(f"-p {name}={value}: not a valid RDF term ({err})") from None


def _read_result(result: Any, kind: str, cap: int | None) -> QueryResult:
    """Read an engine answer into a QueryResult, stopping after ``cap`` rows."""
    if isinstance(result, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(result))
    if isinstance(result, ox.QueryTriples):
        triples = []
        for triple in result:
            if cap is not None and len(triples) >= cap:
                break
            triples.append(triple)
        return QueryResult("describe" if kind == "describe" else "construct", triples=triples)
    names = [v.value for v in result.variables]
    rows = []
    for sol in result:
        if cap is not None and len(rows) >= cap:
            break
        rows.append(tuple(sol[n] for n in names))
    return QueryResult("select", variables=names, rows=rows)


_SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _best_label(engine: Any, iri: str) -> str | None:
    """The label :func:`_label_map` would give ``iri``, read from the store's indexes."""
    from .labels import display_label

    try:
        subject = ox.NamedNode(iri)
    except ValueError:
        return None
    return display_label((kind, quad.object.value, quad.object.language)
                         for kind, prop in (("pref", _SKOS_PREF), ("rdfs", _RDFS_LABEL))
                         for quad in engine.quads(subject, ox.NamedNode(prop), None)
                         if isinstance(quad.object, ox.Literal))


def _label_map(kb: KnowledgeBase) -> dict[str, str]:
    """IRI -> display label (the rule of :mod:`ddkb.labels`) for every labelled IRI."""
    from .labels import display_rank

    best: dict[str, tuple[int, str]] = {}
    for iri, text, kind, lang in kb.label_rows():
        rank = display_rank(kind, lang)
        if rank is None:
            continue
        key = (rank, text)
        old = best.get(iri)
        if old is None or key < old:
            best[iri] = key
    return {iri: text for iri, (_, text) in best.items()}


# -- loading -------------------------------------------------------------------
def _read_input(path: Path, graph: str, fmt: ox.RdfFormat, bundled: bool,
                limits: Limits | None = None, memo: bool = True) -> InputFile:
    """One input file for the named graph ``graph``, read on first need (see ddkb.inputfile).

    A user's file is read exactly once (a FIFO works), bounded by
    ``limits.max_input_size``, and checked for ``fmt`` (XML entities, JSON-LD
    depth) before any parser sees it; an unchanged file whose digest is
    remembered (``memo``) is not read at all unless its store must be built.
    """
    return InputFile(path, fmt, limits, bundled=bundled, graph=graph, memo=memo and not bundled)


def _format_for(path: Path, data_format: str | None) -> ox.RdfFormat:
    """The format to parse ``path`` with: ``data_format`` if given, else from its suffix."""
    if data_format:
        return rdf_format(data_format).engine
    syntax = rdf_format_for_path(path)
    if syntax is None:
        raise InputError(f"{path}: unknown RDF format '{path.suffix or 'no extension'}'; "
                         f"use --data-format {'|'.join(RDF_NAMES)}")
    return syntax.engine


_POSITION = re.compile(
    r"^Parser error (?:at|between) line (\d+) column (\d+)"
    r"(?: and line \d+ column \d+)?:\s*(.*?)(?:\s*\(line \d+\))?$", re.DOTALL)


def parse_error_message(path: Path | str, message: str, content: bytes = b"",
                        fmt: ox.RdfFormat | None = None) -> str:
    """One readable line ``FILE, line N, column M: problem`` from a parser's error.

    >>> parse_error_message("a.ttl", "Parser error at line 4 column 2: Unexpected end (line 4)")
    'a.ttl, line 4, column 2: Unexpected end'
    """
    text = " ".join(str(message).split())
    if "LoadDocumentCallback" in text or "remote context" in text.lower():
        return (f"{path}: the JSON-LD @context refers to a remote document, which ddkb "
                "never fetches; put the @context inline in the file (ddkb's own "
                "https://w3id.org/ddkb/context.jsonld is read from its bundled copy)")
    m = _POSITION.match(text)
    if m:
        return f"{path}, line {m.group(1)}, column {m.group(2)}: {m.group(3)}"
    if fmt == ox.RdfFormat.RDF_XML and content:
        where = _xml_error_position(content)
        if where:
            return f"{path}, {where}: {text}"
    return f"{path}: {text}"


def _xml_error_position(content: bytes) -> str:
    """Where an XML file stops being well-formed (``line N, column M``), or ''."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(content, True)
    except xml.parsers.expat.ExpatError as err:
        problem = xml.parsers.expat.ErrorString(err.code)
        return f"line {err.lineno}, column {err.offset + 1} ({problem})"
    except (LookupError, ValueError) as err:  # e.g. encoding="UTF-6": unknown to Python
        return f"line 1 ({err})"
    return ""


def _load_inputs(store: ox.Store, inputs: list[InputFile], report: Any) -> None:
    """Load every input into its named graph: the bundled files together, then each user file.

    A bulk load writes and ingests index files of its own, so two dozen small
    bulk loads cost seconds on disk where one batch of the bundled files'
    nine thousand quads costs a fifth of one.
    """
    bundled = [item for item in inputs if item.bundled]
    if bundled:
        store.bulk_extend(quad for item in bundled for quad in _bundled_quads(item))
        report(sum(item.size for item in bundled))
    for item in inputs:
        if not item.bundled:
            _parse_into(store, item, report)


def _bundled_quads(item: InputFile) -> Iterator[ox.Quad]:
    """The quads of a bundled file, its triples put in its named graph."""
    graph = ox.NamedNode(item.graph)
    try:
        for quad in ox.parse(item.content, format=item.fmt, base_iri=item.path.resolve().as_uri()):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, graph)
            yield quad
    except SyntaxError as err:  # only a damaged installation
        raise DataFileError(parse_error_message(item.path, str(err), item.content,
                                                item.fmt)) from None


def _parse_into(store: ox.Store, item: InputFile, report: Any = None) -> None:
    """Bulk-load one input into its named graph; ``report(n)`` hears of every n bytes read.

    The bytes always go to the parser as a stream: it reads a single term of
    at most 16 MiB from a stream (but any length from one buffer), and that
    limit must not depend on whether stderr is a terminal. Only a listening
    ``report`` (a progress bar) gets the counting reader, a Python call per
    few kilobytes.
    """
    import io

    source: Any = io.BytesIO(item.content)
    if report is not None and getattr(report, "progress", report) is not None:
        from .store import CountingReader

        source = CountingReader(source, report)
    try:
        store.bulk_load(source, format=item.fmt, to_graph=ox.NamedNode(item.graph),
                        base_iri=item.path.resolve().as_uri())
    except SyntaxError as err:
        raise DataFileError(parse_error_message(item.path, str(err), item.content,
                                                item.fmt)) from None
    except (OSError, ValueError) as err:
        raise DataFileError(parse_error_message(item.path, str(err))) from None
    except MemoryError as err:
        raise memory_error(item.path, item.content, err) from None


def _collect_inputs(data: list[str | Path] | tuple, data_format: str | None,
                    allow_network: bool, limits: Limits | None = None,
                    missing: list[tuple[Path, str]] | None = None,
                    memo: bool = True) -> list[InputFile]:
    """The bundled files, the user's ``data`` files and the files they import, each read once.

    Each file is read (and checked) at most once, when first needed
    (:class:`ddkb.inputfile.InputFile`): ``owl:imports`` are looked for in the
    content already read, so that a pipe is not read twice, and a warm run
    reads no unchanged file whose digest is remembered.
    An import with no local copy is refused, or added to ``missing`` as
    ``(importing file, IRI)`` and left out when that list is given (see
    :func:`ddkb.usergraphs.resolve_imports`). This runs on every load, warm
    cache or not, so the warnings made from ``missing`` are never lost.
    """
    from .usergraphs import resolve_imports

    limits = limits or Limits()
    inputs = [_read_input(p, paths.graph_name_for(p), FORMATS_BY_SUFFIX[p.suffix], True)
              for p in paths.bundled_rdf_files()]
    given = [Path(item) for item in data]
    read: dict[Path, InputFile] = {}

    def read_once(path: Path) -> InputFile:
        key = path.resolve()
        if key not in read:
            if not os.path.lexists(path):  # before the format: "no such file" says more
                raise DataFileError(f"{path}: no such file")
            fmt = _format_for(path, data_format if path in given else None)
            read[key] = _read_input(path, key.as_uri(), fmt, False, limits, memo)
        return read[key]

    for path in given:
        read_once(path)
    added: set[Path] = set()
    for path in resolve_imports(given, allow_network, read=read_once, limits=limits,
                                missing=missing):
        read_once(path)
        if path.resolve() not in added:
            added.add(path.resolve())
            inputs.append(read[path.resolve()])
    return inputs


def load(data: list[str | Path] | tuple = (), data_format: str | None = None,
         infer: str | None = None, allow_network: bool = False,
         use_cache: bool = True, *, max_input_size: int | str = DEFAULT_MAX_INPUT_SIZE,
         max_literal_size: int | str = DEFAULT_MAX_LITERAL_SIZE,
         max_jsonld_depth: int = DEFAULT_MAX_JSONLD_DEPTH,
         allow_entities: bool = False, progress: Any = None,
         store: str | Path | None = None, endpoint: str | Any = None,
         strict_imports: bool = False) -> KnowledgeBase:
    """Load the bundled ontology and KB plus the user's ``data`` files.

    Each file goes to its own named graph (bundled: ``https://w3id.org/ddkb/graph/<path>``;
    user files: their ``file:`` URI). ``data_format`` overrides the format the
    file extension implies. ``infer`` (``rdfs`` or ``owlrl``) adds the inferred
    triples in the graph ``<INFERRED_GRAPH>/<mode>``.

    With ``use_cache`` (the default) the dataset lives in an on-disk Oxigraph
    store under the cache folder, built once per distinct set of inputs and
    opened read-only afterwards (:func:`ddkb.store.open_cached_store`);
    without it, in memory. ``progress(done, total, what)`` is called while a
    store is built.

    The user's files are untrusted (:mod:`ddkb.inputs`): each is refused when
    larger than ``max_input_size`` bytes (an int or ``"2G"``), when it holds a
    literal longer than ``max_literal_size`` characters, JSON-LD nested
    deeper than ``max_jsonld_depth``, or XML entity declarations (unless
    ``allow_entities``; they are then expanded within these limits).

    An ``owl:imports`` with no local copy (no catalog entry, no
    ``allow_network``) is left out with a warning in ``kb.warnings``, or
    refused (RefusedError) with ``strict_imports``.
    Raises DataFileError (one line: file, line, problem) for a missing or
    broken file, RefusedError for a file past a limit and InputError for a
    bad option value.
    """
    from . import store as stores
    from .store import ByteProgress
    from .usergraphs import missing_import_warning

    if isinstance(data, (str, Path)):  # one file given on its own
        data = [data]
    if infer in ("", "none"):
        infer = None
    if infer is not None and infer not in INFER_MODES:
        raise InputError(f"unknown inference mode '{infer}' (known: none, rdfs, owlrl)")
    if store is not None:
        return _open_named_store(Path(store), data, infer)
    if endpoint is not None:
        return _open_endpoint(endpoint, data, infer)
    limits = Limits(parse_size(max_input_size, "--max-input-size"),
                    parse_size(max_literal_size, "--max-literal-size"),
                    max_jsonld_depth, bool(allow_entities))
    warnings: list[str] = []
    if use_cache:
        problem = cache.folder_problem()
        if problem:
            warnings.append(problem)
            use_cache = False
    missing: list[tuple[Path, str]] | None = None if strict_imports else []
    inputs = _collect_inputs(data, data_format, allow_network, limits, missing, memo=use_cache)
    import_warnings = [missing_import_warning(path, iri) for path, iri in missing or ()]
    files = [SourceFile(i.path, i.graph, i.bundled) for i in inputs]
    user_graphs = [f.graph for f in files if not f.bundled]

    def build(store: ox.Store, folder: Path | None) -> dict[str, Any]:
        bar = ByteProgress(sum(i.size for i in inputs), progress)
        _load_inputs(store, inputs, bar)
        check_literal_sizes(store, inputs, limits.max_literal_size)
        if infer is not None:
            bar.stage(f"inferring ({infer})")
            _add_inferred(store, infer)
        return {"warnings": _conflict_warnings(store, user_graphs)}

    if not use_cache:
        memory = ox.Store()
        meta = build(memory, None)
        kb = KnowledgeBase(memory, files, infer, import_warnings + warnings + meta["warnings"])
    else:
        key = stores.content_key(((i.graph, i.fmt.name, i.digest) for i in inputs), infer)
        engine, meta, cached = stores.open_cached_store(key, build)
        if cached:  # built under other limits, perhaps: the literal limit holds all the same
            check_literal_sizes(engine.store, inputs, limits.max_literal_size)
        kb = KnowledgeBase(engine, files, infer, import_warnings + (meta.get("warnings") or []),
                           from_cache=cached, index_on_demand=engine.folder is not None,
                           progress=progress)
    kb.limits = limits
    return kb


LABEL_INDEX = "labels.sqlite"


def build_label_index(store: ox.Store, folder: Path) -> None:
    """Build the label index of ``store`` into ``folder/labels.sqlite`` (see ddkb.labelindex)."""
    from .labelindex import build_from_store

    build_from_store(store, folder / LABEL_INDEX).close()


def _open_endpoint(endpoint: Any, data: Any, infer: str | None) -> KnowledgeBase:
    """A KnowledgeBase whose every query goes to a SPARQL 1.1 endpoint."""
    from .remote import RemoteEndpoint
    from .store import RemoteEngine

    if data:
        raise InputError("--data cannot be combined with --endpoint; upload the files to the "
                         "server once with 'ddkb push --endpoint URL --data FILE...'")
    if infer is not None:
        raise InputError("--infer cannot be combined with --endpoint; push an inferred KB "
                         "with 'ddkb push --endpoint URL --infer MODE'")
    if not isinstance(endpoint, RemoteEndpoint):
        endpoint = RemoteEndpoint.from_env(str(endpoint))
    engine = RemoteEngine(endpoint)
    files = [SourceFile(Path(g), g, g.startswith(GRAPH)) for g in engine.graphs()]
    return KnowledgeBase(engine, files, None)


def _open_named_store(folder: Path, data: Any, infer: str | None) -> KnowledgeBase:
    """A KnowledgeBase over the named store in ``folder`` (see :mod:`ddkb.userstore`)."""
    from .userstore import open_store

    if data:
        raise InputError(f"--data cannot be combined with --store; add the files to the store "
                         f"once with 'ddkb load --store {folder} FILE...'")
    engine, manifest = open_store(folder)
    if infer is not None and manifest.get("infer") != infer:
        engine.close()
        raise InputError(f"--infer {infer}: the store {folder} was loaded with "
                         f"--infer {manifest.get('infer') or 'none'}; load it with "
                         f"'ddkb load --store {folder} --infer {infer}'")
    files = [SourceFile(Path(info["path"]), graph, bool(info.get("bundled")))
             for graph, info in sorted(manifest.get("graphs", {}).items())]
    return KnowledgeBase(engine, files, manifest.get("infer"), from_cache=True)


def refuse_triple_terms(kb_or_store: Any, needed_by: str) -> None:
    """Refuse RDF 1.2 triple terms (``<<( s p o )>>``, ``{| |}``), which rdflib cannot read.

    ddkb's SPARQL queries handle them; rdflib (SHACL validation, OWL RL
    inference, some exports) does not, so those say so in one line naming the
    file instead of failing inside rdflib.
    """
    sparql = ("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o FILTER(isTRIPLE(?o) || isTRIPLE(?s)) } } "
              "LIMIT 1")
    if isinstance(kb_or_store, ox.Store):
        rows = list(kb_or_store.query(sparql))
        found = rows[0]["g"].value if rows else None
        name = found
        if found is not None and found.startswith("file:"):
            from urllib.parse import unquote, urlparse

            name = unquote(urlparse(found).path)
    else:
        rows = kb_or_store.select(sparql)
        found = rows[0]["g"].value if rows else None
        name = next((str(f.path) for f in kb_or_store.files if f.graph == found), found)
    if found is not None:
        raise InputError(f"{name}: holds RDF 1.2 triple terms, which {needed_by} cannot read "
                         "(queries can); leave them out of this file")


def _add_inferred(store: ox.Store, mode: str) -> None:
    """Add the RDFS/OWL RL closure's new triples in the graph ``INFERRED_GRAPH/mode``."""
    from .reason import inferred_nquads

    try:
        dataset = store.dump(format=ox.RdfFormat.N_QUADS)
        if b"<<" in dataset:  # a triple term is written <<( s p o )>>; no IRI holds '<'
            refuse_triple_terms(store, f"--infer {mode}")
        new = inferred_nquads(dataset, mode, canonical=True)
        if new:
            store.bulk_load(new, format=ox.RdfFormat.N_TRIPLES,
                            to_graph=ox.NamedNode(f"{INFERRED_GRAPH}/{mode}"))
    except MemoryError:
        raise InputError(f"not enough memory to compute the --infer {mode} closure of "
                         f"{len(store):,} triples; load less data or leave out --infer") from None


def _conflict_warnings(store: ox.Store, user_graphs: list[str]) -> list[str]:
    from .usergraphs import conflicts

    if not user_graphs:
        return []
    return list(conflicts(store, user_graphs))
