"""Shared parts of the ddkb fuzz harnesses (atheris, run by ``fuzz/run.py``).

The rule every harness checks: whatever bytes a user gives ddkb (a ``--data``
file, a query, a parameter value), ddkb either answers or raises one of its own
errors (:class:`ddkb.errors.DdkbError`, a one-line message and an exit code).
Any other exception, a crash, a hang or a memory blow-up is a *finding*.

A ddkb error whose message is not one line is a finding, and so are two
ddkb errors: ``query failed (X): ...`` and ``query
evaluation failed (...)`` are what :func:`ddkb.sparql.run_with_deadline`
raises when the engine process died or raised a non-ddkb exception ``X`` --
a crash hidden behind a ddkb error.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FINDINGS = Path(__file__).resolve().parent / "findings"
#: Findings reported but not fixed yet: one regular expression a line (``#`` comments),
#: matched against ``ExceptionType: message``. They do not stop a run unless
#: ``DDKB_FUZZ_STRICT=1``; each has a reproducer in ``findings/open/<harness>/``.
KNOWN = FINDINGS / "open" / "known.txt"

#: One file suffix per RDF syntax ddkb reads with ``--data`` (ddkb.kb.FORMATS_BY_SUFFIX).
SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".rdf", ".jsonld")

#: ddkb errors that hide a crash of the query engine process.
HIDDEN_CRASH = ("query failed (", "query evaluation failed")


class Finding(Exception):
    """A ddkb error that hides a crash (see :data:`HIDDEN_CRASH`)."""


def scratch() -> Path:
    """A private temporary folder for the harness, with ddkb's on-disk cache inside.

    Under ``fuzz/run.py`` it is the one the runner gives (and removes). Run by
    hand, it is ``$TMPDIR/ddkb-fuzz-<uid>``, reused by every run (libFuzzer ends
    the process without Python's exit handlers, so a new folder would be left
    behind each time; the reused one stays small: one file, one cache entry).
    """
    given = os.environ.get("DDKB_FUZZ_SCRATCH")
    folder = Path(given or Path(tempfile.gettempdir()) / f"ddkb-fuzz-{os.getuid()}")
    (folder / "cache").mkdir(parents=True, exist_ok=True)
    os.environ["DDKB_CACHE_DIR"] = str(folder / "cache")
    return folder


def check_ddkb_error(err: Exception) -> None:
    """Raise :class:`Finding` unless ``err`` is a proper ddkb error.

    Proper: one line as the CLI prints it (``Error: ...``, control characters
    the user typed shown as escapes by :func:`ddkb.cli.common.failure`) and
    not a crash of the engine process in disguise.
    """
    from ddkb.cli.common import failure

    text = str(err)
    shown = (failure(err) or ("", 0))[0]
    if "\n" in shown or "\r" in shown:
        raise Finding(f"{type(err).__name__} message is not one line: {text[:300]!r}") from err
    if text.startswith(HIDDEN_CRASH):
        raise Finding(f"{type(err).__name__}: {text[:300]}") from err


def split_fields(text: str, count: int) -> list[str]:
    """``text`` cut at NUL characters into exactly ``count`` fields (the last keeps the rest)."""
    parts = text.split("\0", count - 1)
    return parts + [""] * (count - len(parts))


def known_patterns() -> list[re.Pattern[str]]:
    """The open findings to let pass (none under ``DDKB_FUZZ_STRICT=1``)."""
    if os.environ.get("DDKB_FUZZ_STRICT") == "1" or not KNOWN.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in KNOWN.read_text("utf-8").splitlines())
    return [re.compile(line) for line in lines if line]


def checked(run: Callable[[], object], known: list[re.Pattern[str]]) -> None:
    """Call ``run``: a proper ddkb error or a known open finding passes, anything else raises.

    What raises out of here is a finding: atheris prints it and saves the input.
    """
    from ddkb.errors import DdkbError

    try:
        try:
            run()
        except DdkbError as err:
            check_ddkb_error(err)
    except Exception as err:  # noqa: BLE001 - deciding what is a finding is the point
        described = f"{type(err).__name__}: {err}"
        if not any(p.search(described) for p in known):
            raise
