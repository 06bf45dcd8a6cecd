"""Check the knowledge base: SHACL shapes plus SPARQL quality-check (QC) queries.

Two kinds of check run over the loaded dataset (ontology + KB + ``--data`` files):

* the SHACL shapes in ``ontology/shapes/*.ttl`` (pyshacl, over the union of the
  asserted graphs, which includes the ontology so ``sh:class`` follows
  ``rdfs:subClassOf``);
* every ``ontology/qc/*-violation.rq`` query, run on the KB's pyoxigraph store;
  each returns ``?focus ?message`` (and ``?path`` where it helps) and no rows
  on a good KB.

Inferred triples (``--infer``) are left out: validation checks what the files
assert, otherwise inferred types would hide every domain and range mistake.

>>> import ddkb
>>> from ddkb.validate import validate
>>> report = validate(ddkb.load())
>>> report.conforms                     # doctest: +SKIP
True
>>> print(report.to_text())             # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .errors import InputError
from .namespaces import DDKB, INFERRED_GRAPH, PREFIXES, curie
from .text import one_line

SHAPES_NS = "https://w3id.org/ddkb/shapes/"
SEVERITIES = ("violation", "warning", "info")
_HEADER_RE = re.compile(r"^#\s*(?P<key>[A-Za-z_-]+)\s*:\s*(?P<value>.*?)\s*$")


def _one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks too) as one space.

    A user's label or literal value may hold line breaks; printed as is they would
    break the one-problem-per-block layout of the text report. Control characters
    (a label's terminal escape sequences) are shown as escapes: ``\\x1b``.
    """
    return one_line(text)


@dataclass(frozen=True)
class Violation:
    """One problem found by one check.

    ``check`` names the check: ``shacl:<ShapeName>`` or ``qc:<file stem>`` (e.g.
    ``qc:orphan-concept-violation``);
    ``focus`` is the offending node as a CURIE (or IRI, blank node, literal);
    ``path`` the property concerned, if any.
    """

    check: str
    focus: str
    focus_label: str | None
    path: str | None
    message: str
    severity: str = "violation"


