"""Real runs of the installed ``ddkb`` command, and of a plain (non-editable) install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_module

DDKB = str(Path(sys.executable).with_name("ddkb"))
REPO = Path(__file__).resolve().parents[1]
PATHOLOGICAL = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"


def run(args, cwd, **kw):
    return subprocess.run([DDKB, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          **kw)


def test_query_in_a_folder_elsewhere(tmp_path):
    res = run(["query", "SELECT ?c WHERE { ?c a owl:Class } ORDER BY ?c", "--format", "json"],
              tmp_path)
    assert res.returncode == 0, res.stderr
    iris = [b["c"]["value"] for b in json.loads(res.stdout)["results"]["bindings"]]
    assert "https://w3id.org/ddkb/Instrument" in iris


def test_output_file_and_data_file(tmp_path, fixtures_dir):
    res = run(["--data", str(fixtures_dir / "core" / "concepts.ttl"), "query", "-n", "fosters",
               "-p", "instrument=port call", "--format", "csv", "-o", "out.csv"], tmp_path)
    assert res.returncode == 0, res.stderr
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("instrument,instrumentLabel,outcome")
    assert "http://example.org/t/goodwill-zeta" in lines[1]


@pytest.mark.parametrize("args,code,needle", [
    (["query", "DELETE WHERE { ?s ?p ?o }"], 2, "DELETE refused"),
    (["query", "SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }"], 2, "FROM refused"),
    (["query", "SELECT * WHERE { ?s ?p }"], 2, "SPARQL syntax error at line 1, column"),
    (["query", "-f", "missing.rq"], 2, "missing.rq: no such file"),
    (["--data", "nope.ttl", "query", "ASK {}"], 2, "nope.ttl: no such file"),
    (["query", "-n", "fosters"], 2, "needs -p instrument="),
    (["show", "qqqxxy-not-a-concept"], 2, "no concept called"),
    (["query", PATHOLOGICAL, "--timeout", "1"], 1, "query stopped after 1 s (--timeout)"),
    (["query", "--format", "bogus", "ASK {}"], 2, "Invalid value"),
])
def test_errors_are_one_line_without_traceback(tmp_path, args, code, needle):
    res = run(args, tmp_path)
    assert res.returncode == code, res.stderr
    assert needle in res.stderr
    assert "Traceback" not in res.stderr
    if "Invalid value" not in needle:  # Click's own usage errors have a usage line too
        assert len(res.stderr.strip().splitlines()) == 1


def test_broken_data_file_names_file_and_line(tmp_path, fixtures_dir):
    res = run(["--data", str(fixtures_dir / "core" / "broken.ttl"), "stats"], tmp_path)
    assert res.returncode == 2
    assert "broken.ttl, line 4, column" in res.stderr and "Traceback" not in res.stderr


def test_show_search_stats_queries(tmp_path):
    assert "ddkb:Instrument" in run(["show", "instrument"], tmp_path).stdout
    assert "ddkb:Instrument" in run(["search", "instrument"], tmp_path).stdout
    assert run(["stats"], tmp_path).stdout.startswith("Triples: ")
    assert "fosters" in run(["queries"], tmp_path).stdout


def test_help_has_examples_and_exit_codes(tmp_path):
    for cmd in ("query", "queries", "show", "search", "stats"):
        res = run([cmd, "--help"], tmp_path)
        assert res.returncode == 0 and "Examples:" in res.stdout, cmd


def test_query_path_imports_no_heavy_module(tmp_path):
    code = ("import sys; sys.argv = ['ddkb', 'query', 'ASK { ?s ?p ?o }'];"
            "from ddkb.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('rdflib', 'networkx', 'pyvis', 'owlrl', 'pyshacl') "
            "if m in sys.modules]\nprint('HEAVY', heavy)")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert "HEAVY []" in res.stdout, res.stdout + res.stderr


def test_plain_install_ships_the_data(tmp_path):
    """setup.cfg maps ontology/ and kb/ to ddkb._data.*: a real install must carry them."""
    require_module("wheel")  # pip needs 'wheel' to build without isolation
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps",
                          "--no-build-isolation", "--no-compile", "--quiet", "--target",
                          str(target), str(REPO)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    data = target / "ddkb" / "_data"
    assert list((data / "ontology").glob("*.ttl")), "ontology not shipped"
    assert list((data / "kb").glob("*.ttl")), "kb not shipped"
    assert list((target / "ddkb" / "queries").glob("*.rq")), "named queries not shipped"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), DDKB_CACHE_DIR=str(tmp_path / "cache"))
    code = ("import ddkb, ddkb.paths as p; kb = ddkb.load(); "
            "print(p.data_root()); print(len(kb.files), len(kb.store))")
    res = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    root, counts = res.stdout.splitlines()
    assert Path(root) == data
    n_files, n_triples = map(int, counts.split())
    from ddkb import paths

    assert n_files == len(paths.bundled_rdf_files()) and n_triples > 0


def test_every_command_has_help_with_an_example(cli, runner):
    """The brief: every CLI command has --help text with an example."""
    from ddkb.cli import COMMANDS

    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.stderr)
        assert "Example" in result.stdout, name
        assert f"ddkb {name}" in result.stdout or "ddkb --" in result.stdout, name
