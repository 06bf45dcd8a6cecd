"""Propose mappings from ddkb's concepts to another vocabulary, by their labels.

A conservative lexical matcher: a wrong mapping costs more than a missed one.
Labels are normalised (case, accents, punctuation, hyphens as spaces or joined,
plurals, British/American spelling), then compared; every pair gets the score of its best
label pair:

====================================================  =====  ===================
match                                                 score  predicate
====================================================  =====  ===================
prefLabel = prefLabel, same text (case aside)          1.00  skos:exactMatch
prefLabel = prefLabel after normalisation              0.95  skos:exactMatch
prefLabel = altLabel after normalisation (e.g. CBM)    0.90  skos:closeMatch
altLabel = altLabel after normalisation                0.80  skos:closeMatch
same content words in another order                    0.75  skos:closeMatch
through an altLabel that is part of the prefLabel      0.70  skos:closeMatch
("trust" for "mutual trust")
====================================================  =====  ===================

Partial word overlap never scores (``trust`` vs ``mutual trust``, ``defense
diplomacy`` vs ``offense diplomacy``): a shared word says too little. Pairs below
``threshold`` are dropped; by default each concept maps to at most one term and
back (greedy by score), and equal-score rivals are dropped as ambiguous.

>>> normalise("Confidence-Building Measures")
'confidence building measure'
>>> normalise("Defence organisations")
'defense organization'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import DataFileError, InputError
from .inputs import Limits
from .mappings import MappingSet

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PREF, ALT, HIDDEN, RDFS_LABEL = (SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel",
                                 RDFS + "label")
#: label property -> role: "pref" labels name a term, "alt" labels are synonyms/abbreviations.
LABEL_ROLES = {PREF: "pref", RDFS_LABEL: "pref", ALT: "alt", HIDDEN: "alt"}
FIELD_CURIES = {PREF: "skos:prefLabel", ALT: "skos:altLabel", HIDDEN: "skos:hiddenLabel",
                RDFS_LABEL: "rdfs:label"}

#: British spellings (and a few variants) -> the American form both sides are mapped to.
SPELLING = {
    "defence": "defense", "offence": "offense", "licence": "license", "pretence": "pretense",
    "programme": "program", "centre": "center", "theatre": "theater", "metre": "meter",
    "fibre": "fiber", "calibre": "caliber", "manoeuvre": "maneuver", "catalogue": "catalog",
    "dialogue": "dialog", "armour": "armor", "behaviour": "behavior", "colour": "color",
    "endeavour": "endeavor", "favour": "favor", "harbour": "harbor", "honour": "honor",
    "humour": "humor", "labour": "labor", "neighbour": "neighbor", "rumour": "rumor",
    "valour": "valor", "vigour": "vigor", "analyse": "analyze", "paralyse": "paralyze",
    "judgement": "judgment", "ageing": "aging",
    "enrolment": "enrollment", "fulfil": "fulfill", "travelling": "traveling",
    "modelling": "modeling", "signalling": "signaling", "jewellery": "jewelry",
}
#: Words dropped before comparing content words (never from the normalised label itself).
STOPWORDS = {"a", "an", "the", "of", "and", "for", "to", "in", "on", "with", "by"}
#: Prefixes written joined, hyphenated or spaced ("counter-terrorism", "counterterrorism").
JOINABLE = ("counter", "cyber", "multi", "inter", "non", "anti", "post", "pre")

SCORE_PREF_EXACT = 1.0
SCORE_PREF_NORMALISED = 0.95
SCORE_PREF_ALT = 0.9
SCORE_ALT_ALT = 0.8
SCORE_REORDERED = 0.75
SCORE_SHORT_FORM = 0.7
EXACT_MATCH_FROM = 0.95


@dataclass
class Term:
    """A labelled resource: its IRI and its labels as (text, label property IRI)."""

    iri: str
    labels: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pref_label(self) -> str:
        for text, prop in self.labels:
            if LABEL_ROLES.get(prop) == "pref":
                return text
        return self.labels[0][0] if self.labels else self.iri


@dataclass(frozen=True)
class Candidate:
    """One proposed mapping with the labels that matched."""

    subject: Term
    obj: Term
    score: float
    subject_label: str
    subject_field: str
    object_label: str
    object_field: str
    how: str

    @property
    def predicate(self) -> str:
        return "skos:exactMatch" if self.score >= EXACT_MATCH_FROM else "skos:closeMatch"


# -- normalisation --------------------------------------------------------------

def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "ics")):
        return word
    return word[:-1]


#: Words whose "-ise" is not a British "-ize" (exercise, never "exercize").
NOT_ISE = {
    "advertise", "advise", "anise", "arise", "bruise", "chastise", "comprise", "compromise",
    "concise", "cruise", "demise", "despise", "devise", "disguise", "enterprise", "excise",
    "exercise", "expertise", "franchise", "guise", "improvise", "incise", "likewise",
    "merchandise", "noise", "otherwise", "paradise", "poise", "praise", "precise", "premise",
    "promise", "raise", "reprise", "revise", "rise", "sunrise", "supervise", "surmise",
    "surprise", "televise", "treatise", "wise",
}


def _spelling(word: str) -> str:
    word = SPELLING.get(word, word)
    for british, american in (("isation", "ization"), ("ising", "izing"), ("ised", "ized"),
                              ("ises", "izes"), ("ise", "ize")):
        if word.endswith(british) and len(word) > len(british) + 2:
            if word[: -len(british)] + "ise" in NOT_ISE:
                return word
            return word[: -len(british)] + american
    return word


def tokens(label: str, join_hyphens: bool = False) -> list[str]:
    """The normalised words of a label (see ``normalise``); with ``join_hyphens``
    hyphenated words are written as one ("peace-keeping" -> "peacekeeping")."""
    text = unicodedata.normalize("NFKD", label)
    if join_hyphens:
        text = re.sub(r"(?<=\w)[\-\u2010-\u2015](?=\w)", "", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace("'s", "").replace("\u2019s", "")
    for prefix in JOINABLE:  # "counter-terrorism", "counter terrorism" -> "counterterrorism"
        text = re.sub(rf"\b{prefix}[\s\-\u2010-\u2015]+(?=[a-z])", prefix, text)
    words = re.split(r"[^0-9a-z]+", text)
    return [_spelling(_singular(w)) for w in words if w]


def normalise(label: str) -> str:
    """A label's comparison key: lower case, no accents or punctuation, hyphens as
    spaces, singular words, American spelling.

    >>> normalise("Counter-terrorism")
    'counterterrorism'
    """
    return " ".join(tokens(label))


def joined(label: str) -> str:
    """``normalise`` with hyphenated words joined: the key that makes "Peace-keeping"
    equal "peacekeeping" (and "e-mail" equal "email").

    >>> joined("Peace-keeping operations")
    'peacekeeping operation'
    """
    return " ".join(tokens(label, join_hyphens=True))


def same_label(a: str, b: str) -> bool:
    """True if two labels are the same after normalisation, hyphens as spaces or joined."""
    na, nb = normalise(a), normalise(b)
    return bool(na) and (na == nb or joined(a) == joined(b))


def content_words(label: str) -> frozenset[str]:
    """The normalised words of a label without stop words (order ignored)."""
    return frozenset(w for w in tokens(label) if w not in STOPWORDS)


# -- reading vocabularies -------------------------------------------------------------

def read_terms(path: str | Path, rdf_format: str | None = None,
               limits: Limits | None = None) -> tuple[list[Term], dict]:
    """Read every labelled resource of an RDF file (any format pyoxigraph reads).

    Returns the terms and the file's prefixes. Labels in other languages than
    English (or no language) are ignored. Nothing is fetched from the network:
    pyoxigraph does not follow owl:imports or remote JSON-LD contexts. The
    file is untrusted: it is read and checked by :func:`ddkb.inputs.read_rdf`
    with ``limits`` (size, XML entities, JSON-LD depth) before it is parsed.
    """
    import pyoxigraph as ox

    from .formats import rdf_format as format_named
    from .formats import rdf_format_for_path
    from .inputs import memory_error, read_rdf

    path = Path(path)
    syntax = format_named(rdf_format) if rdf_format else rdf_format_for_path(path)
    if syntax is None:
        raise InputError(f"{path}: unknown RDF format (use a .ttl/.nt/.rdf/.jsonld/... name)")
    fmt = syntax.engine
    content = read_rdf(path, fmt, limits)
    terms: dict[str, Term] = {}
    try:
        parser = ox.parse(content, format=fmt, base_iri=path.resolve().as_uri())
        for quad in parser:
            prop = quad.predicate.value
            if prop not in LABEL_ROLES or not isinstance(quad.object, ox.Literal):
                continue
            if not isinstance(quad.subject, ox.NamedNode):
                continue
            lang = (quad.object.language or "").lower()
            if lang and lang != "en" and not lang.startswith("en-"):
                continue
            term = terms.setdefault(quad.subject.value, Term(quad.subject.value))
            entry = (quad.object.value, prop)
            if entry not in term.labels:
                term.labels.append(entry)
        prefixes = dict(parser.prefixes or {})
    except SyntaxError as err:
        raise DataFileError(f"{path}: {err}") from None
    except MemoryError as err:
        raise memory_error(path, content, err) from None
    return list(terms.values()), prefixes


def ddkb_terms(kb) -> list[Term]:
    """ddkb's concepts (skos:Concept under the ddkb namespace, fact-check statuses
    left out) with their preferred, alternative and hidden labels."""
    rows = kb.select("""
        SELECT ?c ?p ?l WHERE {
          ?c a skos:Concept ; ?p ?l .
          VALUES ?p { skos:prefLabel skos:altLabel skos:hiddenLabel }
          FILTER(STRSTARTS(STR(?c), "https://w3id.org/ddkb/"))
          FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en"))
          FILTER NOT EXISTS { ?c skos:inScheme ddkb:verification-scheme }
        } ORDER BY ?c ?p ?l""")
    terms: dict[str, Term] = {}
    for row in rows:
        iri = row["c"].value
        terms.setdefault(iri, Term(iri)).labels.append((row["l"].value, row["p"].value))
    return list(terms.values())


# -- scoring ---------------------------------------------------------------------------

def score_labels(ours: tuple[str, str], theirs: tuple[str, str]) -> tuple[float, str]:
    """Score one label pair; returns (score, how). 0.0 means no match."""
    (a, a_prop), (b, b_prop) = ours, theirs
    roles = (LABEL_ROLES[a_prop], LABEL_ROLES[b_prop])
    if same_label(a, b):
        if roles == ("pref", "pref"):
            if a.strip().casefold() == b.strip().casefold():
                return SCORE_PREF_EXACT, "same preferred label"
            return SCORE_PREF_NORMALISED, "same preferred label after normalisation"
        if "pref" in roles:
            return SCORE_PREF_ALT, "preferred label matches an alternative label"
        return SCORE_ALT_ALT, "alternative labels match"
    words_a, words_b = content_words(a), content_words(b)
    if len(words_a) >= 2 and words_a == words_b:
        return SCORE_REORDERED, "same words in another order"
    return 0.0, ""


def is_short_form(term: Term, label: tuple[str, str]) -> bool:
    """True for an alternative label that is only part of the term's preferred label
    ("trust" for "mutual trust", "arms control" for "arms control agreement"): such
    a label is an elliptical short form, not a synonym, and says too little to map on.
    Abbreviations ("CBM") are not short forms in this sense."""
    if LABEL_ROLES.get(label[1]) != "alt":
        return False
    words = content_words(label[0])
    for text, prop in term.labels:
        if LABEL_ROLES.get(prop) == "pref" and words and words < content_words(text):
            return True
    return False


def score_terms(ours: Term, theirs: Term) -> Candidate | None:
    """The best-scoring label pair of two terms, or None if no label pair matches.

    A match through a short-form alternative label (``is_short_form``) scores at
    most ``SCORE_SHORT_FORM``, below the default threshold.
    """
    best = None
    for a in ours.labels:
        for b in theirs.labels:
            score, how = score_labels(a, b)
            if score and (is_short_form(ours, a) or is_short_form(theirs, b)):
                score = min(score, SCORE_SHORT_FORM)
                how = "a short form of a preferred label matches"
            if score and (best is None or score > best.score):
                best = Candidate(ours, theirs, score, a[0], FIELD_CURIES[a[1]], b[0],
                                 FIELD_CURIES[b[1]], how)
    return best


def match(ours: list[Term], theirs: list[Term], threshold: float = 0.9,
          many: bool = False) -> list[Candidate]:
    """Candidate mappings at or above ``threshold``, best first.

    One-to-one unless ``many``: pairs are taken greedily by score; when two pairs
    with the same score compete for a term, both are dropped (ambiguous) and the
    term is not matched at a lower score either.
    """
    index: dict[str, list[Term]] = {}
    for t in theirs:
        for text, _ in t.labels:
            for key in {normalise(text), joined(text), " ".join(sorted(content_words(text)))}:
                if key:
                    index.setdefault(key, []).append(t)
    cands = []
    for o in ours:
        seen: set[str] = set()
        for text, _ in o.labels:
            for key in {normalise(text), joined(text), " ".join(sorted(content_words(text)))}:
                for t in index.get(key, ()):
                    if t.iri in seen or t.iri == o.iri:
                        continue
                    seen.add(t.iri)
                    cand = score_terms(o, t)
                    if cand and cand.score >= threshold:
                        cands.append(cand)
    cands.sort(key=lambda c: (-c.score, c.subject.iri, c.obj.iri))
    if many:
        return cands
    used_s: set[str] = set()
    used_o: set[str] = set()
    result = []
    for score in sorted({c.score for c in cands}, reverse=True):
        level = [c for c in cands if c.score == score
                 and c.subject.iri not in used_s and c.obj.iri not in used_o]
        for c in level:
            rivals = [r for r in level if r is not c
                      and (r.subject.iri == c.subject.iri or r.obj.iri == c.obj.iri)]
            if not rivals:
                result.append(c)
        for c in level:  # matched or ambiguous: either way not matched again lower down
            used_s.add(c.subject.iri)
            used_o.add(c.obj.iri)
    return result


# -- SSSOM output ---------------------------------------------------------------------

ALIGN_COLUMNS = ["subject_id", "subject_label", "predicate_id", "object_id", "object_label",
                 "mapping_justification", "confidence", "subject_match_field",
                 "object_match_field", "match_string", "mapping_tool", "comment"]


def _curie_for(iri: str, prefixes: dict[str, str], used: dict[str, str]) -> str:
    """A CURIE for ``iri`` from the file's prefixes (longest namespace wins), else a new
    ``nsN`` prefix for its namespace; ``used`` collects the prefixes needed."""
    best = ""
    for prefix, ns in prefixes.items():
        if prefix and ns and iri.startswith(ns) and len(ns) > len(prefixes.get(best, "")):
            local = iri[len(ns):]
            if local and re.fullmatch(r"[\w.\-]+", local):
                best = prefix
    if best:
        used[best] = prefixes[best]
        return f"{best}:{iri[len(prefixes[best]):]}"
    cut = max(iri.rfind("#"), iri.rfind("/"))
    ns, local = iri[: cut + 1], iri[cut + 1:]
    if not local or not re.fullmatch(r"[\w.\-]+", local):
        ns, local = iri, ""
    for prefix, known in used.items():
        if known == ns:
            return f"{prefix}:{local}"
    n = 1
    while f"ns{n}" in used or f"ns{n}" in prefixes:
        n += 1
    used[f"ns{n}"] = ns
    return f"ns{n}:{local}"


def mapping_date() -> str:
    """Today's UTC date, or the date of ``$SOURCE_DATE_EPOCH`` when set (the
    reproducible-builds convention), so that documented output can be reproduced."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
    return datetime.now(timezone.utc).date().isoformat()


