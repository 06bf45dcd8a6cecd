"""Where the loaded knowledge base lives: one small interface over the engines.

Everything above this module asks an :class:`Engine` for answers and never
touches pyoxigraph or an HTTP client itself. Two engines implement it:

* :class:`EmbeddedEngine` -- an Oxigraph store. By default it is an on-disk
  store built once per distinct set of inputs (keyed by their content and by
  the code that builds it) under the cache folder, then opened read-only by
  every later run (:func:`open_cached_store`); a user can also keep a named
  store in a folder of their own (:mod:`ddkb.userstore`).
* ``RemoteEngine`` (:mod:`ddkb.remote`) -- any SPARQL 1.1 endpoint.

Concurrency: a store folder is only ever written by one builder, under an
exclusive ``flock`` on its lock file; it is built in a hidden folder and
renamed into place when complete, so a reader never sees half a store. Readers
hold a shared lock for as long as they use the store, so pruning old stores
never removes one that is open.

>>> import pyoxigraph as ox
>>> engine = EmbeddedEngine(ox.Store())
>>> engine.kind
'embedded'
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pyoxigraph as ox

from . import __version__, paths
from .errors import DdkbError

#: Bump when the layout of a store folder changes, so old stores are rebuilt.
STORE_FORMAT = 2
#: How many cached stores to keep (one per distinct set of inputs).
KEEP = 6
#: The modules whose code decides what a store holds (inference, indexes):
#: their source is part of every content key.
KEY_MODULES = ("kb.py", "store.py", "reason.py", "inputs.py", "labelindex.py",
               "usergraphs.py", "namespaces.py")

Progress = Callable[[int, int | None, str], None]
"""A progress callback: ``progress(done, total_or_None, what)`` in bytes."""


class ByteProgress:
    """Counts bytes loaded across several inputs and reports them to a :data:`Progress`.

    Fed by :class:`CountingReader` while pyoxigraph parses, so one large file
    moves the bar too (not only the end of each file).
    """

    def __init__(self, total: int, progress: Progress | None, what: str = "loading") -> None:
        self.total, self.progress, self.what, self.done = total, progress, what, 0

    def __call__(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total, self.what)

    def stage(self, what: str) -> None:
        """Report a new stage (inference, indexing) at the bytes reached so far."""
        if self.progress is not None:
            self.progress(self.done, self.total, what)


class StoreError(DdkbError):
    """A store folder that cannot be used (locked, read-only, from another version)."""

    exit_code = 2


class Engine(Protocol):
    """What the rest of ddkb may ask of a store.

    ``query`` answers with pyoxigraph's result types (QuerySolutions,
    QueryBoolean, QueryTriples) whatever the engine, so callers cannot tell
    the engines apart. ``union=True`` makes the default graph the union of
    every named graph (how ddkb's own queries are written).
    """

    kind: str

    def query(self, sparql: str, *, prefixes: dict[str, str] | None = None,
              substitutions: dict[Any, Any] | None = None, union: bool = True,
              graphs: list[str] | None = None) -> Any: ...

    def graphs(self) -> list[str]: ...

    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[Any]: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class EmbeddedEngine:
    """An Oxigraph store in this process (in memory, or on disk and read-only).

    ``path`` is the store's folder when it is on disk: a process forked to
    evaluate a query under a time limit (:func:`ddkb.sparql.run_with_deadline`)
    opens its own read-only handle instead of sharing the parent's, whose
    background threads did not survive the fork.
    """

    kind = "embedded"

    def __init__(self, store: ox.Store, path: Path | None = None,
                 lock: LockFile | None = None) -> None:
        self._store = store
        self.path = path
        self._lock = lock
        self._pid = os.getpid()

    @property
    def store(self) -> ox.Store:
        """The pyoxigraph store (reopened read-only in a forked child)."""
        if self.path is not None and os.getpid() != self._pid:
            self._store = ox.Store.read_only(str(self.path))
            self._pid = os.getpid()
        return self._store

    def query(self, sparql: str, *, prefixes: dict[str, str] | None = None,
              substitutions: dict[Any, Any] | None = None, union: bool = True,
              graphs: list[str] | None = None) -> Any:
        """Run SPARQL; ``graphs`` limits the default and named graphs to those IRIs."""
        options: dict[str, Any] = {"prefixes": prefixes, "substitutions": substitutions or None}
        if graphs is not None:
            chosen = [ox.NamedNode(g) for g in graphs]
            options.update(named_graphs=chosen, default_graph=[*chosen, ox.DefaultGraph()])
        else:
            options["use_default_graph_as_union"] = union
        return self.store.query(sparql, **options)

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[Any]:
        """The quads matching a pattern (pyoxigraph terms or None), read from the indexes."""
        return self.store.quads_for_pattern(subject, predicate, obj, graph)

    def count(self) -> int:
        """How many quads the store holds."""
        return len(self.store)

    def dump_nquads(self) -> bytes:
        """The whole dataset as N-Quads (for rdflib-based validation and exports)."""
        return self.store.dump(format=ox.RdfFormat.N_QUADS)

    @property
    def folder(self) -> Path | None:
        """The store's folder (that holds ``oxigraph/`` and ``labels.sqlite``), if on disk."""
        return self.path.parent if self.path is not None else None

    def close(self) -> None:
        """Release the store and its shared lock."""
        self._store = None  # type: ignore[assignment]
        if self._lock is not None:
            self._lock.release()
            self._lock = None


# -- locks -------------------------------------------------------------------------
class LockFile:
    """An ``flock`` on a file: shared for readers, exclusive for the builder.

    On a read-only folder (a read-only mount, a store shared by another user)
    the lock file is opened read-only, which ``flock`` accepts; if it does not
    exist and cannot be created, nobody can write there either, so readers go
    on without a lock and ``exclusive`` reports failure.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
            try:
                self.fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
                break
            except OSError:
                continue

    def exclusive(self, wait: bool = True) -> bool:
        """Take the exclusive lock; with ``wait=False`` return False if someone holds it."""
        if self.fd is None:
            return False
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def shared(self, wait: bool = True) -> bool:
        """Take (or downgrade to) the shared lock; False if ``wait=False`` and a writer holds it."""
        if self.fd is None:
            return True
        try:
            fcntl.flock(self.fd, fcntl.LOCK_SH | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def release(self, _close: Callable[[int], None] = os.close) -> None:
        """Drop the lock and close the file.

        ``os.close`` is bound at definition time: at interpreter shutdown a
        module's globals may already be gone when ``__del__`` runs.
        """
        if self.fd is not None:
            _close(self.fd)
            self.fd = None

    def __del__(self) -> None:
        self.release()


# -- content keys ---------------------------------------------------------------------
def code_fingerprint() -> str:
    """A hash of ddkb's version and of the code that decides what a store holds.

    Editing the inference or index code (even without a version bump) gives
    new keys, so a store built by older code is never reused.
    """
    h = hashlib.sha256(f"ddkb {__version__} store {STORE_FORMAT}\n".encode())
    for name in KEY_MODULES:
        module = paths.PACKAGE_DIR / name
        try:
            h.update(name.encode() + b"\n" + module.read_bytes())
        except OSError:
            h.update(name.encode() + b" missing\n")
    return h.hexdigest()


def content_key(inputs: Iterable[tuple[str, str, str]], infer: str | None) -> str:
    """A hex sha256 over the code fingerprint, the infer mode and every input.

    ``inputs`` are ``(graph IRI, format name, sha256 of the content)``.

    >>> len(content_key([("urn:g", "TURTLE", "0" * 64)], None))
    64
    """
    h = hashlib.sha256(f"{code_fingerprint()}\ninfer={infer or 'none'}\n".encode())
    for graph, fmt, digest in inputs:
        h.update(f"{graph}\n{fmt}\n{digest}\n".encode())
    return h.hexdigest()


# -- the store cache --------------------------------------------------------------------
class CountingReader:
    """A binary reader that reports how many bytes were read (for progress bars)."""

    def __init__(self, raw: BinaryIO, report: Callable[[int], None]) -> None:
        self.raw = raw
        self.report = report

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.report(len(chunk))
        return chunk

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        self.report(n or 0)
        return n

    def readable(self) -> bool:
        return True


def stores_dir() -> Path:
    """The folder of cached stores: ``<cache dir>/stores``."""
    return paths.cache_dir() / "stores"


def usable_dir(folder: Path) -> bool:
    """True if ``folder`` is ours: owned by this user and writable by nobody else.

    A cache folder shared with other users could hold a store planted by one
    of them; such a folder is not used (ddkb then builds in memory).
    """
    try:
        info = folder.stat()
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _ensure_private_dir(folder: Path) -> bool:
    from .cache import private_folder

    return private_folder(folder) is None and usable_dir(folder)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _valid_store(folder: Path, key: str) -> dict[str, Any] | None:
    """The manifest of a complete store for ``key`` that this user owns, else None."""
    if not usable_dir(folder) or not (folder / "oxigraph").is_dir():
        return None
    manifest = _read_manifest(folder)
    if not manifest or manifest.get("key") != key or manifest.get("format") != STORE_FORMAT:
        return None
    return manifest


def open_cached_store(key: str, build: Callable[[ox.Store, Path | None], dict[str, Any]],
                      *, folder: Path | None = None) -> tuple[EmbeddedEngine, dict[str, Any], bool]:
    """Open the cached store for ``key`` read-only, building it first if needed.

    ``build(store, folder)`` fills a fresh on-disk store, may write files
    that belong with it into ``folder`` (the label index), and returns
    metadata for the manifest (load warnings and the like). Returns ``(engine, metadata,
    was_cached)``. If the cache folder is unusable (not writable, not ours),
    the store is built in memory instead.

    Two locks per key: ``<key>.lock`` is held shared by every process using
    the store (pruning takes it exclusively, without waiting, so an open store
    is never removed); ``<key>.build.lock`` is held exclusively while one
    process builds, so the others wait for it and then read the same files.
    """
    root = Path(folder) if folder is not None else stores_dir()
    if not _ensure_private_dir(root):
        store = ox.Store()
        return EmbeddedEngine(store), build(store, None), False
    final = root / key
    use = LockFile(root / f"{key}.lock")
    use.shared()
    manifest = _valid_store(final, key)
    cached = manifest is not None
    if manifest is None:
        builder = build_lock(final)
        try:
            builder.exclusive()
            manifest = _valid_store(final, key)
            cached = manifest is not None
            if manifest is None:
                manifest = _build(root, key, build)
        finally:
            builder.release()
        _prune(root, keep_key=key)
    return _open_read_only(final, use), manifest.get("meta") or {}, cached


def build_lock(folder: Path) -> LockFile:
    """The lock held while the cached store in ``folder``, or a file that goes with it, is built."""
    return LockFile(folder.parent / f"{folder.name}.build.lock")


def _open_read_only(folder: Path, lock: LockFile) -> EmbeddedEngine:
    db = folder / "oxigraph"
    try:
        store = ox.Store.read_only(str(db))
    except OSError as err:
        lock.release()
        raise StoreError(f"{folder}: cannot open the store: {err}") from None
    return EmbeddedEngine(store, db, lock)


def _build(root: Path, key: str, build: Callable[[ox.Store, Path | None], dict[str, Any]]
           ) -> dict[str, Any]:
    """Build the store for ``key`` in a hidden folder and rename it into place."""
    for stale in root.glob(f".{key}.build-*"):  # left by a builder that was killed
        shutil.rmtree(stale, ignore_errors=True)
    work = root / f".{key}.build-{os.getpid()}"
    final = root / key
    try:
        work.mkdir(mode=0o700)
        store = ox.Store(str(work / "oxigraph"))
        started = time.monotonic()
        meta = build(store, work)  # (no quad count: len(store) reads every quad again)
        store.flush()
        del store
        manifest = {"key": key, "format": STORE_FORMAT, "version": __version__,
                    "seconds": round(time.monotonic() - started, 3), "meta": meta}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _prune(root: Path, keep_key: str) -> None:
    """Remove the oldest stores beyond :data:`KEEP` that no process has open."""
    try:
        stores = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in stores[KEEP:]:
        if old.name == keep_key:
            continue
        lock = LockFile(root / f"{old.name}.lock")
        try:
            if lock.exclusive(wait=False):
                shutil.rmtree(old, ignore_errors=True)
                (root / f"{old.name}.lock").unlink(missing_ok=True)
        finally:
            lock.release()


def clear(folder: Path | None = None) -> int:
    """Remove every cached store that no process has open; return how many."""
    root = Path(folder) if folder is not None else stores_dir()
    removed = 0
    if not root.is_dir():
        return 0
    for store_dir in [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]:
        lock = LockFile(root / f"{store_dir.name}.lock")
        try:
            if lock.exclusive(wait=False):
                shutil.rmtree(store_dir, ignore_errors=True)
                removed += 1
        finally:
            lock.release()
    return removed


class RemoteEngine:
    """A SPARQL 1.1 endpoint (:class:`ddkb.remote.RemoteEndpoint`) behind the Engine seam.

    Queries go to the server over the SPARQL 1.1 Protocol; pattern look-ups
    (``quads``) and dumps are SPARQL queries too, so every read command works
    on a server as on the embedded store. ``graphs=`` (asserted graphs only)
    cannot be expressed portably on every server and is read as the union:
    a server holds what ``ddkb push`` sent, which has no inferred graph.
    """

    kind = "remote"

    def __init__(self, endpoint: Any) -> None:
        self.endpoint = endpoint
        self._graphs: list[str] | None = None

    def query(self, sparql: str, *, prefixes: dict[str, str] | None = None,
              substitutions: dict[Any, Any] | None = None, union: bool = True,
              graphs: list[str] | None = None) -> Any:
        """Run SPARQL on the server (union default graph unless ``union=False``)."""
        return self.endpoint.query(sparql, prefixes=prefixes, substitutions=substitutions,
                                   union=union)

    def graphs(self) -> list[str]:
        """The graphs ddkb pushed there, else every named graph of the server."""
        if self._graphs is None:
            self._graphs = self.endpoint.dataset() or self.endpoint.pushed_graphs() or []
        return list(self._graphs)

    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[Any]:
        """The triples matching a pattern, as quads in the default graph (graph ignored)."""
        subs = {name: term for name, term in (("s", subject), ("p", predicate), ("o", obj))
                if term is not None}
        rows = self.endpoint.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", substitutions=subs)
        for row in rows:
            yield ox.Quad(subject or row["s"], predicate or row["p"],
                          obj if obj is not None else row["o"], ox.DefaultGraph())

    def count(self) -> int:
        """How many triples the server's union holds."""
        rows = list(self.endpoint.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        return int(rows[0]["n"].value) if rows else 0

    def dump_nquads(self) -> bytes:
        """Every triple of every pushed graph as N-Quads (for validation and exports)."""
        quads = []
        for graph in self.graphs():
            rows = self.endpoint.query("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
                                       substitutions={"g": ox.NamedNode(graph)}, union=False)
            quads.extend(ox.Quad(r["s"], r["p"], r["o"], ox.NamedNode(graph)) for r in rows)
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)

    def with_timeout(self, timeout: float | None, func: Callable[[], Any]) -> Any:
        """Call ``func`` with every request limited to ``timeout`` seconds (None: as set)."""
        saved = self.endpoint.timeout
        if timeout is not None and timeout > 0 and timeout != float("inf"):
            self.endpoint.timeout = float(timeout)
        try:
            return func()
        finally:
            self.endpoint.timeout = saved

    def close(self) -> None:
        """Nothing to release: every request is its own connection."""
