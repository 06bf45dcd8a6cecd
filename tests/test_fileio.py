"""Output files (``ddkb.fileio.write_atomic`` and every ``-o``): a regular file is
replaced atomically, a device, FIFO or symlink is written through or refused but never
replaced, a read-only file, a folder or an input file is never overwritten, and a
signal never leaves a temporary file behind."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import pytest

from ddkb.errors import InputError
from ddkb.fileio import check_output_folder, write_atomic

FIXTURES = Path(__file__).parent / "fixtures" / "link"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def ddkb_command() -> str:
    """The installed ``ddkb`` console script beside the Python running the tests."""
    found = shutil.which("ddkb", path=os.path.dirname(sys.executable)) or shutil.which("ddkb")
    assert found, "the ddkb console script is not installed"
    return found


def run_ddkb(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([ddkb_command(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, **kw)


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture()
def imports_copy(tmp_path) -> Path:
    """A private copy of the owl:imports fixture: user.ttl, its catalog, ext/*.ttl."""
    folder = tmp_path / "imports"
    shutil.copytree(FIXTURES / "imports", folder)
    return folder


@pytest.fixture()
def dev_guard():
    """Puts /dev/null and /dev/stdout back as they were (a character device; on Linux
    a link to /proc/self/fd/1) if a test broke them -- only a regression of the fix
    could, by renaming a file over them -- so the machine keeps working; the test
    then fails."""
    null = os.lstat("/dev/null")
    stdout_link = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    yield
    broken = []
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        broken.append("/dev/null")
        if IS_ROOT:
            os.unlink("/dev/null")
            os.mknod("/dev/null", stat.S_IFCHR | stat.S_IMODE(null.st_mode), null.st_rdev)
            os.chmod("/dev/null", stat.S_IMODE(null.st_mode))
    if stdout_link is not None and not os.path.islink("/dev/stdout"):
        broken.append("/dev/stdout")
        if IS_ROOT:
            os.unlink("/dev/stdout")
            os.symlink(stdout_link, "/dev/stdout")
    assert not broken, f"{broken} had been replaced by a file (restored if root)"


# -- regular files --------------------------------------------------------------------

def test_new_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "out.html", "<p>x</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "<p>x</p>"


def test_existing_file_keeps_its_mode_and_no_temp_file_is_left(tmp_path):
    path = tmp_path / "out.ttl"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_root_rewriting_a_users_file_keeps_its_owner(tmp_path):
    path = tmp_path / "theirs.ttl"
    path.write_text("old")
    os.chown(path, 65534, 65534)
    write_atomic(path, "new")
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)
    assert path.read_text() == "new"


def test_refuses_to_overwrite_an_input_and_a_missing_folder(tmp_path):
    source = tmp_path / "mine.ttl"
    source.write_text("keep")
    with pytest.raises(InputError, match="refusing to overwrite an input file"):
        write_atomic(source, "x", protect=[source])
    assert source.read_text() == "keep"
    with pytest.raises(InputError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "out.txt", "x")


def test_a_read_only_file_is_refused_and_unchanged(tmp_path):
    # root could write it anyway: read-only is judged from the mode bits
    path = tmp_path / "frozen.ttl"
    path.write_text("keep")
    path.chmod(0o444)
    with pytest.raises(InputError) as err:
        write_atomic(path, "new")
    assert one_line(str(err.value)) == f"{path}: is read-only (mode 0444); not overwritten"
    assert path.read_text() == "keep"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert temp_files(tmp_path) == []


def test_a_read_only_folder_is_refused_with_a_one_line_message(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(InputError) as err:
            write_atomic(folder / "out.ttl", "x")
        assert one_line(str(err.value)) == (
            f"{folder / 'out.ttl'}: cannot write in folder {folder} "
            "(read-only or permission denied)")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_path_ending_in_a_slash_names_a_folder_and_creates_nothing(tmp_path):
    with pytest.raises(InputError) as err:
        write_atomic(f"{tmp_path}/newdir/", "x")
    assert one_line(str(err.value)) == (
        f"{tmp_path}/newdir/: ends with '/', so it names a folder; give a file name")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match=f"^{tmp_path}: is a folder; give a file name$"):
        write_atomic(tmp_path, "x")


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(InputError, match=f"^{path}: is a socket"):
            write_atomic(path, "x")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


# -- symbolic links -------------------------------------------------------------------

def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "answer.csv"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "latest.csv"
    link.symlink_to(Path("real") / "answer.csv")  # relative, as users make them
    assert write_atomic(link, "new") == link
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "answer.csv")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert temp_files(tmp_path) == [] and temp_files(real_dir) == []


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "latest.csv"
    link.symlink_to("made.csv")
    write_atomic(link, "new")
    assert link.is_symlink() and (tmp_path / "made.csv").read_text() == "new"


def test_a_symlink_to_a_read_only_file_or_to_an_input_is_refused(tmp_path):
    frozen = tmp_path / "frozen.ttl"
    frozen.write_text("keep")
    frozen.chmod(0o444)
    link = tmp_path / "link.ttl"
    link.symlink_to(frozen)
    with pytest.raises(InputError, match="is read-only"):
        write_atomic(link, "new")
    source = tmp_path / "mine.ttl"
    source.write_text("keep")
    alias = tmp_path / "alias.ttl"
    alias.symlink_to(source)
    with pytest.raises(InputError) as err:
        write_atomic(alias, "new", protect=[source])
    assert one_line(str(err.value)) == (
        f"{alias} ({source}): refusing to overwrite an input file")
    assert frozen.read_text() == "keep" and source.read_text() == "keep"
    assert link.is_symlink() and alias.is_symlink()


def test_a_symlink_loop_is_one_line(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(InputError) as err:
        write_atomic(tmp_path / "a", "x")
    assert one_line(str(err.value)).startswith(f"{tmp_path / 'a'}: cannot use this path: ")


# -- devices and FIFOs ----------------------------------------------------------------

def test_dev_null_stays_a_character_device(dev_guard):
    before = os.lstat("/dev/null")
    write_atomic("/dev/null", "x" * 10000)
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not [n for n in os.listdir("/dev") if n.startswith(".null.")]


def test_a_character_device_gets_the_data_written_through(tmp_path):
    master, slave = os.openpty()
    try:
        tty.setraw(slave)  # no newline translation: the bytes arrive as written
        name = os.ttyname(slave)
        write_atomic(name, "hello through a terminal\n")
        assert os.read(master, 1000) == b"hello through a terminal\n"
        assert stat.S_ISCHR(os.stat(name).st_mode)
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_a_device_node_in_a_folder_is_not_replaced(tmp_path):
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    write_atomic(node, "x")
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_a_descriptor_path_writes_to_that_descriptor(tmp_path):
    read_end, write_end = os.pipe()
    try:
        for path in (f"/dev/fd/{write_end}", f"/proc/self/fd/{write_end}"):
            if not os.path.exists(path):
                continue  # no /proc on this system
            write_atomic(path, f"through {path}\n")
            assert os.read(read_end, 1000) == f"through {path}\n".encode()
    finally:
        os.close(read_end)
        os.close(write_end)
    with pytest.raises(InputError, match=f"^/dev/fd/{write_end}: file descriptor "
                                         f"{write_end} is not open$"):
        write_atomic(f"/dev/fd/{write_end}", "x")


def read_fifo_in_thread(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            received.append(fh.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread, received


def test_a_fifo_gets_the_data_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    payload = "line\n" * 100_000  # more than a pipe holds: needs the reader to drain it
    thread, received = read_fifo_in_thread(fifo)
    write_atomic(fifo, payload)
    thread.join(timeout=30)
    assert received == [payload.encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_read_only_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o444)
    with pytest.raises(InputError, match="is read-only"):
        write_atomic(fifo, "x")  # refused before opening: no reader needed


# -- output folders (ddkb release) -----------------------------------------------------

def test_check_output_folder(tmp_path):
    check_output_folder(tmp_path / "new" / "sub")  # creatable: nothing raised
    assert not (tmp_path / "new").exists()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for folder, shown in ((locked, "the folder"), (locked / "sub", f"folder {locked}")):
            with pytest.raises(InputError) as err:
                check_output_folder(folder)
            assert one_line(str(err.value)) == (
                f"{folder}: cannot write in {shown} (read-only or permission denied)")
    finally:
        locked.chmod(0o755)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        check_output_folder(tmp_path / "file" / "sub")


# -- signals ----------------------------------------------------------------------------

def test_signal_handlers_are_restored_after_a_write(tmp_path):
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGHUP, mine)
    try:
        term_before = signal.getsignal(signal.SIGTERM)
        write_atomic(tmp_path / "out.txt", "x")
        assert signal.getsignal(signal.SIGHUP) is mine
        assert signal.getsignal(signal.SIGTERM) == term_before
    finally:
        signal.signal(signal.SIGHUP, previous)


#: Installed in the ddkb subprocess (sitecustomize): at the first audited operation
#: after the temporary file of ``out.ttl`` exists (``tempfile.mkstemp`` is announced
#: just before the file is created), say so and wait until the test has signalled.
PAUSE_AT_TEMP_FILE = '''
import os, sys, time
from pathlib import Path

_sync = Path(os.environ["DDKB_TEST_SYNC_DIR"])
_temp = None

def _pause(event, args):
    global _temp
    if event == "tempfile.mkstemp" and Path(args[0]).name.startswith(".out.ttl."):
        _temp = Path(args[0])
    elif _temp is not None and _temp.exists():
        temp, _temp = _temp, None
        (_sync / "ready").write_text(str(temp))
        deadline = time.monotonic() + 120
        while not (_sync / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.01)

sys.addaudithook(_pause)
'''


def _default_signal_actions() -> None:
    """In the child: SIGTERM and SIGHUP as a terminal would deliver them.

    A suite started under ``nohup`` (or by a service manager) passes SIGHUP on as
    ignored, and ddkb rightly keeps ignoring it; the test is about the default.
    """
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_write_leaves_no_temp_file(tmp_path, signum):
    """A real ``ddkb export -o out.ttl`` is signalled while its temporary file exists."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(PAUSE_AT_TEMP_FILE)
    work = tmp_path / "work"
    work.mkdir()
    (work / "out.ttl").write_text("previous export\n")
    env = {**os.environ, "PYTHONPATH": str(hook), "DDKB_TEST_SYNC_DIR": str(hook)}
    proc = subprocess.Popen([ddkb_command(), "export", "-o", "out.ttl"], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_signal_actions)
    try:
        deadline = time.monotonic() + 120
        while not (hook / "ready").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "ddkb never created its temporary file"
            time.sleep(0.02)
        temp = Path((hook / "ready").read_text())
        assert temp.exists()  # the write is under way
        proc.send_signal(signum)
        time.sleep(0.2)  # let the signal land while ddkb still waits in the hook
        (hook / "go").write_text("")
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signum  # ended by the signal (status 128+signum in a shell)
    assert not temp.exists()
    assert temp_files(work) == []
    assert (work / "out.ttl").read_text() == "previous export\n"


# -- every command's -o ---------------------------------------------------------------

def test_cli_export_and_align_refuse_an_imported_file_and_its_catalog(cli, runner,
                                                                     imports_copy):
    user = imports_copy / "user.ttl"
    protected = [imports_copy / "ext" / "vocab.ttl", imports_copy / "ext" / "base.ttl",
                 imports_copy / "catalog-v001.xml", user]
    before = {p: p.read_bytes() for p in protected}
    thesaurus = FIXTURES / "thesaurus.ttl"
    runs = [["export", "--data", str(user), "-o", str(target)] for target in protected]
    runs.append(["align", str(thesaurus), "--data", str(user), "-o", str(protected[1])])
    runs.append(["map", "--data", str(user), "-o", str(protected[2])])
    for args in runs:
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.stderr)
        assert one_line(result.stderr) == f"Error: {args[-1]}: refusing to overwrite an input file"
    assert {p: p.read_bytes() for p in protected} == before
    assert temp_files(imports_copy) == [] and temp_files(imports_copy / "ext") == []


def test_cli_query_refuses_the_catalog_of_a_data_file(cli, runner, imports_copy):
    catalog = imports_copy / "catalog-v001.xml"
    before = catalog.read_bytes()
    result = runner.invoke(cli, ["query", "--data", str(imports_copy / "user.ttl"), "-n",
                                 "instruments", "-o", str(catalog)])
    assert catalog.read_bytes() == before
    assert result.exit_code == 2
    assert one_line(result.stderr) == f"Error: {catalog}: refusing to overwrite an input file"


def test_cli_align_refuses_other(cli, runner, tmp_path):
    other = tmp_path / "thesaurus.ttl"
    shutil.copy(FIXTURES / "thesaurus.ttl", other)
    result = runner.invoke(cli, ["align", str(other), "-o", str(other)])
    assert result.exit_code == 2
    assert one_line(result.stderr) == f"Error: {other}: refusing to overwrite an input file"
    assert other.read_bytes() == (FIXTURES / "thesaurus.ttl").read_bytes()


def test_kb_input_files_lists_imports_and_catalogs(imports_copy):
    import ddkb

    kb = ddkb.load(data=[imports_copy / "user.ttl"])
    found = {Path(p).resolve() for p in kb.input_files()}
    for name in ("user.ttl", "catalog-v001.xml", "ext/vocab.ttl", "ext/base.ttl"):
        assert (imports_copy / name).resolve() in found
    assert any(f.bundled and f.path.resolve() in found for f in kb.files)


COMMANDS_WITH_OUTPUT = [["export"], ["query", "-n", "instruments"], ["map"],
                       ["align", str(FIXTURES / "thesaurus.ttl")]]


@pytest.mark.parametrize("command", COMMANDS_WITH_OUTPUT)
def test_cli_output_errors_are_one_line_exit_2_and_write_nothing(cli, runner, tmp_path,
                                                                 command):
    frozen = tmp_path / "frozen.txt"
    frozen.write_text("keep")
    frozen.chmod(0o444)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    cases = {
        str(frozen): f"{frozen}: is read-only (mode 0444); not overwritten",
        str(locked / "out.txt"): f"{locked / 'out.txt'}: cannot write in folder {locked} "
                                 "(read-only or permission denied)",
    }
    try:
        for target, message in cases.items():
            result = runner.invoke(cli, [*command, "-o", target])
            assert result.exit_code == 2, (target, result.stderr, result.exception)
            assert one_line(result.stderr) == f"Error: {message}"
    finally:
        locked.chmod(0o755)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frozen.txt", "locked"]
    assert list(locked.iterdir()) == [] and frozen.read_text() == "keep"


@pytest.mark.parametrize("command", COMMANDS_WITH_OUTPUT)
def test_cli_output_ending_in_a_slash_creates_nothing(cli, runner, tmp_path, command):
    result = runner.invoke(cli, [*command, "-o", f"{tmp_path}/newdir/"])
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert one_line(result.stderr) == (
        f"Error: {tmp_path}/newdir/: ends with '/', so it names a folder; give a file name")
    assert list(tmp_path.iterdir()) == []


def test_cli_export_through_a_symlink_keeps_the_link(cli, runner, tmp_path):
    target = tmp_path / "ddkb-2024.ttl"
    target.write_text("old")
    link = tmp_path / "ddkb-latest.ttl"
    link.symlink_to(target.name)
    result = runner.invoke(cli, ["export", "-o", str(link)])
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert "@prefix ddkb: <https://w3id.org/ddkb/>" in target.read_text()


def test_real_ddkb_query_to_dev_null_keeps_the_device(tmp_path, dev_guard):
    res = run_ddkb(["query", "-n", "instruments", "-o", "/dev/null"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert res.stdout == ""


def test_real_ddkb_export_to_dev_stdout_writes_into_the_pipe(tmp_path, dev_guard):
    res = run_ddkb(["export", "--format", "nt", "-o", "/dev/stdout"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "<https://w3id.org/ddkb/ontology> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>" \
        in res.stdout
    assert list(tmp_path.iterdir()) == []


def test_real_ddkb_export_to_dev_stdout_appended_to_a_file(tmp_path, dev_guard):
    """``ddkb export -o /dev/stdout >> log.nt``: appended, the file is not replaced."""
    log = tmp_path / "log.nt"
    log.write_text("# previous content\n")
    inode = log.stat().st_ino
    with open(log, "ab") as out:
        res = subprocess.run([ddkb_command(), "export", "--format", "nt", "-o", "/dev/stdout"],
                             cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, timeout=180)
    assert res.returncode == 0, res.stderr
    text = log.read_text()
    assert text.startswith("# previous content\n<")
    assert "<https://w3id.org/ddkb/ontology> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>" \
        in text
    assert log.stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.nt"]


def test_real_ddkb_export_into_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    thread, received = read_fifo_in_thread(fifo)
    res = run_ddkb(["export", "-o", str(fifo)], tmp_path)
    thread.join(timeout=30)
    assert res.returncode == 0, res.stderr
    assert b"@prefix ddkb: <https://w3id.org/ddkb/>" in received[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_real_ddkb_refusals_are_one_line(tmp_path, imports_copy):
    res = run_ddkb(["export", "-o", "newdir/"], tmp_path)
    assert res.returncode == 2
    assert one_line(res.stderr) == (
        "Error: newdir/: ends with '/', so it names a folder; give a file name")
    res = run_ddkb(["export", "--data", "imports/user.ttl", "-o", "imports/ext/vocab.ttl"],
                   tmp_path)
    assert res.returncode == 2
    assert one_line(res.stderr) == (
        "Error: imports/ext/vocab.ttl: refusing to overwrite an input file")
    assert (imports_copy / "ext" / "vocab.ttl").read_bytes() == \
        (FIXTURES / "imports" / "ext" / "vocab.ttl").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imports"]
