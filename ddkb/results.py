r"""Writing query answers: W3C result formats for programs, tables for people.

SELECT answers: ``table`` (aligned columns; IRIs as CURIEs with the concept's
label, e.g. ``ddkb:mutual-trust (mutual trust)``), ``markdown``, and the W3C
SPARQL 1.1 results formats ``json``, ``xml``, ``csv``, ``tsv``. ASK answers:
``true``/``false`` (or the W3C JSON/XML boolean forms). CONSTRUCT and DESCRIBE
answers: RDF as ``turtle``, ``nt``, ``xml`` (RDF/XML) or ``jsonld``.

Every function returns a string; nothing here prints.

>>> import pyoxigraph as ox
>>> from ddkb.kb import QueryResult
>>> r = QueryResult("select", ["x"], [(ox.Literal("a"),), (None,)])
>>> format_result(r, "tsv")
'?x\n"a"\n\n'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from .errors import InputError
from .formats import GRAPH_NAMES, RESULT_SYNTAXES, canonical_name, rdf_format
from .namespaces import PREFIXES, curie
from .text import json_text, one_line

SELECT_FORMATS = ("table", *(f.name for f in RESULT_SYNTAXES), "markdown")
#: The RDF formats of a CONSTRUCT/DESCRIBE answer (one graph: no N-Quads, no TriG).
GRAPH_FORMATS = GRAPH_NAMES
SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: Name -> engine format of the RDF a CONSTRUCT/DESCRIBE answer is written in.
_RDF_FORMATS = {name: rdf_format(name).engine for name in GRAPH_FORMATS}

#: A function giving the label to show beside an IRI, or None for no label.
Labeler = Callable[[str], "str | None"]


def format_result(result: Any, fmt: str | None = None, labeler: Labeler | None = None) -> str:
    """Format a :class:`~ddkb.kb.QueryResult` (``fmt`` None picks each kind's default)."""
    if result.kind == "select":
        return format_select(result.variables, result.rows, fmt or "table", labeler)
    if result.kind == "ask":
        return format_boolean(bool(result.boolean), fmt or "table")
    return format_graph(result.triples, fmt or "turtle")


# -- SELECT ----------------------------------------------------------------------
def format_select(variables: list[str], rows: list[tuple[Any, ...]], fmt: str,
                  labeler: Labeler | None = None) -> str:
    """SELECT rows in one of :data:`SELECT_FORMATS`."""
    if fmt == "json":
        return _select_json(variables, rows)
    if fmt == "xml":
        return _select_xml(variables, rows)
    if fmt == "csv":
        return _delimited(variables, rows, ",", _csv_value, header=variables)
    if fmt == "tsv":
        return _tsv(variables, rows)
    if fmt == "markdown":
        return _markdown(variables, rows, labeler)
    if fmt == "table":
        return _table(variables, rows, labeler)
    raise InputError(f"format '{fmt}' does not fit a SELECT answer "
                     f"(use {', '.join(SELECT_FORMATS)})")


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for XML text (xml.sax.saxutils costs 60 ms to import)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """A double-quoted, escaped XML attribute value."""
    value = escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return f'"{value}"'


def term_json(term: Any) -> dict[str, str]:
    """One RDF term in the W3C SPARQL JSON results layout."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def _select_json(variables: list[str], rows: list[tuple[Any, ...]]) -> str:
    bindings = [{v: term_json(t) for v, t in zip(variables, row, strict=True) if t is not None}
                for row in rows]
    doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json_text(doc, indent=1) + "\n"


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        attrs = ""
        if term.language:
            attrs = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype.value != XSD_STRING:
            attrs = f" datatype={quoteattr(term.datatype.value)}"
        return f"<literal{attrs}>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _select_xml(variables: list[str], rows: list[tuple[Any, ...]]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sparql xmlns="{SPARQL_RESULTS_NS}">',
           "  <head>"]
    out += [f"    <variable name={quoteattr(v)}/>" for v in variables]
    out += ["  </head>", "  <results>"]
    for row in rows:
        out.append("    <result>")
        for v, t in zip(variables, row, strict=True):
            if t is not None:
                out.append(f"      <binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
        out.append("    </result>")
    out += ["  </results>", "</sparql>"]
    return "\n".join(out) + "\n"


def _csv_value(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value if hasattr(term, "value") else str(term)


def _delimited(variables: list[str], rows: list[tuple[Any, ...]], sep: str,
               value: Callable[[Any], str], header: list[str]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([value(t) for t in row])
    return buf.getvalue()


def _tsv(variables: list[str], rows: list[tuple[Any, ...]]) -> str:
    """W3C TSV: ``?var`` header, terms in Turtle/N-Triples syntax, LF line ends."""
    lines = ["\t".join(f"?{v}" for v in variables)]
    for row in rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    return "\n".join(lines) + "\n"


def readable(term: Any, labeler: Labeler | None = None) -> str:
    """A term as people read it: ``ddkb:x (label)``, a literal's text, ``_:b``."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        short = curie(term.value)
        label = labeler(term.value) if labeler else None
        return f"{short} ({label})" if label and label != short else short
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _cells(variables: list[str], rows: list[tuple[Any, ...]],
           labeler: Labeler | None) -> list[list[str]]:
    return [[readable(t, labeler) for t in row] for row in rows]


def text_table(header: list[str] | tuple[str, ...], rows: list[list[str]] | list[tuple],
               max_width: int = 80) -> str:
    """Aligned columns with a dashed rule under the header (cells cut at ``max_width``).

    Each cell is put on one line and its control characters are shown as
    escapes (:func:`ddkb.text.one_line`): a value cannot break the layout or
    send commands to the terminal.
    """
    header = [one_line(h) for h in header]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "\u2026"
              for c in map(one_line, row)] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]

    def line(values) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in cells]
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def markdown_table(header: list[str] | tuple[str, ...],
                   rows: list[list[str]] | list[tuple]) -> str:
    """A GitHub-flavoured markdown table (pipes escaped, cells on one line, controls shown)."""
    lines = ["| " + " | ".join(_md_cell(one_line(h)) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(one_line(c)) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _table(variables: list[str], rows: list[tuple[Any, ...]], labeler: Labeler | None) -> str:
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n"
    return text_table(variables, _cells(variables, rows, labeler)) + count


def _markdown(variables: list[str], rows: list[tuple[Any, ...]],
              labeler: Labeler | None) -> str:
    return markdown_table(variables, _cells(variables, rows, labeler))


# -- ASK ---------------------------------------------------------------------------
def format_boolean(value: bool, fmt: str) -> str:
    """An ASK answer: ``true``/``false``, or the W3C JSON / XML boolean documents."""
    word = "true" if value else "false"
    if fmt == "json":
        import json

        return json.dumps({"head": {}, "boolean": value}) + "\n"
    if fmt == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<sparql xmlns="{SPARQL_RESULTS_NS}">\n  <head/>\n'
                f"  <boolean>{word}</boolean>\n</sparql>\n")
    if fmt in SELECT_FORMATS:
        return word + "\n"
    raise InputError(f"format '{fmt}' does not fit an ASK answer (use table, json or xml)")


# -- CONSTRUCT / DESCRIBE --------------------------------------------------------------
def format_graph(triples: list[Any], fmt: str) -> str:
    """Triples as RDF in one of :data:`GRAPH_FORMATS` (Turtle uses the ddkb prefixes)."""
    fmt = canonical_name(fmt)  # ttl, n-triples, rdfxml, json-ld...
    engine_format = _RDF_FORMATS.get(fmt)
    if engine_format is None:
        raise InputError(f"format '{fmt}' does not fit a CONSTRUCT/DESCRIBE answer "
                         f"(use {', '.join(GRAPH_FORMATS)})")
    used = _used_prefixes(triples) if fmt in ("turtle", "xml") else None
    if fmt == "xml":  # ddkb's writer: well-formed for every input, or a one-line refusal
        from .rdfxml import serialize

        text = serialize(triples, used)
    elif fmt == "jsonld":  # compact, ddkb's context inline: as `ddkb export` writes it
        from .jsonld import compact

        text = compact(triples)
    else:
        text = ox.serialize(triples, format=engine_format, prefixes=used).decode("utf-8")
    # RDF/XML and JSON-LD come without a final newline: a shell prompt would stick to them
    return text if not text or text.endswith("\n") else text + "\n"


def _used_prefixes(triples: list[Any]) -> dict[str, str]:
    iris = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}
