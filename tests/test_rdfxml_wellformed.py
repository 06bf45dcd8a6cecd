"""RDF/XML export is well-formed and reads back as the same triples, or is refused.

Checked with generated statements (hypothesis): predicates ending in a digit, '/',
':' or '#', non-ASCII and percent-escaped ones, RDF/XML syntax names; literals
holding any character, with language tags and datatypes; blank nodes. For each,
either :func:`ddkb.rdfxml.serialize` refuses -- exactly when an independent oracle
(expat, the XML 1.0 character rules, the RDF/XML grammar's list of syntax names)
says RDF/XML cannot express the input -- or its output parses as XML and reads
back, in pyoxigraph and in rdflib, as the same triples. rapper reads a batch of
nasty cases (skipped without rapper, failed under ``DDKB_REQUIRE_EXTERNAL=1``).
The CLI refuses with exit 2 and one line, and writes no file.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import xml.dom.minidom
import xml.parsers.expat
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyoxigraph as ox
import pytest
import rdflib
from conftest import require_program
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from rdflib.compare import isomorphic

from ddkb import rdf_export, rdfxml
from ddkb.errors import InputError
from ddkb.namespaces import PREFIXES

DDKB = str(Path(sys.executable).with_name("ddkb"))
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
EX = "http://ex.org/"
N, L, B = ox.NamedNode, ox.Literal, ox.BlankNode


#: Hypothesis caches (examples, constants, Unicode tables) go to the test session's
#: temporary cache folder (set by conftest), not to ``.hypothesis`` in the working
#: directory; set on import because the pytest plugin writes during collection.
set_hypothesis_home_dir(Path(os.environ["DDKB_CACHE_DIR"]) / "hypothesis")


# -- an oracle that does not share code with ddkb.rdfxml ------------------------------
#: RDF 1.1 XML Syntax 7.2.2-7.2.5: names that cannot be property elements (rdf:li can,
#: but is read back as rdf:_1, rdf:_2, ...)
SYNTAX_NAMES = {RDF + n for n in ("RDF", "ID", "about", "parseType", "resource", "nodeID",
                                  "datatype", "Description", "li", "aboutEach",
                                  "aboutEachPrefix", "bagID")}
RESERVED_NAMESPACES = ("http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/")


def xml_forbids(text: str) -> bool:
    """XML 1.0 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF."""
    return any(not (c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
                    or c >= "\U00010000") for c in text)


def expat_takes_element(namespace: str, local: str) -> bool:
    markup = f"<p:{local} xmlns:p={quoteattr(namespace)}/>"
    try:
        xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(markup, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def can_be_element(iri: str) -> bool:
    """Some split of ``iri`` into namespace + local name makes an element expat reads."""
    return any(iri[:i] not in RESERVED_NAMESPACES and expat_takes_element(iri[:i], iri[i:])
               for i in range(1, len(iri)))


def expressible(statement) -> bool:
    p = statement.predicate.value
    if p in SYNTAX_NAMES or xml_forbids(p) or not can_be_element(p):
        return False
    obj = statement.object
    return not (isinstance(obj, ox.Literal) and xml_forbids(obj.value))


# -- reading the output back ----------------------------------------------------------
def triples(quads) -> set:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in quads}


def canonical(statements) -> set:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in statements)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def rdflib_reads(rdf_xml: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=rdf_xml, format="xml")
    return graph


def assert_reads_back(text: str, statements: list) -> None:
    """``text`` is XML, and pyoxigraph and rdflib read it as exactly ``statements``."""
    xml.dom.minidom.parseString(text.encode("utf-8"))
    back = triples(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.RDF_XML))
    assert canonical(back) == canonical(statements)
    assert isomorphic(rdflib_reads(text), rdflib_graph(statements))


def rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD + "string":  # rdflib keeps "x" and "x"^^xsd:string apart
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=term.datatype.value)


def rdflib_graph(statements) -> rdflib.Graph:
    """``statements`` built directly as an rdflib graph (rdflib's own N-Triples parser
    rejects some blank node labels pyoxigraph allows)."""
    graph = rdflib.Graph()
    for t in statements:
        graph.add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))
    return graph


# -- generated statements -------------------------------------------------------------
IRI_PIECES = st.sampled_from(["a", "Z", "_", "x1", "0", "42", "-", ".", "/", ":", "#", "%20",
                              "é", "\u0370", "\u00b7", "\u203f", "\U00010000", "\u0e33",
                              "?q=1&b=2", "xml", "xmlns", "ü"])
PREDICATE_BASES = st.sampled_from([EX, EX + "a#", "urn:uuid:", "http://ex.org/x/",
                                   "http://www.w3.org/2000/xmlns/", RDF, XSD,
                                   "http://www.w3.org/XML/1998/namespace"])


@st.composite
def named_nodes(draw, bases=PREDICATE_BASES):
    iri = draw(bases) + "".join(draw(st.lists(IRI_PIECES, max_size=4)))
    try:
        return N(iri)
    except ValueError:
        assume(False)


@st.composite
def blank_nodes(draw):
    try:
        return B(draw(st.text("ab01_.-:é", min_size=1, max_size=4)))
    except ValueError:  # not a blank node label
        assume(False)


LANGUAGES = st.sampled_from(["en", "EN-gb", "de-CH-1901", "zh-Hant-TW", "x-private", "i-klingon"])
DATATYPES = st.sampled_from([XSD + "string", XSD + "integer", XSD + "dateTime",
                             RDF + "XMLLiteral", RDF + "HTML", RDF + "JSON",
                             "http://ex.org/dt?a=1&b=%22x%22", "urn:x:"])
#: any character but surrogates (pyoxigraph strings are UTF-8), control characters often
TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]),
                         st.sampled_from("\x00\x01\x08\x0b\x0c\x1f\r\n\t&<>\"']\ufffe\uffff")),
               max_size=12)


@st.composite
def literals(draw):
    value = draw(TEXT)
    kind = draw(st.sampled_from(["plain", "lang", "typed"]))
    if kind == "lang":
        return L(value, language=draw(LANGUAGES))
    if kind == "typed":
        return L(value, datatype=N(draw(DATATYPES)))
    return L(value)


SYNTAX_NODES = st.sampled_from([N(iri) for iri in sorted(SYNTAX_NAMES)])
SUBJECTS = st.one_of(st.sampled_from([N(EX + "s"), N(EX + "s?a=1&b=2")]), blank_nodes())
PREDICATES = st.one_of(named_nodes(), st.just(N(RDF + "type")), SYNTAX_NODES)
#: IRIs too, as rdf:type objects may name a typed node element
OBJECTS = st.one_of(literals(), blank_nodes(), SYNTAX_NODES,
                    named_nodes(st.sampled_from([EX, "urn:x:", RDF, "http://ex.org/o?x&y="])))


@st.composite
def statements(draw):
    return ox.Triple(draw(SUBJECTS), draw(PREDICATES), draw(OBJECTS))


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=4))
def test_generated_statements_are_written_exactly_or_refused(batch):
    logging.disable(logging.WARNING)  # rdflib logs ill-typed literals (rdf:HTML "<b>")
    try:
        if all(expressible(t) for t in batch):
            assert_reads_back(rdfxml.serialize(batch, {"ex": EX}), batch)
        else:
            with pytest.raises(rdfxml.CannotExpress, match="RDF/XML cannot express") as err:
                rdfxml.serialize(batch, {"ex": EX})
            assert "\n" not in str(err.value) and err.value.exit_code == 2
            assert not expressible(err.value.statement)
    finally:
        logging.disable(logging.NOTSET)


# -- named cases ----------------------------------------------------------------------
S = N(EX + "s")
NASTY = [  # expressible in RDF/XML, each was or could be got wrong
    ox.Triple(S, N(EX + "p"), L("cr\rcrlf\r\nlf\n tab\t end ")),
    ox.Triple(S, N(EX + "p"), L("a&b<c>d\"e'f]]>g")),
    ox.Triple(S, N(EX + "p"), L("\x85\u2028\x7f\U0001fffe\ue000")),
    ox.Triple(S, N(EX + "p"), L("")),
    ox.Triple(S, N(EX + "p"), L("x", language="en-us")),
    ox.Triple(S, N(EX + "p"), L("<a>unclosed", datatype=N(RDF + "XMLLiteral"))),
    ox.Triple(S, N(EX + "p"), L("x", datatype=N("http://ex.org/dt?a=1&b=2"))),
    ox.Triple(N("http://ex.org/s?a=1&b=2"), N(EX + "q"), N("http://ex.org/o?x&y")),
    ox.Triple(S, N(RDF + "type"), N(EX + "123")),  # class with no XML-name ending
    ox.Triple(N(EX + "t"), N(RDF + "type"), N(RDF + "bagID")),  # not a node element name
    ox.Triple(N(EX + "u"), N(RDF + "type"), N(RDF + "Description")),
    ox.Triple(S, N(RDF + "_1"), L("x")),
    ox.Triple(S, N("http://www.w3.org/2000/xmlns/foo"), L("x")),  # reserved namespace
    ox.Triple(S, N("http://ex.org/a\u0370b"), L("x")),  # XML 5th edition name, not expat's
    ox.Triple(S, N("http://ex.org/a%20b"), L("x")),
    ox.Triple(S, N("http://ex.org/é"), L("x")),
    ox.Triple(S, N("http://ex.org/1a"), L("x")),
    ox.Triple(B("1x"), N(EX + "p"), B("2y")),  # labels that are not XML names
]
REFUSED = {  # statement -> what the message must name
    ox.Triple(S, N(EX + "123"), L("x")): "predicate <http://ex.org/123>",
    ox.Triple(S, N("urn:uuid:1234"), L("x")): "predicate <urn:uuid:1234>",
    ox.Triple(S, N(EX + "a/"), L("x")): "predicate <http://ex.org/a/>",
    ox.Triple(S, N(EX + "a:"), L("x")): "predicate <http://ex.org/a:>",
    ox.Triple(S, N(EX + "a#"), L("x")): "predicate <http://ex.org/a#>",
    ox.Triple(S, N(EX + "p"), L("a\x01b")): "it holds U+0001",
    ox.Triple(S, N(EX + "p"), L("a\ufffeb")): "it holds U+FFFE",
    ox.Triple(S, N(EX + "p"), L("\x0c", language="en")): "it holds U+000C",
    ox.Triple(S, N(EX + "p"), L("x", language="ar", direction=ox.BaseDirection.RTL)):
        "base direction",
    ox.Triple(S, N(EX + "p"), ox.Triple(S, N(EX + "p"), S)): "triple term",
    **{ox.Triple(S, N(RDF + name), L("x")): f"predicate <{RDF}{name}>: it is RDF/XML syntax"
       for name in ("li", "about", "Description", "RDF", "ID", "nodeID", "resource",
                    "datatype", "parseType", "bagID", "aboutEach", "aboutEachPrefix")},
}


def test_nasty_but_expressible_statements_read_back_exactly():
    assert_reads_back(rdfxml.serialize(NASTY, PREFIXES), NASTY)


def test_carriage_return_and_markup_are_character_references():
    text = rdfxml.serialize([NASTY[0], NASTY[1]], {"ex": EX})
    assert "<ex:p>cr&#13;crlf&#13;\nlf\n tab\t end </ex:p>" in text
    assert "<ex:p>a&amp;b&lt;c&gt;d&quot;e&apos;f]]&gt;g</ex:p>" in text


def test_blank_node_labels_that_are_not_xml_names_get_fresh_ones():
    batch = [ox.Triple(B("1x"), N(EX + "p"), B("a:b")), ox.Triple(B("b0"), N(EX + "p"), B("1x"))]
    text = rdfxml.serialize(batch, {"ex": EX})
    assert 'rdf:nodeID="b0"' in text and 'rdf:nodeID="b1"' in text  # b0 is taken
    assert 'rdf:nodeID="1x"' not in text and 'rdf:nodeID="a:b"' not in text
    assert_reads_back(text, batch)


def test_docstring_example_runs():
    import doctest

    result = doctest.testmod(rdfxml)
    assert result.attempted > 0 and result.failed == 0


def test_a_class_with_no_xml_name_is_an_rdf_type_property():
    text = rdfxml.serialize([ox.Triple(S, N(RDF + "type"), N(EX + "123"))], {"ex": EX})
    assert '<rdf:Description rdf:about="http://ex.org/s">' in text
    assert '<rdf:type rdf:resource="http://ex.org/123"/>' in text


@pytest.mark.parametrize("statement,needle", REFUSED.items(), ids=list(REFUSED.values()))
def test_inexpressible_statements_are_refused_with_the_reason(statement, needle):
    with pytest.raises(InputError) as err:
        rdfxml.serialize([NASTY[0], statement], PREFIXES)
    message = str(err.value)
    assert message.startswith("RDF/XML cannot express ") and needle in message
    assert message.endswith("; use --format turtle") and "\n" not in message


def test_rapper_reads_the_nasty_cases(tmp_path):
    rapper = require_program("rapper")
    path = tmp_path / "nasty.rdf"
    path.write_text(rdfxml.serialize(NASTY, PREFIXES), encoding="utf-8")
    proc = subprocess.run([rapper, "-i", "rdfxml", "-o", "ntriples", str(path)],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()  # 2 would mean warnings
    back = triples(ox.parse(proc.stdout, format=ox.RdfFormat.N_TRIPLES))
    assert canonical(back) == canonical(NASTY)


def test_the_bundled_kb_is_written_byte_for_byte_as_pyoxigraph_writes_it(kb):
    """The new writer changes nothing where pyoxigraph's was right (release files keep
    their bytes); pyoxigraph is pinned to 0.5.x."""
    statements = rdf_export.ordered(kb.store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True))
    ours = rdfxml.serialize(statements, PREFIXES)
    assert ours == ox.serialize(statements, format=ox.RdfFormat.RDF_XML,
                                prefixes=PREFIXES).decode("utf-8")


# -- through the library's export and the CLI -------------------------------------------
BAD_PREDICATE = "<http://ex.org/s> <http://ex.org/123> \"x\" .\n"
BAD_LITERAL = "<http://ex.org/s> <http://ex.org/p> \"bell\\u0007\" .\n"


@pytest.mark.parametrize("content,needle", [
    (BAD_PREDICATE, "RDF/XML cannot express the predicate <http://ex.org/123>"),
    (BAD_LITERAL, "RDF/XML cannot express the literal of <http://ex.org/s> "
                  "<http://ex.org/p>: it holds U+0007"),
])
def test_cli_refuses_with_exit_2_one_line_and_no_file(tmp_path, runner, cli, content, needle):
    (tmp_path / "bad.ttl").write_text(content, encoding="utf-8")
    out = tmp_path / "out.rdf"
    res = runner.invoke(cli, ["--data", str(tmp_path / "bad.ttl"), "export", "--format",
                              "xml", "-o", str(out)])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"Error: {tmp_path / 'bad.ttl'}: {needle}")
    assert res.stderr.count("\n") == 1 and res.stderr.endswith("; use --format turtle\n")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.ttl"]


def test_installed_ddkb_refuses_and_writes_nothing(tmp_path):
    (tmp_path / "bad.ttl").write_text(BAD_PREDICATE, encoding="utf-8")
    proc = subprocess.run([DDKB, "--data", "bad.ttl", "export", "--format", "xml",
                           "-o", "out.rdf"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "Error: bad.ttl: RDF/XML cannot express the predicate <http://ex.org/123>: a property "
        "is an XML element, and its IRI does not end in an XML name (a name cannot start "
        "with a digit, '-' or '.'); use --format turtle"]
    assert not (tmp_path / "out.rdf").exists()
    turtle = subprocess.run([DDKB, "--data", "bad.ttl", "export", "--format", "turtle"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert turtle.returncode == 0 and "<http://ex.org/123>" in turtle.stdout


def test_installed_ddkb_exports_nasty_data_as_xml_with_the_triples_of_nt(tmp_path):
    (tmp_path / "nasty.nt").write_bytes(ox.serialize(NASTY, format=ox.RdfFormat.N_TRIPLES))
    exports = {}
    for fmt, rdf_format in (("xml", ox.RdfFormat.RDF_XML), ("nt", ox.RdfFormat.N_TRIPLES)):
        proc = subprocess.run([DDKB, "--data", "nasty.nt", "export", "--format", fmt,
                               "-o", f"out.{fmt}"], cwd=tmp_path, capture_output=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        exports[fmt] = triples(ox.parse((tmp_path / f"out.{fmt}").read_bytes(),
                                        format=rdf_format))
    assert canonical(exports["xml"]) == canonical(exports["nt"])
    assert triples(ox.parse((tmp_path / "nasty.nt").read_bytes(),
                            format=ox.RdfFormat.N_TRIPLES)) - exports["xml"] == {
        t for t in NASTY if isinstance(t.subject, ox.BlankNode)
        or isinstance(t.object, ox.BlankNode)}  # blank nodes: new ones on every load


def test_a_construct_answer_in_rdfxml_is_refused_rather_than_ill_formed(tmp_path, runner, cli):
    """`ddkb query CONSTRUCT --format xml` uses the same writer as `export`."""
    data = tmp_path / "bad.ttl"
    data.write_text('<http://ex.org/s> <http://ex.org/123> "x" .\n', encoding="utf-8")
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?s = <http://ex.org/s>) }"
    result = runner.invoke(cli, ["--data", str(data), "query", "--format", "xml", query])
    assert result.exit_code == 2
    assert "RDF/XML cannot express the predicate <http://ex.org/123>" in result.stderr
    assert result.stdout == ""
    good = runner.invoke(cli, ["query", "--format", "xml",
                               "CONSTRUCT { ddkb:nato ?p ?o } WHERE { ddkb:nato ?p ?o }"])
    assert good.exit_code == 0, good.stderr
    import xml.dom.minidom

    xml.dom.minidom.parseString(good.stdout)
