"""The web app (ddkb.web.app) through Starlette's TestClient: pages, RDF, errors, safety."""

from __future__ import annotations

import json
import warnings

import pytest
import rdflib
from rdflib.compare import isomorphic

import ddkb
from ddkb.web import pages
from ddkb.web.app import create_app

warnings.filterwarnings("ignore", message=".*httpx2.*")
from starlette.testclient import TestClient  # noqa: E402

DD = "https://w3id.org/ddkb/"
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")


@pytest.fixture(scope="module")
def client(kb):
    return TestClient(create_app(kb), raise_server_exceptions=False)


def _graph(text: str, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format=fmt)


# -- concept pages ------------------------------------------------------------------------
def test_concept_page_shows_labels_class_definition_relations_and_claims(client):
    r = client.get("/defense-diplomacy")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<h1>defense diplomacy" in html
    assert "defence diplomacy" in html  # an alt label
    assert "core idea" in html  # the class
    assert "peacetime use of a country" in html  # the definition
    assert "<h3>employs instrument</h3>" in html  # relations grouped by property
    assert 'href="/joint-military-exercise"' in html
    assert 'class="status status-unverified"' in html  # each claim's status
    assert 'href="/claim/defense-diplomacy--employsInstrument--peacekeeping"' in html
    assert "<h2>Referenced by</h2>" in html
    assert 'src="/map/defense-diplomacy"' in html  # the embedded focus map


def test_doubtful_claims_show_status_and_correction(client):
    page = client.get("/australia-pacific-partnerships").text
    assert "status-contradicted" in page
    assert "Pacific Partnership is the annual humanitarian" in page  # the correction
    claim = client.get("/claim/australia-pacific-partnerships--contributesTo--soft-power").text
    assert "The article says Australia" in claim  # the claim text
    assert "not an Australian programme" in claim  # its correction


def test_external_mappings_link_out(client, kb):
    card = kb.concept("soft-power")
    assert card.links, "the KB maps this concept to outside vocabularies"
    page = client.get("/soft-power").text
    assert "<h2>External mappings</h2>" in page
    for _, target in card.links:
        assert f'href="{target}" rel="external"' in page


def test_labels_are_escaped(tmp_path):
    data = tmp_path / "x.ttl"
    data.write_text('@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
                    '<https://w3id.org/ddkb/evil> a skos:Concept ; '
                    'skos:prefLabel "<script>alert(1)</script>"@en ; '
                    'skos:definition "a & b <img src=x onerror=alert(2)>"@en .\n')
    client = TestClient(create_app(ddkb.load(data=[data])))
    html = client.get("/evil").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


# -- RDF by content negotiation and by suffix -----------------------------------------------
RDF_TYPES = [("text/turtle", "turtle", ".ttl"), ("application/n-triples", "nt", ".nt"),
             ("application/ld+json", "json-ld", ".jsonld"),
             ("application/rdf+xml", "xml", ".rdf")]


@pytest.mark.parametrize(("media", "parser", "suffix"), RDF_TYPES)
def test_same_url_answers_rdf_by_accept_and_by_suffix(client, media, parser, suffix):
    by_accept = client.get("/defense-diplomacy", headers={"Accept": media})
    assert by_accept.status_code == 200
    assert by_accept.headers["content-type"] == f"{media}; charset=utf-8"
    assert "Accept" in by_accept.headers["vary"]
    by_suffix = client.get("/defense-diplomacy" + suffix, headers={"Accept": "text/html"})
    assert by_suffix.headers["content-type"] == f"{media}; charset=utf-8"
    g1, g2 = _graph(by_accept.text, parser), _graph(by_suffix.text, parser)
    assert isomorphic(g1, g2)
    me = rdflib.URIRef(DD + "defense-diplomacy")
    assert (me, SKOS.prefLabel, rdflib.Literal("defense diplomacy", lang="en")) in g1


def test_all_formats_carry_the_same_triples(client):
    graphs = [_graph(client.get("/soft-power" + s).text, p) for _, p, s in RDF_TYPES]
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])


