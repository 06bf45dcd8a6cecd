"""A persistent cache of the loaded (and inferred) dataset, so ``ddkb`` starts fast.

Loading the KB means parsing every file and, with ``--infer``, computing an
RDFS or OWL 2 RL closure (slow: it runs in rdflib). The cache keeps the result
as N-Quads under :func:`ddkb.paths.cache_dir`:

* ``<key>.nq``   -- the whole dataset (every named graph, the inferred graph too);
* ``<key>.json`` -- the manifest: key, payload size and sha256, and metadata
  (the files loaded and their graphs, load warnings).

The key hashes the ddkb version, the infer mode and, for every input file, its
graph name, format and *content*; editing any file gives a new key. A payload
whose size or sha256 disagrees with its manifest is deleted and rebuilt, never
trusted. Files are written atomically (temporary file + rename); if the cache
folder is not writable, ddkb simply runs without a cache.

A cache folder may be shared (``DDKB_CACHE_DIR`` on a shared disk), so only
our own files are trusted: the folder is created with mode 0700; a folder
owned by another user or writable by group or others is not used at all
(:func:`folder_problem`; ``load`` warns and runs without the cache); an entry
owned by another user or writable by group or others is ignored -- never
read, never overwritten, never deleted (it is not ours).

>>> key = cache_key([("g", b"<a> <b> <c> .", "nt")], infer=None)
>>> len(key)
64
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import __version__, paths

#: Bump when the payload layout changes, so old caches are ignored.
CACHE_FORMAT = 1
#: How many cached datasets to keep (one per distinct set of inputs).
KEEP = 8


def cache_key(inputs: Iterable[tuple[str, bytes, str]], infer: str | None) -> str:
    """A hex sha256 over the version, infer mode and every (graph, content, format)."""
    h = hashlib.sha256()
    h.update(f"ddkb {__version__} cache {CACHE_FORMAT} infer={infer or 'none'}\n".encode())
    for graph, content, fmt in inputs:
        h.update(f"{graph}\n{fmt}\n{len(content)}\n".encode())
        h.update(hashlib.sha256(content).digest())
    return h.hexdigest()


def _files(key: str, folder: Path) -> tuple[Path, Path]:
    return folder / f"{key}.nq", folder / f"{key}.json"


def _unsafe(info: os.stat_result) -> str | None:
    """Why a file or folder with this status must not be trusted, or None."""
    if info.st_uid != os.getuid():
        return f"is owned by another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by other users"
    return None


def folder_problem(folder: Path | None = None) -> str | None:
    """A one-line warning if the cache folder exists but must not be used, else None.

    A folder owned by another user, or writable by group or others, could
    hold entries planted by someone else; ddkb then runs without a cache.
    A folder that does not exist yet is fine (it will be created 0700).
    """
    folder = Path(folder) if folder is not None else paths.cache_dir()
    try:
        info = folder.stat()
    except OSError:
        return None  # missing (created later) or unreachable (writing will fail quietly)
    why = _unsafe(info) if stat.S_ISDIR(info.st_mode) else None
    if why is None:
        return None
    return (f"the cache folder {folder} {why}; running without the cache "
            "(use a private folder: chmod 700, or set DDKB_CACHE_DIR)")


def private_folder(folder: Path) -> str | None:
    """Create ``folder`` (mode 0700) if needed; return why it cannot be used, or None."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        return f"cannot create {folder}: {err.strerror or err}"
    return folder_problem(folder)


class _NotOurs(Exception):
    """A cache file owned by another user or writable by others: ignore it."""


def _read_own(path: Path) -> bytes:
    """The bytes of a cache file we own and only we can write (else :class:`_NotOurs`).

    The checks are made on the open file (no symbolic link is followed), so
    the file cannot be swapped between the check and the read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or _unsafe(info):
            raise _NotOurs(path)
        return fh.read()


def _ours(path: Path) -> bool:
    """True if ``path`` is a regular file we own that others cannot write."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and _unsafe(info) is None


def read(key: str, folder: Path | None = None) -> tuple[bytes, dict[str, Any]] | None:
    """The cached payload and metadata for ``key``, or None (missing, stale, corrupt, not ours).

    A corrupt entry of ours (bad manifest, wrong size or checksum) is removed
    so that the next load rebuilds it; an entry that is not ours is ignored
    and left alone. Nothing is read from a folder :func:`folder_problem`
    rejects.
    """
    folder = Path(folder) if folder is not None else paths.cache_dir()
    if folder_problem(folder):
        return None
    payload_path, manifest_path = _files(key, folder)
    try:
        manifest = json.loads(_read_own(manifest_path).decode("utf-8"))
        payload = _read_own(payload_path)
    except (FileNotFoundError, _NotOurs):
        return None
    except (OSError, ValueError):
        _remove_ours(payload_path, manifest_path)
        return None
    ok = (
        isinstance(manifest, dict)
        and manifest.get("key") == key
        and manifest.get("format") == CACHE_FORMAT
        and manifest.get("size") == len(payload)
        and manifest.get("sha256") == hashlib.sha256(payload).hexdigest()
    )
    if not ok:
        _remove_ours(payload_path, manifest_path)
        return None
    return payload, manifest.get("meta") or {}


def write(key: str, payload: bytes, meta: dict[str, Any], folder: Path | None = None) -> bool:
    """Store ``payload`` under ``key``; return False (and do nothing) if the folder is unusable.

    The folder is created with mode 0700. An existing entry for ``key``
    that is not ours is left as it is (and this payload is not cached).
    """
    folder = Path(folder) if folder is not None else paths.cache_dir()
    payload_path, manifest_path = _files(key, folder)
    manifest = {
        "key": key,
        "format": CACHE_FORMAT,
        "version": __version__,
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "meta": meta,
    }
    if private_folder(folder):
        return False
    if any(p.exists() and not _ours(p) for p in (payload_path, manifest_path)):
        return False
    try:
        _write_atomic(payload_path, payload)
        _write_atomic(manifest_path, json.dumps(manifest, indent=1).encode("utf-8"))
    except OSError:
        return False
    _prune(folder)
    return True


def clear(folder: Path | None = None) -> int:
    """Delete every cache entry of ours; return how many files were removed."""
    folder = Path(folder) if folder is not None else paths.cache_dir()
    removed = 0
    for path in list(folder.glob("*.nq")) + list(folder.glob("*.json")):
        removed += _remove_ours(path)
    return removed


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        _remove(Path(tmp))
        raise


def _remove(*files: Path) -> int:
    count = 0
    for path in files:
        try:
            path.unlink()
            count += 1
        except OSError:
            pass
    return count


def _remove_ours(*files: Path) -> int:
    """Remove those of ``files`` that are ours (see :func:`_ours`); return how many."""
    return _remove(*(path for path in files if _ours(path)))


def _prune(folder: Path) -> None:
    """Keep only the :data:`KEEP` most recently written entries of ours."""
    try:
        manifests = sorted((p for p in folder.glob("*.json") if _ours(p)),
                           key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in manifests[KEEP:]:
        _remove_ours(old, old.with_suffix(".nq"))
