"""Concept maps in a real browser: headless Chromium (Debian package ``chromium``) via Playwright.

Every page is opened from ``file://`` with all other requests aborted and
recorded: a map must draw without any network. One browser serves the module.
Skipped when chromium is missing, except under CI (``DDKB_REQUIRE_EXTERNAL=1``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_program

import ddkb
from ddkb.conceptmap import ConceptMap, write_map

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "conceptmap" / "lagoon.ttl"
EX = "https://example.org/mapfix/"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
READY = "() => window.ddkbMap && window.ddkbMap.state.ready"


@pytest.fixture(scope="module")
def browser():
    executable = require_program("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def lagoon_kb():
    return ddkb.load(data=[FIXTURE])


@pytest.fixture(scope="module")
def lagoon_map(lagoon_kb, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("maps") / "lagoon.html"
    write_map(lagoon_kb, path, focus="Lagoon drill", depth=3)
    return path


class Opened:
    """A page opened offline, with every request it attempted and every problem it logged."""

    def __init__(self, browser, path: Path, wait: bool = True) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 800})
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("console", lambda msg: msg.type == "error"
                     and self.problems.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        self.page.goto(path.resolve().as_uri())
        if wait:
            self.page.wait_for_function(READY, timeout=60_000)

    @staticmethod
    def _route(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    def network_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(("file:", "data:"))]

    def node_screen_point(self, node_id: str) -> tuple[float, float]:
        """Where a node is drawn, in page coordinates."""
        point = self.page.evaluate("""(id) => {
            const net = window.ddkbMap.network;
            const p = net.canvasToDOM(net.getPositions([id])[id]);
            const box = document.querySelector('#ddkb-canvas canvas').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""", node_id)
        return point[0], point[1]

    def hover(self, node_id: str) -> str:
        """Point at a node and return the tooltip's text."""
        x, y = self.node_screen_point(node_id)
        self.page.mouse.move(x - 40, y - 40)
        self.page.mouse.move(x, y, steps=5)
        self.page.wait_for_selector("#ddkb-tooltip:not([hidden])", timeout=10_000)
        return self.page.text_content("#ddkb-tooltip") or ""

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def opened(browser, lagoon_map):
    """One page shared by the tests that only look and point (they never click or search)."""
    page = Opened(browser, lagoon_map)
    yield page
    page.close()


@pytest.fixture()
def fresh(browser, lagoon_map):
    """A page of its own, for a test that changes the selection."""
    page = Opened(browser, lagoon_map)
    yield page
    page.close()


def test_map_draws_offline_without_errors(opened):
    page = opened.page
    assert opened.network_requests() == []
    assert opened.requests == [opened.page.url]
    assert opened.problems == []
    assert page.evaluate("ddkbMap.nodes.length") == 7
    assert page.evaluate("ddkbMap.edges.length") == 8
    # the canvas really has drawing on it (not a blank element)
    painted = page.evaluate("""() => {
        const c = document.querySelector('#ddkb-canvas canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) n++; }
        return [c.width, c.height, n];
    }""")
    assert painted[0] > 300 and painted[1] > 300
    assert painted[2] > 2000
    assert page.text_content("#ddkb-title") == "Concept map: Lagoon drill"
    assert "7 concepts · 8 relations" in page.text_content("#ddkb-caption")
    classes = page.locator("#ddkb-legend .ddkb-legend-toggle").all_text_contents()
    assert len(classes) == 5 and any("(3)" in item for item in classes)
    legend = page.locator("#ddkb-legend li").all_text_contents()
    assert any("fact-check" in item for item in legend)
    # the focus concept starts selected, its card in the details panel
    assert page.evaluate("ddkbMap.network.getSelectedNodes()") == [EX + "drill"]
    assert "Lagoon drill" in page.text_content("#ddkb-details")
    assert page.evaluate("window.pwned") is None


def test_hostile_labels_are_shown_as_text_and_never_run(opened):
    page = opened.page
    text = opened.hover(EX + "hostile")
    assert "<script>window.pwned = true</script><img src=x" in text
    assert "<b>Bold?</b> </script><script>window.pwned = 'definition'</script>" in text
    assert "<i>Lagoon</i> & <script>window.pwned = 'title'</script>" in text
    # nothing from the data became markup
    assert page.evaluate("document.querySelectorAll('#ddkb-app img, #ddkb-app b, "
                         "#ddkb-app i, #ddkb-tooltip script').length") == 0
    assert page.evaluate("document.scripts.length") == 3
    assert page.evaluate("window.pwned") is None
    assert opened.problems == [] and opened.network_requests() == []


def test_tooltip_shows_definition_type_sources_and_doubt(opened):
    text = opened.hover(EX + "drill")
    assert "Navies of the lagoon states training together every spring." in text
    assert "Lagoon Programme Review" in text and "LD-7" in text
    assert "Verification status" in text
    text = opened.hover(EX + "claimed")
    assert "Not supported by the fact-check" in text
    assert "not supported" in text
    assert opened.page.evaluate("document.querySelector('#ddkb-tooltip .ddkb-doubt') !== null")


def test_edge_tooltip_names_the_relation_and_both_ends(opened):
    page = opened.page
    edge_id = page.evaluate("""(ids) => window.ddkbMap.edges.get({filter: e =>
        e.from === ids[0] && e.to === ids[1]})[0].id""", [EX + "drill", EX + "escalation"])
    x, y = page.evaluate("""(id) => {
        const net = window.ddkbMap.network;
        const p = net.canvasToDOM(net.body.edges[id].edgeType.getPoint(0.5));
        const box = document.querySelector('#ddkb-canvas canvas').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", edge_id)
    page.mouse.move(x + 30, y + 30)
    page.mouse.move(x, y, steps=5)
    page.wait_for_function("""() => !document.querySelector('#ddkb-tooltip').hidden &&
        document.querySelector('#ddkb-tooltip').textContent.includes('has risk')""",
        timeout=10_000)
    text = page.text_content("#ddkb-tooltip")
    assert "Lagoon drill → has risk → lagoon escalation" in text
    assert "ddkb:hasRisk" in text


def test_search_centres_and_selects_the_node(fresh):
    opened = fresh
    page = opened.page
    page.fill("#ddkb-search", "LAGOON GOODWILL")
    page.press("#ddkb-search", "Enter")
    assert page.evaluate("ddkbMap.network.getSelectedNodes()") == [EX + "goodwill"]
    page.wait_for_function("""(id) => {
        const net = window.ddkbMap.network;
        const v = net.getViewPosition(), p = net.getPositions([id])[id];
        return Math.hypot(v.x - p.x, v.y - p.y) < 1;
    }""", arg=EX + "goodwill", timeout=10_000)
    x, y = opened.node_screen_point(EX + "goodwill")
    box = page.evaluate("(() => { const b = document.querySelector('#ddkb-canvas canvas')"
                        ".getBoundingClientRect(); return [b.left + b.width / 2, "
                        "b.top + b.height / 2]; })()")
    assert abs(x - box[0]) < 2 and abs(y - box[1]) < 2
    assert "Found “lagoon goodwill”" in page.text_content("#ddkb-search-status")
    assert "lagoon goodwill" in page.text_content("#ddkb-details")
    # an alt label finds its concept; a substring matching several steps through them
    page.fill("#ddkb-search", "ld-7")
    page.press("#ddkb-search", "Enter")
    assert page.evaluate("ddkbMap.network.getSelectedNodes()") == [EX + "drill"]
    page.fill("#ddkb-search", "lagoon")
    page.press("#ddkb-search", "Enter")
    first = page.evaluate("ddkbMap.network.getSelectedNodes()")
    page.click("#ddkb-search-go")
    second = page.evaluate("ddkbMap.network.getSelectedNodes()")
    assert first != second and "Match 2 of 7" in page.text_content("#ddkb-search-status")
    page.fill("#ddkb-search", "no such thing")
    page.press("#ddkb-search", "Enter")
    assert page.evaluate("ddkbMap.network.getSelectedNodes()") == []
    assert "No concept matches" in page.text_content("#ddkb-search-status")
    assert opened.problems == []


def test_parallel_relations_are_three_edges(opened):
    between = opened.page.evaluate("""(ids) => window.ddkbMap.edges.get({filter: e =>
        ids.includes(e.from) && ids.includes(e.to)}).map(e => [e.label, e.smooth.type,
        e.smooth.roundness])""", [EX + "drill", EX + "trust"])
    assert sorted(label for label, _, _ in between) == ["contributes to", "enables", "fosters"]
    assert all(kind in ("curvedCW", "curvedCCW") for _, kind, _ in between)


@pytest.mark.parametrize("options, expected", [
    ({"focus": "Lagoon drill", "depth": 1}, 4),
    ({"focus": "Lagoon drill", "depth": 3, "types": "Outcome"}, 4),
    ({"focus": "Lagoon drill", "depth": 3, "exclude_types": "Risk"}, 5),
])
def test_filters_give_the_node_count_in_the_page(browser, lagoon_kb, tmp_path, options, expected):
    path = tmp_path / "filtered.html"
    write_map(lagoon_kb, path, **options)
    page = Opened(browser, path)
    try:
        assert page.page.evaluate("ddkbMap.nodes.length") == expected
        assert page.problems == [] and page.network_requests() == []
    finally:
        page.close()


def synthetic_ttl(n: int) -> str:
    """A connected graph of ``n`` concepts (a ring plus chords) in ddkb's vocabulary."""
    classes = ["Outcome", "Risk", "ExerciseAndTraining", "Norm", "Mitigation"]
    lines = ["@prefix ddkb: <https://w3id.org/ddkb/> .",
             "@prefix ex: <https://example.org/synth/> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> ."]
    for i in range(n):
        lines.append(f'ex:c{i} a ddkb:{classes[i % len(classes)]}, skos:Concept ; '
                     f'skos:prefLabel "synthetic concept {i}"@en .')
        lines.append(f"ex:c{i} ddkb:contributesTo ex:c{(i + 1) % n} .")
        if i % 3 == 0:
            lines.append(f"ex:c{i} ddkb:enables ex:c{(i * 7 + 11) % n} .")
    return "\n".join(lines) + "\n"


def test_large_map_opens_with_a_fixed_precomputed_layout(browser, tmp_path):
    data = tmp_path / "synthetic.ttl"
    data.write_text(synthetic_ttl(350), encoding="utf-8")
    kb = ddkb.load(data=[data])
    path = tmp_path / "large.html"
    cmap = write_map(kb, path, focus="synthetic concept 0", depth=1000, max_nodes=None)
    assert cmap.node_count == 350 and cmap.physics is False
    page = Opened(browser, path)
    try:
        assert page.page.evaluate("ddkbMap.nodes.length") == 350
        assert page.page.evaluate("ddkbMap.data.options.physics.enabled") is False
        # nodes are drawn where Python put them (no physics moved them)
        moved = page.page.evaluate("""() => {
            const m = window.ddkbMap;
            m.showAll(true);
            const pos = m.network.getPositions(m.data.nodes.map(n => n.id));
            return m.data.nodes.filter(n => Math.abs(pos[n.id].x - n.x) > 0.5 ||
                                            Math.abs(pos[n.id].y - n.y) > 0.5).length;
        }""")
        assert moved == 0
        assert page.problems == [] and page.network_requests() == []
    finally:
        page.close()


def test_notebook_iframe_draws_the_map(browser, lagoon_kb, tmp_path):
    cmap = ConceptMap(lagoon_kb, focus="Lagoon drill", depth=2)
    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><body><h1>Notebook cell</h1>"
                    f"{cmap._repr_html_()}</body></html>", encoding="utf-8")
    page = Opened(browser, host, wait=False)
    try:
        page.page.wait_for_function("document.querySelector('iframe') !== null")
        frame = page.page.frames[1]
        frame.wait_for_function(READY, timeout=60_000)
        assert frame.evaluate("ddkbMap.nodes.length") == 6
        assert frame.evaluate("document.querySelector('#ddkb-title').textContent") == \
            "Concept map: Lagoon drill"
        assert page.problems == [] and page.network_requests() == []
    finally:
        page.close()


def test_whole_bundled_kb_map_draws(browser, kb, tmp_path):
    path = tmp_path / "bundled.html"
    cmap = write_map(kb, path, max_nodes=None)
    assert cmap.node_count > 50 and cmap.edge_count > cmap.node_count
    page = Opened(browser, path)
    try:
        assert page.page.evaluate("ddkbMap.nodes.length") == cmap.node_count
        assert page.page.evaluate("ddkbMap.edges.length") == cmap.edge_count
        legend = page.page.locator("#ddkb-legend li").all_text_contents()
        assert any("Outcome(" in item for item in legend)
        assert page.problems == [] and page.network_requests() == []
    finally:
        page.close()


def test_legend_stays_in_view_beside_a_long_details_card(browser, kb, tmp_path):
    # a focused map opens with the focus concept's card shown; "soft power" has
    # a dozen source sections, which used to push the legend below the fold
    path = tmp_path / "soft-power.html"
    write_map(kb, path, focus="soft power", depth=1)
    page = Opened(browser, path)
    try:
        page.page.wait_for_selector("#ddkb-details .ddkb-card", timeout=10_000)
        assert "soft power" in page.page.text_content("#ddkb-details")
        top = page.page.evaluate(
            "document.querySelector('#ddkb-legend li').getBoundingClientRect().bottom")
        assert top <= 800, "the legend's first entry is below the fold"
        assert page.problems == []
    finally:
        page.close()
