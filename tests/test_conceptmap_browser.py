"""Concept maps in a real browser: headless Chromium (Debian package ``chromium``) via Playwright.

Every page is opened from ``file://`` with all other requests aborted and
recorded: a map must draw without any network. One browser serves the module.
Skipped when chromium is missing, except under CI (``DDKB_REQUIRE_EXTERNAL=1``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ddkb
from ddkb.conceptmap import ConceptMap, write_map

pytestmark = pytest.mark.browser

EX = "https://example.org/mapfix/"
READY = "() => window.ddkbMap && window.ddkbMap.state.ready"


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
    assert page.evaluate("document.scripts.length") == 4  # data, vis-network, map, map tools
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


# -- readability, screens, doubt, legend, search, keyboard (issue 11) ----------------------
#: The maps the README shows (quick start, the CBM example, the Python example), the
#: whole KB of `ddkb map -o map.html`, and a 60-concept focus map.
README_MAPS = {
    "quick-start": {"focus": "defense diplomacy", "depth": 1},
    "cbm-depth-2": {"focus": "CBM", "depth": 2},
    "cbm-depth-1": {"focus": "CBM", "depth": 1},
    "whole-kb": {"max_nodes": None},
}
MEASURE = """async () => {
    // vis-network measures a label when it draws it, and draws only what is in view:
    // zoom out to draw every concept on screen, read the boxes, zoom back
    const m = window.ddkbMap, net = m.network, scale = net.getScale();
    const drawn = () => new Promise(done => { net.once('afterDrawing', done); net.redraw(); });
    const where = net.getViewPosition();
    net.fit({nodes: m.visibleIds(), animation: false});
    await drawn();
    const boxes = m.visibleIds().map(id => {
        const n = net.body.nodes[id], s = n.labelModule.size;
        return {id, l: s.left, t: s.top, r: s.left + s.width, b: s.top + s.height,
                px: n.labelModule.fontOptions.size * scale};
    });
    net.moveTo({position: where, scale: scale, animation: false});
    await drawn();
    const overlaps = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b) overlaps.push([a.id, b.id]);
    }
    const relationPx = Object.values(net.body.edges)
        .filter(e => !e.options.hidden && e.labelModule.visible())
        .map(e => e.labelModule.fontOptions.size * scale);
    return {shown: boxes.length, overlaps, measured: boxes.every(b => b.r > b.l && b.b > b.t),
            conceptPx: Math.min(...boxes.map(b => b.px)),
            relationPx: relationPx.length ? Math.min(...relationPx) : null,
            relationLabels: relationPx.length};
}"""


@pytest.fixture(scope="module")
def readme_maps(kb, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("readme-maps")
    paths = {}
    for name, options in README_MAPS.items():
        paths[name] = folder / f"{name}.html"
        write_map(kb, paths[name], **options)
    data = folder / "synthetic-60.ttl"
    data.write_text(synthetic_ttl(60), encoding="utf-8")
    paths["synthetic-60"] = folder / "synthetic-60.html"
    write_map(ddkb.load(data=[data]), paths["synthetic-60"], focus="synthetic concept 0",
              depth=100)
    paths["quick-start-hierarchical"] = folder / "hierarchical.html"
    write_map(kb, paths["quick-start-hierarchical"], focus="defense diplomacy", depth=1,
              layout="hierarchical")
    return paths


def open_at(browser, path: Path, width: int, height: int) -> Opened:
    page = Opened.__new__(Opened)
    page.requests, page.problems = [], []
    page.context = browser.new_context(viewport={"width": width, "height": height})
    page.context.route("**/*", Opened._route)
    page.page = page.context.new_page()
    page.page.on("request", lambda req: page.requests.append(req.url))
    page.page.on("pageerror", lambda err: page.problems.append(f"page error: {err}"))
    page.page.goto(path.resolve().as_uri())
    page.page.wait_for_function(READY, timeout=60_000)
    return page


@pytest.mark.parametrize("name", [*README_MAPS, "synthetic-60", "quick-start-hierarchical"])
def test_maps_open_readable_at_1366x768(browser, readme_maps, name):
    page = open_at(browser, readme_maps[name], 1366, 768)
    try:
        seen = page.page.evaluate(MEASURE)
        assert seen["measured"]
        assert seen["overlaps"] == [], f"overlapping concept labels: {seen['overlaps'][:3]}"
        assert seen["conceptPx"] >= 12
        assert 9 <= seen["shown"] <= 30  # above 30 concepts, the 25 most connected first
        assert seen["relationPx"] is None or seen["relationPx"] >= 10
        # pointing at the focus (or first) concept names its relations, readably
        first = page.page.evaluate("ddkbMap.visibleIds()[0]")
        page.hover(first)
        page.page.wait_for_function("() => Object.values(ddkbMap.network.body.edges)"
                                    ".some(e => !e.options.hidden && e.labelModule.visible())")
        seen = page.page.evaluate(MEASURE)
        assert seen["relationLabels"] > 0 and seen["relationPx"] >= 10
        assert page.problems == [] and page.network_requests() == []
    finally:
        page.close()


@pytest.mark.parametrize("width, height", [(390, 844), (700, 900), (1920, 1080)])
def test_map_draws_on_any_screen_and_the_panel_is_reachable(browser, readme_maps, width, height):
    page = open_at(browser, readme_maps["quick-start"], width, height)
    try:
        size = page.page.evaluate("""() => {
            const c = document.querySelector('#ddkb-canvas canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) n++; }
            const box = document.querySelector('#ddkb-canvas').getBoundingClientRect();
            return [box.width, box.height, n];
        }""")
        assert size[0] >= width * 0.6 - 310 and 250 <= size[1] <= height
        assert size[2] > 20_000, "the map area is blank"
        page.page.wait_for_timeout(300)  # the old narrow layout kept growing
        again = page.page.evaluate(
            "document.querySelector('#ddkb-canvas').getBoundingClientRect().height")
        assert again == size[1]
        assert page.page.evaluate(MEASURE)["overlaps"] == []
        for selector in ("#ddkb-search", "#ddkb-details .ddkb-card-title",
                         "#ddkb-legend .ddkb-legend-toggle"):
            target = page.page.locator(selector).first
            target.scroll_into_view_if_needed()
            box = target.bounding_box()
            assert box and 0 <= box["x"] and box["x"] + box["width"] <= width + 1
            assert 0 <= box["y"] and box["y"] + box["height"] <= height + 1
        page.page.fill("#ddkb-search", "peace keeping")
        page.page.press("#ddkb-search", "Enter")
        assert page.page.evaluate("ddkbMap.network.getSelectedNodes()") == \
            ["https://w3id.org/ddkb/peacekeeping"]
        assert page.problems == []
    finally:
        page.close()


def test_whole_kb_legend_fits_its_box_and_nothing_overflows_the_page(browser, readme_maps):
    page = open_at(browser, readme_maps["whole-kb"], 1366, 768)
    try:
        sizes = page.page.evaluate("""() => {
            const side = document.querySelector('#ddkb-side').getBoundingClientRect();
            const box = document.querySelector('#ddkb-legend-box').getBoundingClientRect();
            const list = document.querySelector('#ddkb-legend');
            return {page: document.documentElement.scrollHeight, view: innerHeight,
                    sideBottom: side.bottom, boxBottom: box.bottom,
                    scrolls: list.scrollHeight > list.clientHeight,
                    overflowY: getComputedStyle(list).overflowY};
        }""")
        assert sizes["page"] <= sizes["view"]
        assert sizes["boxBottom"] <= sizes["sideBottom"] + 1
        assert not sizes["scrolls"] or sizes["overflowY"] == "auto"
        last = page.page.locator("#ddkb-legend li").last
        last.scroll_into_view_if_needed()
        assert last.is_visible()
    finally:
        page.close()


def test_disclosure_shows_more_and_collapses_again(browser, readme_maps):
    page = open_at(browser, readme_maps["quick-start"], 1366, 768)
    try:
        p = page.page
        focus = "https://w3id.org/ddkb/defense-diplomacy"
        assert len(p.evaluate("ddkbMap.visibleIds()")) == 25
        hidden = p.evaluate("(id) => ddkbMap.hiddenChildren(id).length", focus)
        assert hidden > 0
        assert p.evaluate("(id) => ddkbMap.nodes.get(id).label", focus).endswith(
            f"+{hidden} more")
        total = len(p.evaluate("ddkbMap.data.nodes"))
        assert total > 60 and f"Showing 25 of {total} concepts" in p.text_content(
            "#ddkb-disclose")
        p.click("#ddkb-details .ddkb-expand")
        assert len(p.evaluate("ddkbMap.visibleIds()")) == 25 + hidden
        assert "+" not in p.evaluate("(id) => ddkbMap.nodes.get(id).label", focus)
        # the concepts that appeared do not land on the ones already there
        p.evaluate("() => new Promise(done => { ddkbMap.network.once('afterDrawing', done);"
                   " ddkbMap.network.redraw(); })")
        seen = p.evaluate(MEASURE)
        assert seen["measured"] and seen["overlaps"] == []
        child = p.evaluate("""(id) => ddkbMap.data.nodes.find(n => n.ddkb.parent === id &&
                                                          !n.ddkb.shown).id""", focus)
        p.evaluate("(id) => ddkbMap.openConcept(id, false)", child)
        p.evaluate("(id) => ddkbMap.collapse(id)", focus)
        assert p.evaluate("(id) => ddkbMap.isVisible(id)", child) is False
        assert p.evaluate("(id) => ddkbMap.isVisible(id)", focus) is True
        p.click("#ddkb-disclose .ddkb-show-all")
        assert len(p.evaluate("ddkbMap.visibleIds()")) == total
        assert page.problems == []
    finally:
        page.close()


def test_doubtful_relations_are_styled_from_status_iris_and_the_card_says_why(fresh):
    p = fresh.page
    styles = p.evaluate("""() => Object.fromEntries(ddkbMap.data.edges.map(e => {
        const o = ddkbMap.network.body.edges[e.id].options;
        return [ddkbMap.data.nodes.find(n => n.id === e.from).ddkb.name + ' ' + e.label,
                [o.color.color, o.dashes, o.arrows.middle.enabled]];
    }))""")
    assert styles["Lagoon drill has risk"] == ["#d62728", [8, 5], True]
    assert styles["lagoon trust contributes to"] == ["#e07b00", [2, 5], True]
    # labelled "contradicted" but not ddkb's status IRI: a plain arrow
    assert styles["lagoon liaison office mitigates"] == ["#8795a1", False, False]
    assert styles["Lagoon drill fosters"] == ["#8795a1", False, False]
    edge = p.evaluate("""() => ddkbMap.data.edges.find(e => e.label === 'has risk').id""")
    p.evaluate("(id) => ddkbMap.openRelation(id, true)", edge)
    card = p.text_content("#ddkb-details")
    assert "Contradicted by the fact-check" in card
    assert "Fact-check status: contradicted" in card
    assert "Correction: Navy records show the drill lowered the risk of escalation." in card
    assert "Evidence: Lagoon navy incident logs, 2019-2024." in card
    legend = " ".join(p.locator("#ddkb-legend li").all_text_contents())
    assert "relation not supported or contradicted" in legend and "partly supported" in legend
    # a doubtful concept keeps its marks when selected (halo + warning sign in the label)
    claimed = p.evaluate("""(id) => { ddkbMap.openConcept(id, false);
        const n = ddkbMap.network.body.nodes[id];
        return [n.options.shadow.enabled, n.options.shadow.color, ddkbMap.nodes.get(id).label,
                ddkbMap.network.getSelectedNodes()]; }""", EX + "claimed")
    assert claimed[3] == [EX + "claimed"]
    assert claimed[0] is True and claimed[1] == "#d62728" and claimed[2].startswith("⚠ ")


def test_legend_entry_hides_and_shows_its_class(fresh):
    p = fresh.page
    risk = p.locator("#ddkb-legend .ddkb-legend-toggle[data-cls='Risk']")
    assert risk.get_attribute("aria-pressed") == "true"
    risk.click()
    assert risk.get_attribute("aria-pressed") == "false"
    assert p.evaluate(f"ddkbMap.nodes.get('{EX}escalation').hidden") is True
    hidden_edges = p.evaluate(f"""ddkbMap.edges.get().filter(e => e.to === '{EX}escalation')
                                  .map(e => e.hidden)""")
    assert hidden_edges == [True, True]
    assert p.evaluate(f"ddkbMap.nodes.get('{EX}trust').hidden") is False
    risk.click()
    assert p.evaluate(f"ddkbMap.nodes.get('{EX}escalation').hidden") is False


def test_search_ranks_like_ddkb_show(browser, kb, readme_maps):
    from ddkb.lookup import ConceptIndex, normalise

    page = open_at(browser, readme_maps["whole-kb"], 1366, 768)
    try:
        p = page.page
        first = p.evaluate("(q) => ddkbMap.findMatches(q)[0]", "defence diplomacy")
        assert first == "https://w3id.org/ddkb/defense-diplomacy"
        assert len(p.evaluate("(q) => ddkbMap.findMatches(q)", "defence diplomacy")) > 1
        index = ConceptIndex.from_kb(kb)
        for query in ("peace keeping", "Defence Diplomacy", "soft-power", "confidence building "
                      "measure", "military exercises"):
            found = p.evaluate("(q) => ddkbMap.findMatches(q)[0]", query)
            assert found == index.resolve(query), query
        # the page's normaliser is ddkb.lookup.normalise, label for label
        labels = sorted({row[1] for row in kb.label_rows()})
        assert len(labels) > 500
        mismatched = p.evaluate("(ls) => ls.map(l => ddkbMap.normalise(l))", labels)
        assert [lab for lab, js in zip(labels, mismatched, strict=True)
                if js != normalise(lab)] == []
    finally:
        page.close()


def test_keyboard_reaches_every_concept_and_relation(fresh):
    p = fresh.page
    p.focus("#ddkb-canvas")
    visited = set()
    for _ in range(7):
        p.keyboard.press("ArrowRight")
        visited.update(p.evaluate("ddkbMap.network.getSelectedNodes()"))
    assert visited == set(p.evaluate("ddkbMap.visibleIds()")) and len(visited) == 7
    p.keyboard.press("ArrowLeft")
    p.evaluate(f"ddkbMap.network.selectNodes(['{EX}drill'])")
    p.keyboard.press("Enter")
    assert p.evaluate("document.activeElement.className") == "ddkb-card-title"
    assert "Lagoon drill" in p.evaluate("document.activeElement.textContent")
    relations = p.locator("#ddkb-details .ddkb-relations button").all_text_contents()
    assert len(relations) == 5 and "⚠ → has risk → lagoon escalation" in relations
    # Tab on to the relation and open its card with Enter
    for _ in range(10):
        p.keyboard.press("Tab")
        if "has risk" in (p.evaluate("document.activeElement.textContent") or ""):
            break
    p.keyboard.press("Enter")
    assert "Lagoon drill → has risk → lagoon escalation" in p.text_content("#ddkb-details")
    p.keyboard.press("Tab")
    p.keyboard.press("Tab")
    p.keyboard.press("Enter")  # "Go to lagoon escalation"
    assert p.evaluate("ddkbMap.network.getSelectedNodes()") == [EX + "escalation"]
    assert fresh.problems == []


def test_relation_tooltip_disappears_when_the_pointer_leaves_the_map(fresh):
    p = fresh.page
    edge_id = p.evaluate("() => ddkbMap.data.edges.find(e => e.label === 'has risk').id")
    x, y = p.evaluate("""(id) => {
        const net = window.ddkbMap.network;
        const pt = net.canvasToDOM(net.body.edges[id].edgeType.getPoint(0.5));
        const box = document.querySelector('#ddkb-canvas canvas').getBoundingClientRect();
        return [box.left + pt.x, box.top + pt.y];
    }""", edge_id)
    p.mouse.move(x + 20, y + 20)
    p.mouse.move(x, y, steps=5)
    p.wait_for_selector("#ddkb-tooltip:not([hidden])", timeout=10_000)
    p.mouse.move(5, 5)  # in one jump onto the page header: the canvas sees no move
    p.wait_for_selector("#ddkb-tooltip[hidden]", state="attached", timeout=5_000)
    assert p.evaluate("document.querySelector('#ddkb-tooltip').hidden") is True