@dataclass(frozen=True)
class QcCheck:
    """A quality-check query read from ``ontology/qc/<name>-violation.rq``."""

    name: str
    title: str
    description: str
    text: str
    path: Path


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`: every violation and what was checked."""

    violations: list[Violation]
    shapes: list[str] = field(default_factory=list)
    qc_checks: list[str] = field(default_factory=list)
    triples: int = 0

    @property
    def conforms(self) -> bool:
        """True when no check found a problem of severity ``violation``."""
        return not any(v.severity == "violation" for v in self.violations)

    def counts(self) -> dict[str, int]:
        """Number of problems per severity (every severity present, zero or not)."""
        found = Counter(v.severity for v in self.violations)
        return {s: found.get(s, 0) for s in SEVERITIES}

    def by_check(self) -> dict[str, list[Violation]]:
        """Violations grouped by check name, in check-name order."""
        groups: dict[str, list[Violation]] = {}
        for v in sorted(self.violations, key=_sort_key):
            groups.setdefault(v.check, []).append(v)
        return groups

    def summary(self) -> str:
        """One line: the verdict and the counts."""
        c = self.counts()
        verdict = "conforms" if self.conforms else "does NOT conform"
        return (f"{verdict}: {c['violation']} violation(s), {c['warning']} warning(s), "
                f"{c['info']} info; {len(self.shapes)} shapes and {len(self.qc_checks)} "
                f"QC queries over {self.triples} triples")

    def to_text(self) -> str:
        """A readable report: one block per problem, grouped by check, then the summary."""
        lines: list[str] = []
        for check, items in self.by_check().items():
            lines.append(f"{_one_line(check)} ({len(items)})")
            for v in items:
                label = f' "{_one_line(v.focus_label)}"' if v.focus_label else ""
                sev = "" if v.severity == "violation" else f" [{v.severity}]"
                lines.append(f"  {_one_line(v.focus)}{label}{sev}")
                if v.path:
                    lines.append(f"    path: {_one_line(v.path)}")
                lines.append(f"    {_one_line(v.message)}")
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: verdict, counts, what ran, and the violations."""
        return {
            "conforms": self.conforms,
            "counts": self.counts(),
            "triples": self.triples,
            "shapes": list(self.shapes),
            "qc_checks": list(self.qc_checks),
            "violations": [asdict(v) for v in sorted(self.violations, key=_sort_key)],
        }


def _sort_key(v: Violation) -> tuple:
    return (v.check, v.focus, v.path or "", v.message)


# -- QC queries ---------------------------------------------------------------

def qc_dir() -> Path:
    """The folder of the bundled QC queries (``ontology/qc``)."""
    return paths.ontology_dir() / "qc"


def shapes_dir() -> Path:
    """The folder of the bundled SHACL shapes (``ontology/shapes``)."""
    return paths.ontology_dir() / "shapes"


def parse_qc_file(path: Path) -> QcCheck:
    """Read a QC query and its ``# title:`` / ``# description:`` header.

    Raises InputError naming the file when the header has no title.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read: {err}") from None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER_RE.match(line.strip())
        if m:
            fields.setdefault(m["key"].lower(), m["value"])
    if not fields.get("title"):
        raise InputError(f"{path}:1: QC query has no '# title:' header line")
    name = path.stem
    return QcCheck(name, fields["title"], fields.get("description", ""), text, path)


def qc_checks(folder: Path | None = None) -> list[QcCheck]:
    """Every ``*-violation.rq`` query of ``folder`` (default: the bundled ones), by name."""
    folder = Path(folder) if folder is not None else qc_dir()
    return sorted((parse_qc_file(p) for p in folder.glob("*-violation.rq")),
                  key=lambda c: c.name)


def _term_text(term: Any) -> str:
    """A pyoxigraph term as a short string (CURIE, ``_:b``, or a quoted literal)."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return f'"{term.value}"' + (f"@{term.language}" if term.language else "")
    return str(term)


def _asserted_graphs(kb) -> list | None:
    """The named graphs that hold asserted data, or None when there is nothing inferred."""
    import pyoxigraph as ox

    graphs = [g for g in kb.store.named_graphs()]
    inferred = [g for g in graphs if isinstance(g, ox.NamedNode)
                and g.value.startswith(INFERRED_GRAPH)]
    if not inferred:
        return None
    return [ox.DefaultGraph()] + [g for g in graphs if g not in inferred]


def _select(kb, sparql: str, graphs: list | None) -> list[dict[str, Any]]:
    """SELECT on the KB's store; over the asserted graphs only when ``graphs`` is given."""
    if graphs is None:
        return kb.select(sparql)
    result = kb.store.query(sparql, prefixes=PREFIXES, default_graph=graphs)
    names = [v.value for v in result.variables]
    return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]


def run_qc(kb, checks: list[QcCheck] | None = None) -> list[Violation]:
    """Run QC queries (default: every bundled one) and turn their rows into violations."""
    import pyoxigraph as ox

    checks = qc_checks() if checks is None else checks
    graphs = _asserted_graphs(kb)
    labels = _labels(kb, graphs)
    found: list[Violation] = []
    for check in checks:
        try:
            rows = _select(kb, check.text, graphs)
        except InputError as err:
            raise InputError(f"{check.path}: {err}") from None
        except SyntaxError as err:
            raise InputError(f"{check.path}: SPARQL syntax error: {err}") from None
        for row in rows:
            focus = row.get("focus")
            found.append(Violation(
                check=f"qc:{check.name}",
                focus=_term_text(focus) if focus is not None else "(none)",
                focus_label=labels.get(focus.value) if isinstance(focus, ox.NamedNode) else None,
                path=_term_text(row["path"]) if row.get("path") is not None else None,
                message=row["message"].value if row.get("message") is not None else check.title,
            ))
    return found


def _labels(kb, graphs: list | None) -> dict[str, str]:
    """IRI -> the label to show (the rule of :mod:`ddkb.labels`)."""
    from .labels import display_rank

    rows = _select(kb, """
        SELECT ?s ?l ?kind WHERE {
          { ?s skos:prefLabel ?l BIND("pref" AS ?kind) }
          UNION
          { ?s rdfs:label ?l BIND("rdfs" AS ?kind) }
          FILTER(isIRI(?s) && isLiteral(?l))
        }""", graphs)
    best: dict[str, tuple[int, str]] = {}
    for row in rows:
        key, label = row["s"].value, row["l"].value
        rank = display_rank(row["kind"].value, getattr(row["l"], "language", None))
        if rank is not None and (key not in best or (rank, label) < best[key]):
            best[key] = (rank, label)
    return {k: v[1] for k, v in best.items()}


# -- SHACL --------------------------------------------------------------------

def shapes_graph(folder: Path | None = None):
    """Every ``*.ttl`` file of the shapes folder in one rdflib Graph."""
    import rdflib

    folder = Path(folder) if folder is not None else shapes_dir()
    g = rdflib.Graph()
    for path in sorted(folder.glob("*.ttl")):
        try:
            g.parse(path, format="turtle")
        except Exception as err:  # rdflib raises many parser error types
            raise InputError(f"{path}: cannot parse SHACL shapes: {err}") from None
    return g


def data_graph(kb):
    """The union of the KB's asserted graphs (inferred graphs left out) as an rdflib Graph."""
    import rdflib

    g = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    for s, p, o, ctx in kb.rdflib_dataset().quads((None, None, None, None)):
        name = str(getattr(ctx, "identifier", ctx) or "")
        if name.startswith(INFERRED_GRAPH):
            continue
        g.add((s, p, o))
    return g


def _shape_name(shapes, shape) -> str:
    """``shacl:<LocalName>`` of the node shape a (possibly blank) property shape belongs to."""
    from rdflib import BNode, URIRef
    from rdflib.namespace import SH

    node = shape
    for _ in range(5):
        if not isinstance(node, BNode):
            break
        parent = next(shapes.subjects(SH.property, node), None)
        if parent is None:
            break
        node = parent
    if isinstance(node, URIRef):
        text = str(node)
        local = text[len(SHAPES_NS):] if text.startswith(SHAPES_NS) else curie(text)
        return f"shacl:{local}"
    return "shacl:(anonymous shape)"


def _rdflib_text(term) -> str:
    from rdflib import BNode, Literal

    if isinstance(term, Literal):
        return f'"{term}"' + (f"@{term.language}" if term.language else "")
    if isinstance(term, BNode):
        return f"_:{term}"
    return curie(str(term))


def run_shacl(kb, shapes=None) -> tuple[list[Violation], list[str], int]:
    """Validate the KB's asserted data against the SHACL shapes.

    Returns (violations, names of the node shapes used, number of data triples).
    """
    import pyshacl
    from rdflib import RDF, URIRef
    from rdflib.namespace import SH

    shapes = shapes_graph() if shapes is None else shapes
    data = data_graph(kb)  # a fresh graph, so pyshacl may work on it in place (no copy)
    _conforms, results, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, inplace=True,
        allow_warnings=True, meta_shacl=False, abort_on_first=False)
    if not hasattr(results, "subjects"):  # pyshacl reports a broken shapes graph this way
        raise InputError(f"the SHACL shapes cannot be used: {text.strip().splitlines()[-1]}")
    severity = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
    found: list[Violation] = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        message = messages[0] if messages else "SHACL constraint not met"
        if value is not None and value != focus:
            message += f" (value: {_rdflib_text(value)})"
        label = None
        if isinstance(focus, URIRef):
            label = _graph_label(data, focus)
        found.append(Violation(
            check=_shape_name(shapes, results.value(result, SH.sourceShape)),
            focus=_rdflib_text(focus),
            focus_label=label,
            path=_path_text(results, path) if path is not None else None,
            message=message,
            severity=severity.get(results.value(result, SH.resultSeverity), "violation"),
        ))
    names = sorted(_shape_name(shapes, s) for s in set(shapes.subjects(RDF.type, SH.NodeShape))
                   if isinstance(s, URIRef))
    return found, names, len(data)


def _path_text(graph, path) -> str:
    """A SHACL result path as text: a sequence path (an RDF list) as ``a/b/c``, not ``_:b``."""
    from rdflib import RDF, BNode
    from rdflib.collection import Collection

    if isinstance(path, BNode) and graph.value(path, RDF.first) is not None:
        return "/".join(_rdflib_text(step) for step in Collection(graph, path))
    return _rdflib_text(path)


def _graph_label(g, node) -> str | None:
    from rdflib import Literal
    from rdflib.namespace import RDFS, SKOS

    from .labels import display_label

    return display_label((kind, str(x), x.language) for kind, prop in
                         (("pref", SKOS.prefLabel), ("rdfs", RDFS.label))
                         for x in g.objects(node, prop) if isinstance(x, Literal))


# -- everything ---------------------------------------------------------------

def validate(kb, *, shacl: bool = True, qc: bool = True) -> ValidationReport:
    """Run the SHACL shapes and every QC query over ``kb``; return the report.

    Never raises for violations (look at ``report.conforms``); raises InputError
    when a shapes file or a QC query of the bundle cannot be read.
    """
    violations: list[Violation] = []
    shape_names: list[str] = []
    checks: list[QcCheck] = []
    triples = 0
    if shacl:
        found, shape_names, triples = run_shacl(kb)
        violations.extend(found)
    if qc:
        checks = qc_checks()
        violations.extend(run_qc(kb, checks))
    if not triples:
        triples = len(kb.store)
    return ValidationReport(violations=violations, shapes=shape_names,
                            qc_checks=[c.name for c in checks], triples=triples)


# -- relation shapes, derived from the ontology ----------------------------------

def relation_shapes(ontology) -> Any:
    """SHACL shapes for every ddkb property's declared rdfs:domain and rdfs:range.

    For each ``ddkb:`` object or datatype property with a domain or range in
    ``ontology`` (an rdflib Graph), one node shape targets the subjects of the
    property: ``sh:class`` of the domain on the subject and ``sh:class`` (or
    ``sh:datatype``) of the range on each value. ``owl:unionOf`` domains and
    ranges become ``sh:or``. Keeping the shapes derived keeps them in step with
    the ontology; ``ontology/shapes/ddkb-relation-shapes.ttl`` is its output.
    """
    import rdflib
    from rdflib import RDF, RDFS, BNode, Literal, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import OWL, SH, XSD

    g = rdflib.Graph()
    g.bind("sh", SH)
    g.bind("ddkbsh", SHAPES_NS)
    for prefix in ("ddkb", "rdfs", "xsd", "owl", "skos", "prov"):
        g.bind(prefix, PREFIXES[prefix])

    def members(cls) -> list:
        union = ontology.value(cls, OWL.unionOf)
        if union is not None:
            return list(Collection(ontology, union))
        return [cls]

    def name(cls) -> str:
        return " or ".join(curie(str(c)) for c in members(cls))

    def class_constraint(target, cls) -> None:
        options = [c for c in members(cls) if isinstance(c, URIRef)]
        if len(options) == 1:
            g.add((target, SH["class"], options[0]))
        elif options:
            alternatives = []
            for c in options:
                alt = BNode()
                g.add((alt, SH["class"], c))
                alternatives.append(alt)
            head = BNode()
            Collection(g, head, alternatives)
            g.add((target, SH["or"], head))

    skip = {OWL.Thing, RDFS.Resource, RDFS.Literal}
    props = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        props.update(p for p in ontology.subjects(RDF.type, kind)
                     if isinstance(p, URIRef) and str(p).startswith(DDKB))
    for prop in sorted(props):
        domains = [d for d in ontology.objects(prop, RDFS.domain) if d not in skip]
        ranges = [r for r in ontology.objects(prop, RDFS.range) if r not in skip]
        if not domains and not ranges:
            continue
        local = str(prop)[len(DDKB):]
        shape = URIRef(f"{SHAPES_NS}{local}-shape")
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, RDFS.label, Literal(f"use of ddkb:{local}", lang="en")))
        g.add((shape, SH.targetSubjectsOf, prop))
        for d in domains:
            class_constraint(shape, d)
            g.add((shape, SH.message, Literal(
                f"Only a {name(d)} may have the property ddkb:{local} (its rdfs:domain in "
                f"the ontology); type the subject as one or use another property.")))
        for r in ranges:
            pshape = BNode()
            g.add((shape, SH.property, pshape))
            g.add((pshape, SH.path, prop))
            is_datatype = (isinstance(r, URIRef) and str(r).startswith(str(XSD))) \
                or r == RDF.langString
            if is_datatype:
                g.add((pshape, SH.datatype, r))
                what = f"a literal of type {curie(str(r))}"
            else:
                class_constraint(pshape, r)
                what = f"a {name(r)}"
            g.add((pshape, SH.message, Literal(
                f"A value of ddkb:{local} must be {what} (its rdfs:range in the ontology).")))
    return g


def relation_shapes_turtle(ontology) -> str:
    """:func:`relation_shapes` as Turtle, with a header saying how it was made."""
    header = (
        "# SHACL shapes of the domain and range of every ddkb property.\n"
        "# GENERATED from ontology/ddkb.ttl by ddkb.validate.relation_shapes; do not edit.\n"
        "# Regenerate after changing a domain or range:\n"
        "#   python -c \"import rdflib, ddkb.validate as v; "
        "print(v.relation_shapes_turtle(rdflib.Graph().parse('ontology/ddkb.ttl')))\" \\\n"
        "#     > ontology/shapes/ddkb-relation-shapes.ttl\n\n"
    )
    return header + relation_shapes(ontology).serialize(format="turtle")
