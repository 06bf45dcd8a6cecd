"""Shared fixtures for the ddkb test suite.

* Each test process (the controller and every xdist worker) uses a private cache
  folder (``DDKB_CACHE_DIR``) so tests never touch the user's own cache;
  subprocesses of the installed ``ddkb`` inherit it. The folder is removed when
  the process's test session ends.
* ``ddkb_exe`` is the ``ddkb`` console script installed for the Python running
  the tests -- never a path of one machine, so the suite passes from any
  checkout and any virtual environment.
* ``require_program(name)`` / ``require_module(name)`` skip a test when an
  external program (chromium, rapper, dot, java) or an optional package
  (owlready2, wheel) is missing -- unless ``DDKB_REQUIRE_EXTERNAL=1`` (set by
  CI), in which case it is a failure, so CI can never pass by skipping.
  ddkb's own modules are imported plainly: they are never skipped.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest


def _remove_abandoned_caches() -> None:
    """Remove the cache folders of test processes that were killed (their pid is gone).

    Each folder is ``ddkb-test-cache-PID-XXXX``; a killed run never reached
    :func:`pytest_unconfigure`, so its folder would stay in the temp folder.
    """
    for folder in Path(tempfile.gettempdir()).glob("ddkb-test-cache-*-*"):
        pid = folder.name.split("-")[3]
        if not pid.isdigit() or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError):
            pass


_remove_abandoned_caches()
_CACHE = tempfile.mkdtemp(prefix=f"ddkb-test-cache-{os.getpid()}-")
os.environ["DDKB_CACHE_DIR"] = _CACHE

FIXTURES = Path(__file__).parent / "fixtures"
#: The small concept-map fixture (a lagoon exercise, with doubtful claims and odd labels).
LAGOON = FIXTURES / "conceptmap" / "lagoon.ttl"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this process's cache folder (each xdist worker has its own) at session end."""
    shutil.rmtree(_CACHE, ignore_errors=True)


def missing_external(reason: str) -> NoReturn:
    """Skip the running test because an external dependency is missing (``reason`` says which).

    Under ``DDKB_REQUIRE_EXTERNAL=1`` (CI) the test fails instead: there every
    external dependency is installed, and a skip would hide a broken install.
    """
    if os.environ.get("DDKB_REQUIRE_EXTERNAL") == "1":
        pytest.fail(f"{reason} (required: DDKB_REQUIRE_EXTERNAL=1)", pytrace=False)
    pytest.skip(reason)


def require_program(name: str) -> str:
    """Return the path of an external program, or skip (fail under CI) if absent."""
    found = shutil.which(name)
    if found:
        return found
    missing_external(f"{name} not installed")


def require_module(name: str) -> ModuleType:
    """Import an optional third-party package, or skip (fail under CI) if absent.

    Only for packages outside ddkb (owlready2, wheel): ddkb's own modules are
    imported plainly so a broken one fails its tests instead of hiding them.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        missing_external(f"Python package {name} not installed")


def _interpreter_of(script: Path) -> str:
    """The interpreter named on the ``#!`` line of a console script ('' if none)."""
    try:
        with script.open("rb") as handle:
            first = handle.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return first[2:].strip().split(" ")[0] if first.startswith("#!") else ""


def find_ddkb_exe() -> str:
    """The ``ddkb`` console script of the Python that runs the tests.

    First the script beside ``sys.executable`` (a virtual environment's bin/);
    else the one on PATH, but only if its ``#!`` line names this same Python --
    a ``ddkb`` of another environment would test other code. Fails loudly when
    there is none: the subprocess tests must never pass on a stale install.
    """
    beside = Path(sys.executable).with_name("ddkb")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    on_path = shutil.which("ddkb")
    if on_path:
        interpreter = _interpreter_of(Path(on_path))
        here = Path(sys.executable)
        if interpreter == str(here) or (interpreter and Path(interpreter).parent == here.parent):
            return on_path
        pytest.fail(f"the ddkb on PATH ({on_path}) runs {interpreter or 'an unknown Python'}, "
                    f"not the Python running the tests ({here}); install ddkb into this "
                    "environment: python3 -m pip install '.[test]'", pytrace=False)
    pytest.fail(f"no ddkb console script beside {sys.executable} nor on PATH; install it: "
                "python3 -m pip install '.[test]'", pytrace=False)


@pytest.fixture(scope="session")
def ddkb_exe() -> str:
    """The path of the installed ``ddkb`` console script (see :func:`find_ddkb_exe`)."""
    return find_ddkb_exe()


@pytest.fixture(scope="session")
def kb():
    """The bundled knowledge base, loaded once for the session."""
    import ddkb

    return ddkb.load()


@pytest.fixture()
def runner():
    """A Click test runner that keeps stderr apart from stdout."""
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # Click >= 8.2 always separates them
        return CliRunner()


@pytest.fixture(scope="session")
def cli():
    """The ``ddkb`` Click group."""
    from ddkb.cli import cli as group

    return group


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


# Real SPARQL servers (Oxigraph server, Virtuoso 7) started on free loopback ports.
from servers import oxigraph_kb, oxigraph_server, virtuoso_kb, virtuoso_server  # noqa: E402, F401

#: Headless Chromium without its own network traffic (updates, sync, first-run pages).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian package ``chromium``) shared by one test module."""
    executable = require_program("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def lagoon_kb():
    """The bundled KB plus the concept-map fixture :data:`LAGOON`, loaded once per module."""
    import ddkb

    return ddkb.load(data=[LAGOON])


@pytest.fixture(scope="module")
def lagoon_map(lagoon_kb, tmp_path_factory) -> Path:
    """The fixture's focus map (Lagoon drill, depth 3) written once per module."""
    from ddkb.conceptmap import write_map

    path = tmp_path_factory.mktemp("maps") / "lagoon.html"
    write_map(lagoon_kb, path, focus="Lagoon drill", depth=3)
    return path
