"""``ddkb map``: write an offline interactive concept map (thin layer over ``ddkb.conceptmap``)."""

from __future__ import annotations

import click

from .common import get_kb, kb_options


@click.command("map")
@click.option("-o", "--output", required=True, metavar="FILE.html",
              type=click.Path(dir_okay=False),
              help="Where to write the map (one self-contained HTML file; replaced "
                   "atomically; an input file or a read-only file is refused).")
@click.option("--focus", metavar="CONCEPT",
              help="Centre the map on this concept (label, alt label, CURIE or IRI).")
@click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True,
              help="With --focus: keep concepts up to this many relations away.")
@click.option("--types", metavar="CLASSES",
              help="Keep only concepts of these classes (comma-separated, e.g. Instrument,Outcome;"
                   " subclasses included).")
@click.option("--exclude-types", metavar="CLASSES",
              help="Leave out concepts of these classes (comma-separated).")
@click.option("--relations", metavar="RELATIONS",
              help="Keep only these relations and the concepts they link (comma-separated, "
                   "e.g. fosters,hasRisk).")
@click.option("--max-nodes", type=click.IntRange(min=1), default=500, show_default=True,
              help="Refuse to draw more concepts than this (nothing is written).")
@click.option("--title", help="Title shown on the map (default: from the focus).")
@click.option("--layout", type=click.Choice(["force", "hierarchical"]), default="force",
              show_default=True,
              help="force: related concepts close together; hierarchical: a top-down "
                   "concept map where every relation points down the page "
                   "(e.g. --layout hierarchical). Either way no two labels overlap.")
@click.option("--physics/--no-physics", default=None,
              help="--physics lets the browser move the concepts (no overlap guarantee); "
                   "default: the layout is computed when the map is written.")
@kb_options
@click.pass_context
def map_(ctx: click.Context, output: str, focus: str | None, depth: int, types: str | None,
         exclude_types: str | None, relations: str | None, max_nodes: int, title: str | None,
         layout: str, physics: bool | None, **options) -> None:
    """Write an interactive concept map that opens offline in any browser.

    The map is one HTML file with everything inside (no internet needed):
    concepts coloured and shaped by class, labelled arrows for relations,
    a tooltip per concept (definition, sources, fact-check status), a search
    box and a legend. Concepts from --data files appear beside the bundled ones.
    Relations the fact-check doubts are drawn dashed red (partly supported:
    dotted orange). A map of more than 30 concepts opens with the 25 most
    connected ones; "+N more" on a concept shows the rest.

    \b
    Examples:
      ddkb map -o map.html
      ddkb map --focus "confidence-building measures" --depth 2 -o cbm.html
      ddkb map --types Instrument,Outcome --relations fosters -o fosters.html
      ddkb map --focus CBM --depth 1 --layout hierarchical -o cbm-tree.html
      ddkb map --data mine.ttl --focus "my programme" -o mine.html
    """
    from ..conceptmap import write_map

    kb = get_kb(ctx, options)
    cmap = write_map(kb, output, focus=focus, depth=depth, types=types,
                     exclude_types=exclude_types, relations=relations, max_nodes=max_nodes,
                     title=title, physics=physics, layout=layout)
    size_kb = len(cmap.html.encode("utf-8")) // 1024
    drawn = "physics" if cmap.physics else f"{cmap.layout} layout"
    if cmap.shown_at_opening < cmap.node_count:
        drawn += f", {cmap.shown_at_opening} shown at first"
    click.echo(f"Wrote {output}: {cmap.node_count} concepts, {cmap.edge_count} relations, "
               f"{size_kb} KB ({drawn}).")
