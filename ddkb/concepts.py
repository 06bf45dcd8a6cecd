"""Reading concepts: the concept card, label/definition search and KB statistics.

>>> import ddkb
>>> kb = ddkb.load()
>>> card = concept_card(kb, kb.lookup("ddkb:Instrument"))
>>> card.curie
'ddkb:Instrument'
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from .lookup import normalise
from .namespaces import DCTERMS, DDKB, ORG, OWL, RDF, RDFS, SKOS, curie
from .text import json_text, one_line, visible

#: Properties shown in their own part of the card, not among the relations.
_CARD_PROPS = {
    RDF + "type", SKOS + "prefLabel", SKOS + "altLabel", RDFS + "label", SKOS + "definition",
    DCTERMS + "source", SKOS + "inScheme", DDKB + "verificationStatus", DDKB + "correction",
    DDKB + "evidence", SKOS + "exactMatch", SKOS + "closeMatch", DDKB + "hasMemberCount",
}
#: Incoming links that belong to claims, not to the concept's relations.
_CLAIM_PROPS = {DDKB + "claimSubject", DDKB + "claimObject", DDKB + "claimPredicate"}
#: Incoming links from dated membership nodes: shown as the period of "has member".
_MEMBERSHIP_PROPS = {ORG + "member", ORG + "organization"}
_HIDDEN_INCOMING = _CLAIM_PROPS | _MEMBERSHIP_PROPS | {DCTERMS + "source"}


@dataclass
class Relation:
    """One relation of a concept, with the claim behind it when there is one.

    ``direction`` is ``out`` (concept -> other) or ``in`` (other -> concept);
    ``other`` is an IRI, or for a literal value its text (``other_is_literal``).
    """

    direction: str
    property: str
    property_label: str
    other: str
    other_label: str
    other_is_literal: bool = False
    claim: str | None = None
    claim_text: str | None = None
    sources: list[str] = field(default_factory=list)
    status: str | None = None
    correction: str | None = None
    evidence: str | None = None
    inferred: bool = False
    period: str | None = None  # for a membership: "from 2010-10-12" [" until ..."]


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass
class MemberCount:
    """How many members an organisation had as of a date (a ``ddkb:MemberCount`` node)."""

    number: int
    as_of: str  # ISO 8601 date, YYYY-MM-DD
    iri: str


def _month_year(day: str) -> str:
    """``2025-11-01`` -> ``November 2025`` (the text as is when it is not such a date)."""
    try:
        return f"{_MONTHS[int(day[5:7]) - 1]} {day[:4]}"
    except (ValueError, IndexError):
        return day


def members_summary(counts: list[MemberCount]) -> str | None:
    """The counts as one line, newest first: ``19 members as of November 2025; 18 from 2010``.

    Every count carries its date: the newest says "as of" its month, the earlier ones
    say from which year they held. None when there is no count.

    >>> members_summary([MemberCount(18, "2010-10-12", "x"), MemberCount(19, "2025-11-01", "y")])
    '19 members as of November 2025; 18 from 2010'
    """
    if not counts:
        return None
    ordered = sorted(counts, key=lambda c: c.as_of, reverse=True)
    first, *older = ordered
    parts = [f"{first.number} members as of {_month_year(first.as_of)}"]
    parts += [f"{c.number} from {c.as_of[:4]}" for c in older]
    return "; ".join(parts)


@dataclass
class ConceptCard:
    """Everything the KB says about one concept, ready to print or serialise."""

    iri: str
    curie: str
    label: str
    alt_labels: list[str]
    types: list[tuple[str, str]]
    definition: str | None
    sources: list[str]
    status: str | None
    correction: str | None
    evidence: str | None
    links: list[tuple[str, str]]
    relations: list[Relation]
    member_counts: list[MemberCount] = field(default_factory=list)

    @property
    def members(self) -> str | None:
        """The member counts with their dates as one line (see :func:`members_summary`)."""
        return members_summary(self.member_counts)

    @property
    def doubtful(self) -> bool:
        """True when the concept or one of its relations is not (fully) supported."""
        bad = ("not supported", "contradicted", "partly supported")
        statuses = [self.status] + [r.status for r in self.relations]
        return any(s and s.lower() in bad for s in statuses)

    def grouped(self, direction: str) -> dict[str, list[Relation]]:
        """Relations of one direction grouped by property label (in order of appearance)."""
        groups: dict[str, list[Relation]] = {}
        for rel in self.relations:
            if rel.direction == direction:
                groups.setdefault(rel.property_label, []).append(rel)
        return groups

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["types"] = [{"iri": i, "label": lbl} for i, lbl in self.types]
        data["links"] = [{"property": p, "iri": i} for p, i in self.links]
        data["doubtful"] = self.doubtful
        data["members"] = self.members
        return data


def _one(kb, sparql: str, iri: str) -> list[dict[str, Any]]:
    return kb.select(sparql, c=ox.NamedNode(iri))


def _val(row: dict[str, Any], name: str) -> str | None:
    term = row.get(name)
    return term.value if term is not None else None


def _section_titles(kb, iris: list[str]) -> list[str]:
    out: list[str] = []
    for iri in iris:
        rows = kb.select("SELECT ?s ?t WHERE { ?s dcterms:title ?t }", s=ox.NamedNode(iri))
        title = rows[0]["t"].value if rows else kb.label(iri)
        if title not in out:
            out.append(title)
    return out


_CLAIM_OF = """
  OPTIONAL {
    ?claim ddkb:claimSubject SUBJ ; ddkb:claimPredicate ?p ; ddkb:claimObject OBJ .
    OPTIONAL { ?claim ddkb:claimText ?text }
    OPTIONAL { ?claim ddkb:verificationStatus ?status }
    OPTIONAL { ?claim ddkb:correction ?corr }
    OPTIONAL { ?claim ddkb:evidence ?evid }
    OPTIONAL { ?claim dcterms:source ?sec }
  }"""
_SELECTED = "SELECT ?c ?p ?o ?claim ?text ?status ?corr ?evid ?sec ?g WHERE {"
#: A concept's statements and the statements about it, each with its claim. Two
#: queries, not one UNION: Virtuoso 7 cannot compile a UNION that BINDs the direction.
_RELATIONS = {
    "out": _SELECTED + " GRAPH ?g { ?c ?p ?o } "
    + _CLAIM_OF.replace("SUBJ", "?c").replace("OBJ", "?o") + "}",
    "in": _SELECTED + " GRAPH ?g { ?o ?p ?c } FILTER(isIRI(?o)) "
    + _CLAIM_OF.replace("SUBJ", "?o").replace("OBJ", "?c") + "}",
}


def _relations(kb, iri: str) -> list[Relation]:
    found: dict[tuple, Relation] = {}
    graphs: dict[tuple, set[str]] = defaultdict(set)
    sections: dict[tuple, list[str]] = defaultdict(list)
    rows = [(direction, row) for direction, sparql in _RELATIONS.items()
            for row in _one(kb, sparql, iri)]
    for direction, row in rows:
        prop = row["p"].value
        if (direction == "out" and prop in _CARD_PROPS) or (
                direction == "in" and prop in _HIDDEN_INCOMING):
            continue
        other = row["o"]
        is_literal = isinstance(other, ox.Literal)
        key = (direction, prop, str(other))
        graphs[key].add(row["g"].value)
        sec = _val(row, "sec")
        if sec and sec not in sections[key]:
            sections[key].append(sec)
        if key in found:
            continue
        status = _val(row, "status")
        found[key] = Relation(
            direction=direction, property=prop, property_label=kb.label(prop),
            other=other.value, other_label=other.value if is_literal else kb.label(other.value),
            other_is_literal=is_literal, claim=_val(row, "claim"), claim_text=_val(row, "text"),
            status=kb.label(status) if status else None, correction=_val(row, "corr"),
            evidence=_val(row, "evid"),
        )
    from .namespaces import INFERRED_GRAPH

    periods = _membership_periods(kb, iri)
    for key, rel in found.items():
        rel.sources = _section_titles(kb, sections[key])
        rel.inferred = all(g.startswith(INFERRED_GRAPH) for g in graphs[key])
        if rel.property in (DDKB + "hasMember", DDKB + "memberOf"):
            pair = (iri, rel.other) if (rel.direction == "out") == (
                rel.property == DDKB + "hasMember") else (rel.other, iri)
            rel.period = periods.get(pair)
    return sorted(found.values(), key=lambda r: (r.direction != "out", r.property_label.lower(),
                                                 r.other_label.lower()))


#: The dated memberships of a concept, as organisation and as member. Two queries, not a
#: UNION with BIND: Virtuoso 7 cannot compile that (see _RELATIONS).
_PERIODS = {
    "org": """SELECT ?c ?other ?start ?end WHERE {
      ?m org:organization ?c ; org:member ?other ;
         org:memberDuring/time:hasBeginning/time:inXSDDate ?start .
      OPTIONAL { ?m org:memberDuring/time:hasEnd/time:inXSDDate ?end } }""",
    "member": """SELECT ?c ?other ?start ?end WHERE {
      ?m org:member ?c ; org:organization ?other ;
         org:memberDuring/time:hasBeginning/time:inXSDDate ?start .
      OPTIONAL { ?m org:memberDuring/time:hasEnd/time:inXSDDate ?end } }""",
}


def _membership_periods(kb, iri: str) -> dict[tuple[str, str], str]:
    """(organisation, member) -> "from D" or "from D until E", for memberships of ``iri``."""
    out: dict[tuple[str, str], str] = {}
    for role, sparql in _PERIODS.items():
        for row in _one(kb, sparql, iri):
            text = f"from {_val(row, 'start')}"
            if row.get("end") is not None:
                text += f" until {_val(row, 'end')}"
            other = _val(row, "other")
            out[(iri, other) if role == "org" else (other, iri)] = text
    return out


def concept_card(kb, iri: str) -> ConceptCard:
    """The card of the concept ``iri``: labels, types, definition, sources, status, relations."""
    alts = sorted({_val(r, "a") for r in _one(
        kb, "SELECT ?c ?a WHERE { ?c skos:altLabel ?a }", iri)})
    types = sorted({_val(r, "t") for r in _one(
        kb, "SELECT ?c ?t WHERE { ?c a ?t FILTER(isIRI(?t)) }", iri)})
    defs = _one(kb, """SELECT ?c ?d WHERE { { ?c skos:definition ?d } UNION { ?c rdfs:comment ?d }
                       } ORDER BY DESC(langMatches(lang(?d), "en"))""", iri)
    secs = [_val(r, "s") for r in _one(kb, "SELECT ?c ?s WHERE { ?c dcterms:source ?s }", iri)]
    status_rows = _one(kb, """SELECT ?c ?st ?corr ?ev WHERE {
        OPTIONAL { ?c ddkb:verificationStatus ?st } OPTIONAL { ?c ddkb:correction ?corr }
        OPTIONAL { ?c ddkb:evidence ?ev } }""", iri)
    st = status_rows[0] if status_rows else {}
    links = sorted({(curie(_val(r, "p")), _val(r, "o")) for r in _one(
        kb, "SELECT ?c ?p ?o WHERE { ?c ?p ?o FILTER(?p IN (skos:exactMatch, skos:closeMatch)) }",
        iri)})
    counts = [MemberCount(number=int(_val(r, "n")), as_of=_val(r, "d"), iri=_val(r, "count"))
              for r in _one(kb, """SELECT ?c ?count ?n ?d WHERE {
                  ?c ddkb:hasMemberCount ?count . ?count ddkb:memberCount ?n ;
                  dcterms:date ?d }""", iri)]
    return ConceptCard(
        member_counts=sorted(counts, key=lambda c: c.as_of, reverse=True),
        iri=iri, curie=curie(iri), label=kb.label(iri), alt_labels=alts,
        types=[(t, kb.label(t)) for t in types if t not in (OWL + "NamedIndividual",)],
        definition=_val(defs[0], "d") if defs else None,
        sources=_section_titles(kb, sorted(set(secs))),
        status=kb.label(_val(st, "st")) if st.get("st") else None,
        correction=_val(st, "corr"), evidence=_val(st, "ev"),
        links=links, relations=_relations(kb, iri),
    )


# -- search -----------------------------------------------------------------------------
@dataclass
class SearchHit:
    """One search result: higher ``score`` is better."""

    score: int
    iri: str
    curie: str
    label: str
    cls: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SEARCH_DATA = """
