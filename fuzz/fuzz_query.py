"""Fuzz harness: the query entry point -- SPARQL text, named queries and their parameters.

Input bytes are read the way the shell hands ``ddkb query`` its arguments
(UTF-8, undecodable bytes kept as surrogates). The first byte picks the mode
and the output format; the rest is cut at NUL characters:

* mode 0, a SPARQL query: ``QUERY \\0 NAME=VALUE \\n NAME=VALUE ...`` -- run with
  ``KnowledgeBase.query`` and the ``-p`` values bound as ``ddkb query`` binds them;
* mode 1, a named query: ``INDEX \\0 NAME=VALUE ...`` -- the named query number
  INDEX (mod the count) run with ``KnowledgeBase.run_named`` and those values.

Each answer is then formatted (``ddkb.results.format_result``) in the picked
format with the labeler the CLI uses. The KB is the bundled one, loaded once.
Queries run with a 2 s timeout and a 1000-row cap, as a cautious user would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import checked, known_patterns, scratch, split_fields  # noqa: E402

scratch()
with atheris.instrument_imports(include=["ddkb"]):
    import ddkb
    from ddkb.cli.query_cmds import _parse_params
    from ddkb.named import list_queries
    from ddkb.results import GRAPH_FORMATS, SELECT_FORMATS, format_result
    from ddkb.sparql import declared_prefixes

KB = ddkb.load()
NAMES = [q.name for q in list_queries()]
RUN = {"timeout": 2.0, "max_rows": 1000}
KNOWN = known_patterns()


def params_of(text: str) -> dict[str, str]:
    """``-p`` values from ``NAME=VALUE`` lines, as ``ddkb query -p`` parses them."""
    return _parse_params(tuple(line for line in text.split("\n") if line))


def answer(mode: int, text: str):
    """Run the fuzzed query (mode 0: SPARQL, 1: named) and return its QueryResult."""
    if mode == 0:
        sparql, params = split_fields(text, 2)
        values = params_of(params)  # bound as `ddkb query -p` binds them on plain SPARQL
        declared = declared_prefixes(sparql) if values else {}
        bound = {k: KB.param_term("term", v, k, prefixes=declared) for k, v in values.items()}
        return KB.query(sparql, params=bound, **RUN)
    index, params = split_fields(text, 2)
    name = NAMES[int.from_bytes(index.encode("utf-8", "surrogateescape")[:2] or b"\0",
                                "little") % len(NAMES)]
    return KB.run_named(name, params_of(params), **RUN)


def answer_and_format(mode: int, fmt_pick: int, text: str) -> str:
    """Run the fuzzed query and format its answer as ``ddkb query --format`` does."""
    result = answer(mode, text)
    formats = SELECT_FORMATS if result.kind == "select" else GRAPH_FORMATS
    return format_result(result, formats[fmt_pick % len(formats)],
                         labeler=lambda iri: KB.label(iri) if KB.has_label(iri) else None)


def check_one(data: bytes) -> None:
    """Run and format one fuzzed query; anything but a proper ddkb error is a finding."""
    if not data:
        return
    text = data[1:].decode("utf-8", "surrogateescape")
    checked(lambda: answer_and_format(data[0] % 2, data[0] // 2, text), KNOWN)


def main() -> None:
    atheris.Setup(sys.argv, check_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
