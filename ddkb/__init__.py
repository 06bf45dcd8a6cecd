"""ddkb: the Defense Diplomacy Knowledge Base.

An RDF knowledge base of how states use defense diplomacy to build soft power,
with a SPARQL query layer, concept maps, graph analytics and ontology linking.

>>> import ddkb
>>> kb = ddkb.load()                      # bundled ontology + KB
>>> kb.lookup("CBM")                      # doctest: +SKIP
'https://w3id.org/ddkb/confidence-building-measures'

Heavy modules are imported on first use so that the ``ddkb`` command starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load": "ddkb.kb",
    "KnowledgeBase": "ddkb.kb",
    "DdkbError": "ddkb.errors",
    "InputError": "ddkb.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ddkb' has no attribute {name!r}")
