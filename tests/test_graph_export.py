"""Exports for graph tools, read back by real readers.

* GraphML and GEXF: networkx's own readers (the formats Gephi, yEd and Cytoscape read).
* DOT: the real Graphviz ``dot`` program (Debian package ``graphviz``).
* Mermaid: the real Mermaid parser and renderer (npm ``mermaid@11``, file named by
  ``DDKB_MERMAID_JS``, default ``.ci/node/node_modules/mermaid/dist/mermaid.min.js``
  as ``.ci/run`` installs it) in headless Chromium with the network blocked.

Missing tools skip these tests, or fail them under ``DDKB_REQUIRE_EXTERNAL=1`` (CI).
"""

from __future__ import annotations

import io
import os
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from conftest import missing_external, require_program

import ddkb
from ddkb.errors import InputError
from ddkb.graph_export import (
    GRAPH_FORMATS,
    export_graph,
    to_dot,
    to_gexf,
    to_graphml,
    to_mermaid,
)
from ddkb.network import project

EX = "https://example.org/netfix/"
TRICKY = 'say "hi" \\ back\nslash <script>alert(1)</script> & {x} [y] | ;'
REPO = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def fkb(fixtures_dir):
    folder = fixtures_dir / "network"
    return ddkb.load(data=[folder / "small.ttl", folder / "userdata.ttl"])


@pytest.fixture(scope="module")
def FG(fkb):
    """The fixture's concepts only (the bundled KB's left out), with all attributes."""
    G = project(fkb)
    return G.subgraph([n for n in G if n.startswith(("https://example.org/",))]).copy()


@pytest.fixture(scope="module")
def hostile():
    """A hand-made graph whose labels try to break every format."""
    G = nx.MultiDiGraph()
    names = ["end", "graph", "%% comment", "`tick` *star*", "a --> b", "x|y|z", "é 中文 🙂",
             "back\\slash\\", 'quote"d', "line\nbreak\r\nagain", "<b>bold</b>", "#35; & ;",
             "", "subgraph"]
    for i, name in enumerate(names):
        G.add_node(f"https://example.org/h/{i}?q=\"x\"&y=<z>", label=name, curie=f"h:{i}",
                   cls="Concept", definition=f"def of {name}", status="", types=["ddkb:Concept"],
                   sources=["A; B", "C"], bundled=False)
    nodes = list(G)
    edge_labels = ['has "risk"', "a --> b", "x|y", "-- end --", "é", "back\\", "<i>", ""]
    for i, label in enumerate(edge_labels):
        G.add_edge(nodes[i], nodes[i + 1], key=f"h:p{i}", predicate=f"https://example.org/p{i}",
                   label=label, sources=[])
    G.add_edge(nodes[0], nodes[1], key="h:other", predicate="https://example.org/other",
               label="second relation", sources=[])
    return G


