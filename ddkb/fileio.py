"""Writing outputs safely: atomically, in UTF-8, never over an input file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError


def _final_mode(target: Path) -> int:
    """The mode the output should get: the existing file's, else 0o666 less the umask.

    ``mkstemp`` creates files readable by their owner only; a written map or
    export must end up with the same permissions a plain ``open()`` would give.
    """
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | Path, data: str | bytes, *,
                 protect: Iterable[str | Path] = ()) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename.

    A failure leaves any existing file untouched and no partial output behind.
    ``protect`` lists input files that must never be overwritten.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(p, "hello").read_text()
    'hello'
    """
    target = Path(path)
    resolved = target.resolve()
    for item in protect:
        if Path(item).resolve() == resolved:
            raise InputError(f"{target}: refusing to overwrite an input file")
    if target.is_dir():
        raise InputError(f"{target}: is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{target}: folder {parent} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        os.fchmod(fd, _final_mode(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target