def test_jsonld_is_compact_with_a_context(client):
    doc = client.get("/soft-power", headers={"Accept": "application/ld+json"}).json()
    assert doc["@context"]["ddkb"] == DD and doc["@context"]["skos"] == str(SKOS)
    node = next(n for n in doc["@graph"] if n["@id"] == "ddkb:soft-power")
    assert {"@value": "soft power", "@language": "en"} in node["skos:prefLabel"]


def test_q_values_are_respected(client):
    r = client.get("/soft-power", headers={"Accept": "text/turtle;q=0.4, application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    r = client.get("/soft-power", headers={"Accept": "text/html;q=0.1, text/turtle;q=0.9"})
    assert r.headers["content-type"].startswith("text/turtle")


def test_unsupported_accept_is_406_in_one_line(client):
    r = client.get("/soft-power", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.text.count("\n") == 1 and "text/turtle" in r.text


def test_description_is_the_concept_not_the_kb(kb, client):
    g = _graph(client.get("/soft-power.nt").text, "nt")
    me = rdflib.URIRef(DD + "soft-power")
    assert len(g) < len(_graph(ddkb.rdf_export.export_rdf(kb, "nt"), "nt")) / 5
    subjects = {s for s in g.subjects()}
    claims = {s for s in subjects if str(s).startswith(DD + "claim/")}
    assert claims and all(str(c).count("soft-power") for c in claims)
    # every subject is the concept, one of its claims, a blank node of these, or a named neighbour
    for s in subjects - claims - {me}:
        assert isinstance(s, rdflib.BNode) or set(g.predicates(s)) <= {SKOS.prefLabel,
                                                                      rdflib.RDFS.label}
    # its claims carry their status (and a doubtful one its correction)
    assert any(g.triples((c, rdflib.URIRef(DD + "verificationStatus"), None)) for c in claims)


def test_ontology_iri_gives_docs_and_the_whole_ontology(client):
    html = client.get("/ontology").text
    assert "Classes" in html and "Properties" in html
    assert 'id="employsInstrument"' in html
    ttl = _graph(client.get("/ontology", headers={"Accept": "text/turtle"}).text, "turtle")
    assert (rdflib.URIRef(DD + "ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in ttl
    assert len(ttl) > 300


def test_ontology_docs_show_domains_ranges_and_inverses(kb):
    doc = pages.ontology_doc(kb)
    prop = next(p for p in doc["properties"] if p["curie"] == "ddkb:employsInstrument")
    assert prop["ranges"] and prop["ranges"][0]["curie"] == "ddkb:Instrument"
    assert prop["domains"]
    assert any(p["inverses"] for p in doc["properties"])
    exemplifies = next(p for p in doc["properties"] if p["curie"] == "ddkb:exemplifies")
    assert exemplifies["domains"][0]["curie"] == "ddkb:CaseStudy or ddkb:Initiative"  # unionOf
    instrument = next(c for c in doc["classes"] if c["curie"] == "ddkb:Instrument")
    assert {s["curie"] for s in instrument["sub"]} >= {"ddkb:Dialogue"}
    assert any(p["curie"] == "ddkb:employsInstrument" for p in instrument["range_of"])


# -- browse, search, fact check, queries ---------------------------------------------------
def test_browse_has_both_trees(client):
    html = client.get("/browse").text
    assert "Defense Diplomacy Knowledge Base concepts" in html
    assert 'id="class-tree"' in html and 'href="/Instrument"' in html
    assert "<details" in html


def test_a_to_z_lists_every_concept(client, kb):
    html = client.get("/az").text
    for iri in ("defense-diplomacy", "soft-power", "mutual-trust"):
        assert f'href="/{iri}"' in html
    assert 'id="letter-S"' in html


def test_search_api(client):
    r = client.get("/api/search", params={"q": "soft pow"})
    assert r.status_code == 200
    hits = r.json()
    assert hits[0]["label"] == "soft power" and hits[0]["url"] == "/soft-power"
    assert client.get("/api/search", params={"q": ""}).json() == []
    bad = client.get("/api/search", params={"q": "x", "limit": "lots"})
    assert bad.status_code == 400 and "limit" in bad.json()["error"]
    assert client.get("/api/search", params={"q": "x" * 500}).status_code == 400


def test_search_page(client):
    html = client.get("/search", params={"q": "confidence"}).text
    assert 'href="/confidence-building-measures"' in html


def test_fact_check_lists_doubtful_claims_with_corrections(client):
    html = client.get("/fact-check").text
    assert "status-contradicted" in html and "status-not-supported" in html
    assert "Pacific Partnership is the annual humanitarian" in html


def test_named_query_form_and_answer(client):
    html = client.get("/queries/fosters").text
    assert '<input name="instrument"' in html and "required" in html
    r = client.get("/queries/fosters", params={"instrument": "joint military exercise"})
    assert r.status_code == 200 and "mutual trust" in r.text
    csv = client.get("/queries/fosters", params={"instrument": "joint military exercise",
                                                 "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("instrument,")
    js = client.get("/queries/fosters", params={"instrument": "joint military exercise",
                                                "format": "json"}).json()
    assert "mutual trust" in json.dumps(js)


def test_named_query_bad_params_are_400_pages(client):
    r = client.get("/queries/fosters", params={"instrument": "no such thing at all"})
    assert r.status_code == 400 and "error-message" in r.text
    r = client.get("/queries/fosters", params={"nosuch": "x"})
    assert r.status_code == 400 and "no parameter" in r.text
    r = client.get("/queries/fosters", params={"format": "xlsx", "instrument": "CBM"})
    assert r.status_code == 400
    assert client.get("/queries/no-such-query").status_code == 404


def test_focus_map_route(client):
    r = client.get("/map/defense-diplomacy")
    assert r.status_code == 200 and "ddkbMap" in r.text and "vis-network" in r.text
    assert client.get("/map/no-such-thing").status_code == 404
    # a verification status is a skos:Concept but no node of the concept graph:
    # its page offers no map, and asking for one anyway is a clean 404
    page = client.get("/status-contradicted")
    assert page.status_code == 200 and "contradicted" in page.text
    assert "/map/" not in page.text
    r = client.get("/map/status-contradicted")
    assert r.status_code == 404 and "ddkb:status-contradicted has no concept map" in r.text


# -- errors and safety -----------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/../../setup.cfg",
    "/static/%2e%2e/app.py", "/claim/..%2f..%2fsetup.cfg", "/a//b", "/a/./b",
    "/..%5c..%5cetc%5cpasswd", "/map/../../etc/passwd", "/%00", "/defense-diplomacy%00.ttl",
])
def test_no_path_traversal(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404)
    assert "root:" not in r.text and "[metadata]" not in r.text and "import " not in r.text


def test_unknown_concept_is_a_404_page_with_suggestions(client):
    r = client.get("/soft-powr")
    assert r.status_code == 404
    assert "did you mean" in r.text and "soft power" in r.text
    assert "Traceback" not in r.text
    rdf = client.get("/soft-powr", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 404 and rdf.text.startswith("Error: ")


def test_an_internal_error_is_one_line_never_a_traceback(tmp_path, caplog):
    kb = ddkb.load(use_cache=False)
    app = create_app(kb)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/soft-power").status_code == 200
    app.state.site.kb = None  # the KB is gone: every page not yet built now fails inside
    r = client.get("/mutual-trust")
    assert r.status_code == 500
    assert "internal error (AttributeError)" in r.text
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert "Traceback" in caplog.text  # logged for the operator instead


def test_answers_are_kept_and_stay_correct(client):
    first = client.get("/peace", headers={"Accept": "text/turtle"})
    again = client.get("/peace", headers={"Accept": "text/turtle"})
    assert first.text == again.text and again.headers["content-type"].startswith("text/turtle")
    html = client.get("/peace")  # the same IRI in another format is its own entry
    assert html.headers["content-type"].startswith("text/html") and "<h1>" in html.text
    assert client.get("/no-such-peace").status_code == 404  # a miss is never remembered
    assert client.get("/no-such-peace").status_code == 404


def test_method_not_allowed_is_a_page(client):
    r = client.post("/soft-power")
    assert r.status_code == 405 and "Traceback" not in r.text


def test_data_files_get_pages_too(tmp_path):
    data = tmp_path / "mine.ttl"
    data.write_text('@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
                    '@prefix ddkb: <https://w3id.org/ddkb/> .\n'
                    'ddkb:harbour-shield a skos:Concept ; skos:prefLabel "Harbour Shield"@en ; '
                    'ddkb:fosters ddkb:mutual-trust .\n')
    client = TestClient(create_app(ddkb.load(data=[data])))
    html = client.get("/harbour-shield").text
    assert "Harbour Shield" in html and 'href="/mutual-trust"' in html
    assert "Harbour Shield" in client.get("/mutual-trust").text  # referenced by


def test_resource_paths_are_validated():
    assert pages.iri_for_path("claim/a--b--c") == DD + "claim/a--b--c"
    for bad in ("", "..", "a/../b", "a//b", "/a", "a\\b", "a%2fb", "a b", ".hidden"):
        with pytest.raises(pages.NotFound):
            pages.iri_for_path(bad)


def test_pages_over_a_sparql_endpoint(oxigraph_kb, kb):
    """--endpoint: the same pages and RDF from a real Oxigraph server holding the KB."""
    remote = ddkb.load(endpoint=oxigraph_kb)
    client = TestClient(create_app(remote), raise_server_exceptions=False)
    page = client.get("/defense-diplomacy")
    assert page.status_code == 200 and "<h1>defense diplomacy" in page.text
    assert 'href="/joint-military-exercise"' in page.text
    ttl = client.get("/defense-diplomacy.ttl")
    assert ttl.status_code == 200
    local = TestClient(create_app(kb)).get("/defense-diplomacy.ttl")
    assert isomorphic(_graph(ttl.text, "turtle"), _graph(local.text, "turtle"))
    assert client.get("/api/search", params={"q": "soft pow"}).json()[0]["label"] == "soft power"
    assert client.get("/ontology").status_code == 200
    assert client.get("/fact-check").status_code == 200


def test_a_query_past_its_time_limit_is_a_503_page(kb):
    client = TestClient(create_app(kb, query_timeout=0.001), raise_server_exceptions=False)
    r = client.get("/queries/instruments")
    assert r.status_code == 503 and "query stopped after 0.001 s" in r.text
    r = client.get("/fact-check")
    assert r.status_code == 503 and "Traceback" not in r.text
    csv = client.get("/queries/instruments", params={"format": "csv"})
    assert csv.status_code == 503


# -- the served application as a whole: SPARQL and security headers wired in -----------------
def test_the_app_answers_sparql_beside_its_pages_with_security_headers_everywhere(client):
    r = client.get("/sparql", params={"query": "SELECT ?l WHERE { ddkb:admm-plus "
                                               "skos:prefLabel ?l }"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert [b["l"]["value"] for b in r.json()["results"]["bindings"]] == ["ADMM-Plus"]
    editor = client.get("/sparql", headers={"Accept": "text/html"})
    assert editor.status_code == 200 and "/static/yasgui/yasgui.min.js" in editor.text
    assert client.get("/static/yasgui/yasgui.min.js").status_code == 200
    refused = client.get("/sparql", params={"update": "CLEAR ALL"})
    assert refused.status_code == 400 and refused.text.startswith("Error: ")
    home = client.get("/")
    assert 'href="/sparql"' in home.text
    for response in (r, editor, refused, home, client.get("/no-such-concept-here")):
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"


def test_an_internal_error_is_one_line_with_the_security_headers(kb, monkeypatch):
    app = create_app(kb)

    def broken(*args, **kwargs):
        raise RuntimeError("secret /home/path detail")

    monkeypatch.setattr(pages, "a_to_z", broken)
    r = TestClient(app, raise_server_exceptions=False).get("/az")
    assert r.status_code == 500
    assert "secret" not in r.text and "RuntimeError" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
