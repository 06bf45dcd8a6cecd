"""Read one untrusted RDF input safely: bounded bytes, checked before any parser sees them.

A ``--data`` file, an ``owl:imports``'ed file or the vocabulary given to
``ddkb align`` comes from someone else. The parsers (pyoxigraph, rdflib) trust
their input, so the hostile cases are stopped here, each with a one-line
error that names the file (and the line where it can):

* **size** -- a file is read exactly once (so a FIFO, or ``/dev/stdin`` fed by
  a pipe or a file, works), in chunks, and refused as soon as it passes
  ``max_input_size`` (default 1 GiB: a legitimate 2-million-triple N-Triples
  file is about 300 MB, and loading 1 GiB already takes several GB of
  memory). Folders, devices (``/dev/zero``, a terminal) and sockets are
  refused before they are read.
* **XML entities** -- a DOCTYPE that declares entities is refused unless
  ``allow_entities``: a 1 KB "billion laughs" file expands to gigabytes, and
  pyoxigraph expands every declared entity eagerly (it aborts the process when
  memory runs out). With ``allow_entities`` the entities are expanded here,
  by expat, within the limits (each entity at most ``max_literal_size``
  characters, the whole document at most ``max_input_size``), and the parser
  gets the expanded document without a DOCTYPE. External entities are never
  read.
* **JSON-LD nesting** -- pyoxigraph's JSON-LD parser recurses once per nested
  object or array and overflows the stack (a segfault, no message) at a few
  thousand levels; deeper than ``max_jsonld_depth`` (default 256; real
  JSON-LD rarely passes 20) is refused by a scan of the brackets outside
  strings.
* **literal size** -- a literal longer than ``max_literal_size`` (default
  10 MiB) is refused after parsing (:func:`check_literal_sizes`), naming the
  file and line. The Turtle-family parsers cannot read a single term longer
  than 16 MiB whatever the limit (:data:`PARSER_TERM_LIMIT`); that is
  reported in the same way instead of as an internal error.

>>> parse_size("10M"), parse_size("1 GiB"), parse_size("512")
(10485760, 1073741824, 512)
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataFileError, InputError, RefusedError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: Largest file read (bytes); a 2-million-triple N-Triples file is about 300 MB.
DEFAULT_MAX_INPUT_SIZE = 1 * GiB
#: Longest literal accepted (characters); below the parser's own 16 MiB term limit.
DEFAULT_MAX_LITERAL_SIZE = 10 * MiB
#: Deepest JSON-LD nesting of objects and arrays; pyoxigraph crashes at a few thousand.
DEFAULT_MAX_JSONLD_DEPTH = 256
#: The longest single term (literal or IRI) pyoxigraph's Turtle-family parsers read.
PARSER_TERM_LIMIT = 16 * MiB

_CHUNK = 1 * MiB

if TYPE_CHECKING:  # pyoxigraph (and expat) are imported on use: ``ddkb --help`` stays fast
    import pyoxigraph as ox


@dataclass(frozen=True)
class Limits:
    """How much of an untrusted input ddkb accepts (see the module docstring).

    >>> Limits().max_jsonld_depth
    256
    """

    max_input_size: int = DEFAULT_MAX_INPUT_SIZE
    max_literal_size: int = DEFAULT_MAX_LITERAL_SIZE
    max_jsonld_depth: int = DEFAULT_MAX_JSONLD_DEPTH
    allow_entities: bool = False

    def __post_init__(self) -> None:
        for name in ("max_input_size", "max_literal_size", "max_jsonld_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                option = "--" + name.replace("_", "-")
                raise InputError(f"{option} {value!r}: must be a positive whole number")


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?\s*$", re.IGNORECASE)


def parse_size(text: str | int, option: str = "--max-input-size") -> int:
    """A byte count from ``512``, ``64K``, ``10M``, ``1.5G``, ``1GiB`` or ``1 GB``.

    K, M, G and T are powers of 1024 (with or without a trailing ``B``/``iB``).
    Raises InputError naming ``option`` for anything else.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        m = _SIZE.match(str(text))
        if not m:
            raise InputError(f"{option} {text!r}: not a size (examples: 500M, 2G, 1048576)")
        unit = 1024 ** " kmgt".index((m.group(2) or " ").lower())
        value = int(float(m.group(1)) * unit)
    if value < 1:
        raise InputError(f"{option} {text!r}: must be at least 1 byte")
    return value


