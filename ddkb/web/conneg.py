"""Content negotiation for resource URLs: HTML or one of the RDF formats.

A resource answers ``/defense-diplomacy`` with HTML or RDF by the ``Accept``
header (RFC 9110: q-values, ``type/*`` and ``*/*`` wildcards, the most
specific range decides a type's q), and ``/defense-diplomacy.ttl`` (a suffix)
with that format whatever the header says.

>>> negotiate("text/turtle;q=0.9, application/ld+json").name
'jsonld'
>>> negotiate("text/html,application/xhtml+xml,*/*;q=0.8").name
'html'
>>> negotiate("image/png") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Offer:
    """One representation a resource URL can answer with."""

    name: str
    media_type: str
    suffix: str


#: In order of preference when the client likes several equally (HTML first: browsers).
OFFERS: tuple[Offer, ...] = (
    Offer("html", "text/html", ".html"),
    Offer("turtle", "text/turtle", ".ttl"),
    Offer("jsonld", "application/ld+json", ".jsonld"),
    Offer("xml", "application/rdf+xml", ".rdf"),
    Offer("nt", "application/n-triples", ".nt"),
)
#: Other names clients send for the same formats.
_ALIASES = {"application/x-turtle": "turtle",
            "text/plain": "nt", "application/json": "jsonld", "application/xml": "xml",
            "text/xml": "xml"}
BY_SUFFIX = {o.suffix: o for o in OFFERS}
BY_NAME = {o.name: o for o in OFFERS}
#: An Accept header longer than this is not read (a client bug or an attack).
MAX_ACCEPT = 4096


def parse_accept(header: str) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of an Accept header; malformed parts are skipped."""
    ranges = []
    for part in header[:MAX_ACCEPT].split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(offer_types: list[str], ranges: list[tuple[str, float]]) -> float:
    """The q a client gives a representation: that of the most specific matching range."""
    best_specificity, quality = -1, 0.0
    for media, q in ranges:
        major, _, minor = media.partition("/")
        for offered in offer_types:
            o_major, _, _ = offered.partition("/")
            if media == offered:
                specificity = 2
            elif minor == "*" and major == o_major:
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            if specificity > best_specificity or (specificity == best_specificity and q > quality):
                best_specificity, quality = specificity, q
    return quality


def negotiate(accept: str | None, offers: tuple[Offer, ...] = OFFERS) -> Offer | None:
    """The offer the client prefers, or None when it accepts none of them (HTTP 406).

    No header (or an empty one) means anything: the first offer, HTML.
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = None, 0.0
    for offer in offers:
        types = [offer.media_type] + [a for a, n in _ALIASES.items() if n == offer.name]
        q = _quality(types, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def split_suffix(path: str) -> tuple[str, Offer | None]:
    """``("defense-diplomacy", turtle)`` for ``defense-diplomacy.ttl``; no known suffix: None."""
    stem, dot, ext = path.rpartition(".")
    if dot and "/" not in ext:
        offer = BY_SUFFIX.get("." + ext.lower())
        if offer is not None:
            return stem, offer
    return path, None
