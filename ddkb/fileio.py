"""Writing outputs safely: atomically, in UTF-8, never over an input file.

The rules :func:`write_atomic` applies to an output path (``-o`` of every command,
``ddkb release`` files):

* a **regular file** (new or existing) is written to a temporary file
  ``.NAME.*.tmp`` in its folder, flushed to disk and renamed over the target, so a
  failure leaves either the old file or the complete new one, never half of it;
* a **symbolic link** is followed: the file it points to is written under the same
  rules (a regular target is replaced atomically, the link itself stays a link);
  a dangling link creates its target, as a shell redirect would;
* a **character device** (``/dev/null``, ``/dev/stdout``, a terminal) or a **FIFO**
  (a named pipe, ``/dev/stdout`` piped to another program) is written through by
  opening it for writing -- never replaced by a file; a FIFO with no reader waits for
  one, as with ``>``;
* ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` name a
  descriptor the process already has open: the data is written to that descriptor,
  so it goes where the shell sent it (appended after ``>>``), and a file the shell
  redirected to is not replaced;
* a folder, block device or socket is refused, and so is a path ending in ``/``
  (it names a folder, even one that does not exist yet);
* a **read-only** target is refused: read-only is judged from the mode bits (no write
  permission for the owner) as well as from the caller's access rights, so even root,
  who could write anyway, does not overwrite a file someone made read-only. The same
  holds for the folder a new file would be created in;
* a path that is (or links to) one of ``protect`` -- the files the output was made
  from -- is refused;
* a SIGTERM or SIGHUP that arrives while a temporary file exists is held until the
  temporary file is removed; the process then ends by that signal as it would have
  (exit status 128 + signal number in a shell). Only signals left at their default
  action are held, and only in the main thread; a program's own handlers are kept.

Every refusal is an :class:`~ddkb.errors.InputError` (exit 2) whose one-line message
names the path; a write that fails for another reason (disk full, broken pipe) is a
:class:`~ddkb.errors.DdkbError` (exit 1). The library never prints.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from .errors import DdkbError, InputError

#: Signals held while a temporary file exists (those that exist on this platform).
HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))
#: Errors of the operating system that mean "the user cannot write there" (exit 2).
USAGE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR,
                errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.ENXIO}
_DESCRIPTOR_PATH = re.compile(r"^/dev/(stdout|stderr)$|^/(?:dev|proc/self)/fd/(\d+)$")
CHUNK = 1 << 20  # bytes written between two checks for a held signal


def write_atomic(path: str | Path, data: str | bytes, *,
                 protect: Iterable[str | Path] = ()) -> Path:
    """Write ``data`` (``str`` as UTF-8) to ``path`` under the rules of this module.

    ``protect`` lists the input files the output must never replace (pass
    ``kb.input_files()``). Returns ``path`` as a ``Path``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(p, "hello").read_text()
    'hello'
    """
    target = Path(path)
    _refuse_folder_name(path, target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    descriptor = _descriptor(path)
    if descriptor is not None:
        _write_to_descriptor(target, descriptor, payload)
        return target
    info = _stat(target)
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        _refuse_read_only(target, info)
        _write_through(target, payload)
        return target
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise InputError(f"{target}: is {_kind(info.st_mode)}; give a file name")
    real = _real_path(target, info)
    _refuse_inputs(target, real, info, protect)
    if info is not None:
        _refuse_read_only(target, info)
    folder = _writable_folder(target, real)
    _replace(target, real, folder, payload, info)
    return target


# -- what the path names -------------------------------------------------------------

def _refuse_folder_name(raw: str | Path, target: Path) -> None:
    """``-o newdir/`` names a folder: refuse it instead of writing a file ``newdir``."""
    text = os.fspath(raw)
    separators = tuple(s for s in (os.sep, os.altsep) if s)
    if target.is_dir():
        raise InputError(f"{target}: is a folder; give a file name")
    if text.endswith(separators):
        raise InputError(f"{text}: ends with '{text[-1]}', so it names a folder; "
                         "give a file name")


def _descriptor(raw: str | Path) -> int | None:
    """The open file descriptor a path such as ``/dev/stdout`` or ``/dev/fd/3`` names.

    Writing to the descriptor itself (not to a file reopened through ``/proc``) is
    what the user means: the output goes where the shell sent it, appended after
    ``>>``, and the file the shell opened is not replaced behind its back.
    """
    match = _DESCRIPTOR_PATH.match(os.path.normpath(os.fspath(raw)))
    if match is None:
        return None
    return {"stdout": 1, "stderr": 2}.get(match.group(1)) if match.group(2) is None \
        else int(match.group(2))


def _stat(target: Path) -> os.stat_result | None:
    """The target's status with symbolic links followed (``None``: nothing there yet)."""
    try:
        return os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise _os_error(target, "cannot use this path", err) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISBLK(mode):
        return "a block device (ddkb writes only to files, character devices and FIFOs)"
    if stat.S_ISSOCK(mode):
        return "a socket (ddkb writes only to files, character devices and FIFOs)"
    return "not a regular file"