def human_size(size: int) -> str:
    """``size`` bytes in the largest binary unit that keeps it readable.

    >>> human_size(1073741824), human_size(1536), human_size(12)
    ('1 GiB', '1.5 KiB', '12 bytes')
    """
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if size >= unit:
            return f"{size / unit:.1f}".rstrip("0").rstrip(".") + f" {name}"
    return f"{size} bytes"


# -- reading -------------------------------------------------------------------

def _kind_of(mode: int) -> str | None:
    """Why a file of this mode is not read (None: a regular file or a pipe)."""
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not an RDF file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not an RDF file (give a regular file or a pipe)"
    if stat.S_ISSOCK(mode):
        return "is a socket, not an RDF file (give a regular file or a pipe)"
    return "is not a regular file"


def _too_large(path: str | Path, limit: int, size: int | None = None) -> RefusedError:
    what = f"is {human_size(size)}, more" if size is not None else "has more"
    return RefusedError(f"{path}: {what} than the input size limit of {human_size(limit)}; "
                        "raise it with --max-input-size if you trust this file")


def read_bytes(path: str | Path, max_size: int = DEFAULT_MAX_INPUT_SIZE) -> bytes:
    """The bytes of ``path``, read exactly once and at most ``max_size`` of them.

    Regular files and pipes (FIFOs, ``/dev/stdin`` fed by a pipe) are read;
    folders, devices and sockets are refused before anything is read. A file
    larger than ``max_size`` is refused from its size; a pipe as soon as more
    than ``max_size`` bytes arrive (so an endless stream stops at the cap).
    Raises DataFileError (unreadable) or RefusedError (too large).
    """
    path = Path(path)
    size = ""
    try:
        problem = _kind_of(os.stat(path).st_mode)
        if problem:
            raise DataFileError(f"{path}: {problem}")
        with open(path, "rb", buffering=0) as fh:
            info = os.fstat(fh.fileno())
            problem = _kind_of(info.st_mode)  # it may have been swapped since the stat
            if problem:
                raise DataFileError(f"{path}: {problem}")
            regular = stat.S_ISREG(info.st_mode)
            if regular and info.st_size > max_size:
                raise _too_large(path, max_size, info.st_size)
            size = f" ({human_size(info.st_size)})" if regular else ""
            return read_capped(fh, path, max_size, info.st_size + 1 if regular else _CHUNK)
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a folder, not an RDF file") from None
    except MemoryError:
        raise DataFileError(f"{path}: not enough memory to read this file{size}") from None
    except OSError as err:
        raise DataFileError(f"{path}: cannot read: {err.strerror or err}") from None


def read_capped(fh: Any, name: str | Path, max_size: int, first: int = _CHUNK) -> bytes:
    """Read ``fh`` to its end in chunks, refusing once more than ``max_size`` bytes came.

    ``name`` (a file, or e.g. a URL) is what the refusal names. Chunks keep
    the memory to what actually arrives: no buffer of ``max_size`` up front.
    """
    chunks: list[bytes] = []
    total = 0
    want = first
    while True:
        block = fh.read(min(want, max_size + 1 - total))
        if not block:
            return b"".join(chunks)
        chunks.append(block)
        total += len(block)
        if total > max_size:
            raise _too_large(name, max_size)
        want = _CHUNK


def read_rdf(path: str | Path, fmt: ox.RdfFormat, limits: Limits | None = None) -> bytes:
    """Read ``path`` (:func:`read_bytes`) and check it for ``fmt`` (:func:`check_content`)."""
    limits = limits or Limits()
    content = read_bytes(path, limits.max_input_size)
    return check_content(Path(path), content, fmt, limits)


