"""The one table of RDF formats (and SPARQL result formats) every part of ddkb uses.

Loading (``--data`` by file suffix or ``--data-format``), exports, query answers,
pushes to an endpoint, answers read from an endpoint and the CLI's ``--format``
choices all look formats up here, so that a name such as ``ttl`` means Turtle
everywhere. Each RDF format has a canonical name (``turtle``, ``nt``,
``nquads``, ``trig``, ``xml``, ``jsonld``) and accepts the usual aliases
(``ttl``, ``n-triples``, ``nq``, ``rdfxml``, ``rdf/xml``, ``owl``, ``json-ld``, ...),
case-insensitively.

This module imports pyoxigraph (a few milliseconds) and Click (already loaded
by the CLI), never rdflib: ``ddkb query`` stays cheap to start.

>>> rdf_format("TTL").name
'turtle'
>>> rdf_format_for_path("onto.owl").name
'xml'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from .errors import InputError


@dataclass(frozen=True)
class RdfSyntax:
    """One RDF serialisation: its names, file suffixes, media types and engine format.

    ``suffixes[0]`` is the suffix an export writes; ``media_types[0]`` the media
    type ddkb sends (the others are accepted when read). ``datasets`` is True
    when the format holds named graphs (N-Quads, TriG).
    """

    name: str
    label: str
    aliases: tuple[str, ...]
    suffixes: tuple[str, ...]
    media_types: tuple[str, ...]
    engine: ox.RdfFormat
    datasets: bool = False

    @property
    def suffix(self) -> str:
        """The file suffix an export in this format gets (e.g. ``.ttl``)."""
        return self.suffixes[0]

    @property
    def media_type(self) -> str:
        """The registered media type (e.g. ``text/turtle``)."""
        return self.media_types[0]


@dataclass(frozen=True)
class ResultSyntax:
    """One W3C SPARQL 1.1 query results format (for SELECT and ASK answers)."""

    name: str
    media_types: tuple[str, ...]
    engine: ox.QueryResultsFormat

    @property
    def media_type(self) -> str:
        return self.media_types[0]


#: Every RDF format ddkb reads, in the order the CLI lists them.
RDF_SYNTAXES: tuple[RdfSyntax, ...] = (
    RdfSyntax("turtle", "Turtle", ("ttl",), (".ttl", ".turtle"),
              ("text/turtle", "application/x-turtle"), ox.RdfFormat.TURTLE),
    RdfSyntax("nt", "N-Triples", ("n-triples", "ntriples"), (".nt",),
              ("application/n-triples", "text/plain"), ox.RdfFormat.N_TRIPLES),
    RdfSyntax("nquads", "N-Quads", ("nq", "n-quads"), (".nq",),
              ("application/n-quads",), ox.RdfFormat.N_QUADS, datasets=True),
    RdfSyntax("trig", "TriG", (), (".trig",), ("application/trig",), ox.RdfFormat.TRIG,
              datasets=True),
    RdfSyntax("xml", "RDF/XML", ("rdfxml", "rdf/xml", "rdf-xml", "rdf", "owl"),
              (".rdf", ".owl", ".xml"), ("application/rdf+xml",), ox.RdfFormat.RDF_XML),
    RdfSyntax("jsonld", "JSON-LD", ("json-ld",), (".jsonld", ".json"),
              ("application/ld+json",), ox.RdfFormat.JSON_LD),
)

#: The W3C result formats, in the order the CLI lists them.
RESULT_SYNTAXES: tuple[ResultSyntax, ...] = (
    ResultSyntax("csv", ("text/csv",), ox.QueryResultsFormat.CSV),
    ResultSyntax("tsv", ("text/tab-separated-values",), ox.QueryResultsFormat.TSV),
    ResultSyntax("json", ("application/sparql-results+json", "application/json"),
                 ox.QueryResultsFormat.JSON),
    ResultSyntax("xml", ("application/sparql-results+xml", "application/xml", "text/xml"),
                 ox.QueryResultsFormat.XML),
)

#: Canonical RDF format names: every format (what ``--data-format`` takes).
RDF_NAMES: tuple[str, ...] = tuple(s.name for s in RDF_SYNTAXES)
#: The RDF formats that hold one graph (what a CONSTRUCT answer or a push takes).
GRAPH_NAMES: tuple[str, ...] = tuple(s.name for s in RDF_SYNTAXES if not s.datasets)
#: The W3C result format names (``xml`` is SPARQL XML here, RDF/XML for a graph).
RESULT_NAMES: tuple[str, ...] = tuple(s.name for s in RESULT_SYNTAXES)

_BY_NAME: dict[str, RdfSyntax] = {n: s for s in RDF_SYNTAXES for n in (s.name, *s.aliases)}
_BY_SUFFIX: dict[str, RdfSyntax] = {x: s for s in RDF_SYNTAXES for x in s.suffixes}
_BY_ENGINE: dict[Any, RdfSyntax] = {s.engine: s for s in RDF_SYNTAXES}


def rdf_format(name: str) -> RdfSyntax:
    """The RDF format called ``name`` (canonical name or alias, any case).

    Raises :class:`~ddkb.errors.InputError` listing the canonical names.

    >>> rdf_format("N-Triples").engine == ox.RdfFormat.N_TRIPLES
    True
    """
    syntax = _BY_NAME.get(str(name).strip().lower())
    if syntax is None:
        raise InputError(f"unknown RDF format {name!r} (use {', '.join(RDF_NAMES)}; "
                         "aliases such as ttl, n-triples, nq, rdfxml, json-ld also work)")
    return syntax


def canonical_name(name: str) -> str:
    """``name`` as a canonical RDF format name if it is one or an alias; else unchanged.

    >>> canonical_name("ttl"), canonical_name("graphml")
    ('turtle', 'graphml')
    """
    syntax = _BY_NAME.get(str(name).strip().lower())
    return syntax.name if syntax else name


def rdf_format_for_path(path: str | Path) -> RdfSyntax | None:
    """The RDF format a file's suffix names (``.ttl``, ``.owl``, ...), or None."""
    return _BY_SUFFIX.get(Path(path).suffix.lower())


def rdf_format_of(engine: Any) -> RdfSyntax | None:
    """The table row of a pyoxigraph ``RdfFormat`` (None for anything else)."""
    try:
        return _BY_ENGINE.get(engine)
    except TypeError:  # unhashable: not a format
        return None


def graph_format_for_media_type(media_type: str) -> ox.RdfFormat | None:
    """The engine format of an RDF media type (parameters such as ``;charset`` ignored)."""
    media = media_type.split(";")[0].strip().lower()
    for syntax in RDF_SYNTAXES:
        if media in syntax.media_types:
            return syntax.engine
    return None


def result_format_for_media_type(media_type: str) -> ox.QueryResultsFormat | None:
    """The engine format of a SPARQL results media type, or None."""
    media = media_type.split(";")[0].strip().lower()
    for syntax in RESULT_SYNTAXES:
        if media in syntax.media_types:
            return syntax.engine
    return None


class FormatChoice(click.Choice):
    """A ``--format`` choice that also takes the RDF aliases (``ttl``, ``n-triples``...).

    ``--help`` lists only the canonical names; an alias is turned into its
    canonical name before the command sees it, and an unknown name is a usage
    error (exit 2) listing the canonical names.

    >>> FormatChoice(RDF_NAMES).convert("TTL", None, None)
    'turtle'
    """

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(list(names), case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            canonical = canonical_name(value)
            if canonical in self.choices:
                value = canonical
        return super().convert(value, param, ctx)
