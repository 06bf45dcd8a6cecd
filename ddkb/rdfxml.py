"""Write RDF/XML that is well-formed XML and reads back as exactly the same triples -- or refuse.

pyoxigraph 0.5's RDF/XML serialiser gets ordinary data right but not the edges:
a predicate or class whose IRI does not end in an XML name (``<http://ex.org/123>``,
``<urn:uuid:1234>``) becomes an undeclared ``<oxprefix:>`` element, control characters
are copied into the text raw (not XML at all), a carriage return is copied raw (read
back as a line feed), and ``rdf:type rdf:bagID`` becomes a node element that readers
reject. This writer keeps pyoxigraph's layout (prefixes declared on ``rdf:RDF``, one
tab-indented ``rdf:Description`` or typed node element per subject), so data that
pyoxigraph wrote correctly comes out byte for byte the same, and it handles the edges:

* escaped: ``& < > " '`` and the carriage return (``&#13;``) in text; tab, line feed and
  carriage return in attribute values too (attribute normalisation would turn them
  into spaces);
* worked around: a class with no XML-name ending is written as an ``rdf:type``
  property instead of a typed node; a blank node label that is not an XML name
  gets a fresh label (labels carry no meaning); a namespace the XML Namespaces
  recommendation reserves is never declared;
* refused with :class:`CannotExpress`, an :class:`~ddkb.errors.InputError` (nothing
  is returned, so nothing is written), because RDF/XML 1.1 cannot express them at
  all: a predicate with no XML-name ending, an RDF/XML syntax name used as a
  predicate (``rdf:about``, ``rdf:li`` ...), a character XML 1.0 forbids even as a
  character reference (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF,
  lone surrogates), a triple term, a literal with a base direction (RDF 1.2).

Names are checked against XML 1.0 *and* against expat's older (4th edition) name
tables, since expat is what Python's XML tools and rdflib read with.

>>> import pyoxigraph as ox
>>> t = ox.Triple(ox.NamedNode("http://ex.org/s"), ox.NamedNode("http://ex.org/p"),
...               ox.Literal("a\\rb"))
>>> serialize([t], {"ex": "http://ex.org/"}).splitlines()[3].strip()
'<ex:p>a&#13;b</ex:p>'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from .errors import InputError

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XMLNS_NS = "http://www.w3.org/2000/xmlns/"
#: declared by pyoxigraph on every document (for RDF 1.2 base directions); kept so
#: the output stays identical to what pyoxigraph writes for ordinary data
ITS_NS = "http://www.w3.org/2005/11/its"
_RDF_TYPE = RDF_NS + "type"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_ADVICE = "use --format turtle"

# RDF/XML syntax names (RDF 1.1 XML Syntax, section 7.2.2-7.2.5)
_CORE_SYNTAX = {RDF_NS + n for n in ("RDF", "ID", "about", "parseType", "resource",
                                     "nodeID", "datatype")}
_OLD_TERMS = {RDF_NS + n for n in ("aboutEach", "aboutEachPrefix", "bagID")}
#: Not property element names (rdf:li is one, but reads back as rdf:_1, rdf:_2 ...), and
#: not typed node element names either (an rdf:type property is written instead)
_SYNTAX_NAMES = _CORE_SYNTAX | _OLD_TERMS | {RDF_NS + "Description", RDF_NS + "li"}

# XML 1.0 (5th edition) names, without the colon: NCName
_NAME_START = ("A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
               "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf"
               "\ufdf0-\ufffd\U00010000-\U000effff")
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_NAME_START_CHAR = re.compile(f"[{_NAME_START}]")
_NAME_CHAR_RE = re.compile(f"[{_NAME_CHAR}]")
#: characters XML 1.0 forbids, even written as character references
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;",
                 "\r": "&#13;"}
_TEXT_SPECIAL = re.compile("[&<>\"'\r]")
_ATTR_ESCAPES = {**_TEXT_ESCAPES, "\t": "&#9;", "\n": "&#10;"}
_ATTR_SPECIAL = re.compile("[&<>\"'\r\t\n]")


def escape_text(value: str) -> str:
    """``value`` as XML character data: markup characters and ``\\r`` as references."""
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group()], value)


def escape_attribute(value: str) -> str:
    """``value`` for a double-quoted attribute; whitespace other than the space as
    references, so that attribute-value normalisation leaves it alone."""
    return _ATTR_SPECIAL.sub(lambda m: _ATTR_ESCAPES[m.group()], value)


@functools.lru_cache(maxsize=4096)
def _expat_accepts(markup: str) -> bool:
    import xml.parsers.expat

    try:
        xml.parsers.expat.ParserCreate().Parse(markup, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


@functools.lru_cache(maxsize=65536)
def _is_name_start(char: str) -> bool:
    """XML 1.0 5th edition NameStartChar (not ':') that expat also takes.

    Expat (Python's XML parser, used by rdflib) still applies the 4th edition's
    narrower name tables, so a non-ASCII character is also tried on expat itself.
    """
    return bool(_NAME_START_CHAR.fullmatch(char)) and (
        char.isascii() or _expat_accepts(f"<{char}/>"))


@functools.lru_cache(maxsize=65536)
def _is_name_char(char: str) -> bool:
    """XML 1.0 5th edition NameChar (not ':') that expat also takes."""
    return bool(_NAME_CHAR_RE.fullmatch(char)) and (
        char.isascii() or _expat_accepts(f"<a{char}/>"))


def is_portable_ncname(name: str) -> bool:
    """True if ``name`` is an XML NCName for XML 1.0 (5th edition) *and* for expat."""
    return bool(name) and _is_name_start(name[0]) and all(map(_is_name_char, name[1:]))


@functools.lru_cache(maxsize=65536)
def split_iri(iri: str) -> tuple[str, str] | None:
    """``iri`` as (namespace, local name) for an XML element name, or None if no
    split gives a local name that is an XML name (``http://ex.org/123``: a name
    cannot start with a digit) -- such an IRI cannot name an element.

    The local name is the longest one possible (pyoxigraph splits the same way); a
    namespace that the XML Namespaces recommendation reserves is skipped.
    """
    start = len(iri)
    while start > 0 and _is_name_char(iri[start - 1]):
        start -= 1
    for pos in range(start, len(iri)):
        namespace = iri[:pos]
        if _is_name_start(iri[pos]) and namespace and namespace not in (XML_NS, XMLNS_NS):
            return namespace, iri[pos:]
    return None


def _first_bad_char(value: str) -> str | None:
    found = _NOT_XML_CHAR.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


class CannotExpress(InputError):
    """RDF/XML 1.1 cannot express ``statement``; the message says why (one line)."""

    def __init__(self, message: str, statement) -> None:
        super().__init__(message)
        self.statement = statement


def _refuse(statement, what: str, why: str) -> CannotExpress:
    return CannotExpress(f"RDF/XML cannot express {what}: {why}; {_ADVICE}", statement)


def _statement_label(statement) -> str:
    return f"{_term_label(statement.subject)} <{statement.predicate.value}>"


def _term_label(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def check_statement(statement) -> None:
    """Raise CannotExpress (an InputError: one line naming the term and the reason)
    if RDF/XML 1.1 cannot express ``statement``."""
    predicate = statement.predicate.value
    if predicate in _SYNTAX_NAMES:
        raise _refuse(statement, f"the predicate <{predicate}>",
                      "it is RDF/XML syntax, not allowed as a property element")
    if split_iri(predicate) is None:
        raise _refuse(statement, f"the predicate <{predicate}>",
                      "a property is an XML element, and its IRI does not end in an XML name "
                      "(a name cannot start with a digit, '-' or '.')")
    subject, obj = statement.subject, statement.object
    for term in (subject, statement.predicate, obj):
        if isinstance(term, ox.NamedNode) and _first_bad_char(term.value):
            raise _refuse(statement, f"the IRI <{term.value}>",
                          f"it holds {_first_bad_char(term.value)}, which XML 1.0 forbids")
    if not isinstance(subject, (ox.NamedNode, ox.BlankNode)):
        raise _refuse(statement, f"the subject {subject}", "RDF/XML 1.1 has no triple terms")
    if isinstance(obj, ox.Literal):
        _check_literal(statement, obj)
    elif not isinstance(obj, (ox.NamedNode, ox.BlankNode)):
        raise _refuse(statement, f"the triple term object of {_statement_label(statement)}",
                      "RDF/XML 1.1 has no triple terms")


def _check_literal(statement, literal) -> None:
    where = f"the literal of {_statement_label(statement)}"
    bad = _first_bad_char(literal.value)
    if bad:
        raise _refuse(statement, where,
                      f"it holds {bad}, which XML 1.0 forbids even as a character reference")
    if getattr(literal, "direction", None) is not None:
        raise _refuse(statement, where, "RDF/XML 1.1 has no base direction for a language tag")
    bad = _first_bad_char(literal.datatype.value)
    if bad:
        raise _refuse(statement, where, f"its datatype IRI holds {bad}, which XML 1.0 forbids")


def _namespaces(prefixes: Mapping[str, str]) -> dict[str, str]:
    """namespace -> prefix for the ``rdf:RDF`` element: ``rdf`` and ``its`` always,
    plus every usable entry of ``prefixes`` (an XML name, not a reserved one)."""
    by_ns: dict[str, str] = {}
    for name, ns in prefixes.items():
        if (is_portable_ncname(name) and name.lower() not in ("xml", "xmlns", "rdf", "its")
                and ns not in (XML_NS, XMLNS_NS, RDF_NS, ITS_NS, "")
                and not _first_bad_char(ns)):
            by_ns[ns] = name
    by_ns[RDF_NS] = "rdf"
    by_ns.setdefault(ITS_NS, "its")
    return dict(sorted(by_ns.items()))


def _element_name(iri: str, by_ns: Mapping[str, str]) -> tuple[str, str] | None:
    """(element name, namespace declaration or '') for ``iri``, or None."""
    parts = split_iri(iri)
    if parts is None:
        return None
    namespace, local = parts
    prefix = by_ns.get(namespace)
    if prefix:
        return f"{prefix}:{local}", ""
    return local, f' xmlns="{escape_attribute(namespace)}"'


class _BlankLabels:
    """rdf:nodeID values: a blank node's own label if it is an XML name, else a fresh one."""

    def __init__(self, statements: list) -> None:
        self._taken = {t.value for st in statements for t in (st.subject, st.object)
                       if isinstance(t, ox.BlankNode)}
        self._fresh: dict[str, str] = {}

    def __call__(self, label: str) -> str:
        if is_portable_ncname(label):
            return label
        if label not in self._fresh:
            n = len(self._fresh)
            while f"b{n}" in self._taken:
                n += 1
            self._fresh[label] = f"b{n}"
            self._taken.add(f"b{n}")
        return self._fresh[label]


def _node_attribute(term, labels: _BlankLabels, iri_attribute: str) -> str:
    if isinstance(term, ox.NamedNode):
        return f'{iri_attribute}="{escape_attribute(term.value)}"'
    return f'rdf:nodeID="{escape_attribute(labels(term.value))}"'


def _property_element(statement, by_ns: Mapping[str, str], labels: _BlankLabels) -> str:
    name, declaration = _element_name(statement.predicate.value, by_ns)
    obj = statement.object
    if not isinstance(obj, ox.Literal):
        return f"<{name}{declaration} {_node_attribute(obj, labels, 'rdf:resource')}/>"
    attributes = ""
    if obj.language:
        attributes = f' xml:lang="{escape_attribute(obj.language)}"'
    elif obj.datatype.value != _XSD_STRING:
        attributes = f' rdf:datatype="{escape_attribute(obj.datatype.value)}"'
    return f"<{name}{declaration}{attributes}>{escape_text(obj.value)}</{name}>"


def _typed_node_name(statement, by_ns: Mapping[str, str]) -> tuple[str, str] | None:
    """The element name for ``statement``'s subject if ``statement`` (its first) is an
    ``rdf:type`` that can be written as a typed node element, else None."""
    obj = statement.object
    if (statement.predicate.value != _RDF_TYPE or not isinstance(obj, ox.NamedNode)
            or obj.value in _SYNTAX_NAMES):
        return None
    return _element_name(obj.value, by_ns)


def serialize(statements: Iterable, prefixes: Mapping[str, str] | None = None) -> str:
    """``statements`` (pyoxigraph triples or quads; graph names are ignored) as RDF/XML.

    Statements about one subject should come together (as :func:`ddkb.rdf_export.ordered`
    sorts them); a subject's first ``rdf:type`` names its element when it can.
    Raises InputError, before any text is produced, if a statement cannot be
    expressed in RDF/XML 1.1 (see the module docstring).
    """
    statements = list(statements)
    for statement in statements:
        check_statement(statement)
    by_ns = _namespaces(prefixes or {})
    labels = _BlankLabels(statements)
    declarations = " ".join(f'xmlns:{p}="{escape_attribute(ns)}"' for ns, p in by_ns.items())
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<rdf:RDF {declarations}>"]
    subject, open_tag = None, ""
    for statement in statements:
        if statement.subject != subject:
            if open_tag:
                lines.append(f"\t</{open_tag}>")
            subject = statement.subject
            about = _node_attribute(subject, labels, "rdf:about")
            typed = _typed_node_name(statement, by_ns)
            if typed:
                open_tag = typed[0]
                lines.append(f"\t<{typed[0]}{typed[1]} {about}>")
                continue
            open_tag = "rdf:Description"
            lines.append(f"\t<rdf:Description {about}>")
        lines.append("\t\t" + _property_element(statement, by_ns, labels))
    if open_tag:
        lines.append(f"\t</{open_tag}>")
    lines.append("</rdf:RDF>")
    return "\n".join(lines)
