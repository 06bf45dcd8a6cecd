"""A named store: a folder of the user's choosing that holds ddkb plus their files.

The cached stores of :mod:`ddkb.store` are rebuilt whenever the inputs change,
which is right for a few files but wrong for 50 million triples. A named store
is loaded once, file by file, like ``oxigraph load --location DIR --file F`` or
Jena's ``tdb2.tdbloader --loc DIR F``::

    ddkb load --store DIR big.nt more.ttl     # once (again to add or replace files)
    ddkb --store DIR query -n instruments     # every command, opened read-only

The folder holds ``oxigraph/`` (the RocksDB files), ``labels.sqlite`` (the
label index, when built) and ``ddkb-store.json`` (the manifest: the store
format, and for every named graph the file it came from and its sha256).
The bundled ontology and KB are (re)loaded into it whenever they change.

Locking: a loader holds an exclusive ``flock`` on ``DIR/.lock`` and readers a
shared one, so a reader never opens files that a loader is writing (RocksDB
calls that undefined behaviour) and a load never starts under a reader. Both
fail at once with a one-line message instead of waiting for each other.
A load that is interrupted leaves the manifest saying which graph was being
loaded; readers refuse such a store, and the next load replaces that graph.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import __version__
from .errors import InputError
from .store import ByteProgress, EmbeddedEngine, LockFile, StoreError

#: Bump when the layout of a named store changes (a store from another format is refused).
USER_STORE_FORMAT = 1
MANIFEST = "ddkb-store.json"


def _manifest_path(folder: Path) -> Path:
    return folder / MANIFEST


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the named store in ``folder``; StoreError if it is not one we can use."""
    path = _manifest_path(folder)
    if not folder.is_dir():
        raise StoreError(f"{folder}: no such store folder; create it with "
                         f"'ddkb load --store {folder} FILE...'")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{folder}: not a ddkb store (no {MANIFEST}); create one with "
                         f"'ddkb load --store DIR FILE...'") from None
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: unreadable store manifest ({err})") from None
    if not isinstance(data, dict) or data.get("kind") != "ddkb-store":
        raise StoreError(f"{path}: not a ddkb store manifest")
    fmt = data.get("format")
    if fmt != USER_STORE_FORMAT:
        raise StoreError(f"{folder}: this store was made by ddkb {data.get('version', '?')} "
                         f"(store format {fmt}); this ddkb reads format {USER_STORE_FORMAT}: "
                         "load the files into a new store folder")
    return data


def _write_manifest(folder: Path, data: dict[str, Any]) -> None:
    from .fileio import write_atomic

    write_atomic(_manifest_path(folder), json.dumps(data, indent=1, sort_keys=True) + "\n")


def _lock(folder: Path, exclusive: bool) -> LockFile:
    """Take the store's lock without waiting; StoreError naming what holds it."""
    lock = LockFile(folder / ".lock")
    got = lock.exclusive(wait=False) if exclusive else lock.shared(wait=False)
    if not got:
        lock.release()
        if exclusive and not os.access(folder, os.W_OK):
            raise StoreError(f"{folder}: the store folder is not writable")
        doing = "using" if exclusive else "loading into"
        raise StoreError(f"{folder}: another ddkb process is {doing} this store; "
                         "try again when it has finished")
    return lock


