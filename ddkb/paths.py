"""Where ddkb finds its bundled files and keeps its cache.

In a source checkout the ontology and knowledge base live at the top of the
repository (``ontology/``, ``kb/``); in an installed package they are shipped as
``ddkb/_data/ontology`` and ``ddkb/_data/kb``. Everything else asks this module.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

RDF_SUFFIXES = (".ttl", ".trig", ".nt", ".nq", ".rdf", ".owl", ".xml", ".jsonld")


def data_root() -> Path:
    """The folder that holds ``ontology/`` and ``kb/`` (installed copy first)."""
    installed = PACKAGE_DIR / "_data"
    if (installed / "ontology").is_dir():
        return installed
    return PACKAGE_DIR.parent


def ontology_dir() -> Path:
    """The bundled ``ontology/`` folder."""
    return data_root() / "ontology"


def kb_dir() -> Path:
    """The bundled ``kb/`` folder."""
    return data_root() / "kb"


def queries_dir() -> Path:
    """The folder of named queries (``*.rq``)."""
    return PACKAGE_DIR / "queries"


def templates_dir() -> Path:
    """The folder of HTML templates and embedded scripts."""
    return PACKAGE_DIR / "templates"


def bundled_rdf_files() -> list[Path]:
    """Every RDF file of the bundled ontology and KB, in a stable order.

    SHACL shapes, quality-check queries and mapping tables are not part of the
    knowledge graph and are left out (shapes are loaded by validation only), and
    so is the JSON-LD context (``*.context.jsonld``: term definitions, no triples).
    """
    files: list[Path] = []
    for folder in (ontology_dir(), kb_dir()):
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if rel.parts and rel.parts[0] in ("shapes", "qc", "mappings", "catalog"):
                continue
            if path.name.endswith(".context.jsonld"):
                continue
            if path.is_file() and path.suffix in RDF_SUFFIXES:
                files.append(path)
    return files


def graph_name_for(path: Path) -> str:
    """The named-graph IRI of a bundled file, e.g. ``https://w3id.org/ddkb/graph/kb/actors.ttl``."""
    root = data_root()
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    return "https://w3id.org/ddkb/graph/" + rel


def cache_dir() -> Path:
    """Where the loaded-KB cache lives: ``$DDKB_CACHE_DIR``, else ``$XDG_CACHE_HOME/ddkb``."""
    explicit = os.environ.get("DDKB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ddkb"