def _real_path(target: Path, info: os.stat_result | None) -> Path:
    """The file a regular or new path stands for, symbolic links resolved.

    A link through ``/proc`` (``/dev/stdout`` redirected to a deleted file) may
    resolve to no file at all: then there is nothing that could be replaced.
    """
    real = Path(os.path.realpath(target))
    if info is not None:
        try:
            same = os.path.samestat(os.stat(real), info)
        except OSError:
            same = False
        if not same:
            raise InputError(f"{target}: cannot find the file this path leads to "
                             f"({real}); give the file's own path")
    return real


def _refuse_inputs(target: Path, real: Path, info: os.stat_result | None,
                   protect: Iterable[str | Path]) -> None:
    """Refuse a target that is one of the input files (same path or same file)."""
    for item in protect:
        item_path = Path(item)
        same = Path(os.path.realpath(item_path)) == real
        if not same and info is not None:
            try:
                same = os.path.samestat(os.stat(item_path), info)
            except OSError:
                same = False
        if same:
            shown = f"{target} ({real})" if os.path.islink(target) else target
            raise InputError(f"{shown}: refusing to overwrite an input file")


def _refuse_read_only(target: Path, info: os.stat_result) -> None:
    """Refuse a file without write permission, judged from its mode bits too."""
    if not info.st_mode & stat.S_IWUSR:
        raise InputError(f"{target}: is read-only (mode {stat.S_IMODE(info.st_mode):04o}); "
                         "not overwritten")
    if not os.access(target, os.W_OK):
        raise InputError(f"{target}: not writable (permission denied)")


def _writable_folder(target: Path, real: Path) -> Path:
    """The existing, writable folder the new file will be created in."""
    folder = real.parent
    shown = folder if os.path.islink(target) else (target.parent if str(target.parent)
                                                   else Path("."))
    _check_folder(folder, target, f"folder {shown}")
    return folder


def _check_folder(folder: Path, target: Path, shown: str) -> None:
    """Refuse a folder that is missing, not a folder, or read-only (mode bits too)."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        raise InputError(f"{target}: {shown} does not exist") from None
    except OSError as err:
        raise _os_error(target, f"cannot use {shown}", err) from None
    if not stat.S_ISDIR(info.st_mode):
        raise InputError(f"{target}: {shown} is not a folder")
    if not info.st_mode & stat.S_IWUSR or not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{target}: cannot write in {shown} (read-only or "
                         "permission denied)")


def check_output_folder(folder: str | Path) -> None:
    """Refuse (``InputError``, exit 2) an output folder ddkb could not fill: an
    existing one must be a writable folder; a new one needs a writable nearest
    existing parent. Read-only is judged from the mode bits as for files, so root
    is refused too. Nothing is created (``ddkb release`` calls this before its build).
    """
    folder = Path(folder)
    if os.path.lexists(folder):
        _check_folder(folder, folder, "the folder")
        return
    existing = next((p for p in folder.parents if os.path.lexists(p)), Path("."))
    _check_folder(existing, folder, f"folder {existing}")


def _os_error(target: Path, what: str, err: OSError) -> DdkbError:
    """One line for an operating-system error; exit 2 when it is about the path."""
    reason = err.strerror or str(err)
    cls = InputError if err.errno in USAGE_ERRNOS else DdkbError
    return cls(f"{target}: {what}: {reason}")


# -- writing ---------------------------------------------------------------------------

def _write_through(target: Path, payload: bytes) -> None:
    """Write to a character device or FIFO by opening it (no temporary file, no rename)."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise _os_error(target, "cannot open for writing", err) from None
    try:
        _write_all(target, fd, payload)
    finally:
        os.close(fd)


