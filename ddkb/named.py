"""The registry of named queries: ``.rq`` files with a small comment header.

Each file in ``ddkb/queries/`` is one named query; its name is the file stem.
The header is a block of ``#`` comment lines at the top of the file::

    # title: What a given instrument fosters
    # description: The outcomes an instrument is said to foster, with the sections that say so.
    # param: instrument (concept) The instrument, e.g. "joint military exercise"
    # param: status (literal, optional) A verification status, e.g. "contradicted"
    # param: limit (literal, default=10) How many rows

Parameters are SPARQL variables of the query (``?instrument``) that the engine
binds by substitution; they are never pasted into the query text, and every
query is valid SPARQL with its parameters left unbound. ``kind`` says how a
value typed by a user becomes an RDF term:

* ``concept`` -- a concept name (label, alt label, CURIE or IRI) resolved to an IRI;
* ``class``   -- an ontology class name or CURIE, e.g. ``Instrument`` or ``ddkb:Risk``;
* ``iri``     -- an IRI or CURIE taken as is;
* ``literal`` -- a plain string;
* ``date``    -- a calendar date ``YYYY-MM-DD``, bound as an ``xsd:date`` literal
  (anything else is refused with a one-line error naming the parameter).

Writing a query: every parameter must be a projected variable of the SELECT
(pyoxigraph's substitutions require it). An optional parameter is tested with
``COALESCE`` rather than ``BOUND`` (which does not see substitutions), e.g.
``BIND(COALESCE(?family, ddkb:Instrument) AS ?root)`` or
``BIND(COALESCE(STR(?status), "") AS ?want) FILTER(?want = "" || ...)``.

This module does not import rdflib or pyoxigraph: it sits on the fast path of
``ddkb query``.

>>> from ddkb.named import get_query
>>> get_query("fosters").params[0].name
'instrument'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import InputError

#: The kinds of parameter value a named query accepts.
PARAM_KINDS = ("concept", "class", "iri", "literal", "date")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_HEADER_RE = re.compile(r"^#\s*(?P<key>[A-Za-z_-]+)\s*:\s*(?P<value>.*?)\s*$")
_GROUP_CONCAT_RE = re.compile(
    r'GROUP_CONCAT\s*\(\s*(?:DISTINCT\s+)?[?$]\w+\s*;\s*SEPARATOR\s*=\s*"(?P<sep>(?:[^"\\\\]|\\\\.)*)"'
    r"\s*\)\s*AS\s*[?$](?P<name>\w+)", re.IGNORECASE)
_PARAM_RE = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<opts>[^)]*)\)\s*(?P<desc>.*)$"
)


@dataclass(frozen=True)
class QueryParam:
    """One parameter of a named query: a SPARQL variable bound by substitution.

    ``kind`` is one of :data:`PARAM_KINDS`. An optional parameter left out
    stays unbound (the query then answers for every value); ``default`` is the
    value used when the user gives none.
    """

    name: str
    kind: str
    description: str
    required: bool = True
    default: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    """A named SPARQL query read from ``<name>.rq``."""

    name: str
    title: str
    description: str
    params: tuple[QueryParam, ...]
    text: str
    path: Path

    @property
    def list_columns(self) -> dict[str, str]:
        """Columns made by ``GROUP_CONCAT``: column name -> separator.

        SPARQL leaves the order inside a ``GROUP_CONCAT`` to the engine, so the
        same query gives "A | B" on one store and "B | A" on another; ddkb sorts
        the parts of these columns (:meth:`ddkb.kb.KnowledgeBase.run_named`) so
        that every engine gives the same answer.
        """
        return {m["name"]: m["sep"].replace('\\"', '"')
                for m in _GROUP_CONCAT_RE.finditer(self.text)}

    def param(self, name: str) -> QueryParam:
        """The parameter called ``name``; raises InputError naming the known ones."""
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise InputError(
            f"named query '{self.name}' has no parameter '{name}' (parameters: {known})"
        )


def _parse_param(value: str, path: Path, lineno: int) -> QueryParam:
    """Parse ``name (kind[, optional][, default=x]) description``."""
    m = _PARAM_RE.match(value)
    if not m:
        raise InputError(
            f"{path}:{lineno}: bad param line; expected 'param: name (kind) description'"
        )
    opts = [o.strip() for o in m["opts"].split(",") if o.strip()]
    if not opts or opts[0] not in PARAM_KINDS:
        raise InputError(
            f"{path}:{lineno}: param '{m['name']}' needs a kind, one of {', '.join(PARAM_KINDS)}"
        )
    required, default = True, None
    for opt in opts[1:]:
        if opt == "optional":
            required = False
        elif opt.startswith("default="):
            required, default = False, opt[len("default="):].strip().strip('"')
        else:
            raise InputError(f"{path}:{lineno}: param '{m['name']}': unknown option '{opt}'")
    return QueryParam(m["name"], opts[0], m["desc"].strip(), required, default)


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its header.

    Raises InputError naming the file and line when the header is malformed:
    no title, an unknown key, a bad ``param`` line, a repeated parameter, or a
    parameter that the query text never uses as ``?name``.
    """
    path = Path(path)
    name = path.stem
    if not _NAME_RE.match(name):
        raise InputError(f"{path}: a named query's file name must be letters, digits, '-' and '_'")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read: {err}") from None
    fields: dict[str, str] = {}
    params: list[QueryParam] = []
    lines = text.splitlines()
    # the header: the comment (and blank) lines before the first line of SPARQL
    header_end = next((i for i, ln in enumerate(lines)
                       if ln.strip() and not ln.strip().startswith("#")),
                      len(lines))
    body = "\n".join(lines[header_end:])
    for lineno, line in enumerate(lines[:header_end], start=1):
        stripped = line.strip()
        if stripped.lstrip("#").strip() == "":
            continue
        m = _HEADER_RE.match(stripped)
        if not m:
            raise InputError(f"{path}:{lineno}: bad header line; expected '# key: value'")
        key, value = m["key"].lower(), m["value"]
        if key == "param":
            param = _parse_param(value, path, lineno)
            if any(p.name == param.name for p in params):
                raise InputError(f"{path}:{lineno}: param '{param.name}' is declared twice")
            if not re.search(rf"[?$]{param.name}\b", body):
                raise InputError(
                    f"{path}:{lineno}: param '{param.name}' is not a variable of the query"
                )
            params.append(param)
        elif key in ("title", "description"):
            if key in fields:
                raise InputError(f"{path}:{lineno}: '{key}' is given twice")
            fields[key] = value
        else:
            raise InputError(
                f"{path}:{lineno}: unknown header key '{key}' (title, description, param)"
            )
    if not body.strip():
        raise InputError(f"{path}:{header_end + 1}: the file has no SPARQL after its header")
    if not fields.get("title"):
        raise InputError(f"{path}:1: header has no '# title:' line")
    return NamedQuery(name, fields["title"], fields.get("description", ""),
                      tuple(params), text, path)


def list_queries(folder: Path | None = None) -> list[NamedQuery]:
    """Every named query, sorted by name (``folder`` defaults to the bundled queries)."""
    folder = Path(folder) if folder is not None else paths.queries_dir()
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"), key=lambda p: p.stem)]


def query_names(folder: Path | None = None) -> list[str]:
    """The names of the named queries, sorted (cheap: reads no file)."""
    folder = Path(folder) if folder is not None else paths.queries_dir()
    return sorted(p.stem for p in folder.glob("*.rq"))


def get_query(name: str, folder: Path | None = None) -> NamedQuery:
    """The named query ``name``.

    Raises InputError with close names on a miss, e.g.
    ``unknown named query 'fosterz'; did you mean: fosters?``.
    """
    folder = Path(folder) if folder is not None else paths.queries_dir()
    names = query_names(folder)
    if name in names:
        return parse_query_file(folder / f"{name}.rq")
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if not close:
        close = [n for n in names if name.lower() in n.lower()][:3]
    hint = f"; did you mean: {', '.join(close)}?" if close else "; see 'ddkb queries'"
    raise InputError(f"unknown named query '{name}'{hint}")
