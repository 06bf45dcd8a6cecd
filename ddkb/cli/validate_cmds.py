"""``ddkb validate``: check the KB with the SHACL shapes and the QC queries."""

from __future__ import annotations

import click

from ..text import json_text
from .common import get_kb, kb_options


@click.command()
@kb_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report as readable text or as JSON.")
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL shapes (run the QC queries only).")
@click.option("--no-qc", is_flag=True, help="Skip the QC queries (run the SHACL shapes only).")
@click.pass_context
def validate(ctx: click.Context, fmt: str, no_shacl: bool, no_qc: bool, **options) -> None:
    """Check the KB (and any --data files) with SHACL shapes and QC queries.

    Runs every shape in ontology/shapes/ and every ontology/qc/*-violation.rq
    query over the loaded graphs, and prints each violation with its check,
    focus node, property path and message, then a summary line.
    Exit code 0 when the data conforms, 1 when something is wrong.

    \b
    Examples:
      ddkb validate
      ddkb validate --data mine.ttl
      ddkb validate --format json > report.json
    """
    from ..validate import validate as run_validation

    kb = get_kb(ctx, options)
    report = run_validation(kb, shacl=not no_shacl, qc=not no_qc)
    if fmt == "json":
        click.echo(json_text(report.to_dict(), indent=2))
    else:
        click.echo(report.to_text())
    ctx.exit(0 if report.conforms else 1)
