"""The ``ddkb`` command: a thin Click layer over the library.

Sub-commands live in modules by family and are imported only when run, so that
``ddkb query`` does not pay for networkx, pyvis or rdflib.

Exit codes: 0 ok; 1 the command failed or found problems (validation
violations, query or inference timeout); 2 bad usage or bad input, or a bad
environment (out of memory, disk full, permission denied); 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from importlib import import_module

import click

from ..text import visible
from .common import failure, kb_options, run_guarded

#: command name -> (module, function, one-line summary shown by ``ddkb --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "query": ("ddkb.cli.query_cmds", "query", "Run a SPARQL query or a named query."),
    "queries": ("ddkb.cli.query_cmds", "queries", "List the named queries."),
    "show": ("ddkb.cli.concept_cmds", "show", "Print a concept card."),
    "search": ("ddkb.cli.concept_cmds", "search", "Find concepts by label and definition."),
    "stats": ("ddkb.cli.concept_cmds", "stats", "Count triples, concepts, claims and sources."),
    "validate": ("ddkb.cli.validate_cmds", "validate", "Check the KB with SHACL and QC queries."),
    "map": ("ddkb.cli.map_cmds", "map_", "Write an interactive offline concept map (HTML)."),
    "path": ("ddkb.cli.network_cmds", "path", "Explain how one concept leads to another."),
    "related": ("ddkb.cli.network_cmds", "related", "List the concepts near a concept."),
    "rank": ("ddkb.cli.network_cmds", "rank", "Rank concepts by centrality."),
    "clusters": ("ddkb.cli.network_cmds", "clusters", "Find communities of concepts."),
    "export": ("ddkb.cli.export_cmds", "export", "Export the KB as RDF or for graph tools."),
    "release": ("ddkb.cli.link_cmds", "release", "Write versioned release files to dist/."),
    "align": ("ddkb.cli.link_cmds", "align", "Propose mappings to another vocabulary (SSSOM)."),
    "load": ("ddkb.cli.store_cmds", "load", "Load RDF files into a named store folder, once."),
    "push": ("ddkb.cli.push_cmds", "push", "Upload the KB (plus --data) to a SPARQL server."),
    "serve": ("ddkb.cli.web_cmds", "serve", "Serve the KB on the web (pages, RDF, search)."),
    "site": ("ddkb.cli.web_cmds", "site", "Write the web pages as a static site."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attr, _ = entry
        return getattr(import_module(module), attr)

    def invoke(self, ctx: click.Context):
        """Turn errors into one line on stderr and their exit code (see ``common.failure``).

        Done here (not only in ``main``) so that Click's ``CliRunner`` sees the
        same messages and exit codes as a real terminal. Click would turn Ctrl-C
        into "Aborted!" and exit 1; here it is "Interrupted." and exit 130.
        """
        try:
            return super().invoke(ctx)
        except click.ClickException as err:  # a usage error may quote the user's text
            err.message = visible(err.message, keep="")
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except BaseException as err:
            known = failure(err, f"ddkb {ctx.invoked_subcommand or ''}".strip())
            if known is None:
                raise
            click.echo(known[0], err=True)
            ctx.exit(known[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@kb_options
@click.version_option(package_name="ddkb", prog_name="ddkb")
@click.pass_context
def cli(ctx: click.Context, **options) -> None:
    """ddkb: the Defense Diplomacy Knowledge Base.

    Query, explore, map and link an RDF knowledge base of how states use
    defense diplomacy to build soft power.

    \b
    Examples:
      ddkb queries
      ddkb query -n fosters -p instrument="joint military exercise"
      ddkb show CBM
      ddkb --data mine.ttl map --focus "soft power" -o map.html
    """
    ctx.ensure_object(dict)
    ctx.obj.update(options)


def main() -> None:
    """Entry point of the ``ddkb`` console script."""
    sys.exit(run_guarded(cli))