def check_content(path: Path, content: bytes, fmt: ox.RdfFormat,
                  limits: Limits | None = None) -> bytes:
    """The content to give the parser for ``fmt``, or a one-line refusal.

    RDF/XML: entity declarations are refused, or expanded here within the
    limits when ``limits.allow_entities``. JSON-LD: nesting deeper than
    ``limits.max_jsonld_depth`` is refused, and ``"@context":
    "https://w3id.org/ddkb/context.jsonld"`` is replaced by the bundled context
    (:func:`ddkb.jsonld.with_local_context`: never fetched). Other formats pass
    unchanged.
    """
    import pyoxigraph as ox

    limits = limits or Limits()
    if fmt == ox.RdfFormat.RDF_XML:
        return check_xml(path, content, limits)
    if fmt == ox.RdfFormat.JSON_LD:
        from .jsonld import with_local_context

        check_json_depth(path, content, limits.max_jsonld_depth)
        return with_local_context(path, content)
    return content


# -- XML entities -------------------------------------------------------------------

@dataclass
class _Entity:
    name: str
    line: int
    value: str | None  # None: external or unparsed
    parameter: bool


class _RootReached(Exception):
    """Raised from expat's start-element handler: the prolog has been read."""


def _line_of(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def _feed(parser: Any, content: bytes) -> None:
    for start in range(0, len(content), _CHUNK):
        parser.Parse(content[start:start + _CHUNK], False)
    parser.Parse(b"", True)


def entity_declarations(path: Path, content: bytes) -> list[_Entity]:
    """The entities declared in the DOCTYPE of an XML document (expat reads only the prolog).

    A document that is not XML gives [] (its parser reports that). A DOCTYPE
    that expat rejects (it also bounds parameter-entity expansion) raises
    DataFileError naming the line.
    """
    import xml.parsers.expat as expat

    parser = expat.ParserCreate()
    found: list[_Entity] = []
    in_doctype = [False]

    def on_entity(name, is_parameter, value, base, system_id, public_id, notation):
        found.append(_Entity(name, parser.CurrentLineNumber,
                             value if system_id is None and notation is None else None,
                             bool(is_parameter)))

    def on_doctype(*_args) -> None:
        in_doctype[0] = True

    def on_doctype_end() -> None:
        in_doctype[0] = False

    def on_start(*_args) -> None:
        raise _RootReached

    parser.EntityDeclHandler = on_entity
    parser.StartDoctypeDeclHandler = on_doctype
    parser.EndDoctypeDeclHandler = on_doctype_end
    parser.StartElementHandler = on_start
    try:
        _feed(parser, content)
    except _RootReached:
        pass
    except (LookupError, ValueError) as err:  # e.g. encoding="UTF-6", unknown to Python
        raise DataFileError(f"{path}, line 1: the XML declaration names an encoding that "
                            f"cannot be read ({err})") from None
    except expat.ExpatError as err:
        if in_doctype[0] or found:
            problem = expat.ErrorString(err.code)
            raise DataFileError(f"{path}, line {err.lineno}, column {err.offset + 1}: "
                                f"{problem} (in the DOCTYPE)") from None
    return found


def check_xml(path: Path, content: bytes, limits: Limits) -> bytes:
    """Refuse (or, if allowed, expand within the limits) the entities an XML file declares."""
    entities = entity_declarations(path, content)
    if not entities:
        return content
    first = entities[0]
    external = next((e for e in entities if e.value is None), None)
    if external is not None:
        raise RefusedError(f"{path}, line {external.line}: the DOCTYPE declares the external "
                           f"entity '{external.name}'; ddkb never reads external entities")
    if not limits.allow_entities:
        names = ", ".join(e.name for e in entities[:3]) + (", ..." if len(entities) > 3 else "")
        raise RefusedError(
            f"{path}, line {first.line}: the DOCTYPE declares XML entities ({names}), which "
            "are refused because they can expand to gigabytes; use --allow-entities to expand "
            "them within the size limits if you trust this file")
    _check_entity_sizes(path, [e for e in entities if not e.parameter], limits)
    return expand_entities(path, content, limits)


_REFERENCE = re.compile(r"&([^\s&;#][^\s&;]*);")
_PREDEFINED = {"amp", "lt", "gt", "quot", "apos"}


def _check_entity_sizes(path: Path, entities: list[_Entity], limits: Limits) -> None:
    """Refuse an entity whose full expansion would be longer than ``max_literal_size``.

    Computed from the declarations alone (each size from the sizes of the
    entities it names, in any order of declaration, depth first without
    recursion), so nothing is expanded to find out. An entity that names
    itself, directly or not, is refused too.
    """
    declared: dict[str, _Entity] = {}
    for entity in entities:
        declared.setdefault(entity.name, entity)  # the first declaration binds
    refs = {name: [m.group(1) for m in _REFERENCE.finditer(e.value or "")]
            for name, e in declared.items()}
    sizes: dict[str, int] = {}
    for root in declared:
        stack = [(root, iter(refs[root]))]
        active = {root}
        while stack:
            name, pending = stack[-1]
            for ref in pending:
                if ref in declared and ref not in sizes:
                    if ref in active:
                        raise DataFileError(f"{path}, line {declared[name].line}: the entity "
                                            f"'{name}' refers to itself (through '{ref}')")
                    stack.append((ref, iter(refs[ref])))
                    active.add(ref)
                    break
            else:
                size = len(declared[name].value or "") + sum(
                    (1 if ref in _PREDEFINED else sizes.get(ref, 0)) - len(ref) - 2
                    for ref in refs[name])
                if size > limits.max_literal_size:
                    raise RefusedError(
                        f"{path}, line {declared[name].line}: the entity '{name}' expands to "
                        f"{size:,} characters, more than the literal size limit of "
                        f"{human_size(limits.max_literal_size)} (--max-literal-size)")
                sizes[name] = size
                active.discard(name)
                stack.pop()


class _TooLarge(Exception):
    """The expanded document passed the input size limit."""


class _Rewriter:
    """Writes an XML document back from expat's events, entities expanded, DOCTYPE dropped.

    Each tag's closing ``>`` waits for the next event, so that newlines can be
    put inside the tag to keep every element on the line it had in the file
    (the parser's error messages then give the file's own line numbers).
    """

    def __init__(self, parser: Any, max_size: int):
        self.parser = parser
        self.out = io.StringIO()
        self.out.write('<?xml version="1.0" encoding="utf-8"?>')
        self.line = 1
        self.size = 0
        self.max_size = max_size
        self.pending = ""

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.max_size:
            raise _TooLarge
        self.line += text.count("\n")
        self.out.write(text)

    def catch_up(self) -> None:
        """Close the pending tag, first padding it to the line the parser is on."""
        behind = self.parser.CurrentLineNumber - self.line
        if behind > 0 and (self.pending or self.size == 0):
            self.write("\n" * behind)
        if self.pending:
            self.write(self.pending)
            self.pending = ""

    def start(self, name: str, attrs: list[str]) -> None:
        self.catch_up()
        pairs = "".join(f' {attrs[i]}="{_escape_attr(attrs[i + 1])}"'
                        for i in range(0, len(attrs), 2))
        self.write(f"<{name}{pairs}")
        self.pending = ">"

    def end(self, name: str) -> None:
        self.catch_up()
        self.write(f"</{name}")
        self.pending = ">"

    def text(self, data: str) -> None:
        self.catch_up()
        self.write(_escape_text(data))

    def result(self) -> bytes:
        self.catch_up()
        return self.out.getvalue().encode("utf-8")


def _escape_text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _escape_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def expand_entities(path: Path, content: bytes, limits: Limits) -> bytes:
    """The document with its internal entities expanded by expat and no DOCTYPE.

    Only called with ``allow_entities``, after :func:`_check_entity_sizes`;
    the result is refused once it passes ``max_input_size``. Comments and
    processing instructions are dropped (RDF/XML gives them no meaning).
    """
    import xml.parsers.expat as expat

    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    writer = _Rewriter(parser, limits.max_input_size)
    parser.StartElementHandler = writer.start
    parser.EndElementHandler = writer.end
    parser.CharacterDataHandler = writer.text
    try:
        _feed(parser, content)
    except _TooLarge:
        raise RefusedError(f"{path}: with its entities expanded the file has more than the "
                           f"input size limit of {human_size(limits.max_input_size)} "
                           "(--max-input-size)") from None
    except expat.ExpatError as err:
        problem = expat.ErrorString(err.code)
        raise DataFileError(f"{path}, line {err.lineno}, column {err.offset + 1}: "
                            f"{problem}") from None
    return writer.result()


# -- JSON-LD nesting -------------------------------------------------------------

_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_INNERMOST_PAIR = re.compile(rb"\{\}|\[\]")
_NOT_JSON_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEPS = [0] * 256
for _byte in b"{[":
    _STEPS[_byte] = 1
for _byte in b"}]":
    _STEPS[_byte] = -1


def bracket_skeleton(content: bytes) -> bytes:
    r"""The ``{}[]`` of a JSON text that are outside strings, in order (all in C).

    Escaped backslashes and quotes are cut first (left to right, as JSON
    pairs them), so every ``"`` left opens or closes a string. Keeping only
    quotes and brackets, then cutting each ``""`` (an empty string, or the end
    of one string next to the start of another: either way no bracket is lost
    and the quotes still alternate) leaves quotes only around strings that
    hold brackets, which a split then drops.

    >>> bracket_skeleton(rb'{"a": "}[\\", "b\"]": [1, {}]}')
    b'{[{}]}'
    """
    text = content
    if b"\\" in text:
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    compact = text.translate(None, _NOT_JSON_STRUCTURE).replace(b'""', b"")
    return b"".join(compact.split(b'"')[0::2])


def _reduces_within(skeleton: bytes, limit: int) -> bool:
    """True if matched pairs, removed from the inside out one level per pass, are
    all gone after ``limit`` passes: a well-formed nesting at most ``limit`` deep."""
    for _ in range(limit):
        if not skeleton:
            return True
        shorter = _INNERMOST_PAIR.sub(b"", skeleton)  # uncovered pairs wait a pass
        if len(shorter) == len(skeleton):
            return False  # brackets that do not match: see the exact depth
        skeleton = shorter
    return not skeleton


def json_depth_exceeds(content: bytes, limit: int) -> bool:
    """True if objects/arrays nest deeper than ``limit`` anywhere outside strings.

    Closing brackets need not match: a malformed file is for the parser to
    report, as long as it is not deep enough to crash it first.
    """
    if content.count(b"{") + content.count(b"[") <= limit:
        return False
    skeleton = bracket_skeleton(content)
    if _reduces_within(skeleton, limit):
        return False
    return max(accumulate(map(_STEPS.__getitem__, skeleton)), default=0) > limit


def _deep_offset(content: bytes, limit: int) -> int | None:
    """The byte offset where the nesting first passes ``limit`` (a slower, token scan)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(content):
        depth += _STEPS[token.group(0)[0]]
        if depth > limit:
            return token.start()
    return None


def check_json_depth(path: Path, content: bytes, limit: int) -> None:
    """Refuse JSON(-LD) nested deeper than ``limit`` (before any parser recurses into it)."""
    if json_depth_exceeds(content, limit):
        offset = _deep_offset(content, limit)
        where = f", line {_line_of(content, offset)}" if offset is not None else ""
        raise RefusedError(
            f"{path}{where}: JSON objects and arrays nested more than {limit} deep; "
            "raise the limit with --max-jsonld-depth if you trust this file")


# -- literal size ---------------------------------------------------------------

#: Above this many blocks the byte filter costs more than the exact scan it avoids.
_MAX_BLOCKS = 100_000


def _run_without(content: bytes, byte: bytes, limit: int) -> bool:
    """True if ``content`` may have more than ``limit`` bytes in a row without ``byte``.

    Such a run contains a whole aligned block of ``limit // 2`` bytes, so
    looking in each block once is enough: a few ``find`` calls per file.
    """
    half = max(limit // 2, 1)
    if len(content) // half > _MAX_BLOCKS:
        return True
    return any(content.find(byte, start, start + half) < 0
               for start in range(0, len(content) - half + 1, half))


def _long_string_gap(content: bytes, limit: int) -> bool:
    """True if a Turtle long string (triple-quoted) may be longer than ``limit`` bytes.

    Such a string runs from one unescaped triple quote to the next of the
    same kind, so it is enough to measure the gaps between them.
    """
    for quote in (b'"""', b"'''"):
        starts = [m.start() for m in re.finditer(re.escape(quote), content)
                  if content[m.start() - 1:m.start()] != b"\\"]
        ends = starts[1:] + [len(content)]  # an unclosed one runs to the end
        if any(end - start > limit for start, end in zip(starts, ends, strict=False)):
            return True
    return False


def may_hold_long_literal(content: bytes, fmt: ox.RdfFormat, limit: int) -> bool:
    """False when no literal in ``content`` can be longer than ``limit`` characters.

    A literal's text is at least as long in the file as in the data (entities
    are expanded before parsing), and a literal cannot span certain bytes:
    N-Triples, N-Quads, JSON-LD and short Turtle strings hold no raw line
    break (the parsers refuse them); RDF/XML text holds no raw ``<`` (except
    in CDATA and XML literals, which are always scanned). So a few byte
    searches clear almost every file without parsing anything.
    """
    import pyoxigraph as ox

    if len(content) <= limit:
        return False
    if b"\x00" in content[:1024]:  # UTF-16/32: the byte searches below do not apply
        return True
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return _run_without(content, b"\n", limit) or _long_string_gap(content, limit)
    if fmt == ox.RdfFormat.RDF_XML:
        return (b"CDATA[" in content or b"Literal" in content
                or _run_without(content, b"<", limit))
    return _run_without(content, b"\n", limit)


def _line_hint(content: bytes, needle: bytes) -> str:
    offset = content.find(needle) if needle else -1
    return f", line {_line_of(content, offset)}" if offset >= 0 else ""


def find_long_literal(store: ox.Store, limit: int) -> str | None:
    """A literal of ``store`` longer than ``limit`` characters, or None (a full scan)."""
    rows = list(store.query(
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(isLiteral(?o) && STRLEN(STR(?o)) > {int(limit)}) }} LIMIT 1"))
    return rows[0]["o"].value if rows else None


def check_literal_sizes(store: ox.Store, inputs: Iterable[Any], limit: int) -> None:
    """Refuse a loaded literal longer than ``limit`` characters, naming its file and line.

    ``inputs`` are the files in ``store``, each with ``path``, ``content``
    and ``may_hold_long_literal(limit)`` (:class:`ddkb.inputfile.InputFile`).
    The store is scanned (in the engine) only when some file could hold such
    a literal (:func:`may_hold_long_literal`): ordinary files cost nothing.
    """
    big = [item for item in inputs if item.may_hold_long_literal(limit)]
    value = find_long_literal(store, limit) if big else None
    if value is None:
        return
    needle = value[:200].encode("utf-8")
    path, where = next(((i.path, _line_hint(i.content, needle)) for i in big
                        if needle in i.content), (big[0].path, ""))
    raise RefusedError(
        f"{path}{where}: a literal of {len(value):,} characters is longer than the literal "
        f"size limit of {human_size(limit)}; raise it with --max-literal-size if you trust "
        "this file")


def _first_long_line(content: bytes, limit: int) -> int | None:
    """The number of the first line longer than ``limit`` bytes, or None."""
    start = 0
    number = 1
    while True:
        end = content.find(b"\n", start)
        stop = len(content) if end < 0 else end
        if stop - start > limit:
            return number
        if end < 0:
            return None
        start = end + 1
        number += 1


def memory_error(path: Path, content: bytes, err: MemoryError) -> DataFileError:
    """The one-line error for a MemoryError while parsing ``path``.

    pyoxigraph raises MemoryError("Reached the buffer maximal size ...") for
    a single term longer than its 16 MiB buffer; anything else is the
    machine running out of memory.
    """
    if "buffer maximal size" in str(err):
        line = _first_long_line(content, PARSER_TERM_LIMIT)
        where = f", line {line}" if line else ""
        return DataFileError(f"{path}{where}: a literal or IRI is longer than "
                             f"{human_size(PARSER_TERM_LIMIT)}, the longest term the parser "
                             "can read")
    return DataFileError(f"{path}: not enough memory to load this file "
                         f"({human_size(len(content))})")
