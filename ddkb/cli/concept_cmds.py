"""``ddkb show``, ``ddkb search`` and ``ddkb stats``: reading concepts from the shell."""

from __future__ import annotations

import click

from ..text import visible
from .common import get_kb, kb_options


@click.command()
@click.argument("concept")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@kb_options
@click.pass_context
def show(ctx: click.Context, concept: str, fmt: str, **options) -> None:
    """Print the card of CONCEPT: labels, definition, relations and their sources.

    CONCEPT may be a label, an alt label, a CURIE or an IRI, in any case and
    with British or American spelling. The card lists every outgoing and
    incoming relation with the article sections behind it, and the
    fact-check's verdict when there is one.

    \b
    Examples:
      ddkb show CBM
      ddkb show "joint military exercises"
      ddkb show ddkb:mutual-trust --format json
    """
    from ..concepts import render_card

    kb = get_kb(ctx, options)
    click.echo(render_card(kb.concept(concept), fmt), nl=False)


@click.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many results.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True, help="Output format.")
@kb_options
@click.pass_context
def search(ctx: click.Context, text: str, limit: int, fmt: str, **options) -> None:
    """Find concepts whose labels or definition match TEXT, best first.

    Ranking: exact label, then label prefix or all words in the label, then
    alt labels, then words of the definition. Ontology classes and properties
    and the article's sections are found too; the 'kind' column tells them
    apart ("ontology class", "source section", or the concept's class).

    \b
    Examples:
      ddkb search trust
      ddkb search "maritime security" --format json
    """
    from ..concepts import render_hits

    kb = get_kb(ctx, options)
    hits = kb.search(text, limit=limit)
    if not hits and fmt != "json":
        click.echo(f"No concept matches '{visible(text, keep='')}'.", err=True)
        return
    click.echo(render_hits(hits, fmt), nl=False)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@kb_options
@click.pass_context
def stats(ctx: click.Context, fmt: str, **options) -> None:
    """Count triples (per graph), concepts per class, properties, claims and sources.

    \b
    Examples:
      ddkb stats
      ddkb --infer rdfs stats --format json
    """
    from ..concepts import render_stats

    kb = get_kb(ctx, options)
    click.echo(render_stats(kb.stats(), fmt), nl=False)
