"""Shared fixtures for the ddkb test suite.

* Tests use a private cache folder (``DDKB_CACHE_DIR``) so they never touch the
  user's own cache; subprocesses of the installed ``ddkb`` inherit it.
* ``require_program(name)`` skips a test when an external program (chromium,
  rapper, dot) is missing -- unless ``DDKB_REQUIRE_EXTERNAL=1`` (set by CI), in
  which case a missing program is a failure, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_CACHE = tempfile.mkdtemp(prefix="ddkb-test-cache-")
os.environ["DDKB_CACHE_DIR"] = _CACHE

FIXTURES = Path(__file__).parent / "fixtures"


def require_program(name: str) -> str:
    """Return the path of an external program, or skip (fail under CI) if absent."""
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("DDKB_REQUIRE_EXTERNAL") == "1":
        pytest.fail(f"{name} is required (DDKB_REQUIRE_EXTERNAL=1) but not installed")
    pytest.skip(f"{name} not installed")


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
