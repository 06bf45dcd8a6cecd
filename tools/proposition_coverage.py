"""Report, per section of the seed article, how many of its propositions the KB records.

``kb/src/propositions.tsv`` lists every statement of the article of the form "X does /
leads to / includes / builds / promotes / complements Y", section by section, in our own
words, with the claim(s) of the KB that record it. A proposition is *in the KB* when every
claim it names is a ``ddkb:Claim`` of the loaded KB whose ``dcterms:source`` includes the
proposition's section. Every section must reach 100%.

Usage::

    python tools/proposition_coverage.py                 # table; exit 1 below 100%
    python tools/proposition_coverage.py --missing       # also list what is missing
    python tools/proposition_coverage.py --table other.tsv

Exit codes: 0 every section at 100%, 1 some proposition not in the KB, 2 a malformed table
(one line on stderr naming file and line).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "kb" / "src" / "propositions.tsv"
CLAIM = "https://w3id.org/ddkb/claim/"
SRC = "https://w3id.org/ddkb/source/"
COLUMNS = ["section", "subject", "relation", "object", "statement", "claims"]
SECTION_RE = re.compile(r"^(0\d|1\d|20)$")
CLAIM_RE = re.compile(r"^[a-z0-9][a-z0-9-]*--[A-Za-z]+--[A-Za-z0-9][A-Za-z0-9-]*$")


class TableError(Exception):
    """The propositions table is malformed; the message names file and line."""


@dataclass(frozen=True)
class Proposition:
    """One statement of the article and the claims that record it."""

    section: str
    subject: str
    relation: str
    object: str
    statement: str
    claims: tuple[str, ...]
    where: str


@dataclass
class SectionCoverage:
    """How many propositions of one section the KB records."""

    section: str
    title: str
    total: int = 0
    in_kb: int = 0
    missing: list[tuple[Proposition, list[str]]] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.in_kb / self.total if self.total else 100.0


def read_table(path: Path = TABLE) -> list[Proposition]:
    """Read the table; raise TableError for a bad row or a statement that copies the article."""
    sys.path.insert(0, str(ROOT / "tools"))
    from build_kb import read_shingles, shingle_hashes

    article = read_shingles()
    rows: list[Proposition] = []
    header_seen = False
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{number}"
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = [f.strip() for f in raw.split("\t")]
        if not header_seen:
            if fields != COLUMNS:
                raise TableError(f"{where}: the header must be {' '.join(COLUMNS)}")
            header_seen = True
            continue
        if len(fields) != len(COLUMNS):
            raise TableError(f"{where}: expected {len(COLUMNS)} tab-separated fields, "
                             f"found {len(fields)}")
        section, subject, relation, obj, statement, claims = fields
        if not SECTION_RE.match(section):
            raise TableError(f"{where}: section must be 00-20, not {section!r}")
        if not (subject and relation and obj and statement):
            raise TableError(f"{where}: subject, relation, object and statement are required")
        ids = tuple(claims.split())
        bad = [c for c in ids if not CLAIM_RE.match(c)]
        if not ids or bad:
            raise TableError(f"{where}: claims must be subject--property--object ids, "
                             f"not {claims!r}")
        if shingle_hashes(statement) & article:
            raise TableError(f"{where}: the statement copies 8+ words of the article")
        rows.append(Proposition(section, subject, relation, obj, statement, ids, where))
    if not header_seen:
        raise TableError(f"{path}: no header line ({' '.join(COLUMNS)})")
    return rows


def claim_sources(kb) -> dict[str, set[str]]:
    """Claim local name -> the source sections (``00`` ... ``20``, ``fc``) of every KB claim."""
    out: dict[str, set[str]] = {}
    for row in kb.select("SELECT ?c ?s WHERE { ?c a ddkb:Claim . "
                         "OPTIONAL { ?c dcterms:source ?s } }"):
        iri = row["c"].value
        if not iri.startswith(CLAIM):
            continue
        sources = out.setdefault(iri[len(CLAIM):], set())
        src = row.get("s")
        if src is not None and src.value.startswith(SRC):
            local = src.value[len(SRC):]
            sources.add("fc" if local == "fact-check" else local.replace("seed-s", ""))
    return out


def section_titles(kb) -> dict[str, str]:
    """Section number (``00``) -> its heading, from the KB's source sections."""
    titles = {}
    for row in kb.select("SELECT ?s ?t WHERE { ?s a ddkb:SourceSection ; dcterms:title ?t }"):
        local = row["s"].value[len(SRC):]
        if local.startswith("seed-s"):
            titles[local[len("seed-s"):]] = row["t"].value
    return titles


def coverage(propositions: list[Proposition], sources: dict[str, set[str]],
             titles: dict[str, str]) -> list[SectionCoverage]:
    """Per section (every section of the article, in order): totals and what is missing."""
    sections = {s: SectionCoverage(s, titles.get(s, "")) for s in sorted(titles)}
    for p in propositions:
        cov = sections.setdefault(p.section, SectionCoverage(p.section, titles.get(p.section, "")))
        cov.total += 1
        absent = [c for c in p.claims if p.section not in sources.get(c, set())]
        if absent:
            cov.missing.append((p, absent))
        else:
            cov.in_kb += 1
    return [sections[s] for s in sorted(sections)]


def complete(report: list[SectionCoverage]) -> bool:
    """True when every section has propositions and all of them are in the KB."""
    return all(c.total and c.in_kb == c.total for c in report)


def render(report: list[SectionCoverage], missing: bool = False) -> str:
    """The coverage table (and, with ``missing``, each missing proposition and claim)."""
    lines = [f"{'section':<8}{'statements':>11}{'in KB':>7}{'coverage':>10}  title"]
    for c in report:
        lines.append(f"{c.section:<8}{c.total:>11}{c.in_kb:>7}{c.percent:>9.0f}%  {c.title}")
    total = sum(c.total for c in report)
    found = sum(c.in_kb for c in report)
    pct = 100.0 * found / total if total else 100.0
    lines.append(f"{'all':<8}{total:>11}{found:>7}{pct:>9.0f}%")
    if missing:
        for c in report:
            for p, absent in c.missing:
                lines.append(f"missing {p.where}: s{p.section} {p.subject} {p.relation} "
                             f"{p.object}: no claim {', '.join(absent)} with that section")
        for c in report:
            if not c.total:
                lines.append(f"missing: section {c.section} lists no proposition")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Per-section coverage of the article's propositions by the KB's claims. "
                    "Example: python tools/proposition_coverage.py --missing")
    parser.add_argument("--table", type=Path, default=TABLE,
                        help="the propositions table (default: kb/src/propositions.tsv)")
    parser.add_argument("--missing", action="store_true",
                        help="list every proposition whose claim is not in the KB")
    args = parser.parse_args(argv)
    try:
        propositions = read_table(args.table)
    except (TableError, OSError, UnicodeDecodeError) as err:
        print(f"proposition_coverage: {err}", file=sys.stderr)
        return 2
    import ddkb

    kb = ddkb.load()
    report = coverage(propositions, claim_sources(kb), section_titles(kb))
    sys.stdout.write(render(report, missing=args.missing or not complete(report)))
    return 0 if complete(report) else 1


if __name__ == "__main__":
    sys.exit(main())
