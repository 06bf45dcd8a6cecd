"""Content negotiation (ddkb.web.conneg): Accept headers with q-values, wildcards, suffixes."""

from __future__ import annotations

import pytest

from ddkb.web.conneg import negotiate, parse_accept, split_suffix


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "html"),
    ("", "html"),
    ("*/*", "html"),
    ("text/html", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),  # a browser
    ("text/turtle", "turtle"),
    ("application/x-turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("text/plain", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/json", "jsonld"),
    ("application/rdf+xml", "xml"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "jsonld"),
    ("application/ld+json;q=0.1, text/turtle", "turtle"),
    ("text/*", "html"),
    ("text/*;q=0.5, text/turtle", "turtle"),
    ("application/*", "turtle"),  # application/x-turtle; Turtle is the first RDF offer
    ("*/*;q=0.1, application/rdf+xml", "xml"),
    ("TEXT/TURTLE", "turtle"),
    ("text/turtle; charset=utf-8; q=0.8", "turtle"),
])
def test_negotiate_picks_the_clients_preference(accept, expected):
    assert negotiate(accept).name == expected


@pytest.mark.parametrize("accept", [
    "image/png", "application/pdf, image/*", "text/turtle;q=0", "text/html;q=0, */*;q=0",
    "*/*;q=0",
])
def test_negotiate_refuses_what_it_cannot_give(accept):
    assert negotiate(accept) is None


def test_more_specific_range_decides_the_quality():
    # text/html is refused outright even though text/* is welcome
    assert negotiate("text/*;q=0.9, text/html;q=0").name == "turtle"


def test_malformed_accept_parts_are_skipped_not_fatal():
    assert parse_accept("garbage, text/turtle;q=abc, ;;, application/ld+json") == [
        ("text/turtle", 0.0), ("application/ld+json", 1.0)]
    assert negotiate("garbage;;;").name == "html"
    assert negotiate("x" * 100_000).name == "html"


@pytest.mark.parametrize(("path", "stem", "name"), [
    ("soft-power.ttl", "soft-power", "turtle"),
    ("soft-power.jsonld", "soft-power", "jsonld"),
    ("soft-power.rdf", "soft-power", "xml"),
    ("soft-power.nt", "soft-power", "nt"),
    ("soft-power.html", "soft-power", "html"),
    ("claim/a--b--c.TTL", "claim/a--b--c", "turtle"),
])
def test_split_suffix(path, stem, name):
    found_stem, offer = split_suffix(path)
    assert (found_stem, offer.name) == (stem, name)


def test_split_suffix_leaves_other_paths_alone():
    assert split_suffix("soft-power") == ("soft-power", None)
    assert split_suffix("releases/0.1.0") == ("releases/0.1.0", None)
    assert split_suffix("a.exe") == ("a.exe", None)
