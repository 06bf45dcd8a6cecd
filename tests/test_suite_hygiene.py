"""The test suite itself: portable (no path of one machine), tidy (no cache left behind).

These guard the promises of conftest.py: the subprocess tests run the ``ddkb``
installed for the Python under test, and every test process removes its
private cache folder when its session ends.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import find_ddkb_exe

TESTS = Path(__file__).parent

#: A string literal that starts with a path of a developer machine or CI runner.
MACHINE_PATH = re.compile(r"""["'](?:/work|/root|/home|/Users|/tmp)/|venv/bin/""")


def test_no_test_source_names_a_path_of_one_machine():
    """A path such as a venv's bin/ddkb passes only where it happens to exist."""
    me = Path(__file__).resolve()
    found = [f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
             for path in sorted(TESTS.rglob("*.py")) if path.resolve() != me
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if MACHINE_PATH.search(line)]
    assert found == []


def test_ddkb_exe_runs_the_ddkb_of_the_python_under_test(ddkb_exe):
    done = subprocess.run([ddkb_exe, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ddkb query -n fosters" in done.stdout
    assert Path(ddkb_exe).parent == Path(sys.executable).parent or (
        Path(ddkb_exe).read_text(encoding="utf-8", errors="replace").startswith(
            f"#!{sys.executable}"))


def test_a_ddkb_of_another_python_on_path_is_refused(tmp_path, monkeypatch):
    """A stale ``ddkb`` from another environment on PATH must fail the run, not test old code."""
    other = tmp_path / "other-env" / "bin"
    other.mkdir(parents=True)
    stale = other / "ddkb"
    stale.write_text("#!/somewhere/else/bin/python\nprint('stale')\n", encoding="utf-8")
    stale.chmod(0o755)
    python = tmp_path / "this-env" / "bin" / "python"  # no ddkb beside it
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setenv("PATH", str(other))
    with pytest.raises(pytest.fail.Exception, match=r"runs /somewhere/else/bin/python, not"):
        find_ddkb_exe()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(pytest.fail.Exception, match="no ddkb console script"):
        find_ddkb_exe()
    # the same script is accepted once it names this Python
    stale.write_text(f"#!{python}\nprint('mine')\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(other))
    assert find_ddkb_exe() == str(stale)


PROBE = '''
import os
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(6))
def test_records_its_cache(n):
    cache = Path(os.environ["DDKB_CACHE_DIR"])
    assert cache.is_dir()
    (cache / "data").write_text("x")
    with open(os.environ["PROBE_LOG"], "a") as log:
        log.write(f"{cache}\\n")
'''


def _probe_suite(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the suite's conftest with :data:`PROBE`; returns (suite, its TMPDIR)."""
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(TESTS / "conftest.py", suite / "conftest.py")
    shutil.copy(TESTS / "servers.py", suite / "servers.py")
    (suite / "test_probe.py").write_text(PROBE, encoding="utf-8")
    temp = tmp_path / "temp"
    temp.mkdir()
    return suite, temp


def _run_probe(suite: Path, temp: Path, log: Path, *options: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(temp), "PROBE_LOG": str(log)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *options, "--rootdir", str(suite), str(suite)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=suite)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_worker_removes_its_cache_folder(tmp_path):
    """Each xdist worker (and the controller) makes a cache folder; none outlives the run."""
    suite, temp = _probe_suite(tmp_path)
    log = tmp_path / "caches.txt"
    _run_probe(suite, temp, log, "-n", "2")
    used = set(log.read_text().split())
    assert len(used) == 2, used  # one cache per worker, each inside TMPDIR
    assert all(Path(c).parent == temp for c in used)
    assert not [c for c in used if Path(c).exists()]
    assert list(temp.glob("ddkb-test-cache-*")) == []  # the controller's too


def test_a_killed_run_leaves_no_cache_folder_behind_for_long(tmp_path):
    """A run killed before its end keeps its cache folder; the next run removes it."""
    suite, temp = _probe_suite(tmp_path)
    gone = subprocess.Popen(["true"])
    gone.wait()
    killed = temp / f"ddkb-test-cache-{gone.pid}-abcd"  # a folder of a process that is gone
    live = temp / f"ddkb-test-cache-{os.getpid()}-efgh"  # this very process: still running
    for folder in (killed, live):
        folder.mkdir()
        (folder / "stores").mkdir()
    _run_probe(suite, temp, tmp_path / "log")
    assert not killed.exists()
    assert (live / "stores").is_dir()
