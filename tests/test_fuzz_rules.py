"""The rules the fuzz harnesses (fuzz/) judge by: what is a finding and what is not.

The harnesses themselves run under atheris (``python fuzz/run.py``); these tests
check, fast and without atheris, the part that decides whether an outcome is a
finding, and that every open finding listed has its reproducer.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from ddkb.errors import DdkbError, InputError

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


def _common():
    spec = importlib.util.spec_from_file_location("fuzz_common", FUZZ / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


common = _common()


def _raise(err: Exception):
    def run():
        raise err
    return run


def test_a_proper_ddkb_error_is_no_finding():
    common.checked(_raise(InputError("x.ttl, line 3, column 1: bad")), [])


def test_control_characters_a_user_typed_are_no_finding():
    """The CLI shows them as escapes (``\\x0a``), so its 'Error: ...' stays one line."""
    common.checked(_raise(InputError("no concept called 'two\nlines'")), [])


@pytest.mark.parametrize("err", [
    KeyError("boom"),  # not a ddkb error: the CLI would print an internal error
    DdkbError("query failed (UnicodeEncodeError): ..."),  # a crash in the engine process
    DdkbError("query evaluation failed (engine process ended with status -9)"),
])
def test_anything_else_is_a_finding(err):
    with pytest.raises(Exception) as raised:
        common.checked(_raise(err), [])
    assert raised.value is err or isinstance(raised.value, common.Finding)


def test_a_known_open_finding_passes_unless_strict(monkeypatch, tmp_path):
    known = tmp_path / "known.txt"
    known.write_text("# comment\n^KeyError: 'boom'\n\n", encoding="utf-8")
    monkeypatch.setattr(common, "KNOWN", known)
    monkeypatch.delenv("DDKB_FUZZ_STRICT", raising=False)
    patterns = common.known_patterns()
    assert [p.pattern for p in patterns] == ["^KeyError: 'boom'"]
    common.checked(_raise(KeyError("boom")), patterns)
    with pytest.raises(KeyError):
        common.checked(_raise(KeyError("other")), patterns)
    monkeypatch.setenv("DDKB_FUZZ_STRICT", "1")
    assert common.known_patterns() == []


def test_every_open_finding_has_a_reproducer_and_every_pattern_compiles():
    text = (FUZZ / "findings" / "open" / "known.txt").read_text(encoding="utf-8")
    patterns = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    named = re.findall(r"Input: open/(\w+/[\w.-]+)", text)
    assert len(named) == len(patterns)
    for pattern in patterns:
        re.compile(pattern)
    for name in named:
        assert (FUZZ / "findings" / "open" / name).is_file(), name


def test_split_fields_always_gives_the_count():
    assert common.split_fields("a\0b\0c", 2) == ["a", "b\0c"]
    assert common.split_fields("a", 3) == ["a", "", ""]
