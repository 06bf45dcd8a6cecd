"""The cache folder: where ddkb keeps what it builds, and whether it is safe to use.

Everything ddkb builds to start fast (the on-disk stores of :mod:`ddkb.store`,
fetched ``owl:imports`` copies) lives under :func:`ddkb.paths.cache_dir`. A
cache folder shared with other users could hold entries planted by one of
them, so a folder owned by another user or writable by group or others is not
used (ddkb then runs without it and says so), and folders ddkb creates are
private (0700).

>>> import tempfile, pathlib
>>> private_folder(pathlib.Path(tempfile.mkdtemp()) / "new") is None
True
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from . import paths


def unsafe(info: os.stat_result) -> str | None:
    """Why a file or folder with this status must not be trusted, or None."""
    if info.st_uid != os.getuid():
        return f"is owned by another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by other users"
    return None


def folder_problem(folder: Path | None = None) -> str | None:
    """A one-line warning if the cache folder exists but must not be used, else None.

    A folder that does not exist yet is fine (it will be created 0700).
    """
    folder = Path(folder) if folder is not None else paths.cache_dir()
    try:
        info = folder.stat()
    except OSError:
        return None  # missing (created later) or unreachable (writing will fail quietly)
    why = unsafe(info) if stat.S_ISDIR(info.st_mode) else None
    if why is None:
        return None
    return (f"the cache folder {folder} {why}; running without the cache "
            "(use a private folder: chmod 700, or set DDKB_CACHE_DIR)")


def private_folder(folder: Path) -> str | None:
    """Create ``folder`` (mode 0700) if needed; return why it cannot be used, or None.

    Missing parent folders are created 0700 too (``mkdir -p`` would give them
    the umask's mode, and the cache root must be private).
    """
    missing = [folder, *[p for p in folder.parents]]
    missing = [p for p in missing if not p.exists()]
    try:
        for part in reversed(missing):
            part.mkdir(mode=0o700, exist_ok=True)
    except OSError as err:
        return f"cannot create {folder}: {err.strerror or err}"
    return folder_problem(folder)


def remember(path: Path, text: str) -> None:
    """Write ``text`` to the cache file ``path`` atomically (temporary file + rename).

    A cache that cannot be written is no error: the answer is only not kept,
    and no temporary file is left behind.
    """
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
