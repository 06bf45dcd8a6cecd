"""Exit codes of failures that are not bugs: out of memory, OS errors, bad bytes, Ctrl-C.

Each must be one line on stderr, no traceback, and exit 2 (bad input or
environment) or 130 (interrupted) -- under the real console script and under
Click's CliRunner alike.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ddkb.cli.common import failure

DDKB = shutil.which("ddkb", path=str(Path(sys.executable).parent)) or shutil.which("ddkb")
#: A query that runs for hours: three-way cross join of every triple.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/stat").exists(),
                                reason="needs fork and /proc (Linux)")


# -- the mapping itself -------------------------------------------------------------------
@pytest.mark.parametrize("err,message,code", [
    (MemoryError(), "Error: out of memory while running 'ddkb map' "
                    "(try a smaller input or --focus)", 2),
    (OSError(errno.ENOSPC, "No space left on device"),
     "Error: No space left on device [ENOSPC]", 2),
    (PermissionError(errno.EACCES, "Permission denied", "out/x.csv"),
     "Error: out/x.csv: Permission denied [EACCES]", 2),
    (OSError(errno.EROFS, "Read-only file system", "/ro/x\x1b[2J.csv"),
     "Error: /ro/x\\x1b[2J.csv: Read-only file system [EROFS]", 2),
    (UnicodeDecodeError("utf-8", b"ok \xff", 3, 4, "invalid start byte"),
     "Error: the input is not valid UTF-8 text (invalid start byte: byte 0xff)", 2),
    (UnicodeEncodeError("ascii", "caf\u00e9", 3, 4, "ordinal not in range(128)"),
     "Error: the output encoding ascii cannot show U+00E9 (set PYTHONIOENCODING=utf-8, "
     "or write to a file with -o)", 2),
    (KeyboardInterrupt(), "Interrupted.", 130),
])
def test_failure_messages(err, message, code):
    assert failure(err, "ddkb map") == (message, code)


def test_bugs_and_broken_pipes_are_not_ours():
    assert failure(ValueError("bug")) is None
    assert failure(BrokenPipeError(errno.EPIPE, "Broken pipe")) is None  # Click closes quietly


# -- CliRunner ------------------------------------------------------------------------------
def test_out_of_memory_under_clirunner(runner, cli, monkeypatch):
    import ddkb.network

    def exhausted(*args, **kwargs):  # what a real allocation failure raises
        raise MemoryError

    monkeypatch.setattr(ddkb.network, "shortest_paths", exhausted)
    res = runner.invoke(cli, ["path", "CBM", "mutual trust"])
    assert res.exit_code == 2
    assert res.stderr == ("Error: out of memory while running 'ddkb path' "
                          "(try a smaller input or --focus)\n")


def test_os_error_under_clirunner_names_the_file(runner, cli, monkeypatch):
    import ddkb.network

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/ranks.txt")

    monkeypatch.setattr(ddkb.network, "rank", refused)
    res = runner.invoke(cli, ["rank"])
    assert res.exit_code == 2
    assert res.stderr == "Error: /somewhere/ranks.txt: Permission denied [EACCES]\n"


def test_undecodable_standard_input_under_clirunner(runner, cli):
    res = runner.invoke(cli, ["query", "-f", "-"], input=b'SELECT * WHERE { ?s ?p "\xff" }')
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: ") and "UTF-8" in res.stderr
    assert len(res.stderr.splitlines()) == 1


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for_child(pid: int, known: frozenset[int] = frozenset(), limit: float = 60.0) -> None:
    """Wait until ``pid`` has forked its evaluation process (the long work has begun).

    ``known`` are children that ``pid`` had before and that do not count.
    """
    deadline = time.monotonic() + limit
    while not set(_children(pid)) - known:
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} started no evaluation within {limit} s")
        time.sleep(0.05)


@needs_fork
def test_ctrl_c_under_clirunner_exits_130(runner, cli):
    """A real SIGINT while a query runs: "Interrupted.", exit 130 (Click alone says exit 1)."""
    me = os.getpid()
    before = frozenset(_children(me))

    def press_ctrl_c() -> None:
        _wait_for_child(me, before)
        os.kill(me, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        thread = threading.Thread(target=press_ctrl_c, daemon=True)
        thread.start()
        res = runner.invoke(cli, ["query", ENDLESS, "--timeout", "60"])
        thread.join(5)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert res.exit_code == 130
    assert res.stderr == "Interrupted.\n"
    assert set(_children(me)) <= before  # the evaluation was stopped, not left running


# -- real subprocesses ------------------------------------------------------------------------
@needs_fork
@pytest.mark.parametrize("args,whole_group", [
    (["query", ENDLESS, "--timeout", "600"], False),
    (["query", ENDLESS, "--timeout", "600"], True),        # Ctrl-C in a terminal: every process
    (["--no-cache", "--infer", "owlrl", "stats"], True),   # OWL RL closure of the whole KB
])
def test_sigint_to_a_running_ddkb_exits_130(args, whole_group):
    proc = subprocess.Popen([DDKB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _wait_for_child(proc.pid)
        if whole_group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err == b"Interrupted.\n"
    assert out == b""
    with pytest.raises(ProcessLookupError):  # no evaluation process left behind
        os.killpg(proc.pid, 0)


def test_disk_full_on_standard_output_exits_2(tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run([DDKB, "show", "CBM"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "Error: No space left on device [ENOSPC]\n"


def test_undecodable_standard_input_exits_2(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # strict decoding, as in a UTF-8 locale
    done = subprocess.run([DDKB, "query", "-f", "-"], input=b'ASK { ?s ?p "\xff\xfe" }',
                          capture_output=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(b"Error: ") and b"UTF-8" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def _limit_memory() -> None:
    """Cap the child's address space at 2 GB: a bigger allocation fails at once."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_out_of_memory_exits_2(tmp_path):
    """A 3 GB query file (sparse: no disk used) cannot be read in 2 GB of address space."""
    big = tmp_path / "big.rq"
    with open(big, "wb") as f:
        f.truncate(3 << 30)
    done = subprocess.run([DDKB, "query", "-f", str(big)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, preexec_fn=_limit_memory)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Error: ") and "out of memory" in done.stderr
    assert len(done.stderr.splitlines()) == 1
