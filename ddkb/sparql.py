"""Checking SPARQL before it runs, and running it in a fenced-off process.

``ddkb query`` runs untrusted queries. Before a query reaches the engine,
:func:`prepare_query` (cheap, in the calling process) does what needs no parser:

* it caps the text size (:data:`MAX_QUERY_CHARS`) and undoes SPARQL's
  ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes, which the standard applies to the whole
  text before parsing (so ``\\u0053ERVICE`` is ``SERVICE``); the unescaped text
  is what runs, so the checks and the engine read the same characters;
* a real SPARQL lexer (:func:`tokens`: IRIs, the four string forms, comments,
  prefixed names with ``\\#``/``%HH`` escapes, variables) finds the nesting depth
  of ``( [ {`` and refuses more than :data:`MAX_NESTING` levels -- the engine's
  recursive parser would overflow its stack -- and names SPARQL Update, which
  is refused (the engine's query entry point cannot run updates anyway; the
  check only gives a clear message).

Then :func:`check_network` decides ``SERVICE`` and ``FROM [NAMED]`` from the
*parsed* query, never from its text: a text that does not contain "service" or
"from" anywhere cannot have either; any other text is parsed with rdflib's
SPARQL grammar and refused if the parse tree holds a ``SERVICE`` pattern or a
dataset clause (unless network access is allowed) or if it does not parse.
:func:`~ddkb.kb.KnowledgeBase.query` runs that check and the evaluation inside
:func:`run_with_deadline`'s child process, with a time limit and a memory cap.

>>> check_query('SELECT * WHERE { ?s ?p "SERVICE" }  # FROM nowhere')
'select'
>>> check_query("DROP ALL")
Traceback (most recent call last):
...
ddkb.errors.RefusedError: DROP refused: ddkb query is read-only (SPARQL Update is not allowed)

This module imports neither pyoxigraph nor (until a query mentions SERVICE or
FROM) rdflib.
"""

from __future__ import annotations

import os
import pickle
import re
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from . import errors
from .errors import (
    DdkbError,
    EngineCrashed,
    InputError,
    QueryMemoryExceeded,
    QuerySyntaxError,
    QueryTimeout,
    RefusedError,
)

T = TypeVar("T")

#: SPARQL Update operations (and WITH, which starts a DELETE/INSERT).
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                   "WITH")
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: Longest query text accepted, in characters.
MAX_QUERY_CHARS = 1_000_000
#: Deepest nesting of ( [ { (and of chained ``!``) accepted. The engine's parser
#: overflows its stack a few thousand levels down; ddkb's named queries use 6.
MAX_NESTING = 200

# -- lexing ------------------------------------------------------------------------------
# Name characters (PN_CHARS_BASE and kin) as negated classes: ASCII as in the grammar,
# everything from U+00C0 up accepted. The grammar's exact Unicode ranges would cost
# 150 ms of regex compiling on every run; a few extra accepted characters cannot hide
# a bracket or a keyword, and the engine rejects them anyway.
_BASE = r"[^\x00-@\[-\x60{-\xbf]"                     # A-Z a-z, U+00C0 and up
_U_DIGIT = r"[^\x00-/:-@\[-^\x60{-\xbf]"               # ... and _ 0-9
_CHARS_DOT = r"[^\x00-,/:-@\[-^\x60{-\xb6\xb8-\xbf]"     # ... and - . U+00B7
_CHARS = r"[^\x00-,./:-@\[-^\x60{-\xb6\xb8-\xbf]"        # PN_CHARS: ... and - U+00B7
_LOCAL_FIRST = r"[^\x00-/;-@\[-^\x60{-\xbf]"           # PN_CHARS_U, 0-9, :
_LOCAL_MID = r"[^\x00-,/;-@\[-^\x60{-\xb6\xb8-\xbf]"     # PN_CHARS, ., :
_LOCAL_LAST = r"[^\x00-,./;-@\[-^\x60{-\xb6\xb8-\xbf]"    # PN_CHARS, :
_VAR_REST = r"[^\x00-/:-@\[-^\x60{-\xb6\xb8-\xbf]"       # PN_CHARS_U, 0-9, U+00B7
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"{_BASE}(?:{_CHARS_DOT}*{_CHARS})?"
_LOCAL = f"(?:{_LOCAL_FIRST}|{_PLX})(?:(?:{_LOCAL_MID}|{_PLX})*(?:{_LOCAL_LAST}|{_PLX}))?"
_PNAME = f"(?:{_PREFIX})?:(?:{_LOCAL})?"
_IRIREF = r'<[^<>"{}|^`\\\x00-\x20]*>'
_STRING = (r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
           r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
           r"|'(?:[^'\\\n\r]|\\.)*'"
           r'|"(?:[^"\\\n\r]|\\.)*"')
