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

>>> key = cache_key([("g", b"<a> <b> <c> .", "nt")], infer=None)
>>> len(key)
64
"""

from __future__ import annotations

import hashlib
import json
import os
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


def read(key: str, folder: Path | None = None) -> tuple[bytes, dict[str, Any]] | None:
    """The cached payload and metadata for ``key``, or None (missing, stale or corrupt).

    A corrupt entry (bad manifest, wrong size or checksum) is removed so that
    the next load rebuilds it.
    """
    folder = Path(folder) if folder is not None else paths.cache_dir()
    payload_path, manifest_path = _files(key, folder)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        payload = payload_path.read_bytes()
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        _remove(payload_path, manifest_path)
        return None
    ok = (
        isinstance(manifest, dict)
        and manifest.get("key") == key
        and manifest.get("format") == CACHE_FORMAT
        and manifest.get("size") == len(payload)
        and manifest.get("sha256") == hashlib.sha256(payload).hexdigest()
    )
    if not ok:
        _remove(payload_path, manifest_path)
        return None
    return payload, manifest.get("meta") or {}


def write(key: str, payload: bytes, meta: dict[str, Any], folder: Path | None = None) -> bool:
    """Store ``payload`` under ``key``; return False (and do nothing) if the folder is unusable."""
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
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(payload_path, payload)
        _write_atomic(manifest_path, json.dumps(manifest, indent=1).encode("utf-8"))
    except OSError:
        return False
    _prune(folder)
    return True


def clear(folder: Path | None = None) -> int:
    """Delete every cache entry; return how many files were removed."""
    folder = Path(folder) if folder is not None else paths.cache_dir()
    removed = 0
    for path in list(folder.glob("*.nq")) + list(folder.glob("*.json")):
        removed += _remove(path)
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


def _prune(folder: Path) -> None:
    """Keep only the :data:`KEEP` most recently written entries."""
    try:
        manifests = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in manifests[KEEP:]:
        _remove(old, old.with_suffix(".nq"))
