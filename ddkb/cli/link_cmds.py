"""``ddkb release`` and ``ddkb align``: thin commands over ``ddkb.release`` and ``ddkb.align``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..formats import RDF_NAMES, FormatChoice
from .common import get_kb, kb_options, kb_settings


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False), default="dist",
              show_default=True, metavar="DIR",
              help="Folder to write the release files to: a new or empty folder, or one "
                   "holding a previous ddkb release (its manifest.json); anything else is "
                   "refused.")
@click.option("--data", "data", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also include this RDF file in the release (repeatable).")
@click.option("--allow-network", is_flag=True, default=None,
              help="Allow fetching owl:imports of --data files.")
@click.pass_context
def release(ctx: click.Context, out: str, **options) -> None:
    """Write versioned release files (RDF in every format, the OWL 2 RL inferred
    closure, SSSOM mappings, XML catalog) and a manifest.json with their sha256 to DIR.

    Re-running into the same DIR replaces the previous release's files, unless one
    was changed since (its sha256 no longer matches the manifest); other files in
    DIR are left alone. Nothing is written if anything would be refused.

    \b
    Examples:
      ddkb release
      ddkb release --out /tmp/ddkb-release
    """
    from ..release import release as do_release

    s = kb_settings(ctx, options)
    manifest = do_release(out, data=s["data"], allow_network=s["allow_network"])
    click.echo(f"ddkb {manifest['version']}: {len(manifest['files'])} files + manifest.json "
               f"in {out}")
    for entry in manifest["files"]:
        click.echo(f"  {entry['path']}  {entry['bytes']} bytes  sha256 {entry['sha256'][:12]}")


@click.command()
@click.argument("other", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write the SSSOM TSV to FILE instead of standard output (a file is "
                   "replaced atomically; OTHER, an input file or a read-only file is "
                   "refused).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=0.9,
              show_default=True,
              help="Lowest score kept (1.0 same label; 0.95 same after normalising; "
                   "0.9 label = synonym; 0.8 synonym = synonym; 0.75 same words reordered).")
@click.option("--many", is_flag=True,
              help="Keep every match above the threshold (default: one-to-one, ties dropped).")
@click.option("--other-format", type=FormatChoice(RDF_NAMES),
              default=None, help="Format of OTHER (default: from its file extension; "
              "aliases such as ttl work too). Example: --other-format ttl")
@kb_options
@click.pass_context
def align(ctx: click.Context, other: str, output: str | None, threshold: float, many: bool,
          other_format: str | None, **options) -> None:
    """Propose mappings from ddkb's concepts to the terms of OTHER (SSSOM TSV).

    OTHER is an ontology or thesaurus in any RDF format; its terms are the
    resources with a skos:prefLabel, skos:altLabel or rdfs:label. Labels are
    compared after normalising case, punctuation, hyphens, plurals and
    British/American spelling; partial overlaps never match. Review the result
    before publishing it: the justification is semapv:LexicalMatching.

    \b
    Examples:
      ddkb align thesaurus.ttl
      ddkb align other.owl --threshold 0.75 --many -o ddkb-other.sssom.tsv
    """
    from ..align import align as do_align
    from ..fileio import write_atomic
    from ..mappings import format_sssom

    kb = get_kb(ctx, options)
    mset = do_align(kb, other, threshold=threshold, many=many, rdf_format=other_format)
    text = format_sssom(mset)
    if output:
        write_atomic(output, text, protect=[*kb.input_files(), other])
        click.echo(f"{len(mset.rows)} mappings written to {output}", err=True)
    else:
        sys.stdout.write(text)
