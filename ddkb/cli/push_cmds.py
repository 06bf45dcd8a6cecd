"""``ddkb push``: upload the KB (plus --data) to a SPARQL server, one named graph per file."""

from __future__ import annotations

import sys

import click

from .common import get_kb, kb_options


@click.command("push")
@click.option("--graph-store-url", metavar="URL", default=None,
              help="The Graph Store Protocol endpoint (default: derived from the server).")
@click.option("--update-url", metavar="URL", default=None,
              help="The SPARQL Update endpoint (default: derived from the server).")
@click.option("--chunk-triples", type=click.IntRange(min=1), default=50000, show_default=True,
              help="Triples per upload request; bigger graphs are staged and swapped in.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds each HTTP request may take.")
@kb_options
@click.pass_context
def push(ctx: click.Context, graph_store_url: str | None, update_url: str | None,
         chunk_triples: int, timeout: float, **options) -> None:
    """Upload the bundled KB (plus --data files) to a SPARQL 1.1 server.

    One named graph per source file, sent over the SPARQL 1.1 Graph Store HTTP
    Protocol in chunks; what an earlier push sent is replaced (pushing twice
    leaves the same triples), an interrupted push is repaired by the next, and
    every graph's triple count is checked afterwards. --endpoint URL (or
    DDKB_ENDPOINT) names the server; then run any read command with it.

    \b
    Examples:
      ddkb push --endpoint http://127.0.0.1:7878/query --data mine.ttl
      DDKB_ENDPOINT_USER=dba DDKB_ENDPOINT_PASSWORD=... \\
        ddkb push --endpoint http://127.0.0.1:8890/sparql
      ddkb --endpoint http://127.0.0.1:7878/query query -n instruments
    """
    from ..push import push_kb
    from ..remote import RemoteEndpoint

    root = ctx.find_root().obj or {}
    target = options.pop("endpoint", None) or root.get("endpoint")
    if not target:
        raise click.UsageError("ddkb push needs the server: --endpoint URL (or DDKB_ENDPOINT)")
    root["endpoint"] = None  # --endpoint names where to push; the KB pushed is the local one
    endpoint = RemoteEndpoint(target, timeout=timeout, graph_store_url=graph_store_url,
                              update_url=update_url)
    kb = get_kb(ctx, options)
    report = push_kb(kb, endpoint, chunk_triples=chunk_triples, progress=_progress())
    for graph in report.graphs:
        click.echo(f"{graph.triples:>8} triples  {graph.graph}")
    for graph in report.removed:
        click.echo(f"  removed  {graph}")
    click.echo(f"{report.endpoint}: {len(report.graphs)} graphs, {report.triples} triples "
               f"checked ({report.requests} requests, {report.seconds:.1f} s)")


def _progress():
    """A one-line progress display on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(event) -> None:
        sys.stderr.write(f"\r{event.step:7} graph {event.graph_index}/{event.graph_total} "
                         f"chunk {event.chunk}/{event.chunks}  "
                         f"{event.triples_sent}/{event.triples} triples".ljust(78))
        if event.step == "verify":
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
