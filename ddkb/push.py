"""``ddkb push``: upload RDF graphs to a server over the SPARQL 1.1 Graph Store HTTP Protocol.

One named graph per source file. What a push guarantees:

* **Nothing is sent before everything parses**: every graph is read (and split
  into chunks) first, so a broken file changes nothing on the server.
* **No half graph is ever visible**: a graph that fits in one chunk is sent
  with one Graph Store PUT, which replaces it whole; a bigger one is uploaded
  in chunks (a PUT, then POSTs) into a *staging* graph and, once that holds
  every triple, swapped in with one SPARQL Update ``MOVE``. Each graph is
  replaced whole, one after the other: while a push runs, a reader may see
  some graphs new and others still old. Blank nodes never straddle two chunks
  (a Graph Store request gives its blank nodes fresh identities), so a chunked
  graph is the same graph.
* **It replaces what it pushed before**: a manifest graph
  (:data:`~ddkb.remote.MANIFEST_GRAPH`) lists the graphs of the last push; graphs
  listed there but no longer among the sources are deleted, so pushing twice
  leaves the same triples.
* **An interrupted push is repaired by the next one**: the manifest is first
  rewritten to list the old *and* the new graphs and the staging graphs, so a
  push that stops halfway leaves a state the next push knows how to clean up
  (it deletes the leftover staging graphs and the graphs no longer wanted).
* **It checks the result**: after the swap every graph's triple count (SPARQL
  ``COUNT``) must equal the number of distinct triples in its source; a
  mismatch is a one-line :class:`~ddkb.errors.EndpointError`.

Counts are compared with what pyoxigraph holds for the same file (its literal
normalisation, e.g. ``"01"^^xsd:integer`` = ``"1"^^xsd:integer``, is the same
as Oxigraph server's and Virtuoso's), so they equal the embedded store's
per-graph counts.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .errors import DataFileError, EndpointError, InputError
from .formats import rdf_format, rdf_format_of
from .remote import MANIFEST_GRAPH, PUSH_NS, STAGING_PREFIX, RemoteEndpoint, graph_digest

#: Triples per Graph Store request.
DEFAULT_CHUNK_TRIPLES = 50_000



@dataclass(frozen=True)
class GraphSource:
    """One graph to push: its IRI, its bytes, their RDF format and the base IRI to parse with."""

    graph: str
    data: bytes
    format: Any = ox.RdfFormat.TURTLE
    base_iri: str | None = None
    label: str = ""  # how messages name the source (a file name); the graph IRI if empty


@dataclass(frozen=True)
class PushProgress:
    """Where a push is: sent to the ``progress`` callback after each chunk and at each step.

    ``step`` is ``upload`` (after each chunk), ``swap`` (a staged graph moved
    in place) or ``verify`` (counts checked; the push is done).
    """

    graph: str
    graph_index: int  # 1-based
    graph_total: int
    chunk: int  # 1-based; 0 when the graph is swapped in
    chunks: int
    triples_sent: int  # of this graph
    triples: int  # in this graph
    step: str  # "upload", "swap", "verify"


@dataclass
class PushedGraph:
    """One graph as pushed: its triple count on the server and how it was sent."""

    graph: str
    triples: int
    chunks: int
    bytes: int


@dataclass
class PushReport:
    """What a push did: the graphs written, the graphs removed, requests and time."""

    endpoint: str
    graphs: list[PushedGraph] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        """Triples pushed, all graphs together."""
        return sum(g.triples for g in self.graphs)


@dataclass
class _Prepared:
    graph: str
    triples: int
    chunks: list[bytes]

    @property
    def staging(self) -> str:
        return STAGING_PREFIX + graph_digest(self.graph)


def push(endpoint: RemoteEndpoint, graphs: Sequence[GraphSource | tuple], *,
         chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
         progress: Callable[[PushProgress], None] | None = None) -> PushReport:
    """Upload ``graphs`` to ``endpoint``, one named graph each, replacing the last push.

    ``graphs`` holds :class:`GraphSource` or tuples ``(graph_iri, data, format)``
    (``format`` a ``pyoxigraph.RdfFormat`` or a name such as ``"turtle"``).
    Raises DataFileError for a source that does not parse (before anything is
    sent), InputError for a bad argument, EndpointError for a server problem or
    a triple count that does not match after the upload.
    """
    if chunk_triples < 1:
        raise InputError(f"chunk_triples must be at least 1, not {chunk_triples!r}")
    started = time.monotonic()
    sources = [_source(item) for item in graphs]
    _check_names(sources)
    prepared = [_prepare(source, chunk_triples) for source in sources]
    report = PushReport(endpoint=endpoint.url)
    first_request = endpoint.requests

    old_graphs, old_staging = _read_manifest(endpoint)
    new_graphs = [p.graph for p in prepared]
    staging = {p.staging for p in prepared if len(p.chunks) > 1}
    _write_manifest(endpoint, sorted(set(old_graphs) | set(new_graphs)),
                    sorted(staging | set(old_staging)), complete=False)
    for leftover in sorted(set(old_staging) - staging):  # from an interrupted push
        endpoint.delete_graph(leftover)

    for index, item in enumerate(prepared, start=1):
        _upload(endpoint, item, index, len(prepared), progress)
        report.graphs.append(PushedGraph(item.graph, item.triples, len(item.chunks),
                                         sum(len(c) for c in item.chunks)))
    gone = sorted(set(old_graphs) - set(new_graphs))
    if gone:
        report.removed = [g for g, n in endpoint.counts(gone).items() if n]
        endpoint.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in gone))

    _write_manifest(endpoint, new_graphs, [], complete=True,
                    counts={p.graph: p.triples for p in prepared})
    _verify(endpoint, prepared, progress)
    endpoint.forget_dataset()
    report.requests = endpoint.requests - first_request
    report.seconds = time.monotonic() - started
    return report


def _source(item: GraphSource | tuple) -> GraphSource:
    if isinstance(item, GraphSource):
        source = item
    else:
        try:
            source = GraphSource(*item)
        except TypeError:
            raise InputError("each graph to push is (graph IRI, data, format[, base IRI])"
                             ) from None
    fmt = source.format
    if isinstance(fmt, str):
        try:
            fmt = rdf_format(fmt).engine
        except InputError as err:
            raise InputError(f"{source.label or source.graph}: {err}") from None
    syntax = rdf_format_of(fmt)
    if syntax is not None and syntax.datasets:
        raise InputError(f"{source.label or source.graph}: {fmt.name} holds several graphs; "
                         "push takes one graph per source (Turtle, N-Triples, RDF/XML, JSON-LD)")
    try:
        ox.NamedNode(source.graph)
    except (ValueError, TypeError):
        raise InputError(f"{source.graph!r} is not an IRI to name a graph with") from None
    return GraphSource(source.graph, bytes(source.data), fmt, source.base_iri, source.label)


def _check_names(sources: list[GraphSource]) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.graph in seen:
            raise InputError(f"the graph {source.graph} is given twice")
        if source.graph == MANIFEST_GRAPH or source.graph.startswith(STAGING_PREFIX):
            raise InputError(f"the graph {source.graph} is reserved for ddkb push's bookkeeping")
        seen.add(source.graph)


def _prepare(source: GraphSource, chunk_triples: int) -> _Prepared:
    """Parse a source and cut it into N-Triples chunks that keep blank nodes together."""
    store = ox.Store()
    try:
        store.bulk_load(source.data, format=source.format, base_iri=source.base_iri)
    except (SyntaxError, ValueError, OSError) as err:
        from .kb import parse_error_message

        raise DataFileError(parse_error_message(source.label or source.graph, str(err),
                                                source.data, source.format)) from None
    triples = [q.triple for q in store]
    chunks = [ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES)
              for chunk in _chunks(triples, chunk_triples)]
    return _Prepared(source.graph, len(triples), chunks)


def _chunks(triples: list[Any], size: int) -> Iterable[list[Any]]:
    """Groups of at most ``size`` triples (more only for one blank-node cluster that big).

    Triples that share a blank node, directly or through others, go in the same
    group: each Graph Store request has its own blank node scope.
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def bnodes(triple: Any) -> list[str]:
        return [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]

    for triple in triples:
        found = bnodes(triple)
        for other in found[1:]:
            parent[find(other)] = find(found[0])
    units: dict[Any, list[Any]] = {}
    for i, triple in enumerate(triples):
        found = bnodes(triple)
        units.setdefault(("b", find(found[0])) if found else ("t", i), []).append(triple)
    group: list[Any] = []
    for unit in units.values():
        if group and len(group) + len(unit) > size:
            yield group
            group = []
        group.extend(unit)
    if group:
        yield group