def _write_to_descriptor(target: Path, fd: int, payload: bytes) -> None:
    """Write to an already open descriptor (after what Python buffered for it)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and stream.fileno() == fd:
                stream.flush()
        except (AttributeError, OSError, ValueError):
            pass  # replaced (e.g. by a test runner) or closed: nothing buffered for fd
    try:
        os.fstat(fd)
    except OSError:
        raise InputError(f"{target}: file descriptor {fd} is not open") from None
    _write_all(target, fd, payload)


def _write_all(target: Path, fd: int, payload: bytes) -> None:
    """Write every byte (``os.write`` may write fewer to a pipe or terminal)."""
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
    except OSError as err:
        raise _os_error(target, "cannot write", err) from None


def _replace(target: Path, real: Path, folder: Path, payload: bytes,
             old: os.stat_result | None) -> None:
    """Write ``payload`` to a temporary file in ``folder`` and rename it over ``real``."""
    with _HeldSignals() as held:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=folder)
        except OSError as err:
            raise _os_error(target, f"cannot create a file in folder {folder}", err) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                _keep_mode_and_owner(fh.fileno(), old)
                view = memoryview(payload)
                for start in range(0, len(view), CHUNK):
                    held.check()
                    fh.write(view[start:start + CHUNK])
                fh.flush()
                held.check()
                os.fsync(fh.fileno())
            held.check()
            os.replace(tmp, real)
        except BaseException as err:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(err, OSError):
                raise _os_error(target, "cannot write", err) from None
            raise


def _keep_mode_and_owner(fd: int, old: os.stat_result | None) -> None:
    """Give the new file the old file's mode and owner, else 0o666 less the umask.

    ``mkstemp`` creates files readable by their owner only; a written map or
    export must end up with the permissions a plain ``open()`` would give, and a
    file root rewrites keeps its owner.
    """
    if old is None:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        return
    os.fchmod(fd, stat.S_IMODE(old.st_mode))
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:
            pass  # not root: the file becomes the writer's, as with any rewrite


class _Stopped(BaseException):
    """A held signal arrived: stop writing, remove the temporary file."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _HeldSignals:
    """While active, SIGTERM/SIGHUP (when at their default action) only note that they
    arrived; ``check()`` raises ``_Stopped``. On exit the previous handlers come back
    and a noted signal is sent again, so the process ends by it once the caller has
    cleaned up (or, if the signal came after the write finished, with the output
    complete)."""

    def __init__(self) -> None:
        self.caught: int | None = None
        self.saved: dict[int, object] = {}

    def __enter__(self) -> _HeldSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in HELD_SIGNALS:
                if signal.getsignal(signum) is signal.SIG_DFL:
                    self.saved[signum] = signal.signal(signum, self._note)
        return self

    def _note(self, signum: int, frame) -> None:
        if self.caught is None:
            self.caught = signum

    def check(self) -> None:
        if self.caught is not None:
            raise _Stopped(self.caught)

    def __exit__(self, *exc) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)
        if self.caught is not None:
            os.kill(os.getpid(), self.caught)  # the default action: end the process
            raise SystemExit(128 + self.caught)  # only if the signal did not end it