_NUMBER = (r"[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+"
           r"|[0-9]*\.[0-9]+|[0-9]+")
_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<comment>#[^\r\n]*)"  # as in the engine, \r ends a comment too
    f"|(?P<string>{_STRING})|(?P<iri>{_IRIREF})"
    f"|(?P<var>[?$]{_U_DIGIT}{_VAR_REST}*)"
    r"|(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)"
    f"|(?P<bnode>_:{_U_DIGIT}(?:{_CHARS_DOT}*{_CHARS})?)"
    f"|(?P<pname>{_PNAME})|(?P<number>{_NUMBER})|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>\^\^|&&|\|\||!=|<=|>=|.)",
    re.DOTALL,
)
_OPEN, _CLOSE = "([{", ")]}"
#: Prefix operators that nest without brackets (the engine accepts ``!!!!x``).
_PREFIX_OPS = ("!", "^", "+", "-")


class Token(NamedTuple):
    """One lexical token: its kind (``word``, ``iri``, ``pname``, ``punct``...), text, offset."""

    kind: str
    text: str
    start: int


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of a SPARQL text (no white space, no comments).

    Kinds: ``string``, ``iri``, ``var``, ``langtag``, ``bnode``, ``pname``,
    ``number``, ``word`` (keywords, function names, ``a``, ``true``) and
    ``punct``. A text that is not SPARQL still lexes (an unclosed quote is a
    ``punct``): the engine reports its syntax errors.

    >>> [t.text for t in tokens(r'SELECT * { ?s ex:x\\# "a # b" } # note')]
    ['SELECT', '*', '{', '?s', 'ex:x\\\\#', '"a # b"', '}']
    """
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            yield Token(kind, m.group(), m.start())


def keywords(text: str) -> list[str]:
    """The bare words of a SPARQL text in upper case, outside comments, strings and IRIs.

    >>> keywords('SELECT ?from WHERE { ?s ex:load "DROP" } # INSERT')
    ['SELECT', 'WHERE']
    """
    return [t.text.upper() for t in tokens(text) if t.kind == "word"]


def declared_prefixes(text: str) -> dict[str, str]:
    """The ``PREFIX p: <iri>`` declarations of a SPARQL text.

    >>> declared_prefixes("PREFIX ex: <http://e/> SELECT * {}")
    {'ex': 'http://e/'}
    """
    toks = list(tokens(unescape_codepoints(text)))
    found = {}
    for i, tok in enumerate(toks[:-2]):
        if (tok.kind == "word" and tok.text.upper() == "PREFIX" and toks[i + 1].kind == "pname"
                and toks[i + 1].text.endswith(":") and toks[i + 2].kind == "iri"):
            found[toks[i + 1].text[:-1]] = toks[i + 2].text[1:-1]
    return found


def nesting_depth(toks: list[Token]) -> int:
    """The deepest nesting of ( [ { in ``toks``, counting a run of prefix operators too."""
    depth = deepest = run = 0
    for tok in toks:
        if tok.kind == "punct":
            if tok.text in _OPEN:
                depth += 1
            elif tok.text in _CLOSE:
                depth = max(depth - 1, 0)
            run = run + 1 if tok.text in _PREFIX_OPS else 0
        else:
            run = 0
        deepest = max(deepest, depth + run)
    return deepest


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape_codepoints(text: str) -> str:
    r"""Replace ``\uXXXX`` and ``\UXXXXXXXX`` as SPARQL does before parsing anything.

    A UTF-16 surrogate pair written as two escapes becomes its one character.

    >>> unescape_codepoints(r"\u0053ERVICE <x> \U0001F600 \ud83d\ude00")
    'SERVICE <x> 😀 😀'
    """
    def replace(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            line = text.count("\n", 0, m.start()) + 1
            raise InputError(f"invalid character escape {m.group()} at line {line}")
        return chr(code)

    pair = re.compile(r"\\u([dD][89abAB][0-9A-Fa-f]{2})\\u([dD][c-fC-F][0-9A-Fa-f]{2})")
    text = pair.sub(lambda m: chr(0x10000 + ((int(m.group(1), 16) - 0xD800) << 10)
                                  + int(m.group(2), 16) - 0xDC00), text)
    return _ESCAPE.sub(replace, text)


# -- checks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedQuery:
    """A query that passed the cheap checks: its unescaped ``text`` and query ``form``.

    ``mentions_network`` is True when the text contains "service" or "from"
    somewhere (case-insensitive): only then can it hold SERVICE or FROM, and
    :func:`check_network` must parse it.
    """

    text: str
    form: str
    mentions_network: bool


def prepare_query(text: str) -> PreparedQuery:
    """Check a query's size, characters, nesting and kind; return it unescaped.

    Raises :class:`~ddkb.errors.InputError` for a query too long, too deeply
    nested or with an invalid escape, and :class:`~ddkb.errors.RefusedError`
    for SPARQL Update.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(f"the query is {len(text):,} characters long; "
                         f"the limit is {MAX_QUERY_CHARS:,}")
    bad = re.search(r"[\ud800-\udfff]", text)
    if bad:
        raise InputError(f"the query is not valid UTF-8 (character {bad.start() + 1})")
    unescaped = unescape_codepoints(text)
    toks = list(tokens(unescaped))
    depth = nesting_depth(toks)
    if depth > MAX_NESTING:
        raise InputError(f"query nests {depth} levels deep; the limit is {MAX_NESTING}")
    words = [t.text.upper() for t in toks if t.kind == "word"]
    first = next((w for w in words if w not in ("BASE", "PREFIX")), "")
    if first in UPDATE_KEYWORDS:
        word = "DELETE/INSERT" if first == "WITH" else first
        extra = " (and LOAD would fetch data from the network)" if first == "LOAD" else ""
        raise RefusedError(
            f"{word} refused: ddkb query is read-only (SPARQL Update is not allowed){extra}")
    # lower() and upper().lower(): a dotless i or a long s may upper-case to I or S
    folded = (unescaped.lower(), unescaped.upper().lower())
    mentions = (any(word in f for f in folded for word in ("service", "from"))
                or _ESCAPE.search(unescaped) is not None)  # a \u005Cu0053 left over
    return PreparedQuery(unescaped, query_form(words), mentions)


def query_form(words: list[str]) -> str:
    """The first query-form keyword among ``words``, lower-cased (default ``select``)."""
    for word in words:
        if word in QUERY_FORMS:
            return word.lower()
    return "select"


_SERVICE_REFUSED = ("SERVICE refused: federated queries reach the network; "
                    "add --allow-network to allow them")


def check_network(query: PreparedQuery, *, allow_network: bool = False) -> bool:
    """Refuse SERVICE and FROM [NAMED] unless allowed; return True if the query names no dataset.

    The answer says whether the default graph should be the union of all
    graphs (no FROM / FROM NAMED) or left to the query's dataset clause. A
    query that mentions "service" or "from" is parsed with rdflib's SPARQL
    grammar (imported only then) and decided from its parse tree; if it does
    not parse it is refused, unless ``allow_network`` (then nothing is at
    stake but the union flag, taken from the query's keywords).
    """
    if not query.mentions_network:
        return True
    try:
        service, dataset = _network_clauses(query.text)
    except _Unparsable as err:
        if allow_network:
            return "FROM" not in keywords(query.text)
        raise RefusedError(
            "query refused: it mentions 'service' or 'from', and ddkb's SPARQL checker cannot "
            f"parse it to rule out SERVICE and FROM ({err}); fix the query, or add "
            "--allow-network to run it unchecked") from None
    if not allow_network:
        if service:
            raise RefusedError(_SERVICE_REFUSED)
        if dataset:
            raise RefusedError(
                f"{dataset} refused: dataset clauses are allowed only with --allow-network "
                "(then FROM <g> reads the loaded graph g; nothing is fetched); "
                "to read one graph, use GRAPH <g> { ... }")
    return not dataset


class _Unparsable(Exception):
    """rdflib's SPARQL grammar rejects the text (the message says where)."""


def _network_clauses(text: str) -> tuple[bool, str]:
    """(has a SERVICE pattern, "FROM"/"FROM NAMED"/"") from rdflib's parse tree of ``text``.

    The text is already unescaped, so rdflib's own escape pass is skipped
    (``Query.parse_string`` instead of ``parseQuery``): both the check and
    the engine read exactly these characters (but for line ends, below). The parse tree suffices (no
    algebra): SERVICE is a ``ServiceGraphPattern`` node and FROM a
    ``DatasetClause``, wherever they are; prefixes need not be resolved.
    """
    from pyparsing import ParseBaseException, ParseResults
    from rdflib.plugins.sparql.parser import Query
    from rdflib.plugins.sparql.parserutils import CompValue

    old = sys.getrecursionlimit()
    # pyparsing recurses ~40 frames per nesting level; MAX_NESTING bounds the need
    sys.setrecursionlimit(max(old, 60 * MAX_NESTING + 2000))
    try:
        # the engine ends a comment at \r as at \n, rdflib only at \n: without this,
        # "# x\rSERVICE <...> {}" would be a comment for the check and a SERVICE to run
        tree = Query.parse_string(text.replace("\r", "\n"), parse_all=True)
    except ParseBaseException as err:
        raise _Unparsable(f"line {err.lineno}, column {err.col}") from None
    except RecursionError:
        raise _Unparsable("it nests too deeply") from None
    finally:
        sys.setrecursionlimit(old)
    service, dataset = False, ""
    stack: list[object] = [tree]
    while stack:  # no recursion: the tree is as deep as the query
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                service = True
            elif node.name == "DatasetClause" and not dataset:
                # (CompValue.get returns the key itself for a missing key)
                dataset = "FROM NAMED" if "named" in node else "FROM"
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(node)
    return service, dataset


def check_query(text: str, *, allow_network: bool = False) -> str:
    """Refuse updates (always) and network access (unless allowed); return the query form.

    The form is ``select``, ``ask``, ``construct`` or ``describe`` (``select`` if
    none is found, so that the engine reports the syntax error). This runs
    every check in the calling process; :meth:`ddkb.kb.KnowledgeBase.query`
    runs the parse-based part inside its time- and memory-limited process.
    Raises :class:`~ddkb.errors.RefusedError` naming the clause and the way out.
    """
    query = prepare_query(text)
    check_network(query, allow_network=allow_network)
    return query.form


_POS = re.compile(r"^error at (\d+):(\d+):\s*(.*)$", re.DOTALL)


def syntax_error(message: str, *, source: str = "") -> QuerySyntaxError:
    """Turn the engine's parse error into one readable line with line and column.

    >>> str(syntax_error("error at 3:17: expected one of ABS, AVG"))
    'SPARQL syntax error at line 3, column 17: expected one of ABS, AVG'
    """
    first = " ".join(message.split())
    m = _POS.match(first)
    where = f" in {source}" if source else ""
    if m:
        return QuerySyntaxError(
            f"SPARQL syntax error{where} at line {m.group(1)}, column {m.group(2)}: {m.group(3)}"
        )
    return QuerySyntaxError(f"SPARQL syntax error{where}: {first}")


# -- parameters ----------------------------------------------------------------------------
_NUMBER_TYPES = (
    (re.compile(r"[+-]?[0-9]+"), "integer"),
    (re.compile(r"[+-]?[0-9]*\.[0-9]+"), "decimal"),
    (re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.?[0-9]+)[eE][+-]?[0-9]+"), "double"),
)
_XSD = "http://www.w3.org/2001/XMLSchema#"
_ECHAR = re.compile(r"\\(.)", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class TermText(NamedTuple):
    """An RDF term read from text: an IRI (``iri`` set) or a literal (``value`` and more)."""

    iri: str | None = None
    value: str = ""
    language: str | None = None
    datatype: str | None = None


def parse_term(text: str, prefixes: dict[str, str], *, default_language: str = "en") -> TermText:
    """Read a ``-p`` value written as a SPARQL term.

    ``<IRI>``, a prefixed name with a known prefix (or an ``http(s)://`` /
    ``urn:`` address) is an IRI; ``"text"@en``, ``"text"``, ``"5"^^xsd:int``,
    ``42``, ``4.2``, ``1e3``, ``true`` are those literals; any other text is
    text in ``default_language`` (the KB's labels are English). Raises
    InputError for a prefixed name with an unknown prefix, or a value that
    starts like an IRI or a literal (``<``, a quote) and is not one.

    >>> parse_term("soft power", {}).language, parse_term("ddkb:x", {"ddkb": "d/"}).iri
    ('en', 'd/x')
    >>> parse_term('"4"^^xsd:int', {"xsd": "X#"})
    TermText(iri=None, value='4', language=None, datatype='X#int')
    """
    value = text.strip()
    if re.search(r"[\ud800-\udfff]", value):
        raise InputError("the value is not valid UTF-8")
    toks = list(tokens(unescape_codepoints(value))) if value else []
    kinds = [t.kind for t in toks]
    if value.startswith("<"):
        if kinds != ["iri"]:
            raise InputError(f"{text}: not an IRI; write <http://...> or a CURIE")
        return TermText(iri=toks[0].text[1:-1])
    if value.startswith(('"', "'")):
        return _literal(toks, prefixes, text)
    if value.startswith(("http://", "https://", "urn:")):
        return TermText(iri=value)
    if kinds == ["pname"]:
        return TermText(iri=_expand(toks[0].text, prefixes, text))
    for pattern, name in _NUMBER_TYPES:
        if pattern.fullmatch(value):
            return TermText(value=value, datatype=_XSD + name)
    if value in ("true", "false"):
        return TermText(value=value, datatype=_XSD + "boolean")
    return TermText(value=text, language=default_language)


def _expand(pname: str, prefixes: dict[str, str], text: str) -> str:
    prefix, _, local = pname.partition(":")
    if prefix not in prefixes:
        raise InputError(f"{text}: unknown prefix '{prefix}:'; write the full <IRI>, "
                         f"or \"{text}\" (quoted) for text")
    return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)


def _literal(toks: list[Token], prefixes: dict[str, str], text: str) -> TermText:
    """A literal from [string], [string, langtag] or [string, ^^, iri|pname] tokens."""
    if not toks or toks[0].kind != "string":
        raise InputError(f"{text}: not a literal (is a quote missing?); write \"text\", "
                         "\"text\"@en or \"value\"^^datatype")
    raw = toks[0].text
    quote = 3 if raw[:3] in ('"""', "'''") else 1
    value = _ECHAR.sub(lambda m: _ECHARS.get(m.group(1), m.group()), raw[quote:-quote])
    kinds = [t.kind for t in toks]
    if len(toks) == 1:
        return TermText(value=value, datatype=_XSD + "string")
    if kinds == ["string", "langtag"]:
        return TermText(value=value, language=toks[1].text[1:].lower())
    if len(toks) == 3 and toks[1].text == "^^" and kinds[2] in ("iri", "pname"):
        dtype = toks[2].text[1:-1] if kinds[2] == "iri" else _expand(toks[2].text, prefixes, text)
        return TermText(value=value, datatype=dtype)
    raise InputError(f"{text}: not a literal; write \"text\", \"text\"@en or "
                     "\"value\"^^datatype")


# -- sizes ---------------------------------------------------------------------------------
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt])i?b?", re.IGNORECASE)
_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int | None:
    """Bytes from a size such as ``512M``, ``4G``, ``1.5GB``, ``300MiB``; ``0``/``none`` is None.

    Raises :class:`~ddkb.errors.InputError` for anything else (a bare number
    is refused: 500 could mean bytes or megabytes).

    >>> parse_size("512M"), parse_size("1.5g"), parse_size("none")
    (536870912, 1610612736, None)
    """
    word = text.strip().lower()
    if word in ("0", "none", "unlimited", "inf"):
        return None
    m = _SIZE.fullmatch(word)
    if not m:
        raise InputError(f"{text!r} is not a size; write e.g. 512M or 4G (K, M, G, T), "
                         "or 0/none for no limit")
    size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if size <= 0:
        return None
    return size


def format_size(size: int) -> str:
    """``size`` bytes in MB, as the memory-limit messages say it.

    >>> format_size(300 << 20), format_size(2 << 30), format_size(1536 << 20)
    ('300 MB', '2 GB', '1.5 GB')
    """
    if size >= 1 << 30:
        return f"{size / (1 << 30):.3g} GB"
    return f"{size / (1 << 20):.4g} MB"


# -- running under limits ------------------------------------------------------------------
_NO_LIMIT = 366 * 24 * 3600.0


def run_with_deadline(func: Callable[[], T], timeout: float | None, *,
                      max_memory: int | None = None) -> T:
    """Call ``func`` in a child process and return its (picklable) result, within limits.

    The engine has no cancel call, one solution of a query can take forever
    (a big sort, a cross join) and hostile queries can make it use all the
    memory or crash. So where the OS can fork, ``func`` always runs in a child
    that shares the loaded store copy-on-write:

    * after ``timeout`` seconds (None, inf or over a year: no limit) the child
      is killed and :class:`~ddkb.errors.QueryTimeout` is raised (exit 1);
    * the child may grow by at most ``max_memory`` bytes of address space
      (RLIMIT_AS; None: no cap); if it needs more, it dies and
      :class:`~ddkb.errors.QueryMemoryExceeded` is raised (exit 1);
    * if it dies of a signal (the engine crashed, e.g. a stack overflow),
      :class:`~ddkb.errors.EngineCrashed` names it (exit 2: hostile input).

    Errors raised in the child come back as the same ddkb error (or
    SyntaxError) in the caller; the child's stderr is kept off the terminal.
    Without fork (Windows) ``func`` runs in-process with no limit.
    """
    if timeout is not None and not timeout > 0:  # also NaN
        raise errors.InputError(f"the timeout must be a positive number of seconds, "
                                f"not {timeout!r}")
    deadline = None if timeout is None or timeout > _NO_LIMIT else time.monotonic() + timeout
    if not hasattr(os, "fork"):
        return func()
    data_read, data_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is checked by the parent
        os.close(data_read)
        os.close(err_read)
        _child(func, data_write, err_write, max_memory)
    os.close(data_write)
    os.close(err_write)
    try:
        data, child_stderr = _read_until(data_read, err_read, deadline)
    except TimeoutError:
        _kill(pid)
        raise QueryTimeout(f"query stopped after {timeout:g} s (--timeout)") from None
    except BaseException:  # Ctrl-C and the like: never leave the evaluation running
        _kill(pid)
        raise
    finally:
        os.close(data_read)
        os.close(err_read)
    _, status = os.waitpid(pid, 0)
    if not data:
        raise _death(status, child_stderr.decode("utf-8", "replace"), max_memory)
    return _outcome(pickle.loads(data), max_memory)


def _child(func: Callable[[], T], write_fd: int, stderr_fd: int,
           max_memory: int | None) -> None:
    """In the forked child: cap memory, evaluate, send the pickled outcome, exit at once."""
    status = 0
    try:
        os.dup2(stderr_fd, 2)  # the engine's own messages (e.g. a failed allocation)
        os.close(stderr_fd)
        import faulthandler

        faulthandler.disable()  # its dump would go to the terminal (pytest, PYTHONFAULTHANDLER)
        if max_memory is not None:
            _cap_address_space(max_memory)
        try:
            outcome = ("ok", func())
        except MemoryError:
            outcome = ("memory",)
        except DdkbError as err:
            outcome = ("ddkb", type(err).__name__, str(err))
        except SyntaxError as err:
            outcome = ("syntax", str(err))
        except BaseException as err:  # noqa: BLE001 - reported to the parent
            outcome = ("error", type(err).__name__, str(err))
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("memory",))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001
        status = 1
    finally:
        os._exit(status)


