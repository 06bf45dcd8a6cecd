"""``ddkb query`` and ``ddkb queries``: SPARQL and named queries from the shell.

Exit codes: 0 ok; 1 the query failed or was stopped (``--timeout``); 2 bad
usage or input (syntax error, refused update/network access, unknown concept).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from .common import echo_output, get_kb, kb_options

OUTPUT_FORMATS = ["table", "csv", "tsv", "json", "xml", "markdown", "turtle", "nt", "jsonld"]


def _read_query(sparql: str | None, query_file: Path | None, name: str | None) -> str | None:
    """The query text from the argument or ``-f`` (None for ``-n``); exactly one source."""
    given = [x is not None for x in (sparql, query_file, name)]
    if sum(given) != 1:
        raise InputError("give exactly one query: a SPARQL argument, -f FILE or -n NAME "
                         "(see 'ddkb queries')")
    if query_file is not None:
        if str(query_file) == "-":
            text = sys.stdin.read()
        else:
            try:
                text = query_file.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InputError(f"{query_file}: no such file") from None
            except (OSError, UnicodeDecodeError) as err:
                raise InputError(f"{query_file}: cannot read: {err}") from None
        if not text.strip():
            where = "standard input" if str(query_file) == "-" else query_file
            raise InputError(f"{where}: the query is empty")
        return text
    if sparql is not None and not sparql.strip():
        raise InputError("the query is empty: give a SPARQL query, -f FILE or -n NAME")
    return sparql


def _parse_params(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"-p {item}: expected NAME=VALUE")
        out[key.strip()] = value
    return out


def _raw_kind(value: str) -> str:
    """How a -p value of a plain SPARQL query is read: <IRI>, known CURIE or URL, else literal."""
    from ..namespaces import expand

    text = value.strip()
    if (text.startswith("<") and text.endswith(">")) or expand(text) \
            or text.startswith(("http://", "https://", "urn:")):
        return "iri"
    return "literal"


@click.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the SPARQL query from FILE ('-' for standard input).")
@click.option("-n", "--name", help="Run a named query (see 'ddkb queries').")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A named-query parameter (repeatable). A concept may be given by label, "
                   "alt label, CURIE or IRI.")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default=None,
              help="SELECT: table (default), csv, tsv, json, xml, markdown. "
                   "CONSTRUCT/DESCRIBE: turtle (default), nt, xml, jsonld.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Keep only the first N rows.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Stop the query after this many seconds.")
@click.option("--max-rows", type=click.IntRange(min=1), default=10000, show_default=True,
              help="Safety cap on rows/triples; a cut answer is reported on stderr.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the answer to FILE (atomically) instead of standard output.")
@kb_options
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file: Path | None, name: str | None,
          params: tuple[str, ...], fmt: str | None, limit: int | None, timeout: float,
          max_rows: int, output: Path | None, **options) -> None:
    """Run a SPARQL query or a named query over the KB.

    The query is read-only: SPARQL Update is refused, and SERVICE, FROM and
    FROM NAMED are refused unless --allow-network. The usual prefixes (ddkb:,
    skos:, rdfs:, owl:, dcterms:, ...) are predeclared.

    \b
    Examples:
      ddkb query "SELECT ?c ?l WHERE { ?c a ddkb:Instrument ; skos:prefLabel ?l }"
      ddkb query -n fosters -p instrument="joint military exercise"
      ddkb query -f my.rq --format csv -o answer.csv
      ddkb query "CONSTRUCT WHERE { ?s ddkb:fosters ?o }" --format nt

    With a plain SPARQL query, -p binds a variable of the SELECT clause to an
    <IRI> or CURIE, or else to a plain string.

    Exit codes: 0 ok; 1 failed or stopped by --timeout; 2 bad usage or input
    (syntax error, refused update or network access, unknown concept).
    """
    from ..results import format_result

    text = _read_query(sparql, query_file, name)
    values = _parse_params(params)
    settings_allow = bool(options.get("allow_network")) or bool(
        (ctx.find_root().obj or {}).get("allow_network"))
    kb = get_kb(ctx, options)
    run = dict(timeout=timeout, limit=limit, max_rows=max_rows, allow_network=settings_allow)
    if name is not None:
        result = kb.run_named(name, values, **run)
    else:
        bound = {k: kb.param_term(_raw_kind(v), v, k) for k, v in values.items()}
        result = kb.query(text, params=bound, **run)
    out = format_result(result, fmt, labeler=lambda iri: kb.label(iri)
                        if kb.has_label(iri) else None)
    if result.truncated:
        click.echo(f"Warning: {result.reason}", err=True)
    if output is not None:
        from ..fileio import write_atomic

        protect = [f.path for f in kb.files] + ([query_file] if query_file else [])
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