def open_store(folder: str | Path) -> tuple[EmbeddedEngine, dict[str, Any]]:
    """Open the named store in ``folder`` read-only: ``(engine, manifest)``.

    Raises StoreError (one line) for a missing folder, a folder that is not a
    ddkb store or is from another store format, a store being loaded right
    now, or one whose last load was interrupted.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("loading"):
        raise StoreError(f"{folder}: the load of {manifest['loading']} was interrupted; "
                         f"run 'ddkb load --store {folder} ...' again to repair the store")
    lock = _lock(folder, exclusive=False)
    try:
        store = ox.Store.read_only(str(folder / "oxigraph"))
    except OSError as err:
        lock.release()
        raise StoreError(f"{folder}: cannot open the store: {' '.join(str(err).split())}") from None
    return EmbeddedEngine(store, folder / "oxigraph", lock), manifest


def load_files(folder: str | Path, data: list[str | Path], *, data_format: str | None = None,
               allow_network: bool = False, infer: str | None = None,
               progress: Callable[[int, int | None, str], None] | None = None,
               strict_imports: bool = False) -> dict[str, Any]:
    """Load ``data`` files (and the bundled KB, if new or changed) into the named store.

    Creates the store if ``folder`` is new or empty. A file already in the
    store is replaced (its named graph is cleared first); an unchanged file is
    skipped. ``infer`` (``rdfs`` or ``owlrl``) is remembered by the store and
    its closure recomputed after every load. An ``owl:imports`` with no local
    copy is left out with a warning, or refused with ``strict_imports`` (as in
    :func:`ddkb.load`). Returns a report: files loaded, skipped, triples per
    graph, seconds, warnings.
    """
    from .kb import INFER_MODES, LABEL_INDEX, _collect_inputs, _parse_into, build_label_index
    from .usergraphs import missing_import_warning

    folder = Path(folder)
    started = time.monotonic()
    _prepare_folder(folder)
    lock = _lock(folder, exclusive=True)
    try:
        manifest = _manifest_or_new(folder)
        if infer not in (None, "", "none"):
            if infer not in INFER_MODES:
                raise InputError(f"unknown inference mode '{infer}' (known: none, rdfs, owlrl)")
            manifest["infer"] = infer
        missing: list[tuple[Path, str]] | None = None if strict_imports else []
        inputs = _collect_inputs(data, data_format, allow_network, missing=missing)
        try:
            store = ox.Store(str(folder / "oxigraph"))
        except OSError as err:
            raise StoreError(f"{folder}: cannot open the store for writing: "
                             f"{' '.join(str(err).split())}") from None
        graphs: dict[str, Any] = manifest.setdefault("graphs", {})
        digests = {i.graph: i.digest for i in inputs}
        todo = [i for i in inputs if graphs.get(i.graph, {}).get("sha256") != digests[i.graph]
                or manifest.get("loading") == i.graph]
        bar = ByteProgress(sum(i.size for i in todo), progress)
        for item in todo:
            manifest["loading"] = item.graph
            _write_manifest(folder, manifest)
            store.clear_graph(ox.NamedNode(item.graph))
            _parse_into(store, item, bar)
            graphs[item.graph] = {"path": str(item.path), "sha256": digests[item.graph],
                                  "format": item.fmt.name, "bundled": item.bundled,
                                  "triples": _graph_size(store, item.graph)}
            manifest.pop("loading", None)
            _write_manifest(folder, manifest)
        if todo and manifest.get("infer"):
            bar.stage(f"inferring ({manifest['infer']})")
            _refresh_inferred(store, manifest["infer"], folder, manifest)
        if todo or not (folder / LABEL_INDEX).is_file():
            bar.stage("indexing labels")
            build_label_index(store, folder)
        store.flush()
        del store
        manifest["version"] = __version__
        _write_manifest(folder, manifest)
        return {"store": str(folder), "loaded": [str(i.path) for i in todo if not i.bundled],
                "bundled_loaded": sum(1 for i in todo if i.bundled),
                "skipped": [str(i.path) for i in inputs if i not in todo and not i.bundled],
                "graphs": {g: v["triples"] for g, v in sorted(graphs.items())},
                "seconds": round(time.monotonic() - started, 3),
                "warnings": [missing_import_warning(path, iri) for path, iri in missing or ()]}
    finally:
        lock.release()


def _prepare_folder(folder: Path) -> None:
    """Create ``folder`` (0700) or check that it is empty or already a ddkb store."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and not _manifest_path(folder).exists():
        if any(p.name != ".lock" for p in folder.iterdir()):
            raise StoreError(f"{folder}: not empty and not a ddkb store; choose a new or "
                             "empty folder")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"{folder}: cannot create the store folder: {err.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise StoreError(f"{folder}: the store folder is not writable")


def _manifest_or_new(folder: Path) -> dict[str, Any]:
    if _manifest_path(folder).exists():
        return read_manifest(folder)
    return {"kind": "ddkb-store", "format": USER_STORE_FORMAT, "version": __version__,
            "graphs": {}}


def _graph_size(store: ox.Store, graph: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(result))["n"].value)


def _refresh_inferred(store: ox.Store, mode: str, folder: Path, manifest: dict[str, Any]) -> None:
    """Recompute the inferred graph of ``mode`` over everything the store holds."""
    from .kb import _add_inferred
    from .namespaces import INFERRED_GRAPH

    graph = f"{INFERRED_GRAPH}/{mode}"
    manifest["loading"] = graph
    _write_manifest(folder, manifest)
    store.clear_graph(ox.NamedNode(graph))
    _add_inferred(store, mode)
    manifest.pop("loading", None)
