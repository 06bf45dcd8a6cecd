"""The user's own RDF files beside the bundled KB: their imports and their conflicts.

* ``resolve_imports`` follows ``owl:imports`` in user files through a local
  OASIS XML catalog (``catalog-v001.xml`` next to the importing file, the file
  Protégé writes), never through the network unless ``allow_network``.
  ddkb's own ontology IRI (and its version IRIs) resolve to the bundled file,
  which is always loaded anyway.
* ``conflicts`` reports user statements that give a ddkb IRI another label or
  type than the bundled KB gives it; they are loaded but never silently.

An import that cannot be resolved locally is, by default, left out with a
**warning** (``ddkb.load`` and the CLI): real ontologies such as PROV-O import
documents nobody keeps a copy of, and their own triples are still worth
querying. The warning names the file, the IRI and the ways out (a catalog
entry or ``--allow-network``). With ``--strict-imports`` (``strict_imports=True``)
it is an error instead (``RefusedError``, exit 2): queries would otherwise be
answered from a partial class hierarchy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlparse

from . import paths
from .errors import DataFileError, RefusedError
from .inputfile import InputFile
from .inputs import (
    Limits,
    entity_declarations,
    memory_error,
    read_bytes,
    read_capped,
)

if TYPE_CHECKING:
    import pyoxigraph as ox

#: Opens one file for :func:`resolve_imports` (its content, format and digest), or None.
Reader = Callable[[Path], "InputFile | None"]

OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
CATALOG_NAME = "catalog-v001.xml"
CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
DDKB_ONTOLOGY_IRIS = re.compile(
    r"^https://w3id\.org/ddkb/(ontology|releases/[^/]+/ontology)(\.(ttl|owl|rdf))?$")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
#: Types every user may add without it being a conflict.
NEUTRAL_TYPES = {
    "http://www.w3.org/2002/07/owl#NamedIndividual",
    "http://www.w3.org/2002/07/owl#Thing",
    "http://www.w3.org/2000/01/rdf-schema#Resource",
}
BUNDLED_GRAPH_PREFIX = "https://w3id.org/ddkb/graph/"
INFERRED_GRAPH_PREFIX = "https://w3id.org/ddkb/graph/inferred"


# -- catalogs -------------------------------------------------------------------------

def read_catalog(path: str | Path, limits: Limits | None = None) -> dict[str, Path]:
    """The ``uri`` entries of an OASIS XML catalog: import IRI -> local file.

    Relative ``uri`` values are resolved against the catalog's folder (or an
    ``xml:base`` on the entry or its ``group``). The catalog is read like any
    untrusted input (:mod:`ddkb.inputs`): bounded in size, and refused if its
    DOCTYPE declares entities (a catalog never needs them).

    >>> read_catalog("no-such-catalog.xml")
    {}
    """
    import xml.etree.ElementTree as ET

    path = Path(path)
    if not path.is_file():
        return {}
    limits = limits or Limits()
    content = read_bytes(path, limits.max_input_size)
    if entity_declarations(path, content):
        raise RefusedError(f"{path}: the catalog's DOCTYPE declares XML entities, which "
                           "ddkb refuses in catalogs; remove the DOCTYPE")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as err:
        raise DataFileError(f"{path}: catalog is not well-formed XML: {err}") from None
    base_attr = "{http://www.w3.org/XML/1998/namespace}base"
    folder_uri = path.resolve().parent.as_uri() + "/"
    entries: dict[str, Path] = {}

    def walk(elem, base: str) -> None:
        base = urljoin(base, elem.get(base_attr, "")) if elem.get(base_attr) else base
        tag = elem.tag.split("}")[-1]
        if tag == "uri" and elem.get("name") and elem.get("uri"):
            target = urljoin(base, elem.get("uri"))
            parsed = urlparse(target)
            if parsed.scheme == "file":
                entries[elem.get("name")] = Path(unquote(parsed.path))
        for child in elem:
            walk(child, base)

    walk(root, folder_uri)
    return entries


# -- imports ---------------------------------------------------------------------------

def _imports_of(path: Path, source: InputFile) -> list[str]:
    """The IRIs that ``source`` ``owl:imports`` (parsed with pyoxigraph: nothing is fetched).

    Finding them means parsing the whole file (seconds for millions of
    triples), so the answer is remembered in the cache folder, keyed by the
    content's sha256, the format and the file's location (relative import IRIs
    resolve against it): a file seen before is not parsed again, and an
    unchanged file whose digest is remembered is not even read.
    """
    import json

    import pyoxigraph as ox

    from .cache import remember

    fmt = source.fmt
    memo = _imports_memo(hashlib.sha256(
        f"{path.resolve().as_uri()}\n{fmt}\n".encode() + bytes.fromhex(source.digest)
    ).hexdigest())
    if memo is not None:
        try:
            if memo.is_file() and _private(memo):
                found = json.loads(memo.read_text(encoding="utf-8"))
                if isinstance(found, list) and all(isinstance(i, str) for i in found):
                    return found
        except (OSError, ValueError):
            pass
    content = source.content
    line_based = fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
    found = _parse_imports(path, content, fmt) if could_import(content, line_based) else []
    if memo is not None:  # remembered either way: even the byte search reads the whole file
        remember(memo, json.dumps(found))
    return found


def could_import(content: bytes, full_iris_only: bool = False) -> bool:
    """False when ``content`` certainly has no ``owl:imports`` (a byte search, not a parse).

    Whatever the syntax, the predicate's IRI is spelled out in the file:
    either the letters ``imports`` appear (full IRI, prefixed name, JSON-LD
    term, RDF/XML element or entity), or a namespace, base or prefix ends
    inside the word, which needs ``#i`` written somewhere (``owl#imp`` +
    ``orts``). Escapes can hide both (``\\u0069``, ``\\#``, ``&#105;``), so a
    file with any backslash or character reference is parsed too, and so is
    UTF-16 (NUL bytes), where the letters are not one run of bytes. Parsing
    a few million triples takes seconds; this search takes a fraction of one
    (the rare single bytes are looked for first). ``full_iris_only``
    (N-Triples, N-Quads: no prefixes, no XML) leaves out the prefix and
    character-reference spellings, each a search of the whole file.
    """
    marks = (b"\\", b"\x00", b"imports") if full_iris_only else \
        (b"\\", b"\x00", b"&#", b"imports", b"#i")
    return any(mark in content for mark in marks)


def _imports_memo(key: str) -> Path | None:
    """Where the imports of the content with ``key`` are remembered (None: no usable cache)."""
    from .cache import private_folder

    folder = paths.cache_dir() / "imports-of"
    return None if private_folder(folder) else folder / f"{key}.json"


def _private(path: Path) -> bool:
    from .cache import unsafe

    try:
        return unsafe(path.stat()) is None
    except OSError:
        return False


def _parse_imports(path: Path, content: bytes, fmt: ox.RdfFormat) -> list[str]:
    """:func:`_imports_of` without the memo: parse ``content`` and collect its imports."""
    import pyoxigraph as ox

    from .kb import parse_error_message

    found = []
    try:
        for quad in ox.parse(content, format=fmt, base_iri=path.resolve().as_uri()):
            if quad.predicate.value == OWL_IMPORTS and isinstance(quad.object, ox.NamedNode):
                found.append(quad.object.value)
    except (SyntaxError, ValueError) as err:
        raise DataFileError(parse_error_message(path, str(err), content, fmt)) from None
    except MemoryError as err:
        raise memory_error(path, content, err) from None
    return found


def _read_by_suffix(limits: Limits) -> Reader:
    """A reader that takes a file's format from its extension (None: not an RDF file)."""
    from .formats import rdf_format_for_path

    def read(path: Path) -> InputFile | None:
        syntax = rdf_format_for_path(path)
        return None if syntax is None else InputFile(path, syntax.engine, limits)

    return read


def _fetch(iri: str, limits: Limits) -> Path:
    """Download an imported ontology (only with ``--allow-network``) into the cache.

    At most ``limits.max_input_size`` bytes are accepted; the copy goes to a
    private (0700) ``imports`` folder of the cache.
    """
    import urllib.error
    import urllib.request

    from . import paths
    from .cache import private_folder

    if urlparse(iri).scheme not in ("http", "https"):
        raise RefusedError(f"owl:imports <{iri}>: only http(s) IRIs can be fetched")
    request = urllib.request.Request(iri, headers={
        "Accept": "text/turtle, application/rdf+xml;q=0.9, application/n-triples;q=0.8"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 (http(s) only)
            body = read_capped(resp, f"owl:imports <{iri}>", limits.max_input_size)
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise DataFileError(f"owl:imports <{iri}>: cannot fetch: {err}") from None
    suffix = {"text/turtle": ".ttl", "application/n-triples": ".nt",
              "application/ld+json": ".jsonld", "application/trig": ".trig"}.get(ctype)
    if suffix is None:
        suffix = Path(urlparse(iri).path).suffix.lower()
        if suffix not in (".ttl", ".nt", ".jsonld", ".trig", ".owl", ".rdf"):
            suffix = ".rdf"
    folder = paths.cache_dir() / "imports"
    problem = private_folder(folder.parent) or private_folder(folder)
    if problem:
        raise RefusedError(f"owl:imports <{iri}>: cannot keep a fetched copy: {problem}")
    target = folder / (hashlib.sha256(iri.encode()).hexdigest()[:24] + suffix)
    from .fileio import write_atomic

    write_atomic(target, body)
    return target


def resolve_imports(paths: list[str | Path], allow_network: bool = False, *,
                    read: Reader | None = None, limits: Limits | None = None,
                    missing: list[tuple[Path, str]] | None = None) -> list[Path]:
    """The user's files followed by the local files they import, transitively.

    Each ``owl:imports`` IRI is looked up in ``catalog-v001.xml`` next to the
    importing file, then in the catalogs next to the user's files (as Protégé
    uses the root ontology's catalog for every import); ddkb's own ontology IRI
    needs no entry (it is bundled).
    Without ``allow_network`` an import the catalog does not cover raises
    ``RefusedError`` naming the IRI -- or, when a ``missing`` list is given,
    is appended to it as ``(importing file, IRI)`` and left out; with
    ``allow_network``, the document is fetched with urllib into the ddkb cache
    and loaded from there.

    ``read(path)`` gives the file as an :class:`~ddkb.inputfile.InputFile`
    (None: not RDF); the loader passes one that remembers what it opened, so
    that every file (a FIFO too) is read exactly once. By default files are
    read through :func:`ddkb.inputs.read_rdf` with ``limits``, their format from their
    extension.

    >>> resolve_imports([])
    []
    """
    limits = limits or Limits()
    read = read or _read_by_suffix(limits)
    catalogs: dict[Path, dict[str, Path]] = {}

    def catalog_of(folder: Path) -> dict[str, Path]:
        if folder not in catalogs:
            catalogs[folder] = read_catalog(folder / CATALOG_NAME, limits)
        return catalogs[folder]

    result: list[Path] = [Path(p) for p in paths]
    done_iris: set[str] = set()
    seen_files = {p.resolve() for p in result}
    root_catalog: dict[str, Path] = {}  # catalogs next to the user's own files apply throughout
    for p in reversed(result):
        root_catalog.update(catalog_of(p.parent))
    queue = list(result)
    while queue:
        path = queue.pop(0)
        catalog = {**root_catalog, **catalog_of(path.parent)}
        got = read(path)
        if got is None:
            continue
        for iri in _imports_of(path, got):
            if iri in done_iris or DDKB_ONTOLOGY_IRIS.match(iri):
                continue
            done_iris.add(iri)
            local = catalog.get(iri)
            if local is not None:
                if not local.is_file():
                    raise DataFileError(
                        f"{path.parent / CATALOG_NAME}: owl:imports <{iri}> maps to {local}, "
                        "which does not exist")
            elif urlparse(iri).scheme == "file":
                local = Path(unquote(urlparse(iri).path))
                if not local.is_file():
                    raise DataFileError(f"{path}: owl:imports <{iri}>: no such file")
            elif allow_network:
                local = _fetch(iri, limits)
            elif missing is not None:
                missing.append((path, iri))
                continue
            else:
                raise RefusedError(
                    f"{path}: owl:imports <{iri}> has no local copy in any {CATALOG_NAME} "
                    "(next to this file or to the --data files); add a <uri name=... "
                    "uri=...> entry for a local copy, or use --allow-network to fetch it")
            if local.resolve() not in seen_files:
                seen_files.add(local.resolve())
                result.append(local)
                queue.append(local)
    return result


def missing_import_warning(path: Path, iri: str) -> str:
    """The one-line warning for an import left out because it has no local copy."""
    return (f"{path} imports <{iri}>, which has no local copy: loaded {path} without it "
            f"(add it to a {CATALOG_NAME} beside {path}, or use --allow-network to fetch "
            "it; --strict-imports refuses instead)")


# -- conflicts -------------------------------------------------------------------------

def _display(graph: str) -> str:
    if graph.startswith("file:"):
        return unquote(urlparse(graph).path)
    return graph


def _show(term) -> str:
    import pyoxigraph as ox

    from .namespaces import curie

    if isinstance(term, ox.Literal):
        lang = f"@{term.language}" if term.language else ""
        return f'"{term.value}"{lang}'
    return curie(term.value)


def _bundled_labels_and_types(store) -> dict[tuple[str, str], list]:
    """(ddkb IRI, predicate) -> objects of its labels and types in the bundled graphs.

    Read graph by graph from the bundled files (a few thousand quads), so a
    large user file costs nothing here.
    """
    import pyoxigraph as ox

    ours: dict[tuple[str, str], list] = {}
    bundled = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)
               and g.value.startswith(BUNDLED_GRAPH_PREFIX)
               and not g.value.startswith(INFERRED_GRAPH_PREFIX)]
    for graph in bundled:
        for p in (SKOS_PREF, RDFS_LABEL, RDF_TYPE):
            for quad in store.quads_for_pattern(None, ox.NamedNode(p), None, graph):
                s = quad.subject
                if isinstance(s, ox.NamedNode) and s.value.startswith("https://w3id.org/ddkb/"):
                    ours.setdefault((s.value, p), []).append(quad.object)
    return ours


def conflicts(store, user_graph_iris: list[str]) -> list[str]:
    """One warning line per user statement that contradicts the bundled KB about a
    ddkb IRI (``https://w3id.org/ddkb/...``):

    * a ``skos:prefLabel`` or ``rdfs:label`` in a language for which the bundled KB
      has other labels of that kind (a label in a new language is a translation,
      not a conflict);
    * an ``rdf:type`` that is neither one of ours nor a superclass of one of ours.

    ``store`` is the pyoxigraph store of a loaded KB; ``user_graph_iris`` are the
    named graphs of the user's files. Each bundled (IRI, predicate) pair is
    looked up in each user graph: the cost grows with the bundled KB, not with
    the size of the user's files.
    """
    import pyoxigraph as ox

    users = [g for g in user_graph_iris if g]
    if not users:
        return []
    ours = _bundled_labels_and_types(store)
    theirs: list[tuple[str, str, str, object]] = []
    for graph in users:
        node = ox.NamedNode(graph)
        for s, p in ours:
            for quad in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None, node):
                theirs.append((graph, s, p, quad.object))
    supers = _superclasses(store)
    warnings = []
    for g, s, p, obj in sorted(theirs, key=lambda t: (t[0], t[1], t[2], str(t[3]))):
        mine = ours.get((s, p), [])
        if not mine or obj in mine:
            continue
        if p == RDF_TYPE:
            allowed = set(NEUTRAL_TYPES)
            for t in mine:
                allowed |= supers.get(t.value, {t.value})
            if obj.value in allowed:
                continue
            what = "rdf:type"
        else:
            lang = obj.language if isinstance(obj, ox.Literal) else None
            mine = [m for m in mine if isinstance(m, ox.Literal) and m.language == lang]
            if not mine:
                continue
            what = "skos:prefLabel" if p == SKOS_PREF else "rdfs:label"
        ours_text = ", ".join(sorted(_show(m) for m in mine))
        warnings.append(f"{_display(g)}: {_show(ox.NamedNode(s))} has a different {what} "
                        f"than the bundled KB (ours {ours_text}; theirs {_show(obj)}); "
                        "both are loaded")
    return warnings


def _superclasses(store) -> dict[str, set[str]]:
    """Each class of the bundled ontology -> itself and all its superclasses."""
    import pyoxigraph as ox

    direct: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDFS_SUBCLASS), None, None):
        g = quad.graph_name
        if not (isinstance(g, ox.NamedNode) and g.value.startswith(BUNDLED_GRAPH_PREFIX)):
            continue
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
            direct.setdefault(quad.subject.value, set()).add(quad.object.value)
    closure: dict[str, set[str]] = {}
    for cls in direct:
        seen = {cls}
        todo = [cls]
        while todo:
            for sup in direct.get(todo.pop(), ()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        closure[cls] = seen
    return closure
