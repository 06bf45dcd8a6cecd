"""The one table of RDF formats (ddkb.formats): names, aliases, suffixes, CLI choices."""

from __future__ import annotations

import subprocess

import pyoxigraph as ox
import pytest

import ddkb
from ddkb import formats, rdf_export, results
from ddkb.errors import InputError
from ddkb.formats import FormatChoice, rdf_format, rdf_format_for_path

ALIASES = {
    "turtle": ("turtle", "ttl", "Turtle", "TTL"),
    "nt": ("nt", "n-triples", "ntriples", "N-Triples"),
    "nquads": ("nquads", "nq", "n-quads", "N-Quads"),
    "trig": ("trig", "TriG"),
    "xml": ("xml", "rdfxml", "rdf/xml", "RDF/XML", "owl", "rdf"),
    "jsonld": ("jsonld", "json-ld", "JSON-LD"),
}
ENGINE = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
          "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
          "xml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}
CONSTRUCT = "CONSTRUCT WHERE { ?s ddkb:fosters ?o }"


@pytest.mark.parametrize("canonical", sorted(ALIASES))
def test_every_alias_resolves_to_its_canonical_format(canonical):
    for alias in ALIASES[canonical]:
        syntax = rdf_format(alias)
        assert syntax.name == canonical and syntax.engine == ENGINE[canonical], alias
        assert formats.canonical_name(alias) == canonical
        assert FormatChoice(formats.RDF_NAMES).convert(alias, None, None) == canonical


def test_table_rows_are_consistent():
    assert formats.RDF_NAMES == ("turtle", "nt", "nquads", "trig", "xml", "jsonld")
    assert [s.name for s in formats.RDF_SYNTAXES if s.datasets] == ["nquads", "trig"]
    assert rdf_format("ttl").media_type == "text/turtle" and rdf_format("ttl").suffix == ".ttl"
    assert rdf_format("xml").suffix == ".rdf"
    for suffix, name in ((".ttl", "turtle"), (".TTL", "turtle"), (".owl", "xml"),
                         (".nq", "nquads"), (".jsonld", "jsonld"), (".trig", "trig")):
        assert rdf_format_for_path("a/b" + suffix).name == name
    assert rdf_format_for_path("notes.txt") is None
    assert formats.graph_format_for_media_type("text/turtle; charset=utf-8") \
        == ox.RdfFormat.TURTLE
    assert formats.result_format_for_media_type("application/sparql-results+json") \
        == ox.QueryResultsFormat.JSON
    # the legacy tables are views of the one table
    from ddkb.kb import FORMATS_BY_NAME, FORMATS_BY_SUFFIX

    assert FORMATS_BY_NAME["n-triples"] == ox.RdfFormat.N_TRIPLES
    assert FORMATS_BY_SUFFIX[".owl"] == ox.RdfFormat.RDF_XML
    assert rdf_export.RDF_FORMATS["turtle"] == (".ttl", "text/turtle")


def test_unknown_name_lists_the_canonical_names():
    with pytest.raises(InputError, match=r"unknown RDF format 'yaml' \(use turtle, nt, "
                                         r"nquads, trig, xml, jsonld"):
        rdf_format("yaml")


def test_library_accepts_aliases(kb, fixtures_dir, tmp_path):
    assert rdf_export.export_rdf(kb, "ttl") == rdf_export.export_rdf(kb, "turtle")
    answer = kb.query(CONSTRUCT)
    assert results.format_result(answer, "n-triples") == results.format_result(answer, "nt")
    data = tmp_path / "concepts.data"
    data.write_bytes((fixtures_dir / "core" / "concepts.ttl").read_bytes())
    loaded = ddkb.load(data=[data], data_format="TTL", use_cache=False)
    assert loaded.label("http://example.org/t/goodwill-zeta") == "zeta goodwill"


def test_nquads_export_keeps_the_named_graphs(kb):
    text = rdf_export.export(kb, "nq")
    quads = list(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert {f.graph for f in kb.files} <= graphs
    assert len(quads) == len(kb.store)


def test_cli_data_format_alias(runner, cli, fixtures_dir, tmp_path):
    data = tmp_path / "concepts.data"
    data.write_bytes((fixtures_dir / "core" / "concepts.ttl").read_bytes())
    outs = []
    for name in ("turtle", "ttl", "TTL"):
        res = runner.invoke(cli, ["--data", str(data), "--data-format", name, "--no-cache",
                                  "stats"])
        assert res.exit_code == 0, res.output
        outs.append(res.stdout)
    assert outs[0].startswith("Triples: ") and outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize(("alias", "canonical"), [("ttl", "turtle"), ("n-triples", "nt"),
                                                  ("rdfxml", "xml"), ("nq", "nquads")])
def test_cli_export_alias_matches_canonical(runner, cli, alias, canonical):
    got = runner.invoke(cli, ["export", "--format", alias])
    want = runner.invoke(cli, ["export", "--format", canonical])
    assert got.exit_code == want.exit_code == 0, got.output
    assert got.stdout == want.stdout and len(got.stdout) > 1000


@pytest.mark.parametrize(("alias", "canonical"), [("ttl", "turtle"), ("n-triples", "nt"),
                                                  ("json-ld", "jsonld")])
def test_cli_query_alias_matches_canonical(runner, cli, alias, canonical):
    got = runner.invoke(cli, ["query", "--format", alias, CONSTRUCT])
    want = runner.invoke(cli, ["query", "--format", canonical, CONSTRUCT])
    assert got.exit_code == want.exit_code == 0, got.output
    assert got.stdout == want.stdout and "fosters" in got.stdout


@pytest.mark.parametrize("args", [["export", "--format", "yaml"],
                                  ["query", "--format", "yaml", "ASK {}"],
                                  ["--data-format", "yaml", "stats"]])
def test_cli_unknown_format_is_a_usage_error_listing_the_names(runner, cli, args):
    res = runner.invoke(cli, args)
    assert res.exit_code == 2
    errors = [line for line in res.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "'yaml' is not one of" in errors[0]
    assert all(f"'{name}'" in errors[0] for name in ("turtle", "nt", "xml", "jsonld"))
    assert "'ttl'" not in errors[0] and "Traceback" not in res.output


@pytest.mark.parametrize(("args", "shown"), [
    (["export", "--help"], "[turtle|nt|nquads|trig|xml|jsonld|graphml|gexf|dot|mermaid]"),
    (["query", "--help"], "[table|csv|tsv|json|xml|markdown|turtle|nt|jsonld]"),
    (["--help"], "[turtle|nt|nquads|trig|xml|jsonld]"),
])
def test_help_lists_the_canonical_names(runner, cli, args, shown):
    res = runner.invoke(cli, args, terminal_width=200)
    assert res.exit_code == 0 and shown in res.stdout, res.stdout


def test_installed_ddkb_takes_an_alias(ddkb_exe, tmp_path):
    def run(fmt: str) -> subprocess.CompletedProcess:
        return subprocess.run([ddkb_exe, "query", "--format", fmt, CONSTRUCT], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    got, want = run("ttl"), run("turtle")
    assert got.returncode == 0, got.stderr
    assert got.stdout == want.stdout and "ddkb:fosters" in got.stdout
