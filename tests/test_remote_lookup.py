"""Concept lookup on a SPARQL server: exact names are found by the server, not by reading
every label into Python, and the answers are the embedded store's."""

from __future__ import annotations

import pytest

import ddkb
from ddkb.errors import AmbiguousConcept, ConceptNotFound

EXACT = ["CBM", "ddkb:mutual-trust", "https://w3id.org/ddkb/soft-power",
         "<https://w3id.org/ddkb/soft-power>",
         "Mutual Trust", "  mutual trust  ", "ADMM-Plus"]
FUZZY = ["confidence building measure", "peace keeping", "defence diplomacy"]


@pytest.fixture(params=["oxigraph_kb", "virtuoso_kb"])
def server(request):
    return request.getfixturevalue(request.param)


def _answer(kb, name: str) -> str:
    try:
        return kb.lookup(name)
    except (ConceptNotFound, AmbiguousConcept) as err:
        return f"{type(err).__name__}: {err}"


def test_exact_names_are_found_without_reading_every_label(server, kb):
    remote = ddkb.load(endpoint=server.url)
    for name in EXACT:
        assert _answer(remote, name) == _answer(kb, name), name
    assert remote._index is None  # ConceptIndex (every label read into Python) never built


def test_other_names_give_the_embedded_answers(server, kb):
    remote = ddkb.load(endpoint=server.url)
    for name in FUZZY + ["no such thing at all"]:
        assert _answer(remote, name) == _answer(kb, name), name
