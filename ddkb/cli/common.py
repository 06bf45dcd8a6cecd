"""Options, KB loading and error handling shared by every ``ddkb`` command."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import DdkbError
from ..formats import RDF_NAMES, FormatChoice
from ..inputs import (
    DEFAULT_MAX_INPUT_SIZE,
    DEFAULT_MAX_JSONLD_DEPTH,
    DEFAULT_MAX_LITERAL_SIZE,
    human_size,
    parse_size,
)
from ..text import visible

DATA_FORMATS = list(RDF_NAMES)
INFER_CHOICES = ["none", "rdfs", "owlrl"]


class ByteSize(click.ParamType):
    """A size in bytes typed as ``512``, ``64K``, ``500M``, ``2G`` (powers of 1024)."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        option = param.opts[0] if param else "size"
        try:
            return parse_size(value, option)
        except DdkbError as err:  # Click names the option itself
            self.fail(str(err).removeprefix(option + " "), param, ctx)


def kb_options(func: Callable) -> Callable:
    """Add --data, --data-format, --infer, --allow-network, --no-cache and the input limits.

    Used on the ``ddkb`` group (``ddkb --data x.ttl query ...``) and on each
    command that reads the KB (``ddkb query --data x.ttl ...``);
    :func:`kb_settings` merges the two levels. The limits (``--max-input-size``,
    ``--max-literal-size``, ``--max-jsonld-depth``, ``--allow-entities``) guard
    against hostile --data files; see :mod:`ddkb.inputs`.
    """
    decorators = [
        click.option("--data", "data", multiple=True, metavar="FILE",
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Load this RDF file beside the bundled KB (repeatable)."),
        click.option("--data-format", type=FormatChoice(DATA_FORMATS), default=None,
                     help="Format of --data files (default: from the file extension; "
                          "aliases such as ttl, n-triples, rdfxml work too). "
                          "Example: --data mine.txt --data-format ttl"),
        click.option("--infer", type=click.Choice(INFER_CHOICES), default=None,
                     help="Add inferred triples (RDFS or OWL 2 RL) in their own graph."),
        click.option("--allow-network", is_flag=True, default=None,
                     help="Allow network access (SERVICE, remote imports and contexts)."),
        click.option("--strict-imports", is_flag=True, default=None,
                     help="Refuse (exit 2) a --data file whose owl:imports has no local "
                          "copy and no --allow-network, instead of loading it without the "
                          "import and warning. Example: --strict-imports --data prov-o.ttl"),
        click.option("--no-cache", is_flag=True, default=None,
                     help="Do not build or open a cached store: load into memory."),
        click.option("--store", "store", metavar="DIR", envvar="DDKB_STORE", default=None,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Read a named store folder made by 'ddkb load --store DIR' "
                          "(env DDKB_STORE). Example: --store ~/ddkb-store"),
        click.option("--endpoint", "endpoint", metavar="URL", envvar="DDKB_ENDPOINT",
                     default=None,
                     help="Query a SPARQL 1.1 endpoint instead of the embedded store (env "
                          "DDKB_ENDPOINT; credentials from DDKB_ENDPOINT_USER and "
                          "DDKB_ENDPOINT_PASSWORD). Example: --endpoint "
                          "http://127.0.0.1:7878/query"),
        click.option("--max-input-size", type=ByteSize(), default=None,
                     help="Refuse a --data or imported file larger than SIZE "
                          f"(default {human_size(DEFAULT_MAX_INPUT_SIZE)}; K/M/G/T = powers "
                          "of 1024). Example: --max-input-size 4G"),
        click.option("--max-literal-size", type=ByteSize(), default=None,
                     help="Refuse a literal longer than SIZE characters (default "
                          f"{human_size(DEFAULT_MAX_LITERAL_SIZE)}). "
                          "Example: --max-literal-size 50M"),
        click.option("--max-jsonld-depth", type=click.IntRange(min=1), default=None,
                     metavar="N",
                     help="Refuse JSON-LD whose objects and arrays nest deeper than N "
                          f"(default {DEFAULT_MAX_JSONLD_DEPTH}). "
                          "Example: --max-jsonld-depth 1000"),
        click.option("--allow-entities", is_flag=True, default=None,
                     help="Expand the entities an RDF/XML DOCTYPE declares (within the "
                          "size limits) instead of refusing the file; for trusted files, "
                          "e.g. Protege's. Example: --allow-entities --data onto.owl"),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


KB_OPTION_NAMES = ("data", "data_format", "infer", "allow_network", "strict_imports",
                   "no_cache", "store",
                   "endpoint",
                   "max_input_size", "max_literal_size", "max_jsonld_depth", "allow_entities")
#: The options that become keyword arguments of ``ddkb.load`` when given.
LIMIT_OPTION_NAMES = ("max_input_size", "max_literal_size", "max_jsonld_depth",
                      "allow_entities")


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
    merged["strict_imports"] = bool(merged["strict_imports"])
    merged["allow_entities"] = bool(merged["allow_entities"])
    return merged


def get_kb(ctx: click.Context, options: dict[str, Any]):
    """Load the knowledge base as the merged options say."""
    from ..kb import load

    s = kb_settings(ctx, options)
    kwargs = dict(data=s["data"], data_format=s["data_format"], infer=s["infer"],
                  allow_network=s["allow_network"], progress=progress_bar(),
                  store=s["store"], endpoint=s["endpoint"])
    if s["no_cache"]:
        kwargs["use_cache"] = False
    if s["strict_imports"]:
        kwargs["strict_imports"] = True
    kwargs.update({name: s[name] for name in LIMIT_OPTION_NAMES if s[name] is not None})
    kb = load(**kwargs)
    for warning in kb.warnings:
        click.echo(f"Warning: {visible(warning, keep='')}", err=True)
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
        stage_only = not total and not done  # a stage with no amount, e.g. "indexing labels"
        if now - state["last"] < 0.1 and not (finished or stage_only):
            return
        elapsed = max(now - started, 1e-6)
        if elapsed < 0.5 and not (state["shown"] or stage_only):
            return
        state["last"], state["shown"] = now, True
        rate = done / elapsed
        text = what if stage_only else f"{what}  {done / 1e6:.1f} MB"
        if total:
            left = (total - done) / rate if rate > 0 else 0
            text += f" / {total / 1e6:.1f} MB  {rate / 1e6:.1f} MB/s  ETA {left:.0f} s"
        out.write("\r" + text.ljust(70))
        if finished:
            out.write("\n")
        out.flush()

    return draw

def failure(err: BaseException, command: str = "ddkb") -> tuple[str, int] | None:
    """The one-line message and exit code for an error that ends ``command``, or None.

    None means "not ours": Click's own exceptions, a broken pipe (Click closes
    it quietly) and internal bugs. Out of memory, an operating-system error
    (disk full, permission denied, read-only file system ...) and undecodable
    input are bad input or a bad environment, not bugs: exit 2. Ctrl-C: 130.
    """
    if isinstance(err, DdkbError):
        return f"Error: {visible(str(err), keep='')}", err.exit_code
    if isinstance(err, KeyboardInterrupt):
        return "Interrupted.", 130
    if isinstance(err, MemoryError):
        return (f"Error: out of memory while running '{command}' "
                "(try a smaller input or --focus)"), 2
    if isinstance(err, UnicodeDecodeError):
        bad = err.object[err.start:err.start + 1].hex()
        return (f"Error: the input is not valid {err.encoding.upper()} text "
                f"({err.reason}: byte 0x{bad})"), 2
    if isinstance(err, UnicodeEncodeError):
        char = err.object[err.start:err.start + 1]
        return (f"Error: the output encoding {err.encoding} cannot show U+{ord(char):04X} "
                "(set PYTHONIOENCODING=utf-8, or write to a file with -o)"), 2
    if isinstance(err, OSError) and err.errno != errno.EPIPE:
        return f"Error: {_os_error(err)}", 2
    return None


def _os_error(err: OSError) -> str:
    """``FILE: reason [ECODE]`` for an OSError, in the words of the operating system."""
    reason = err.strerror or str(err) or type(err).__name__
    code = errno.errorcode.get(err.errno or 0)
    files = [os.fsdecode(f) for f in (err.filename, err.filename2) if f is not None]
    where = " -> ".join(visible(f, keep="") for f in files)
    return (f"{where}: " if where else "") + reason + (f" [{code}]" if code else "")


def echo_output(text: str) -> None:
    """Print a command's answer (any format) exactly, but never raw controls on a terminal.

    Into a pipe or a file the bytes are the data's own. Click would strip
    ANSI-looking sequences out of them (``color=True`` stops it: a CSV cell
    must not lose characters). On a terminal control characters are shown as
    ``\\x1b`` escapes (like ``ls`` does) so that data cannot drive the terminal.
    """
    stream = sys.stdout
    if getattr(stream, "isatty", lambda: False)():
        text = visible(text)
    click.echo(text, nl=False, color=True)


def run_guarded(cli: click.Group) -> int:
    """Run the CLI; errors become one line on stderr and an exit code (see :func:`failure`)."""
    try:
        # with standalone_mode=False, Click returns ctx.exit()'s code instead of raising
        code = cli.main(standalone_mode=False, prog_name="ddkb")
        return code if isinstance(code, int) else 0
    except click.exceptions.Exit as err:
        return err.exit_code
    except click.ClickException as err:
        err.message = visible(err.message, keep="")
        err.show()
        return err.exit_code
    except click.Abort as err:
        if isinstance(err.__cause__, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            return 130
        click.echo("Aborted.", err=True)
        return 1
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as err:  # an internal bug: one line, details only on request
        known = failure(err)
        if known is not None:
            click.echo(known[0], err=True)
            return known[1]
        if os.environ.get("DDKB_DEBUG"):
            raise
        click.echo(f"Error: internal error ({type(err).__name__}): "
                   f"{visible(str(err), keep='')}. Set DDKB_DEBUG=1 for details.", err=True)
        return 1
    except BaseException as err:  # KeyboardInterrupt, and MemoryError raised as such
        known = failure(err)
        if known is None:
            raise
        click.echo(known[0], err=True)
        return known[1]
