"""Write ontology/ddkb.context.jsonld, the JSON-LD context of ddkb, from the ontology.

The terms come from ontology/ddkb.ttl (ddkb's classes and properties) and the
prefixes of ddkb/namespaces.py plus the reused SKOS, Dublin Core, PROV, RDFS/OWL,
W3C ORG and OWL-Time terms (:func:`ddkb.jsonld.build_context`). Run it after
changing the ontology; ``--check`` (used by tests/test_jsonld.py) fails when the
file is out of date.

    python tools/build_context.py           # rewrite the file
    python tools/build_context.py --check   # exit 1 if it differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddkb.jsonld import CONTEXT_FILE, build_context, render_context  # noqa: E402

ONTOLOGY = ROOT / "ontology" / "ddkb.ttl"
TARGET = ROOT / "ontology" / CONTEXT_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file differs from what it would be")
    parser.add_argument("--ontology", type=Path, default=ONTOLOGY,
                        help=f"the ontology to read (default {ONTOLOGY.relative_to(ROOT)})")
    parser.add_argument("--output", type=Path, default=TARGET,
                        help=f"the context file (default {TARGET.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    text = render_context(build_context(args.ontology))
    target = args.output
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{target} is out of date: run python tools/build_context.py",
                  file=sys.stderr)
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
