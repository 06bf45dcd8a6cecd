"""Keep the README's command examples true.

Every fenced ```console block in README.md holds lines ``$ command`` followed by
that command's output. ``--update`` runs each command (in a scratch folder,
with the installed ``ddkb`` on PATH) and rewrites the output under it;
``--check`` (used by tests/test_readme.py) fails when any shown output differs
from what the command prints now.

    python tools/readme_examples.py --update
    python tools/readme_examples.py --check
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)


def _ddkb_bin_dir() -> str:
    found = shutil.which("ddkb") or str(Path(sys.executable).parent / "ddkb")
    return str(Path(found).parent)


def run_command(command: str, workdir: Path) -> str:
    """Run one shell command the way a reader would and return stdout+stderr.

    The scratch folder holds a copy of ``examples/`` so commands can use the
    example files by the same relative paths as in a checkout.
    """
    env = dict(os.environ)
    env["PATH"] = _ddkb_bin_dir() + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "100"
    env.pop("DDKB_DEBUG", None)
    proc = subprocess.run(command, shell=True, cwd=workdir, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return "\n".join(line.rstrip() for line in proc.stdout.rstrip("\n").splitlines())


def split_block(body: str) -> list[tuple[str, str]]:
    """[(command, shown output)] of one console block."""
    pairs: list[tuple[str, str]] = []
    for line in body.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            pairs.append((line[2:], ""))
        elif pairs:
            cmd, out = pairs[-1]
            pairs[-1] = (cmd, (out + "\n" + line) if out else line)
    return pairs


def examples(text: str) -> list[tuple[str, str]]:
    """Every (command, shown output) pair of the README, in order."""
    return [pair for m in BLOCK.finditer(text) for pair in split_block(m.group(1))]


def refresh(text: str, workdir: Path) -> str:
    """The README with every example's output replaced by the real output."""
    def render(m: re.Match) -> str:
        lines = []
        for cmd, _ in split_block(m.group(1)):
            out = run_command(cmd, workdir)
            lines.append(f"$ {cmd}")
            if out:
                lines.append(out)
        return "```console\n" + "\n".join(lines) + "\n```\n"

    return BLOCK.sub(render, text)


def mismatches(text: str, workdir: Path) -> list[str]:
    """Commands whose shown output differs from their real output."""
    bad = []
    for cmd, shown in examples(text):
        if run_command(cmd, workdir) != shown.rstrip():
            bad.append(cmd)
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--update", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        shutil.copytree(ROOT / "examples", workdir / "examples")
        if args.update:
            README.write_text(refresh(text, workdir), encoding="utf-8")
            return 0
        bad = mismatches(text, workdir)
    for cmd in bad:
        print(f"README example out of date: $ {cmd}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
