"""``ddkb serve`` and ``ddkb site``: the KB on the web, live or as static files.

The web stack (Starlette, uvicorn, Jinja2) is imported only here, when one of
these commands runs, so that ``ddkb query`` starts as fast as before.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

from ..errors import RefusedError
from .common import get_kb, kb_options

#: The address ``ddkb serve`` listens on unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Seconds an idle keep-alive connection stays open. uvicorn's 5 s closes connections
#: that a busy client is about to reuse (the client then sees a reset).
KEEP_ALIVE = 30


def check_port_free(host: str, port: int) -> None:
    """RefusedError (one line) when ``host:port`` cannot be bound: taken, or not ours."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise RefusedError(f"--host {host}: cannot resolve it ({err.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise RefusedError(f"port {port} on {host} is already in use; choose "
                                   "another with --port") from None
            raise RefusedError(f"cannot listen on {host}:{port}: "
                               f"{err.strerror or err}") from None


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. The default answers this machine only; "
                   "--host 0.0.0.0 opens the server to the network. "
                   "Example: --host 0.0.0.0")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT,
              show_default=True, help="TCP port. Example: --port 8080")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info"]),
              default="warning", show_default=True,
              help="How much uvicorn logs on stderr. Example: --log-level info")
@kb_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str, **options) -> None:
    """Serve the KB on the web: a page per concept, browse, search, queries.

    Every resource answers at the path of its IRI: https://w3id.org/ddkb/soft-power
    is http://HOST:PORT/soft-power, as HTML for a browser and as Turtle,
    N-Triples, JSON-LD or RDF/XML by the Accept header or a suffix
    (/soft-power.ttl). Also: /browse (trees), /az (A-Z index), /search and
    /api/search?q= (JSON), /fact-check, /queries (named queries with a form),
    /ontology (the ontology's documentation). Stop it with Ctrl-C.

    \b
    Examples:
      ddkb serve
      ddkb serve --port 8080
      ddkb --data mine.ttl serve
      ddkb serve --endpoint http://127.0.0.1:7878/query
      curl -H 'Accept: text/turtle' http://127.0.0.1:8000/soft-power
    """
    check_port_free(host, port)
    kb = get_kb(ctx, options)
    import uvicorn

    from ..web.app import create_app

    app = create_app(kb)
    click.echo(f"Serving the ddkb knowledge base on http://{_url_host(host)}:{port}/ "
               "(Ctrl-C to stop)", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False,
                server_header=False, timeout_keep_alive=KEEP_ALIVE)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@click.command()
@click.option("-o", "--output", "output", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the site into: new, empty, or a previous ddkb site "
                   "(replaced as a whole, atomically). Example: -o public")
@click.option("--maps/--no-maps", default=False, show_default=True,
              help="Also write each concept's focus map (map/NAME.html, about 800 kB "
                   "each) and embed it in the concept's page. Example: --maps")
@click.option("--base-url", metavar="URL", default=None,
              help="Where the site will be published; writes w3id.htaccess, the "
                   "redirect rules for https://w3id.org/ddkb/ that send each IRI there "
                   "(Accept picks .ttl, .jsonld, .rdf or .html). "
                   "Example: --base-url https://example.org/ddkb/")
@kb_options
@click.pass_context
def site(ctx: click.Context, output: Path, maps: bool, base_url: str | None,
         **options) -> None:
    """Write the web pages as a static site that opens from disk or any static host.

    The same pages as 'ddkb serve' (home, browse, A-Z, search, fact check,
    named queries, ontology, a page per resource), with relative links, plus
    each resource's .ttl, .jsonld and .rdf description. Search runs in the
    browser. Named queries that need parameters show their form only live.
    Nothing is written if anything fails; a non-empty folder that is not a
    previous ddkb site is refused (exit 2).

    \b
    Examples:
      ddkb site -o public
      ddkb site -o public --maps
      ddkb site -o public --base-url https://example.org/ddkb/
      xdg-open public/index.html
    """
    from ..site import write_site

    kb = get_kb(ctx, options)
    report = write_site(kb, output, maps=maps, base_url=base_url)
    extra = f", {report.maps} maps" if report.maps else ""
    click.echo(f"Wrote {report.pages} pages, {report.data_files} RDF files{extra} to "
               f"{output}/" + (" and w3id.htaccess" if report.htaccess else ""), err=True)
