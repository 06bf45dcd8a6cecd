"""The loaded knowledge base: ontology + KB + user files in one RDF dataset.

``load()`` reads the bundled ontology and KB (one named graph per file) and any
user ``--data`` files into a pyoxigraph store; every query runs on that one
engine with the union of all graphs as its default graph.

>>> import ddkb
>>> kb = ddkb.load()
>>> rows = kb.select("SELECT ?c WHERE { ?c a ddkb:Instrument } LIMIT 1")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import paths
from .errors import DataFileError, InputError
from .namespaces import PREFIXES

FORMATS_BY_SUFFIX = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}

FORMATS_BY_NAME = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "xml": ox.RdfFormat.RDF_XML,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@dataclass(frozen=True)
class SourceFile:
    """One file loaded into the dataset and the named graph that holds it."""

    path: Path
    graph: str
    bundled: bool


class KnowledgeBase:
    """An RDF dataset over pyoxigraph, with the union of its graphs as default graph."""

    def __init__(self, store: ox.Store, files: list[SourceFile], infer: str | None = None):
        self.store = store
        self.files = files
        self.infer = infer
        self._rdflib_dataset = None

    # -- querying -------------------------------------------------------------
    def raw_query(self, sparql: str, substitutions: dict[str, Any] | None = None) -> Any:
        """Run SPARQL on the store (union default graph, ddkb prefixes predeclared)."""
        subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
        try:
            return self.store.query(
                sparql,
                prefixes=PREFIXES,
                use_default_graph_as_union=True,
                substitutions=subs or None,
            )
        except SyntaxError as err:
            raise InputError(f"SPARQL syntax error: {err}") from None

    def select(self, sparql: str, **bindings: Any) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts of variable name -> pyoxigraph term."""
        result = self.raw_query(sparql, bindings)
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]

    # -- rdflib views (for validation, exports and graph analytics) ------------
    def rdflib_dataset(self):
        """The whole dataset as an rdflib ``Dataset`` (built once, on first use)."""
        if self._rdflib_dataset is None:
            import rdflib

            data = self.store.dump(format=ox.RdfFormat.N_QUADS)
            ds = rdflib.Dataset()
            ds.parse(data=data.decode("utf-8"), format="nquads")
            self._rdflib_dataset = ds
        return self._rdflib_dataset

    def rdflib_graph(self):
        """The union of every graph as one rdflib ``Graph``."""
        import rdflib

        g = rdflib.Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        for s, p, o, _ in self.rdflib_dataset().quads((None, None, None, None)):
            g.add((s, p, o))
        return g


def _parse_into(store: ox.Store, path: Path, graph: str, fmt: ox.RdfFormat) -> None:
    try:
        with path.open("rb") as fh:
            store.bulk_load(fh, format=fmt, to_graph=ox.NamedNode(graph),
                            base_iri=path.resolve().as_uri())
    except SyntaxError as err:
        raise DataFileError(f"{path}: {err}") from None
    except OSError as err:
        raise DataFileError(f"{path}: cannot read: {err.strerror or err}") from None


def load(data: list[str | Path] | tuple = (), data_format: str | None = None,
         infer: str | None = None, allow_network: bool = False) -> KnowledgeBase:
    """Load the bundled ontology and KB plus the user's ``data`` files."""
    store = ox.Store()
    files: list[SourceFile] = []
    for path in paths.bundled_rdf_files():
        graph = paths.graph_name_for(path)
        _parse_into(store, path, graph, FORMATS_BY_SUFFIX[path.suffix])
        files.append(SourceFile(path, graph, True))
    for item in data:
        path = Path(item)
        fmt = FORMATS_BY_NAME.get(data_format or "") or FORMATS_BY_SUFFIX.get(path.suffix.lower())
        if fmt is None:
            raise InputError(f"{path}: unknown RDF format; use --data-format")
        graph = path.resolve().as_uri()
        _parse_into(store, path, graph, fmt)
        files.append(SourceFile(path, graph, False))
    return KnowledgeBase(store, files, infer)