SELECT ?c ?d ?t WHERE {
  ?c a ?t . FILTER(isIRI(?c) && isIRI(?t))
  OPTIONAL { ?c skos:definition ?d }
}"""


def _score(query: str, words: set[str], label: str, alts: list[str], definition: str) -> int:
    """Exact label > label prefix / all words > alt label > definition words."""
    lab = normalise(label)
    score = 0
    if lab == query:
        score = 100
    elif lab.startswith(query) or (words and words <= set(lab.split())):
        score = 70
    elif words & set(lab.split()):
        score = 40 + int(15 * len(words & set(lab.split())) / len(words))
    for alt in alts:
        a = normalise(alt)
        if a == query:
            score = max(score, 60)
        elif a.startswith(query) or (words and words <= set(a.split())):
            score = max(score, 30)
    if definition and words:  # at most 9: it only breaks ties among label matches
        dwords = set(normalise(definition).split())
        hits = len(words & dwords)
        if hits:
            score += int(9 * hits / len(words))
    return score


def search(kb, text: str, limit: int = 20) -> list[SearchHit]:
    """Concepts ranked by label and definition match, best first (ties by label).

    >>> import ddkb
    >>> search(ddkb.load(), "instrument")[0].curie
    'ddkb:Instrument'
    """
    query = normalise(text)
    words = set(query.split())
    if not words:
        return []
    label_index = kb.label_index() if hasattr(kb, "label_index") else None
    if label_index is not None:  # an on-disk store: only index entries are read
        return label_index.search(text, limit=limit)
    index = kb.concept_index()
    alts: dict[str, list[str]] = defaultdict(list)
    for e in index.entries:
        if e.kind == "alt":
            alts[e.iri].append(e.label)
    defs: dict[str, str] = {}
    classes: dict[str, list[str]] = defaultdict(list)
    for row in kb.raw_query(_SEARCH_DATA):
        c = row["c"].value
        if row["d"] is not None:
            defs.setdefault(c, row["d"].value)
        classes[c].append(row["t"].value)
    hits = []
    for iri, label in index.primary.items():
        score = _score(query, words, label, alts.get(iri, []), defs.get(iri, ""))
        if score > 0:
            hits.append(SearchHit(score, iri, curie(iri), label, _class_label(kb, classes[iri])))
    hits.sort(key=lambda h: (-h.score, h.label.lower()))
    return hits[:limit]


#: Schema types named in words, so a search hit on the ontology reads as such.
_SCHEMA_KINDS = {OWL + "Class": "ontology class", RDFS + "Class": "ontology class",
                 OWL + "ObjectProperty": "ontology property",
                 OWL + "DatatypeProperty": "ontology property",
                 OWL + "AnnotationProperty": "ontology property",
                 RDF + "Property": "ontology property"}


def _class_label(kb, types: list[str]) -> str:
    """The most telling class: a ddkb class other than Concept, else any.

    An ontology term says so in words ("ontology class", "ontology property").
    """
    ranked = sorted(types, key=lambda t: (not t.startswith(DDKB), t == DDKB + "Concept",
                                          t.startswith(SKOS), t in _SCHEMA_KINDS, t))
    if not ranked:
        return ""
    return _SCHEMA_KINDS.get(ranked[0]) or kb.label(ranked[0])


# -- stats ------------------------------------------------------------------------------
def stats(kb) -> dict[str, Any]:
    """Counts: triples (total and per graph), concepts per class, properties, claims, sources."""
    per_graph = {r["g"].value: int(r["n"].value) for r in kb.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    distinct = int(kb.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                             "WHERE { ?s ?p ?o } }")[0]["n"].value)
    files = {f.graph: str(f.path) for f in kb.files}
    concepts = Counter()
    # the generic types every concept also has would only repeat the total
    for r in kb.select("""SELECT ?t (COUNT(DISTINCT ?c) AS ?n) WHERE {
            ?c a ?t ; skos:prefLabel ?l . FILTER(isIRI(?t))
            FILTER(?t NOT IN (skos:Concept, skos:ConceptScheme, owl:NamedIndividual))
            } GROUP BY ?t"""):
        concepts[kb.label(r["t"].value)] += int(r["n"].value)
    total_concepts = int(kb.select("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { "
                                   "?c a skos:Concept }")[0]["n"].value)
    props = {curie(r["p"].value): int(r["n"].value) for r in kb.select(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p")}
    claims = int(kb.select("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a ddkb:Claim }")
                 [0]["n"].value)
    by_status = Counter()
    for r in kb.select("""SELECT ?st (COUNT(DISTINCT ?c) AS ?n) WHERE {
            ?c a ddkb:Claim . OPTIONAL { ?c ddkb:verificationStatus ?st } } GROUP BY ?st"""):
        name = kb.label(r["st"].value) if "st" in r else "(no status)"
        by_status[name] += int(r["n"].value)
    sources = {}
    for cls in ("SourceDocument", "SourceSection"):
        sources[cls] = int(kb.select(
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ddkb:{cls} }}")[0]["n"].value)
    return {
        "triples": {"total": sum(per_graph.values()), "distinct": distinct,
                    "per_graph": [{"graph": g, "file": files.get(g), "triples": n}
                                  for g, n in sorted(per_graph.items())]},
        "concepts": total_concepts,
        "concepts_per_class": dict(sorted(concepts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "properties": props,
        "claims": {"total": claims,
                   "per_status": dict(sorted(by_status.items(), key=lambda kv: -kv[1]))},
        "sources": sources,
    }


# -- rendering (strings; the CLI prints them) ----------------------------------------
def _rel_line(rel: Relation, notes: dict[tuple[str, str], int], markdown: bool = False) -> str:
    """One relation; its correction and evidence become a numbered note.

    Many claims of one doubtful case study share the same correction, so the
    card prints each distinct note once, at the end, and refers to it by number.
    """
    other = rel.other_label if rel.other_is_literal else f"{rel.other_label} ({curie(rel.other)})"
    if markdown and not rel.other_is_literal:
        other = f"**{rel.other_label}** (`{curie(rel.other)}`)"
    parts = [other]
    if rel.period:
        parts.append(f"[member {rel.period}]")
    if rel.inferred:
        parts.append("[inferred]")
    if rel.status:
        status = rel.status
        if rel.correction or rel.evidence:
            key = (rel.correction or "", rel.evidence or "")
            number = notes.setdefault(key, len(notes) + 1)
            status += f", see note {number}"
        parts.append(f"[{status}]")
    if rel.sources:
        parts.append("-- source: " + "; ".join(rel.sources))
    return " ".join(parts)


def _notes_lines(notes: dict[tuple[str, str], int], markdown: bool) -> list[str]:
    if not notes:
        return []
    out = ["", "## Notes" if markdown else "Notes:"]
    for (correction, evidence), number in notes.items():
        lead = f"{number}. " if markdown else f"  [{number}] "
        pad = "   " if markdown else "      "
        lines = []
        if correction:
            lines.append(f"correction: {correction}")
        if evidence:
            lines.append(f"evidence: {evidence}")
        out.append(lead + lines[0])
        out += [pad + line for line in lines[1:]]
    return out


def render_card(card: ConceptCard, fmt: str = "text") -> str:
    """The card as ``text``, ``markdown`` or ``json``.

    Every format is safe to print: in text and markdown, control characters of
    the KB's labels are shown as escapes (:func:`ddkb.text.visible`); JSON
    escapes them and keeps the exact strings.
    """
    if fmt == "json":
        return json_text(card.to_dict(), indent=1) + "\n"
    md = fmt == "markdown"
    notes: dict[tuple[str, str], int] = {}
    label = one_line(card.label)  # a label, a type or a relation never spans lines
    out = [f"# {label}" if md else label, ""]
    field_lines = [("CURIE", f"`{card.curie}`" if md else card.curie), ("IRI", card.iri)]
    if card.alt_labels:
        field_lines.append(("Also called", "; ".join(map(one_line, card.alt_labels))))
    if card.types:
        field_lines.append(("Type", ", ".join(one_line(lbl) for _, lbl in card.types)))
    if card.definition:
        field_lines.append(("Definition", card.definition))
    if card.sources:
        field_lines.append(("Sources", "; ".join(map(one_line, card.sources))))
    if card.members:
        field_lines.append(("Members", card.members))
    if card.status:
        field_lines.append(("Verification", card.status))
    if card.correction:
        field_lines.append(("Correction", card.correction))
    if card.evidence:
        field_lines.append(("Evidence", card.evidence))
    for prop, iri in card.links:
        field_lines.append((prop, iri))
    for key, value in field_lines:
        out.append(f"- **{key}:** {value}" if md else f"{key + ':':<14}{value}")
    if card.doubtful:
        note = ("CAUTION: the fact-check does not (fully) support this concept or some of "
                "its relations; see the statuses below.")
        out += ["", f"> {note}" if md else note]
    for direction, title in (("out", "Relations"), ("in", "Referenced by")):
        groups = card.grouped(direction)
        if not groups:
            continue
        out += ["", f"## {title}" if md else f"{title}:"]
        for prop_label, rels in groups.items():
            prop_label = one_line(prop_label)
            out.append(f"### {prop_label}" if md else f"  {prop_label}:")
            for rel in rels:
                out.append(("- " if md else "    - ") + one_line(_rel_line(rel, notes, md)))
    out += _notes_lines(notes, md)
    return visible("\n".join(out)) + "\n"


def render_hits(hits: list[SearchHit], fmt: str = "table") -> str:
    """Search results as ``table``, ``markdown`` or ``json`` (controls shown or escaped)."""
    if fmt == "json":
        return json_text([h.to_dict() for h in hits], indent=1) + "\n"
    from .results import markdown_table, text_table

    rows = [(str(h.score), h.curie, h.label, h.cls) for h in hits]
    header = ("score", "curie", "label", "kind")
    return markdown_table(header, rows) if fmt == "markdown" else text_table(header, rows)


def render_stats(data: dict[str, Any], fmt: str = "text") -> str:
    """The :func:`stats` dict as ``text`` or ``json`` (controls shown or escaped)."""
    if fmt == "json":
        return json_text(data, indent=1) + "\n"
    t = data["triples"]
    out = [f"Triples: {t['total']} in {len(t['per_graph'])} graphs "
           f"({t['distinct']} distinct in the union)"]
    for g in t["per_graph"]:
        out.append(f"  {g['triples']:>7}  {g['graph']}")
    out.append(f"Concepts (skos:Concept): {data['concepts']}, per class:")
    out += [f"  {n:>7}  {cls}" for cls, n in data["concepts_per_class"].items()]
    c = data["claims"]
    out.append(f"Claims: {c['total']}")
    out += [f"  {n:>7}  {st}" for st, n in c["per_status"].items()]
    out.append("Sources: " + ", ".join(f"{n} {k}" for k, n in data["sources"].items()))
    out.append("Properties used:")
    out += [f"  {n:>7}  {p}" for p, n in data["properties"].items()]
    return visible("\n".join(out)) + "\n"
