"""Fuzz harness: ``ddkb.load(data=[FILE])`` -- a user's ``--data`` file in every RDF syntax.

Input bytes: the first byte picks the syntax (one of ``common.SUFFIXES``: Turtle,
N-Triples, N-Quads, TriG, RDF/XML, JSON-LD), the rest is the file's content. The
file is loaded beside the bundled KB exactly as ``ddkb --data FILE`` loads it
(imports, conflict warnings), then the steps the commands take after loading
run on it: ``stats``, the concept index, and the rdflib view of the user's
graph (what validate, export and the network commands read).

Run it with ``python fuzz/run.py`` (bounded time, seeds from tests/fixtures), or
by hand with libFuzzer flags: ``python fuzz/fuzz_load.py -runs=1 CRASH_FILE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SUFFIXES, checked, known_patterns, scratch  # noqa: E402

WORK = scratch()
with atheris.instrument_imports(include=["ddkb"]):
    import pyoxigraph as ox

    import ddkb
    from ddkb.kb import KnowledgeBase

KNOWN = known_patterns()


def user_graph_through_rdflib(kb: KnowledgeBase, path: Path) -> None:
    """Build ddkb's rdflib view (``rdflib_dataset``) of the user's graph alone.

    The bundled graphs are known to convert; the user's is what is new, and the
    whole view takes seconds, too slow for a fuzzer.
    """
    graph = ox.NamedNode(path.resolve().as_uri())
    alone = ox.Store()
    alone.extend(kb.store.quads_for_pattern(None, None, None, graph))
    KnowledgeBase(alone, []).rdflib_dataset()


def load_and_use(path: Path) -> None:
    """Load ``path`` as ``--data`` and take the first steps of every command on it."""
    kb = ddkb.load(data=[path], use_cache=False)
    kb.stats()
    kb.concept_index()
    user_graph_through_rdflib(kb, path)


def check_one(data: bytes) -> None:
    """Load one fuzzed file; anything but a proper ddkb error propagates (a finding)."""
    if not data:
        return
    path = WORK / f"user{SUFFIXES[data[0] % len(SUFFIXES)]}"
    path.write_bytes(data[1:])
    checked(lambda: load_and_use(path), KNOWN)


def main() -> None:
    atheris.Setup(sys.argv, check_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