def _cap_address_space(max_memory: int) -> None:
    """Let this process map at most ``max_memory`` more bytes than it has now."""
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no /proc (macOS): RLIMIT_AS is not enforced there anyway
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + max_memory
    for bound in (soft, hard):  # never raise a limit the user set
        if bound != resource.RLIM_INFINITY:
            limit = min(limit, bound)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _memory_error(max_memory: int | None) -> DdkbError:
    if max_memory is None:
        return QueryMemoryExceeded("query stopped: the machine ran out of memory for it")
    return QueryMemoryExceeded(f"query stopped: it needed more than {format_size(max_memory)} "
                               "(--max-memory)")


def _death(status: int, child_stderr: str, max_memory: int | None) -> DdkbError:
    """The error for a child that ended without sending an outcome."""
    if "memory allocation of" in child_stderr or "MemoryError" in child_stderr:
        return _memory_error(max_memory)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = ""
        if number in (signal.SIGSEGV, signal.SIGABRT, getattr(signal, "SIGBUS", 0)):
            hint = "; the query may be too large or too deeply nested"
        elif number == signal.SIGKILL:
            hint = "; the system may have run out of memory (see --max-memory)"
        return EngineCrashed(f"the query engine crashed ({name}){hint}")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return EngineCrashed(f"the query engine ended without an answer (status {code})")