def _lf(text: str) -> str:
    """Line breaks as XML readers return them (CR and CRLF become LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _node_labels(G) -> Counter:
    return Counter(G.nodes[n]["label"] for n in G)


# -- GraphML / GEXF ---------------------------------------------------------------
@pytest.mark.parametrize("graph_name", ["FG", "hostile"])
def test_graphml_reads_back(request, graph_name):
    G = request.getfixturevalue(graph_name)
    H = nx.read_graphml(io.BytesIO(to_graphml(G).encode("utf-8")))
    assert isinstance(H, nx.MultiDiGraph)
    assert set(H) == set(G)
    assert {n: H.nodes[n]["label"] for n in H} == {n: _lf(G.nodes[n]["label"]) for n in G}
    assert H.number_of_edges() == G.number_of_edges()
    assert Counter(d["label"] for *_, d in H.edges(data=True)) == Counter(
        d["label"] for *_, d in G.edges(data=True))


def test_graphml_attributes(FG):
    H = nx.read_graphml(io.BytesIO(to_graphml(FG).encode("utf-8")))
    hotline = H.nodes[EX + "hotline"]
    assert hotline["label"] == "Blue Harbour hotline"
    assert hotline["cls"] == "ConfidenceBuildingMeasure"
    assert hotline["curie"] == EX + "hotline"
    assert hotline["status"].casefold() == "supported"
    assert hotline["definition"].startswith("A direct line")
    assert hotline["bundled"] is False
    assert H.nodes[EX + "tricky"]["label"] == TRICKY
    edges = H.get_edge_data(EX + "joint-military-exercise", EX + "mutual-trust")
    by_relation = {d["relation"]: d for d in edges.values()}
    assert set(by_relation) == {"ddkb:fosters", "ddkb:contributesTo"}  # not merged
    assert by_relation["ddkb:fosters"]["predicate"] == "https://w3id.org/ddkb/fosters"
    assert by_relation["ddkb:fosters"]["sources"] == (
        "Strategic Instruments of Defense Diplomacy; "
        "Building Trust and Transparency in International Security")


@pytest.mark.parametrize("graph_name", ["FG", "hostile"])
def test_gexf_reads_back(request, graph_name):
    G = request.getfixturevalue(graph_name)
    H = nx.read_gexf(io.BytesIO(to_gexf(G).encode("utf-8")))
    assert set(H) == set(G)
    assert H.number_of_edges() == G.number_of_edges()
    for n in G:
        assert H.nodes[n]["label"] == _lf(G.nodes[n]["label"])
    assert Counter(d.get("label", "") for *_, d in H.edges(data=True)) == Counter(
        d["label"] for *_, d in G.edges(data=True))


def test_gexf_attributes(FG):
    H = nx.read_gexf(io.BytesIO(to_gexf(FG).encode("utf-8")))
    assert H.nodes[EX + "hotline"]["cls"] == "ConfidenceBuildingMeasure"
    assert H.nodes[EX + "mutual-trust"]["definition"].startswith("Confidence that")
    relations = {d["relation"] for *_, d in H.edges(data=True)}
    assert {"ddkb:fosters", "ddkb:contributesTo", "https://example.org/mine/funds"} <= relations


# -- DOT ------------------------------------------------------------------------
def _dot_svg(text: str) -> ET.Element:
    dot = require_program("dot")
    done = subprocess.run([dot, "-Tsvg"], input=text.encode("utf-8"), capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Warning" not in done.stderr and b"Error" not in done.stderr, done.stderr.decode()
    return ET.fromstring(done.stdout)


def _svg_groups(svg: ET.Element, kind: str) -> list[tuple[str, str]]:
    """(title, text lines joined by newline) of every node or edge group."""
    out = []
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == kind:
            title = g.find(f"{SVG}title").text or ""
            texts = [t.text or "" for t in g.iter(f"{SVG}text")]
            out.append((title, "\n".join(texts)))
    return out


@pytest.mark.external
def test_dot_is_read_by_graphviz(FG):
    svg = _dot_svg(to_dot(FG))
    nodes = dict(_svg_groups(svg, "node"))
    assert set(nodes) == set(FG)  # ids are the IRIs
    assert {n: nodes[n] for n in FG} == {n: FG.nodes[n]["label"] for n in FG}
    assert nodes[EX + "tricky"] == TRICKY
    edges = _svg_groups(svg, "edge")
    assert Counter(label for _, label in edges) == Counter(
        d["label"] for *_, d in FG.edges(data=True))
    assert not list(svg.iter(f"{SVG}script"))


@pytest.mark.external
def test_dot_survives_hostile_labels(hostile):
    svg = _dot_svg(to_dot(hostile))
    nodes = dict(_svg_groups(svg, "node"))
    assert len(nodes) == len(hostile)
    assert sorted(nodes.values()) == sorted(
        hostile.nodes[n]["label"].replace("\r\n", "\n") for n in hostile)
    assert len(_svg_groups(svg, "edge")) == hostile.number_of_edges() == 9


def test_dot_escaping_is_exact(hostile):
    text = to_dot(hostile)
    assert '[label="back\\\\slash\\\\", ' in text
    assert '[label="quote\\"d", ' in text
    assert '[label="line\\nbreak\\nagain", ' in text
    assert "\r" not in text


# -- Mermaid --------------------------------------------------------------------
def _mermaid_js() -> Path:
    path = Path(os.environ.get("DDKB_MERMAID_JS")
                or REPO / ".ci/node/node_modules/mermaid/dist/mermaid.min.js")
    if not path.is_file():
        message = f"mermaid.min.js not found at {path} (npm install mermaid@11; DDKB_MERMAID_JS)"
        missing_external(message)
    return path


_RENDER = """async ([src, big]) => {
  mermaid.initialize({startOnLoad: false, securityLevel: 'strict',
                      maxEdges: big ? 100000 : 500, maxTextSize: big ? 1e7 : 50000});
  try {
    await mermaid.parse(src);
    if (big) return {ok: true, nodes: [], edges: [], scripts: 0};
    const {svg} = await mermaid.render('ddkbTest' + Math.floor(Math.random() * 1e9), src);
    const doc = document.createElement('div');
    doc.innerHTML = svg;  // the HTML parser, as a web page would show it
    const texts = sel => [...doc.querySelectorAll(sel)].map(e => e.textContent);
    return {ok: true, nodes: texts('span.nodeLabel'), edges: texts('span.edgeLabel'),
            scripts: doc.querySelectorAll('script').length};
  } catch (e) { return {ok: false, error: String((e && e.message) || e)}; }
}"""


@pytest.fixture(scope="module")
def mermaid_page():
    """A blank page in headless Chromium (network blocked) with Mermaid loaded."""
    chromium = require_program("chromium")
    js = _mermaid_js()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", lambda route: route.abort())
        page.set_content("<!doctype html><html><body></body></html>")
        page.add_script_tag(path=str(js))
        yield lambda src, big=False: page.evaluate(_RENDER, [src, big])
        browser.close()


@pytest.mark.browser
def test_mermaid_parser_rejects_broken_input(mermaid_page):
    """The check can fail: a raw quote in an edge label is a syntax error."""
    result = mermaid_page('flowchart LR\n  n1["a"] -- has "risk" --> n2["b"]\n')
    assert result["ok"] is False


@pytest.mark.browser
def test_mermaid_parses_and_renders_fixture(FG, mermaid_page):
    text = to_mermaid(FG)
    assert text.startswith("flowchart LR\n")
    assert "-- fosters -->" in text
    result = mermaid_page(text)
    assert result["ok"], result.get("error")
    one_line = {" ".join(FG.nodes[n]["label"].split()) for n in FG}
    assert set(result["nodes"]) == one_line  # shown as text, <script> included
    assert result["scripts"] == 0
    assert Counter(result["edges"]) == Counter(d["label"] for *_, d in FG.edges(data=True))


@pytest.mark.browser
def test_mermaid_survives_hostile_labels(hostile, mermaid_page):
    result = mermaid_page(to_mermaid(hostile))
    assert result["ok"], result.get("error")
    expected = sorted(" ".join(hostile.nodes[n]["label"].split()) for n in hostile)
    assert sorted(t.replace("\xa0", "").strip() for t in result["nodes"]) == sorted(
        e.strip() for e in expected)
    assert result["scripts"] == 0


def test_mermaid_ids_and_escapes(hostile):
    text = to_mermaid(hostile)
    assert 'n1["end"]' in text or '["end"]' in text
    assert "#quot;" in text and '"quote"d"' not in text
    assert "<b>" not in text and "#60;b#62;bold" in text
    ids = [line.split("[", 1)[0].strip() for line in text.splitlines() if '["' in line]
    assert ids == [f"n{i}" for i in range(1, len(hostile) + 1)]


# -- dispatch and the bundled KB ----------------------------------------------------
def test_export_graph_dispatch(FG):
    assert export_graph(FG, "dot") == to_dot(FG)
    assert export_graph(FG, "Mermaid") == to_mermaid(FG)
    assert set(GRAPH_FORMATS) == {"graphml", "gexf", "dot", "mermaid"}
    with pytest.raises(InputError, match="valid: graphml, gexf, dot, mermaid"):
        export_graph(FG, "png")


@pytest.fixture(scope="module")
def KB_G(kb):
    """The whole bundled KB, projected."""
    return project(kb)


@pytest.mark.external
def test_bundled_kb_dot_parses(KB_G, tmp_path):
    """Graphviz's own parser (``gc``, no layout: fast) reads the whole KB's DOT."""
    gc = require_program("gc")
    (tmp_path / "kb.dot").write_text(to_dot(KB_G), encoding="utf-8")
    done = subprocess.run([gc, "-n", "-e", str(tmp_path / "kb.dot")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    nodes, edges = done.stdout.split()[:2]
    assert (int(nodes), int(edges)) == (len(KB_G), KB_G.number_of_edges())


@pytest.mark.external
def test_bundled_kb_neighbourhood_lays_out(kb):
    G = project(kb, focus="confidence-building measures", depth=1)
    svg = _dot_svg(to_dot(G))
    nodes = dict(_svg_groups(svg, "node"))
    assert nodes == {n: G.nodes[n]["label"] for n in G}
    assert len(_svg_groups(svg, "edge")) == G.number_of_edges()


@pytest.mark.browser
def test_bundled_kb_mermaid(kb, KB_G, mermaid_page):
    """The whole KB parses (limits raised) and says it is above Mermaid's default
    limits; a focus neighbourhood renders with the default limits."""
    whole = to_mermaid(KB_G)
    assert mermaid_page(whole, big=True)["ok"]
    if KB_G.number_of_edges() > 500:
        assert whole.splitlines()[1].startswith("%% note: ")
        assert "Edge limit exceeded" in mermaid_page(whole)["error"]
    G = project(kb, focus="confidence-building measures", depth=1)
    part = to_mermaid(G)
    assert not part.splitlines()[1].startswith("%%")
    result = mermaid_page(part)
    assert result["ok"], result.get("error")
    assert sorted(result["nodes"]) == sorted(" ".join(G.nodes[n]["label"].split()) for n in G)


def test_bundled_kb_graphml_and_gexf_read_back(KB_G):
    H = nx.read_graphml(io.BytesIO(to_graphml(KB_G).encode("utf-8")))
    assert _node_labels(H) == _node_labels(KB_G)
    assert H.number_of_edges() == KB_G.number_of_edges()
    X = nx.read_gexf(io.BytesIO(to_gexf(KB_G).encode("utf-8")))
    assert _node_labels(X) == _node_labels(KB_G)
