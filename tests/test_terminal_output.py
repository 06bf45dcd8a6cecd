"""Terminal escape injection: KB text reaches the terminal with its control characters shown.

A label holding a title-setting OSC sequence, a screen clear and a right-to-left
override (Trojan Source) is loaded with --data; every people-facing output
(show, search, query tables, path, related, validate, warnings, errors) must
show ``\\x1b`` / ``\\u202e`` escapes and hold no raw ESC, BEL or U+202E, while the
machine formats keep the exact string.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddkb.results import markdown_table, text_table
from ddkb.text import json_text, one_line, visible

DDKB = shutil.which("ddkb", path=str(Path(sys.executable).parent)) or shutil.which("ddkb")

EVIL = "evil \x1b]0;pwned\x07\x1b[2J \u202eright"
SHOWN = "evil \\x1b]0;pwned\\x07\\x1b[2J \\u202eright"
RAW_BYTES = (b"\x1b", b"\x07", "\u202e".encode())

EVIL_TTL = r"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ddkb: <https://w3id.org/ddkb/> .
ddkb:evil a skos:Concept, ddkb:Instrument ;
    skos:prefLabel "evil \u001B]0;pwned\u0007\u001B[2J \u202Eright"@en ;
    skos:definition "An evil definition \u001B[2J with a screen clear."@en ;
    ddkb:fosters ddkb:mutual-trust .
"""

LABEL_QUERY = "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l FILTER(?c = ddkb:evil) }"


@pytest.fixture(scope="module")
def evil_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("evil") / "evil.ttl"
    path.write_text(EVIL_TTL, encoding="utf-8")
    return path


def _assert_safe(text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    for raw in RAW_BYTES:
        assert raw not in data, f"raw {raw!r} reached the terminal"


# -- the function itself ----------------------------------------------------------------
def test_visible_shows_controls_and_bidi_overrides():
    assert visible(EVIL) == SHOWN
    assert visible("a\x00b\x7fc\x9bd\u2066e\u2069") == "a\\x00b\\x7fc\\x9bd\\u2066e\\u2069"
    assert visible("line\n\ttab") == "line\n\ttab"           # the layout keeps these
    assert visible("line\n\ttab", keep="") == "line\\x0a\\x09tab"
    assert visible("car\rriage") == "car\\x0driage"           # \r could overwrite a line
    assert visible("lone \udcff surrogate") == "lone \\udcff surrogate"
    plain = "mutual trust, Ünïcödé, 信頼, مرحبا, \u200d emoji 👍 back\\slash"
    assert visible(plain) == plain


def test_one_line_and_json_text():
    assert one_line(" a\n b\t\x1b[2J ") == "a b \\x1b[2J"
    text = json_text({"l": EVIL + "\x9b\x7f\u2028"})
    assert json.loads(text) == {"l": EVIL + "\x9b\x7f\u2028"}  # exact data back
    _assert_safe(text)
    assert "\x9b" not in text and "\x7f" not in text


def test_docstring_examples_of_the_text_module_run():
    import doctest

    import ddkb.text

    result = doctest.testmod(ddkb.text)
    assert result.attempted > 0 and result.failed == 0


def test_tables_keep_one_line_per_row():
    table = text_table(("label", "kind"), [("two\nlines " + EVIL, "x\ty")])
    lines = table.splitlines()
    assert len(lines) == 3 and SHOWN in lines[2] and "x y" in lines[2]
    _assert_safe(table)
    md = markdown_table(("label",), [("a|b\n" + EVIL,)])
    assert md.splitlines()[2].startswith("| a\\|b evil \\\\x1b]0;pwned")
    _assert_safe(md)


def _strings(data: object) -> set[str]:
    """Every string value in a parsed JSON document."""
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        return set().union(*map(_strings, data)) if data else set()
    return set()


# -- CliRunner ---------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["show", "ddkb:evil"],
    ["show", "ddkb:evil", "--format", "markdown"],
    ["show", "mutual trust"],                       # the evil concept as an incoming relation
    ["search", "evil"],
    ["search", "evil", "--format", "markdown"],
    ["query", LABEL_QUERY],
    ["query", LABEL_QUERY, "--format", "markdown"],
    ["path", "ddkb:evil", "soft power"],
    ["path", "ddkb:evil", "soft power", "--format", "markdown"],
    ["related", "ddkb:evil"],
    ["rank", "--type", "Instrument", "--top", "500"],
    ["clusters", "--min-size", "1"],
    ["validate"],
])
def test_cli_shows_escapes(runner, cli, evil_file, args):
    res = runner.invoke(cli, ["--data", str(evil_file), *args])
    assert res.exit_code in (0, 1), res.output + res.stderr  # validate exits 1: not conform
    _assert_safe(res.stdout)
    _assert_safe(res.stderr)
    if args[0] in ("search", "query") and "markdown" in args:
        assert SHOWN.replace("\\", "\\\\") in res.stdout  # markdown escapes the backslash
    elif args[0] == "path" and "markdown" in args:
        assert "evil \\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J \\\\u202eright" in res.stdout
    else:
        assert SHOWN in res.stdout