def _upload(endpoint: RemoteEndpoint, item: _Prepared, index: int, total: int,
            progress: Callable[[PushProgress], None] | None) -> None:
    """Replace one graph on the server, never leaving a part of it visible.

    A graph of one chunk is one Graph Store PUT, which replaces the graph as a
    whole. A longer one goes into its staging graph (a PUT, then POSTs); when
    the staging graph holds every triple, one SPARQL Update ``MOVE`` puts it in
    place of the old graph (a MOVE copies every triple, so it is used only where
    needed: on Oxigraph server it costs about as much as the upload).
    """
    if not item.chunks:
        endpoint.delete_graph(item.graph)
        _notify(progress, PushProgress(item.graph, index, total, 0, 0, 0, 0, "upload"))
        return
    target = item.graph if len(item.chunks) == 1 else item.staging
    sent = 0
    for number, chunk in enumerate(item.chunks, start=1):
        if number == 1:
            endpoint.put_graph(target, chunk)
        else:
            endpoint.post_graph(target, chunk)
        sent += chunk.count(b"\n")
        _notify(progress, PushProgress(item.graph, index, total, number, len(item.chunks),
                                       sent, item.triples, "upload"))
    if target == item.staging:
        staged = endpoint.count(item.staging)
        if staged != item.triples:
            raise EndpointError(f"the server holds {staged} triples of {item.graph} after the "
                                f"upload, not {item.triples}; the old graph was kept")
        endpoint.update(f"MOVE <{item.staging}> TO <{item.graph}>")
        _notify(progress, PushProgress(item.graph, index, total, 0, len(item.chunks), sent,
                                       item.triples, "swap"))


