"""The README's examples are real: every ``$ command`` shown prints what is shown.

Regenerate them with ``python tools/readme_examples.py --update`` after a change
that alters an output.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _checker():
    spec = importlib.util.spec_from_file_location("readme_examples",
                                                  ROOT / "tools" / "readme_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_has_exactly_two_quick_start_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    commands = [line for block in blocks for line in block.strip().splitlines()]
    assert len(commands) == 2
    assert "pip install ." in commands[0] and "ddkb " in commands[0]
    assert "'.[test]'" in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1]
    test_command = re.findall(r"```sh\n(.*?)```", quick, re.S)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_readme_examples_print_what_they_show(tmp_path):
    checker = _checker()
    text = README.read_text(encoding="utf-8")
    examples = checker.examples(text)
    assert len(examples) >= 15
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    stale = [cmd for cmd, shown in examples
             if checker.run_command(cmd, tmp_path) != shown.rstrip()]
    if stale:
        pytest.fail("README examples out of date (run tools/readme_examples.py --update): "
                    + "; ".join(stale))


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text(encoding="utf-8")
    api = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", api, re.S)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "contradicted" in out
    assert "-mitigates-> accidental escalation" in out
    assert "<script" in (tmp_path / "cbm.html").read_text(encoding="utf-8")