@pytest.mark.parametrize("command", [["show", "ddkb:evil"], ["search", "evil"],
                                     ["path", "ddkb:evil", "soft power"], ["related", "evil"]])
def test_json_keeps_the_exact_label(runner, cli, evil_file, command):
    res = runner.invoke(cli, ["--data", str(evil_file), *command, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    _assert_safe(res.stdout)
    assert EVIL in _strings(json.loads(res.stdout))


def test_query_json_keeps_the_exact_string(runner, cli, evil_file):
    res = runner.invoke(cli, ["--data", str(evil_file), "query", LABEL_QUERY, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    _assert_safe(res.stdout)
    [binding] = json.loads(res.stdout)["results"]["bindings"]
    assert binding["l"] == {"type": "literal", "value": EVIL, "xml:lang": "en"}


def test_csv_into_a_pipe_keeps_every_character(runner, cli, evil_file):
    """Click strips ANSI-looking sequences from output that is not a terminal; not from data."""
    res = runner.invoke(cli, ["--data", str(evil_file), "query", LABEL_QUERY, "--format", "csv"])
    assert res.exit_code == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[1] == ["https://w3id.org/ddkb/evil", EVIL]


def test_warnings_and_errors_show_escapes(runner, cli, tmp_path):
    clash = tmp_path / "clash.ttl"
    clash.write_text('<https://w3id.org/ddkb/mutual-trust> '
                     '<http://www.w3.org/2004/02/skos/core#prefLabel> "trust \\u001B[2J"@en .\n',
                     encoding="utf-8")
    res = runner.invoke(cli, ["--data", str(clash), "stats"])
    assert res.exit_code == 0, res.stderr
    assert 'theirs "trust \\x1b[2J"@en' in res.stderr
    _assert_safe(res.stderr)
    missing = tmp_path / "x\x1b[2J\u202e.ttl"
    res = runner.invoke(cli, ["--data", str(missing), "stats"])
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: ") and "x\\x1b[2J\\u202e.ttl: no such file" in res.stderr
    _assert_safe(res.stderr)
    res = runner.invoke(cli, ["search", "qqqzz\x1b[2J"])
    assert res.stderr == "No concept matches 'qqqzz\\x1b[2J'.\n"


def test_usage_errors_show_escapes(runner, cli):
    res = runner.invoke(cli, ["show", "CBM", "extra\x1b]0;pwned\x07\x1b[2J"])
    assert res.exit_code == 2
    assert "unexpected extra argument (extra\\x1b]0;pwned\\x07\\x1b[2J)" in res.stderr
    _assert_safe(res.stderr)


# -- real subprocesses ---------------------------------------------------------------------
def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([DDKB, *args], capture_output=True, timeout=120, **kw)


@pytest.mark.parametrize("args", [
    ["show", "ddkb:evil"],
    ["search", "evil"],
    ["query", LABEL_QUERY],
    ["path", "ddkb:evil", "soft power"],
])
def test_subprocess_bytes_hold_no_raw_escape(evil_file, args):
    done = _run(["--data", str(evil_file), *args])
    assert done.returncode == 0, done.stderr
    _assert_safe(done.stdout)
    _assert_safe(done.stderr)
    assert SHOWN.encode() in done.stdout


def test_subprocess_machine_formats_into_a_pipe_are_exact(evil_file):
    done = _run(["--data", str(evil_file), "query", LABEL_QUERY, "--format", "json"])
    assert done.returncode == 0, done.stderr
    _assert_safe(done.stdout)
    assert json.loads(done.stdout)["results"]["bindings"][0]["l"]["value"] == EVIL
    done = _run(["--data", str(evil_file), "query", LABEL_QUERY, "--format", "csv"])
    assert EVIL.encode() in done.stdout  # raw: a program reads it, not a terminal


def test_subprocess_machine_format_on_a_terminal_shows_escapes(evil_file):
    """Like ls: CSV written to a terminal shows control characters as escapes."""
    main, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([DDKB, "--data", str(evil_file), "query", LABEL_QUERY,
                                 "--format", "csv"], stdout=secondary,
                                stderr=subprocess.PIPE)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        proc.stderr.close()
    finally:
        os.close(main)
    out = b"".join(chunks)
    _assert_safe(out)
    assert SHOWN.encode() in out
