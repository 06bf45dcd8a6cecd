"""Finding a concept by the name a person types.

A concept is any resource with a ``skos:prefLabel`` or ``rdfs:label`` (so the
concepts of a user's ``--data`` file are found too, and the ontology's classes
for class parameters). A name may be a label, an alt label, a CURIE
(``ddkb:mutual-trust``) or a full IRI, in any case, and spelling variants are
forgiven: defence/defense, offence/offense, -ise/-ize, -our/-or,
singular/plural (exercises, capabilities), hyphens, spaces, punctuation and
"&" for "and".

>>> normalise("Confidence-Building Measures")
'confidence building measure'
>>> normalise("Defence Co-operation & Training") == normalise("defense cooperation and training")
True
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from .errors import AmbiguousConcept, ConceptNotFound
from .namespaces import OWL, RDFS, SKOS, curie, expand

_WORD_FIXES = {
    "defence": "defense",
    "offence": "offense",
    "licence": "license",
    "programme": "program",
    "centre": "center",
}
#: British -> American word endings, the first that fits wins (the concept map's
#: search applies the same table in the browser).
SPELLING_SUFFIXES = (("isation", "ization"), ("ising", "izing"), ("ised", "ized"),
                     ("ises", "izes"), ("ise", "ize"), ("our", "or"), ("ours", "ors"))
_PUNCT = re.compile(r"[^\w\s]|_")


#: Last letters of the words :func:`_word` may change (a word ending otherwise, e.g. a
#: number, is its own key: skipped without a cache look-up, so unique numbers in labels
#: do not push the common words out of the cache).
_CHANGING_ENDS = frozenset("".join(w[-1] for w in _WORD_FIXES)
                           + "".join(b[-1] for b, _ in SPELLING_SUFFIXES) + "s")
_COOPERATION = re.compile(r"(?<=\w)-(?=operat)")


@lru_cache(maxsize=1 << 16)
def _word(word: str) -> str:
    word = _WORD_FIXES.get(word, word)
    for british, american in SPELLING_SUFFIXES:
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + american
            break
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def normalise(text: str) -> str:
    """A spelling-insensitive key for a name: lower case, no punctuation, US spelling, singular."""
    text = text.casefold().replace("&", " and ")
    if "-" in text:
        text = _COOPERATION.sub("", text)  # co-operation -> cooperation
    ends = _CHANGING_ENDS
    return " ".join([_word(w) if w[-1] in ends else w for w in _PUNCT.sub(" ", text).split()])


@dataclass(frozen=True)
class Entry:
    """One label of one resource."""

    iri: str
    label: str
    kind: str  # "pref", "alt" or "rdfs"
    is_class: bool


_INDEX_QUERY = """
SELECT ?s ?l ?kind WHERE {
  { ?s skos:prefLabel ?l BIND("pref" AS ?kind) }
  UNION { ?s skos:altLabel ?l BIND("alt" AS ?kind) }
  UNION { ?s rdfs:label ?l BIND("rdfs" AS ?kind) }
  FILTER(isIRI(?s))
}"""
_CLASSES_QUERY = f"""
SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(isIRI(?s) && ?t IN (<{OWL}Class>, <{RDFS}Class>)) }}"""
_LOCAL_NAME = re.compile(r"[^/#]*$")


def label_rows(kb) -> list[tuple[str, str, str, str]]:
    """(iri, label, kind, language) for every skos:prefLabel, skos:altLabel and rdfs:label."""
    return [(r["s"].value, r["l"].value, r["kind"].value, getattr(r["l"], "language", "") or "")
            for r in kb.raw_query(_INDEX_QUERY)]


#: The most label rows :func:`exact_on_server` reads before leaving it to ConceptIndex.
_SERVER_ROWS = 200


def exact_on_server(kb, name: str) -> str | None:
    """The IRI ``name`` denotes, found by the server itself, or None to ask ConceptIndex.

    On a SPARQL endpoint, reading every label into Python (what
    :class:`ConceptIndex` does) costs as much as the data; most names are an
    IRI, a CURIE or a label typed exactly, and the server can find those.
    Answers only when :meth:`ConceptIndex.resolve` would give the same one:
    a labelled IRI, or exactly one resource with that (case-insensitive)
    preferred label or rdfs:label. Otherwise (no match, several, a
    non-ASCII name whose case rules differ between SPARQL and Python) None.
    """
    import pyoxigraph as ox

    from .remote import sparql_term

    text = name.strip()
    if not text:
        return None
    iri = expand(text) or (text[1:-1] if text.startswith("<") and text.endswith(">") else text)
    if ":" in iri:
        try:
            node = sparql_term(ox.NamedNode(iri))
        except ValueError:
            node = None
        if node and any(bool(kb.raw_query(f"ASK {{ {node} <{p}> ?l }}"))
                        for p in (SKOS + "prefLabel", SKOS + "altLabel", RDFS + "label")):
            return iri
    key = text.casefold()
    if not key.isascii():
        return None
    for tier in ((SKOS + "prefLabel", RDFS + "label"), (SKOS + "altLabel",)):
        found = _labelled_on_server(kb, key, tier)
        if found is None or len(found) > 1:
            return None
        if found:
            return found.pop()
    return None


def _labelled_on_server(kb, key: str, props: tuple[str, ...]) -> set[str] | None:
    """IRIs with a label of ``props`` equal to ``key`` (stripped, case-folded); None: too many."""
    import pyoxigraph as ox

    from .remote import sparql_term

    needle = sparql_term(ox.Literal(key))
    found: set[str] = set()
    for prop in props:  # a query each: servers differ on property paths
        rows = list(kb.raw_query(f"""SELECT ?s ?l WHERE {{ ?s <{prop}> ?l
            FILTER(isIRI(?s) && isLiteral(?l) && CONTAINS(LCASE(STR(?l)), {needle})) }}
            LIMIT {_SERVER_ROWS + 1}"""))
        if len(rows) > _SERVER_ROWS:
            return None
        found |= {r["s"].value for r in rows if r["l"].value.casefold().strip() == key}
    return found


class ConceptIndex:
    """Every label of every labelled resource, ready for :meth:`resolve`.

    The exact-match tables are built at once (cheap); the spelling-normalised
    ones only when a name is not found exactly.
    """

    def __init__(self, entries: list[Entry], primary: dict[str, str]):
        self.entries = entries
        self.primary = primary  # iri -> display label
        self.by_exact: dict[str, set[str]] = defaultdict(set)
        self.pref_exact: dict[str, set[str]] = defaultdict(set)
        self.classes = {e.iri for e in entries if e.is_class}
        for e in entries:
            key = e.label.casefold().strip()
            self.by_exact[key].add(e.iri)
            if e.kind != "alt":
                self.pref_exact[key].add(e.iri)
        self._by_norm: dict[str, set[str]] | None = None
        self._by_squash: dict[str, set[str]] | None = None

    def _normalised(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        if self._by_norm is None:
            by_norm: dict[str, set[str]] = defaultdict(set)
            by_squash: dict[str, set[str]] = defaultdict(set)
            names = [(e.iri, e.label) for e in self.entries]
            names += [(iri, _LOCAL_NAME.search(iri).group(0)) for iri in self.primary]
            for iri, text in names:  # local names ("mutual-trust") are names too
                key = normalise(text)
                if key:
                    by_norm[key].add(iri)
                    by_squash[key.replace(" ", "")].add(iri)
            self._by_norm, self._by_squash = by_norm, by_squash
        return self._by_norm, self._by_squash

    @classmethod
    def from_kb(cls, kb) -> ConceptIndex:
        """Build the index from a :class:`~ddkb.kb.KnowledgeBase`."""
        classes = {r["s"].value for r in kb.raw_query(_CLASSES_QUERY)}
        entries = [Entry(iri, text, kind, iri in classes)
                   for iri, text, kind, _ in kb.label_rows()]
        labels = kb.build_label_map()
        primary = {e.iri: labels.get(e.iri) or kb.label(e.iri) for e in entries}
        return cls(entries, primary)

    def resolve(self, name: str, *, classes_only: bool = False) -> str:
        """The IRI ``name`` denotes; raises ConceptNotFound or AmbiguousConcept.

        Tried in order, the first step with any match wins: full IRI or CURIE;
        exact (case-insensitive) preferred label; exact alt label; the
        spelling-normalised form of any label or local name; the same with
        spaces dropped (peace-keeping = peacekeeping).
        """
        text = name.strip()
        if not text:
            raise ConceptNotFound("empty concept name")
        allowed = self.classes if classes_only else set(self.primary)
        iri = expand(text) or (text[1:-1] if text.startswith("<") and text.endswith(">")
                               else text)
        if iri in allowed:
            return iri
        key = text.casefold()

        def tiers():
            yield self.pref_exact.get(key, set())
            yield self.by_exact.get(key, set())
            by_norm, by_squash = self._normalised()
            norm = normalise(text)
            yield by_norm.get(norm, set())
            yield by_squash.get(norm.replace(" ", ""), set())

        for candidates in tiers():
            found = sorted(candidates & allowed)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                listed = "; ".join(f"{curie(c)} ({self.primary.get(c, '')})" for c in found)
                raise AmbiguousConcept(
                    f"'{name}' matches {len(found)} concepts: {listed}; use a CURIE or IRI",
                    [(curie(c), self.primary.get(c, "")) for c in found],
                )
        suggestions = self.suggest(text, allowed)
        what = "class" if classes_only else "concept"
        hint = (f"; did you mean: {', '.join(repr(s) for s in suggestions)}?" if suggestions
                else "; try 'ddkb search'")
        raise ConceptNotFound(f"no {what} called '{name}'{hint}", suggestions)

    def suggest(self, text: str, allowed: set[str] | None = None, n: int = 5) -> list[str]:
        """Up to ``n`` labels close to ``text`` (difflib over normalised labels)."""
        allowed = allowed if allowed is not None else set(self.primary)
        labels: dict[str, str] = {}
        for e in self.entries:
            if e.iri in allowed:
                labels.setdefault(normalise(e.label), self.primary.get(e.iri, e.label))
        return closest(normalise(text), labels, n)


def closest(key: str, labels: dict[str, str], n: int = 5) -> list[str]:
    """Up to ``n`` display labels whose normalised form is close to ``key`` ("did you mean").

    ``labels`` maps normalised label -> label to show. Labels sharing a word
    with the name come first (a loose match), then any close spelling.
    """
    import difflib

    words = set(key.split())
    sharing = [k for k in labels if words & set(k.split())]  # a word of the name in a label
    close = difflib.get_close_matches(key, sharing, n=n, cutoff=0.3)
    close += difflib.get_close_matches(key, list(labels), n=n * 2, cutoff=0.6)
    out: list[str] = []
    for k in close:
        if labels[k] not in out:
            out.append(labels[k])
    return out[:n]
