"""``ddkb path``, ``related``, ``rank`` and ``clusters``: thin commands over ``ddkb.network``."""

from __future__ import annotations

import re

import click

from ..errors import DdkbError
from ..network import MAX_PATHS
from ..text import json_text, one_line
from .common import get_kb, kb_options

TEXT_JSON = click.Choice(["text", "json"])


def _json(data: object) -> str:
    return json_text(data, indent=2)


def _md(text: str) -> str:
    """Escape Markdown's special characters in a label; one line, controls shown."""
    return re.sub(r"([\\`*_{}\[\]<>()#+\-!|~])", r"\\\1", one_line(text))



@click.command()
@click.argument("start")
@click.argument("end")
@click.option("-k", "--k", "k", type=click.IntRange(min=1, max=MAX_PATHS), default=1,
              show_default=True,
              help=f"How many alternative paths, at most {MAX_PATHS} (each differs in at "
                   "least one concept), e.g. --k 3.")
@click.option("--directed", is_flag=True,
              help="Follow relations only in their own direction (default: either way).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@kb_options
@click.pass_context
def path(ctx: click.Context, start: str, end: str, k: int, directed: bool, fmt: str,
         **options) -> None:
    """Explain how concept START leads to concept END, with the source of every step.

    Finds the shortest chains of relations between two concepts (names, alt
    labels, CURIEs or IRIs). Steps taken against a relation's direction are
    shown with a reversed arrow: "mutual trust <-fosters- joint military exercise".
    Exits 1 when the concepts are not connected.

    \b
    Examples:
      ddkb path "joint military exercise" "soft power"
      ddkb path CBM "regional stability" --k 3 --format markdown
      ddkb path hotline trust --directed --format json
    """
    from ..network import format_step, shortest_paths, to_plain

    kb = get_kb(ctx, options)
    paths = shortest_paths(kb, start, end, k=k, directed=directed)
    if not paths:
        how = "following relations in their direction" if directed else "in either direction"
        raise DdkbError(f"no path from {start!r} to {end!r} ({how})")
    if fmt == "json":
        click.echo(_json({"from": paths[0][0].source_iri, "to": paths[0][-1].target_iri,
                          "directed": directed, "paths": to_plain(paths)}))
        return
    for number, steps in enumerate(paths, 1):
        head = f"Path {number} of {len(paths)} ({len(steps)} step{'s' * (len(steps) != 1)})"
        if fmt == "markdown":
            click.echo(("\n" if number > 1 else "") + f"### {head}\n")
            for i, step in enumerate(steps, 1):
                arrow = (f"-*{_md(step.predicate_label)}*->" if step.forward
                         else f"<-*{_md(step.predicate_label)}*-")
                where = "; ".join(_md(s) for s in step.sections) or "no source recorded"
                click.echo(f"{i}. **{_md(step.source_label)}** {arrow} "
                           f"**{_md(step.target_label)}** (sources: {where})")
        else:
            click.echo(("\n" if number > 1 else "") + head + ":")
            for step in steps:
                click.echo("  " + format_step(step))


@click.command()
@click.argument("concept")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many relation hops away to look.")
@click.option("--format", "fmt", type=TEXT_JSON, default="text", show_default=True,
              help="Output format.")
@kb_options
@click.pass_context
def related(ctx: click.Context, concept: str, depth: int, fmt: str, **options) -> None:
    """List the concepts within DEPTH relations of CONCEPT, nearest first.

    Each line shows the distance, the concept and its class, and the relation
    that reaches it.

    \b
    Examples:
      ddkb related "mutual trust"
      ddkb related CBM --depth 2 --format json
    """
    from ..network import related as find_related
    from ..network import to_plain

    kb = get_kb(ctx, options)
    found = find_related(kb, concept, depth=depth)
    if fmt == "json":
        click.echo(_json(to_plain(found)))
        return
    if not found:
        click.echo(f"No concept is related to {concept!r}.")
        return
    for n in found:
        click.echo(f"{n.distance}  {one_line(n.label)} ({one_line(n.cls)})  "
                   f"[{n.via.sentence()}]")


@click.command()
@click.option("--by", type=click.Choice(["degree", "pagerank", "betweenness"]),
              default="degree", show_default=True, help="Centrality measure.")
@click.option("--type", "type_", metavar="CLASS", default=None,
              help="List only concepts of this class (subclasses included), e.g. Instrument.")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many concepts to list.")
@click.option("--format", "fmt", type=TEXT_JSON, default="text", show_default=True,
              help="Output format.")
@kb_options
@click.pass_context
def rank(ctx: click.Context, by: str, type_: str | None, top: int, fmt: str,
         **options) -> None:
    """Rank concepts by centrality in the relation graph.

    degree counts relations; pagerank favours what many things lead to;
    betweenness favours concepts that bridge distant parts of the KB.

    \b
    Examples:
      ddkb rank
      ddkb rank --by pagerank --type Outcome --top 5
      ddkb rank --by betweenness --format json
    """
    from ..network import rank as rank_concepts
    from ..network import to_plain

    kb = get_kb(ctx, options)
    rows = rank_concepts(kb, by=by, type=type_, top=top)
    if fmt == "json":
        click.echo(_json(to_plain(rows)))
        return
    width = max((len(one_line(r.label)) for r in rows), default=0)
    for i, r in enumerate(rows, 1):
        score = f"{int(r.score)}" if by == "degree" else f"{r.score:.4f}"
        click.echo(f"{i:>3}  {score:>7}  {one_line(r.label):<{width}}  ({one_line(r.cls)})")


@click.command()
@click.option("--min-size", type=click.IntRange(min=1), default=2, show_default=True,
              help="Leave out communities with fewer concepts.")
@click.option("--seed", type=int, default=7, show_default=True,
              help="Random seed of the Louvain method (same seed, same clusters).")
@click.option("--format", "fmt", type=TEXT_JSON, default="text", show_default=True,
              help="Output format.")
@kb_options
@click.pass_context
def clusters(ctx: click.Context, min_size: int, seed: int, fmt: str, **options) -> None:
    """Find communities of closely related concepts (Louvain modularity).

    Each community is named after its most connected member.

    \b
    Examples:
      ddkb clusters
      ddkb clusters --min-size 5 --format json
    """
    from ..network import clusters as find_clusters

    kb = get_kb(ctx, options)
    found = find_clusters(kb, min_size=min_size, seed=seed)
    if fmt == "json":
        click.echo(_json([{"name": c.name, "size": c.size, "members": c.members}
                          for c in found]))
        return
    if not found:
        click.echo("No community found.")
        return
    for i, c in enumerate(found, 1):
        click.echo(("\n" if i > 1 else "") + f"Cluster {i}: {one_line(c.name)} "
                   f"({c.size} concepts)")
        for m in c.members:
            click.echo(f"  - {one_line(m['label'])} ({one_line(m['cls'])})")