def _outcome(outcome: tuple, max_memory: int | None):
    """The child's result, or its error raised again here."""
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "memory":
        raise _memory_error(max_memory)
    if outcome[0] == "syntax":
        raise syntax_error(outcome[1])
    if outcome[0] == "ddkb":
        cls = getattr(errors, outcome[1], DdkbError)
        try:
            raise cls(outcome[2])
        except TypeError:
            raise DdkbError(outcome[2]) from None
    raise DdkbError(f"query failed ({outcome[1]}): {outcome[2]}")


def _read_until(data_fd: int, err_fd: int, deadline: float | None) -> tuple[bytes, bytes]:
    """Read both pipes to end of file: (all the data, the first 64 KB of stderr).

    Raises TimeoutError if ``deadline`` passes first. Stderr is drained as it
    comes so that a chatty child can never block on a full pipe.
    """
    data: list[bytes] = []
    err = bytearray()
    open_fds = [data_fd, err_fd]
    while open_fds:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError
        ready, _, _ = select.select(open_fds, [], [], left)
        if not ready:
            raise TimeoutError
        for fd in ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                open_fds.remove(fd)
            elif fd == data_fd:
                data.append(chunk)
            elif len(err) < 1 << 16:
                err += chunk
    return b"".join(data), bytes(err)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
