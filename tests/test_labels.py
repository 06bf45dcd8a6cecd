"""One display label per resource, whichever part of ddkb shows it (ddkb.labels)."""

from __future__ import annotations

import pytest

import ddkb
from ddkb import labels, network

X = "http://example.org/lab/x"
DATA = f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ddkb: <https://w3id.org/ddkb/> .
<{X}> a ddkb:Instrument ;
  skos:prefLabel "Marinegespräche"@de , "Naval staff talks"@en-GB ;
  rdfs:label "Aardvark talks" ;
  ddkb:fosters ddkb:mutual-trust .
"""


def test_the_rule_prefers_english_preflabels_then_other_preflabels_then_rdfs_labels():
    assert labels.display_label([("rdfs", "A", ""), ("pref", "Z", "fr")]) == "Z"
    assert labels.display_label([("pref", "Z", "fr"), ("pref", "Y", "en-GB")]) == "Y"
    assert labels.display_label([("pref", "B", ""), ("pref", "A", "en")]) == "A"
    assert labels.display_label([("alt", "A", "en")]) is None
    assert labels.best_text([("b", "de"), ("a", "fr")]) == "a"


@pytest.mark.parametrize("use_cache", [True, False])
def test_every_part_of_ddkb_shows_the_same_label(tmp_path, monkeypatch, use_cache):
    monkeypatch.setenv("DDKB_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "x.ttl"
    data.write_text(DATA)
    kb = ddkb.load(data=[data], use_cache=use_cache)
    shown = {"kb.label": kb.label(X), "card": kb.concept(X).label,
             "label map": kb.build_label_map()[X],
             "network": network.project(kb, focus=X, depth=1).nodes[X]["label"]}
    if use_cache:
        shown["label index"] = kb.label_index().label(X)
    assert set(shown.values()) == {"Naval staff talks"}, shown
