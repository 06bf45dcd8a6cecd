"""The one rule for the label ddkb shows for a resource, wherever it is chosen.

Concept cards, search results, maps, paths, exports and the label index all
show the same label for the same IRI:

1. a ``skos:prefLabel`` in English (``en``, ``en-GB`` ...) or with no language;
2. a ``skos:prefLabel`` in another language;
3. an ``rdfs:label`` in English or with no language;
4. an ``rdfs:label`` in another language;

ties broken by the text itself, so the choice is the same on every run and
every engine (SPARQL servers return rows in any order). Callers that find no
label fall back to the IRI's CURIE.

>>> display_label([("rdfs", "NATO", "en"), ("pref", "OTAN", "fr"), ("pref", "NATO", "")])
'NATO'
>>> best_text([("Défense", "fr"), ("Defense", "en-US")])
'Defense'
"""

from __future__ import annotations

from collections.abc import Iterable

#: Label kinds that may be shown, and their rank before the language is weighed.
KIND_RANK = {"pref": 0, "rdfs": 2}


def language_rank(lang: str | None) -> int:
    """0 for English or untagged text, 1 for any other language."""
    lang = (lang or "").lower()
    return 0 if lang in ("", "en") or lang.startswith("en-") else 1


def display_rank(kind: str, lang: str | None) -> int | None:
    """The rank (lower is better) of a label of ``kind`` in ``lang``; None if never shown."""
    base = KIND_RANK.get(kind)
    return None if base is None else base + language_rank(lang)


def display_label(candidates: Iterable[tuple[str, str, str | None]]) -> str | None:
    """The label to show among (kind, text, language) candidates, or None if none may be shown."""
    best: tuple[int, str] | None = None
    for kind, text, lang in candidates:
        rank = display_rank(kind, lang)
        if rank is not None and (best is None or (rank, text) < best):
            best = (rank, text)
    return best[1] if best else None


def best_text(values: Iterable[tuple[str, str | None]]) -> str | None:
    """The English (or untagged) text among (text, language) pairs, else another; stable."""
    ranked = [(language_rank(lang), text) for text, lang in values]
    return min(ranked)[1] if ranked else None