def to_mapping_set(cands: list[Candidate], other_name: str, prefixes: dict[str, str],
                   threshold: float) -> MappingSet:
    """Wrap candidates in an SSSOM mapping set (justification semapv:LexicalMatching)."""
    from . import __version__
    from .namespaces import DDKB

    used = {"ddkb": DDKB, "skos": SKOS, "rdfs": RDFS,
            "semapv": "https://w3id.org/semapv/vocab/"}
    theirs = {p: ns for p, ns in prefixes.items() if p not in used}
    rows = []
    for c in cands:
        rows.append({
            "subject_id": _curie_for(c.subject.iri, {"ddkb": DDKB}, used),
            "subject_label": c.subject.pref_label,
            "predicate_id": c.predicate,
            "object_id": _curie_for(c.obj.iri, theirs, used),
            "object_label": c.obj.pref_label,
            "mapping_justification": "semapv:LexicalMatching",
            "confidence": f"{c.score:.2f}",
            "subject_match_field": c.subject_field,
            "object_match_field": c.object_field,
            "match_string": normalise(c.subject_label),
            "mapping_tool": f"ddkb align {__version__}",
            "comment": f"{c.how}: {c.subject_label!r} ~ {c.object_label!r}",
        })
    stem = re.sub(r"[^\w.\-]+", "-", Path(other_name).stem) or "other"
    metadata = {
        "curie_map": used,
        "mapping_set_id": f"https://w3id.org/ddkb/mappings/ddkb-{stem}.sssom.tsv",
        "mapping_set_version": __version__,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "mapping_set_description": (
            f"Lexical mapping candidates between ddkb concepts and {Path(other_name).name} "
            f"(ddkb align, threshold {threshold}); review before use."),
        "mapping_date": mapping_date(),
    }
    return MappingSet(f"ddkb-{stem}.sssom.tsv", metadata, list(ALIGN_COLUMNS), rows)


def align(kb, other: str | Path, threshold: float = 0.9, many: bool = False,
          rdf_format: str | None = None) -> MappingSet:
    """Propose mappings from the concepts of ``kb`` to the labelled terms of ``other``.

    >>> import ddkb  # doctest: +SKIP
    >>> mset = align(ddkb.load(), "thesaurus.ttl")  # doctest: +SKIP
    >>> print(ddkb.mappings.format_sssom(mset))  # doctest: +SKIP
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"--threshold {threshold}: must be in (0, 1]")
    theirs, prefixes = read_terms(other, rdf_format, kb.limits)
    cands = match(ddkb_terms(kb), theirs, threshold=threshold, many=many)
    return to_mapping_set(cands, str(other), prefixes, threshold)
