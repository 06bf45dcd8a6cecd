"""Options, KB loading and error handling shared by every ``ddkb`` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import DdkbError

DATA_FORMATS = ["turtle", "nt", "nquads", "trig", "xml", "jsonld"]
INFER_CHOICES = ["none", "rdfs", "owlrl"]


def kb_options(func: Callable) -> Callable:
    """Add --data, --data-format, --infer, --allow-network and --no-cache.

    Used on the ``ddkb`` group (``ddkb --data x.ttl query ...``) and on each
    command that reads the KB (``ddkb query --data x.ttl ...``);
    :func:`kb_settings` merges the two levels.
    """
    decorators = [
        click.option("--data", "data", multiple=True, metavar="FILE",
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Load this RDF file beside the bundled KB (repeatable)."),
        click.option("--data-format", type=click.Choice(DATA_FORMATS), default=None,
                     help="Format of --data files (default: from the file extension)."),
        click.option("--infer", type=click.Choice(INFER_CHOICES), default=None,
                     help="Add inferred triples (RDFS or OWL 2 RL) in their own graph."),
        click.option("--allow-network", is_flag=True, default=None,
                     help="Allow network access (SERVICE, remote imports and contexts)."),
        click.option("--no-cache", is_flag=True, default=None,
                     help="Do not build or open a cached store: load into memory."),
        click.option("--store", "store", metavar="DIR", envvar="DDKB_STORE", default=None,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Read a named store folder made by 'ddkb load --store DIR' "
                          "(env DDKB_STORE)."),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


KB_OPTION_NAMES = ("data", "data_format", "infer", "allow_network", "no_cache", "store")


def kb_settings(ctx: click.Context, options: dict[str, Any]) -> dict[str, Any]:
    """Merge group-level and command-level KB options; pops them from ``options``."""
    root = (ctx.find_root().obj or {}) if ctx else {}
    data = list(root.get("data") or ()) + list(options.pop("data", None) or ())
    merged = {"data": data}
    for name in KB_OPTION_NAMES[1:]:
        local = options.pop(name, None)
        merged[name] = local if local is not None else root.get(name)
    if merged["infer"] == "none":
        merged["infer"] = None
    merged["allow_network"] = bool(merged["allow_network"])
    merged["no_cache"] = bool(merged["no_cache"])
    return merged


def get_kb(ctx: click.Context, options: dict[str, Any]):
    """Load the knowledge base as the merged options say."""
    from ..kb import load

    s = kb_settings(ctx, options)
    kwargs = dict(data=s["data"], data_format=s["data_format"], infer=s["infer"],
                  allow_network=s["allow_network"], progress=progress_bar(),
                  store=s["store"])
    if s["no_cache"]:
        kwargs["use_cache"] = False
    kb = load(**kwargs)
    for warning in kb.warnings:
        click.echo(f"Warning: {warning}", err=True)
    return kb


def progress_bar(stream: Any = None) -> Callable[[int, int | None, str], None] | None:
    """A progress callback drawing one line on stderr, or None when stderr is no terminal.

    Shows what is being done, bytes done of the total, the rate and the time
    left, e.g. ``loading  120.0 MB / 300.0 MB  40.1 MB/s  ETA 4 s``; redrawn at
    most ten times a second. Builds of a few megabytes finish before it shows.
    """
    import time

    out = stream if stream is not None else sys.stderr
    if not getattr(out, "isatty", lambda: False)():
        return None
    started = time.monotonic()
    state = {"last": 0.0, "shown": False}

    def draw(done: int, total: int | None, what: str) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - state["last"] < 0.1 and not finished:
            return
        elapsed = max(now - started, 1e-6)
        if elapsed < 0.5 and not state["shown"]:
            return
        state["last"], state["shown"] = now, True
        rate = done / elapsed
        text = f"{what}  {done / 1e6:.1f} MB"
        if total:
            left = (total - done) / rate if rate > 0 else 0
            text += f" / {total / 1e6:.1f} MB  {rate / 1e6:.1f} MB/s  ETA {left:.0f} s"
        out.write("\r" + text.ljust(70))
        if finished:
            out.write("\n")
        out.flush()

    return draw


def run_guarded(cli: click.Group) -> int:
    """Run the CLI; library errors become one line on stderr and an exit code."""
    try:
        # with standalone_mode=False, Click returns ctx.exit()'s code instead of raising
        code = cli.main(standalone_mode=False, prog_name="ddkb")
        return code if isinstance(code, int) else 0
    except DdkbError as err:
        click.echo(f"Error: {err}", err=True)
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as err:  # an internal bug: one line, details only on request
        if os.environ.get("DDKB_DEBUG"):
            raise
        click.echo(f"Error: internal error ({type(err).__name__}): {err}. "
                   "Set DDKB_DEBUG=1 for details.", err=True)
        return 1