def _verify(endpoint: RemoteEndpoint, prepared: list[_Prepared],
            progress: Callable[[PushProgress], None] | None) -> None:
    counts = endpoint.counts(p.graph for p in prepared)
    for item in prepared:
        if counts[item.graph] != item.triples:
            raise EndpointError(f"the server holds {counts[item.graph]} triples in "
                                f"{item.graph}, not the {item.triples} pushed")
    _notify(progress, PushProgress("", len(prepared), len(prepared), 0, 0,
                                   sum(counts.values()), sum(counts.values()), "verify"))


def _notify(progress: Callable[[PushProgress], None] | None, event: PushProgress) -> None:
    if progress is not None:
        progress(event)


# -- the manifest graph -----------------------------------------------------------------
def _read_manifest(endpoint: RemoteEndpoint) -> tuple[list[str], list[str]]:
    """(graphs, staging graphs) listed by the manifest of the last push (empty if none)."""
    manifest = f"<{MANIFEST_GRAPH}>"
    rows = endpoint.query(
        f"SELECT ?p ?g WHERE {{ GRAPH {manifest} {{ {manifest} ?p ?g }} "
        f"VALUES ?p {{ <{PUSH_NS}graph> <{PUSH_NS}staging> }} }}", union=False)
    graphs, staging = [], []
    for row in rows:
        if isinstance(row["g"], ox.NamedNode):
            (graphs if row["p"].value.endswith("#graph") else staging).append(row["g"].value)
    return sorted(graphs), sorted(staging)


def _write_manifest(endpoint: RemoteEndpoint, graphs: list[str], staging: list[str], *,
                    complete: bool, counts: dict[str, int] | None = None) -> None:
    """Replace the manifest graph (one PUT, so it is never half-written)."""
    me = ox.NamedNode(MANIFEST_GRAPH)

    def term(name: str) -> ox.NamedNode:
        return ox.NamedNode(PUSH_NS + name)

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    triples = [
        ox.Triple(me, term("state"), ox.Literal("complete" if complete else "in progress")),
        ox.Triple(me, term("modified"), ox.Literal(
            now.isoformat().replace("+00:00", "Z"),
            datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"))),
    ]
    triples += [ox.Triple(me, term("graph"), ox.NamedNode(g)) for g in graphs]
    triples += [ox.Triple(me, term("staging"), ox.NamedNode(g)) for g in staging]
    for graph, count in (counts or {}).items():
        triples.append(ox.Triple(ox.NamedNode(graph), term("triples"), ox.Literal(count)))
    endpoint.put_graph(MANIFEST_GRAPH, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))


def kb_sources(kb: Any) -> list[GraphSource]:
    """One :class:`GraphSource` per named graph of a loaded (embedded) KB, as N-Triples.

    The bundled files, the ``--data`` files (and their imports) and, with
    ``--infer``, the inferred graph: each as the engine holds it, so what is
    pushed is exactly what the embedded store answers from.
    """
    names = {f.graph: str(f.path) for f in kb.files}
    sources = []
    for graph in kb.graphs():
        data = kb.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        sources.append(GraphSource(graph, data, ox.RdfFormat.N_TRIPLES,
                                   label=names.get(graph, graph)))
    return sources


def push_kb(kb: Any, endpoint: RemoteEndpoint, *, chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
            progress: Callable[[PushProgress], None] | None = None) -> PushReport:
    """Push every graph of ``kb`` (bundled KB, ``--data``, inferred) to ``endpoint``.

    >>> server = RemoteEndpoint("http://127.0.0.1:7878/query")  # doctest: +SKIP
    >>> push_kb(ddkb.load(), server).triples                   # doctest: +SKIP
    8381
    """
    return push(endpoint, kb_sources(kb), chunk_triples=chunk_triples, progress=progress)
