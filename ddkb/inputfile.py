"""One input file of a load: read at most once, and only when its bytes are needed.

A warm run (the store for these inputs is built already) needs nothing of a
``--data`` file but its sha256, to find the store. Reading and hashing a
2-million-triple file takes half a second and its whole size in memory, so,
as git's index does, the digest is remembered beside the file's identity and
stamp (device, inode, size, modification and change times) in the private
cache folder, and trusted for as long as that stamp is unchanged. Any write
to a file changes its change time (which no program can set back), and a
replacement changes its inode.

Two rules keep the memo honest:

* **racy files** -- a file is remembered only when its last change is more
  than :data:`RACY_SECONDS` older than the moment it was read, and its stamp
  was the same before and after the read: a write later in the same clock
  tick as the last change (coarse file-system clocks tick every second or
  two) could otherwise leave the stamp as it was. A file written just now is
  therefore read and hashed again on its next use, and remembered then.
* **files rewritten before parsing** -- only N-Triples, N-Quads, Turtle and
  TriG reach the parser as they are; RDF/XML and JSON-LD are checked and
  rewritten first (:func:`ddkb.inputs.check_content`), so they are always
  read. So are pipes, and the bundled files (small, and read as they are).

The memo also remembers the smallest literal size limit a file was cleared
for (:func:`ddkb.inputs.may_hold_long_literal`), so that a warm run does not
read the file to check its literals either.

>>> import tempfile, pathlib, pyoxigraph as ox
>>> f = pathlib.Path(tempfile.mkdtemp()) / "a.nt"
>>> _ = f.write_bytes(b'<http://example.org/a> <http://example.org/b> "c" .')
>>> InputFile(f, ox.RdfFormat.N_TRIPLES, memo=False).digest[:16]
'736e8b192af749c2'
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataFileError
from .inputs import Limits, _too_large, may_hold_long_literal, read_rdf

if TYPE_CHECKING:
    import pyoxigraph as ox

#: A file changed less than this long before it was read is not remembered.
RACY_SECONDS = 2
#: Media types of the formats checked and rewritten before parsing (never remembered).
_REWRITTEN = ("application/rdf+xml", "application/ld+json")
#: The parts of ``os.stat`` that change when a file's content may have changed.
_STAMP = ("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")
_MEMO_FORMAT = 1


def _stamp(info: os.stat_result) -> list[int]:
    return [getattr(info, name) for name in _STAMP]


def _memo_path(path: Path) -> Path:
    """Where the digest of the file at ``path`` is remembered (the folder is made on first save)."""
    from . import paths

    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()
    return paths.cache_dir() / "file-digests" / f"{name}.json"


class InputFile:
    """An input file of ``fmt`` whose ``content`` is read (and checked) on first use.

    ``digest`` (hex sha256 of the content) comes from the memo when the file
    is unchanged since it was remembered, else from reading it. A bundled file
    is read as it is; a user's through :func:`ddkb.inputs.read_rdf` with
    ``limits``. ``graph`` is the named graph a load puts it in. ``memo=False``
    never uses the memo (e.g. without the cache).
    """

    def __init__(self, path: Path, fmt: ox.RdfFormat, limits: Limits | None = None, *,
                 bundled: bool = False, graph: str = "", memo: bool = True) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.graph = graph
        self.limits = limits or Limits()
        self.bundled = bundled
        self._content: bytes | None = None
        self._digest: str | None = None
        self._entry: dict[str, Any] | None = None
        self._memo_file = None if bundled or not memo or fmt.media_type in _REWRITTEN \
            else _memo_path(self.path)
        if self._memo_file is not None:
            self._entry = self._recall()

    # -- what a load asks of a file ---------------------------------------------------------
    @property
    def content(self) -> bytes:
        """The file's (checked) bytes, read on first use."""
        if self._content is None:
            self._content = self._read()
        return self._content

    @property
    def digest(self) -> str:
        """The hex sha256 of :attr:`content`: remembered, or computed from the bytes."""
        if self._digest is None:
            if self._entry is not None:
                self._digest = self._entry["sha256"]
            else:
                self._digest = hashlib.sha256(self.content).hexdigest()
        return self._digest

    @property
    def size(self) -> int:
        """How many bytes the parser gets."""
        if self._content is None and self._entry is not None:
            return int(self._entry["stamp"][2])
        return len(self.content)

    def may_hold_long_literal(self, limit: int) -> bool:
        """:func:`ddkb.inputs.may_hold_long_literal` of the content, remembered when False."""
        cleared = (self._entry or {}).get("literals_within")
        if isinstance(cleared, int) and cleared <= limit:
            return False  # no literal longer than `cleared`, so none longer than `limit`
        if may_hold_long_literal(self.content, self.fmt, limit):
            return True
        if self._entry is not None:
            self._entry["literals_within"] = limit
            self._save(self._entry)
        return False

    # -- reading ------------------------------------------------------------------------------
    def _read(self) -> bytes:
        if self.bundled:
            return self.path.read_bytes()
        before = self._stat()
        seen_at = time.time_ns()
        content = read_rdf(self.path, self.fmt, self.limits)
        digest = hashlib.sha256(content).hexdigest()
        if self._digest is not None and digest != self._digest:  # a store was chosen by it
            self._forget()
            raise DataFileError(f"{self.path}: changed while ddkb was reading it; run again")
        if self._entry is not None and digest != self._entry["sha256"]:
            self._forget()
        self._digest = digest
        if self._memo_file is not None and before is not None and self._entry is None:
            after = self._stat()
            changed = max(before.st_mtime_ns, before.st_ctime_ns)
            if after is not None and _stamp(after) == _stamp(before) \
                    and seen_at - changed > RACY_SECONDS * 1_000_000_000:
                self._entry = {"stamp": _stamp(before), "sha256": digest}
                self._save(self._entry)
        return content

    def _stat(self) -> os.stat_result | None:
        """The file's status if it is a readable regular file, else None (never remembered)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info if stat.S_ISREG(info.st_mode) else None

    # -- the memo -------------------------------------------------------------------------------
    def _recall(self) -> dict[str, Any] | None:
        """The remembered entry if the file's stamp still matches it (and it may be read)."""
        from .cache import unsafe

        info = self._stat()
        memo = self._memo_file
        if info is None or memo is None or not os.access(self.path, os.R_OK):
            return None
        try:
            if unsafe(memo.parent.stat()) is not None or unsafe(memo.stat()) is not None:
                return None
            entry = json.loads(memo.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (isinstance(entry, dict) and entry.get("format") == _MEMO_FORMAT
                and entry.get("path") == str(self.path.resolve())
                and entry.get("stamp") == _stamp(info)
                and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64):
            return None
        if info.st_size > self.limits.max_input_size:
            raise _too_large(self.path, self.limits.max_input_size, info.st_size)
        return entry

    def _save(self, entry: dict[str, Any]) -> None:
        """Write the memo entry atomically; a cache that cannot be written is no error."""
        from .cache import private_folder, remember

        memo = self._memo_file
        if memo is None or private_folder(memo.parent) is not None:
            return
        remember(memo, json.dumps({**entry, "format": _MEMO_FORMAT,
                                   "path": str(self.path.resolve())}))

    def _forget(self) -> None:
        self._entry = None
        if self._memo_file is not None:
            try:
                self._memo_file.unlink()
            except OSError:
                pass
