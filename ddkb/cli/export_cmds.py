"""``ddkb export``: a thin command over ``ddkb.rdf_export``."""

from __future__ import annotations

import click

from ..formats import RDF_NAMES, FormatChoice
from .common import echo_output, get_kb, kb_options

#: Every RDF format, then the graph formats of :mod:`ddkb.graph_export`.
EXPORT_FORMATS = [*RDF_NAMES, "graphml", "gexf", "dot", "mermaid"]


@click.command()
@click.option("--format", "-f", "fmt", type=FormatChoice(EXPORT_FORMATS), default="turtle",
              show_default=True,
              help=f"RDF ({', '.join(RDF_NAMES)}; aliases such as ttl, n-triples, rdfxml "
                   "work too) or graph format. Example: --format ttl")
@click.option("--jsonld-context", "jsonld_context", type=click.Choice(["embed", "link", "none"]),
              default=None,
              help="With --format jsonld: 'embed' (default) writes compact JSON-LD with "
                   "ddkb's @context inline (short names such as \"prefLabel\"; nothing to "
                   "fetch); 'link' writes \"@context\": "
                   "\"https://w3id.org/ddkb/context.jsonld\" instead (ddkb reads it back "
                   "from its bundled copy); 'none' writes expanded JSON-LD (full IRIs, no "
                   "context). Example: --format jsonld --jsonld-context link")
@click.option("--focus", metavar="CONCEPT", default=None,
              help="Only this concept's neighbourhood (label, alt label, CURIE or IRI).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="How many links around --focus to include.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write to FILE instead of standard output: a file is replaced atomically, "
                   "a device or FIFO (/dev/stdout) written through; an input file or a "
                   "read-only file is refused.")
@kb_options
@click.pass_context
def export(ctx: click.Context, fmt: str, jsonld_context: str | None, focus: str | None,
           depth: int, output: str | None, **options) -> None:
    """Export the KB (plus any --data files) as RDF or for graph tools.

    RDF formats write every triple of every loaded graph (TriG and N-Quads keep
    the named graphs; the others write their union); with --infer the inferred triples
    are included. Graph formats (graphml, gexf, dot, mermaid) write the network
    of concepts and their relations, for Gephi, yEd, Graphviz or Markdown.
    JSON-LD is compact with ddkb's context (--jsonld-context chooses inline,
    linked or expanded).

    \b
    Examples:
      ddkb export --format turtle -o ddkb.ttl
      ddkb export --format xml --infer owlrl -o ddkb-inferred.rdf
      ddkb export --format jsonld --focus "defense diplomacy" -o dd.jsonld
      ddkb export --format jsonld --jsonld-context link -o ddkb.jsonld
      ddkb --data mine.ttl export --format trig
      ddkb export --format mermaid --focus "confidence-building measures" --depth 1
    """
    from ..fileio import write_atomic
    from ..rdf_export import export as do_export

    kb = get_kb(ctx, options)
    text = do_export(kb, fmt, focus=focus, depth=depth, jsonld_context=jsonld_context)
    if output:
        write_atomic(output, text, protect=kb.input_files())
    else:
        echo_output(text if text.endswith("\n") else text + "\n")
