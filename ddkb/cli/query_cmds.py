"""``ddkb query`` and ``ddkb queries``: SPARQL and named queries from the shell.

Exit codes: 0 ok; 1 the query failed or was stopped (``--timeout``,
``--max-memory``); 2 bad usage or input (syntax error, refused update/network
access, unknown concept, a query that crashes the engine).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from ..formats import GRAPH_NAMES, RESULT_NAMES, FormatChoice
from .common import echo_output, get_kb, kb_options

#: SELECT/ASK formats, then the RDF formats of a CONSTRUCT answer (``xml``: either kind).
OUTPUT_FORMATS = list(dict.fromkeys(["table", *RESULT_NAMES, "markdown", *GRAPH_NAMES]))


def _read_query(sparql: str | None, query_file: Path | None, name: str | None) -> str | None:
    """The query text from the argument or ``-f`` (None for ``-n``); exactly one source."""
    given = [x is not None for x in (sparql, query_file, name)]
    if sum(given) != 1:
        raise InputError("give exactly one query: a SPARQL argument, -f FILE or -n NAME "
                         "(see 'ddkb queries')")
    if query_file is not None:
        stdin = str(query_file) == "-"
        where = "standard input" if stdin else str(query_file)
        if stdin:
            buffer = getattr(sys.stdin, "buffer", None)  # the bytes, to name a bad one
            data = buffer.read() if buffer is not None else sys.stdin.read().encode()
        else:
            try:
                data = query_file.read_bytes()
            except FileNotFoundError:
                raise InputError(f"{query_file}: no such file") from None
            except OSError as err:
                raise InputError(f"{query_file}: cannot read: {err.strerror or err}") from None
        text = _decode(data, where)
        if not text.strip():
            raise InputError(f"{where}: the query is empty")
        return text
    if sparql is not None and not sparql.strip():
        raise InputError("the query is empty: give a SPARQL query, -f FILE or -n NAME")
    return sparql


def _decode(data: bytes, where: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or one line naming the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(f"{where}: not valid UTF-8 (line {line}, byte {err.start + 1})") \
            from None


class SizeType(click.ParamType):
    """A memory size such as 512M or 4G; 0 or none means no limit (see parse_size)."""

    name = "SIZE"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, int):
            return value
        from ..sparql import parse_size

        try:
            return parse_size(str(value))
        except InputError as err:
            self.fail(str(err), param, ctx)


def _parse_params(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"-p {item}: expected NAME=VALUE")
        if key.strip() in out:  # one variable binds one term: a second value would be lost
            raise InputError(f"-p {key.strip()}=...: given twice; a parameter takes one value")
        out[key.strip()] = value
    return out


@click.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the SPARQL query from FILE ('-' for standard input).")
@click.option("-n", "--name", help="Run a named query (see 'ddkb queries').")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a parameter (repeatable). Named query: a concept by label, alt "
                   "label, CURIE or IRI. Plain SPARQL: a SPARQL term (see below), e.g. "
                   "-p c=ddkb:Instrument or -p 'label=\"soft power\"@en'.")
@click.option("--format", "fmt", type=FormatChoice(OUTPUT_FORMATS), default=None,
              help="SELECT: table (default), csv, tsv, json, xml, markdown. "
                   "CONSTRUCT/DESCRIBE: turtle (default), nt, xml, jsonld (aliases such "
                   "as ttl, n-triples, json-ld work too). Example: --format ttl")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Keep only the first N rows.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Stop the query after this many seconds (inf: no limit).")
@click.option("--max-rows", type=click.IntRange(min=1), default=10000, show_default=True,
              help="Safety cap on rows/triples; a cut answer is reported on stderr.")
@click.option("--max-memory", type=SizeType(), default="2G", show_default=True,
              help="Stop the query if it needs more memory than this (e.g. 512M, 4G; "
                   "0 or none: no cap).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the answer to FILE (atomically) instead of standard output.")
@kb_options
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file: Path | None, name: str | None,
          params: tuple[str, ...], fmt: str | None, limit: int | None, timeout: float,
          max_rows: int, max_memory: int | None, output: str | None, **options) -> None:
    """Run a SPARQL query or a named query over the KB.

    The query is read-only: SPARQL Update is refused, and SERVICE, FROM and
    FROM NAMED are refused unless --allow-network (FROM <g> then reads the
    loaded graph g; nothing is fetched). A query may be at most 1,000,000
    characters long and nested at most 200 levels deep. It runs in its own
    process, stopped by --timeout and --max-memory. The usual prefixes
    (ddkb:, skos:, rdfs:, owl:, dcterms:, ...) are predeclared.

    \b
    Examples:
      ddkb query "SELECT ?c ?l WHERE { ?c a ddkb:Instrument ; skos:prefLabel ?l }"
      ddkb query -n fosters -p instrument="joint military exercise"
      ddkb query -f my.rq --format csv -o answer.csv
      ddkb query "CONSTRUCT WHERE { ?s ddkb:fosters ?o }" --format nt
      ddkb query "SELECT ?c WHERE { ?c skos:prefLabel ?l }" -p l="soft power"
      ddkb query -f big.rq --timeout 120 --max-memory 4G

    With a plain SPARQL query, -p NAME=VALUE binds the variable ?NAME (of the
    SELECT clause) to VALUE written as a SPARQL term: <IRI> or a CURIE with a
    known or declared prefix is an IRI; "text"@en, "text" (a plain string),
    "1999"^^xsd:gYear, 42, 4.2 and true are those literals; any other text is
    English text, like "VALUE"@en (the KB's labels are English).

    Exit codes: 0 ok; 1 failed, or stopped by --timeout or --max-memory; 2 bad
    usage or input (syntax error, refused update or network access, unknown
    concept, query too long or too deep, a query that crashes the engine).
    """
    from ..results import format_result

    text = _read_query(sparql, query_file, name)
    values = _parse_params(params)
    settings_allow = bool(options.get("allow_network")) or bool(
        (ctx.find_root().obj or {}).get("allow_network"))
    kb = get_kb(ctx, options)
    run = dict(timeout=timeout, limit=limit, max_rows=max_rows, max_memory=max_memory,
               allow_network=settings_allow)
    if name is not None:
        result = kb.run_named(name, values, **run)
    else:
        from ..sparql import declared_prefixes

        declared = declared_prefixes(text) if values else {}
        bound = {k: kb.param_term("term", v, k, prefixes=declared) for k, v in values.items()}
        result = kb.query(text, params=bound, **run)
    out = format_result(result, fmt, labeler=lambda iri: kb.label(iri)
                        if kb.has_label(iri) else None)
    if result.truncated:
        click.echo(f"Warning: {result.reason}", err=True)
    if output is not None:
        from ..fileio import write_atomic

        protect = [*kb.input_files(), *([query_file] if query_file else [])]
        write_atomic(output, out, protect=protect)
    else:
        echo_output(out)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True, help="Output format.")
def queries(fmt: str) -> None:
    """List the named queries: name, title and parameters.

    Run one with 'ddkb query -n NAME -p PARAM=VALUE'. A parameter marked '?'
    is optional.

    \b
    Examples:
      ddkb queries
      ddkb queries --format json
    """
    from ..named import list_queries
    from ..results import markdown_table, text_table

    items = list_queries()
    if fmt == "json":
        import json

        doc = [{"name": q.name, "title": q.title, "description": q.description,
                "params": [{"name": p.name, "kind": p.kind, "description": p.description,
                            "required": p.required, "default": p.default} for p in q.params]}
               for q in items]
        click.echo(json.dumps(doc, indent=1, ensure_ascii=False))
        return
    rows = [(q.name, q.title, ", ".join(
        f"{p.name}{'' if p.required else '?'} ({p.kind})" for p in q.params) or "-")
        for q in items]
    header = ("name", "title", "parameters")
    table = markdown_table if fmt == "markdown" else text_table
    click.echo(table(header, rows), nl=False)
