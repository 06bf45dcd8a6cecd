"""``ddkb load``: fill a named store folder once, for every later command to read."""

from __future__ import annotations

from pathlib import Path

import click

from ..formats import RDF_NAMES, FormatChoice
from ..text import visible
from .common import progress_bar


@click.command("load")
@click.option("--store", "store", metavar="DIR", envvar="DDKB_STORE", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The store folder (created if new; env DDKB_STORE).")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data-format", type=FormatChoice(RDF_NAMES), default=None,
              help="Format of the files (default: from each file's extension; aliases "
                   "such as ttl work too). Example: --data-format ttl")
@click.option("--infer", type=click.Choice(["none", "rdfs", "owlrl"]), default=None,
              help="Keep an inferred closure in the store, recomputed after each load.")
@click.option("--allow-network", is_flag=True,
              help="Allow fetching owl:imports that have no local copy.")
@click.option("--strict-imports", is_flag=True,
              help="Refuse (exit 2) a file whose owl:imports has no local copy and no "
                   "--allow-network, instead of loading it without the import and warning. "
                   "Example: ddkb load --store DIR --strict-imports prov-o.ttl")
def load(store: Path, files: tuple[Path, ...], data_format: str | None, infer: str | None,
         allow_network: bool, strict_imports: bool) -> None:
    """Load RDF files (and the bundled KB) into a named store folder, once.

    Later commands read the store with --store DIR (or DDKB_STORE) instead of
    re-reading the files: loading 50 million triples happens once, not per
    command. A file already in the store is replaced; an unchanged one is
    skipped. Run it with no FILES to create a store with the bundled KB only.

    \b
    Examples:
      ddkb load --store ~/ddkb-store exercises.nt agreements.ttl
      ddkb --store ~/ddkb-store query -n instruments
    """
    from ..userstore import load_files

    report = load_files(store, list(files), data_format=data_format,
                        allow_network=allow_network, infer=infer, progress=progress_bar(),
                        strict_imports=strict_imports)
    for warning in report["warnings"]:
        click.echo(f"Warning: {visible(warning, keep='')}", err=True)
    for path in report["loaded"]:
        click.echo(f"loaded   {path}")
    for path in report["skipped"]:
        click.echo(f"unchanged {path}")
    total = sum(report["graphs"].values())
    click.echo(f"{report['store']}: {len(report['graphs'])} graphs, {total} triples "
               f"({report['seconds']:.1f} s)")
