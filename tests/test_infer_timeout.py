"""--infer under a time limit: the OWL RL / RDFS closure is stopped, not left running.

RDFS on the bundled KB takes about 7 s: a limit of 0.2 s stops it, whatever the
machine. OWL RL (reasonable, keys instead of rdflib terms) takes about 0.2 s there
now, so its tests use 0.01 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

import ddkb
from ddkb.errors import InputError
from ddkb.reason import (
    DEFAULT_TIMEOUT,
    TIMEOUT_ENV,
    InferenceTimeout,
    infer_timeout,
    inferred_nquads,
)

DDKB = shutil.which("ddkb", path=str(Path(sys.executable).parent)) or shutil.which("ddkb")
SMALL = (b'<https://w3id.org/ddkb/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
         b'<https://w3id.org/ddkb/C> .\n'
         b'<https://w3id.org/ddkb/C> <http://www.w3.org/2000/01/rdf-schema#subClassOf> '
         b'<https://w3id.org/ddkb/D> .\n')
X_IS_D = (b'<https://w3id.org/ddkb/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
          b'<https://w3id.org/ddkb/D> .\n')


@pytest.fixture(scope="module")
def bundled_nquads() -> bytes:
    return ddkb.load(use_cache=False).store.dump(format=ox.RdfFormat.N_QUADS)


def test_closure_is_stopped_after_the_limit(bundled_nquads):
    with pytest.raises(InferenceTimeout,
                       match=r"^inference \(owlrl\) stopped after 0\.01 s: set "
                             r"DDKB_INFER_TIMEOUT to more seconds \(or inf\)"):
        inferred_nquads(bundled_nquads, "owlrl", timeout=0.01)
    assert InferenceTimeout.exit_code == 1


def test_limit_from_the_environment(bundled_nquads, monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert infer_timeout() == DEFAULT_TIMEOUT == 120
    monkeypatch.setenv(TIMEOUT_ENV, "0.2")
    assert infer_timeout() == 0.2
    with pytest.raises(InferenceTimeout, match=r"\(rdfs\) stopped after 0\.2 s"):
        inferred_nquads(bundled_nquads, "rdfs")
    monkeypatch.setenv(TIMEOUT_ENV, "inf")  # no limit: the small closure completes
    assert inferred_nquads(SMALL, "rdfs") == X_IS_D
    assert inferred_nquads(SMALL, "rdfs", timeout=60) == X_IS_D


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan"])
def test_bad_limit_in_the_environment_is_named(monkeypatch, value):
    monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(InputError, match=rf"^DDKB_INFER_TIMEOUT='{value}': the inference time "
                                         "limit must be a positive number of seconds"):
        inferred_nquads(SMALL, "rdfs")


def test_cli_reports_the_stop_in_one_line(runner, cli):
    res = runner.invoke(cli, ["--no-cache", "--infer", "owlrl", "stats"],
                        env={TIMEOUT_ENV: "0.01"})
    assert res.exit_code == 1
    assert res.stderr == ("Error: inference (owlrl) stopped after 0.01 s: set DDKB_INFER_TIMEOUT "
                          "to more seconds (or inf) to let it run longer\n")
    assert res.stdout == ""


def test_real_subprocess_stop_and_bad_limit(tmp_path):
    import os

    cmd = [DDKB, "--no-cache", "--infer", "rdfs", "stats"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, TIMEOUT_ENV: "0.2"})
    assert done.returncode == 1
    assert done.stderr.startswith("Error: inference (rdfs) stopped after 0.2 s")
    assert len(done.stderr.splitlines()) == 1
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, TIMEOUT_ENV: "soon"})
    assert done.returncode == 2
    assert done.stderr == ("Error: DDKB_INFER_TIMEOUT='soon': the inference time limit must be "
                           "a positive number of seconds (or inf for none)\n")
