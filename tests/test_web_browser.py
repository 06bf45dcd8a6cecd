"""The live pages of a real ``ddkb serve`` in headless Chromium, with every other host blocked.

Search suggestions (the JSON API), the browse trees, the embedded focus map, and
the layout on a phone (390 px) and a laptop (1366 px): no sideways scrolling.
"""

from __future__ import annotations

import pytest
from test_web_serve import LiveServer

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def server(ddkb_exe, tmp_path_factory):
    live = LiveServer(ddkb_exe, cwd=tmp_path_factory.mktemp("serve"))
    yield live
    live.stop()


class Tab:
    """A page whose requests may go to the server only; the rest are aborted and recorded."""

    def __init__(self, browser, server, width: int = 1366) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.outside: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._route(server.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda err: self.problems.append(str(err)))
        self.page.on("console", lambda msg: msg.type == "error"
                     and self.problems.append(msg.text))

    def _route(self, allowed: str):
        def route(r) -> None:
            if r.request.url.startswith(allowed + "/") or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()
        return route

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def tab(browser, server):
    opened = Tab(browser, server)
    yield opened
    opened.close()
    assert not opened.outside, opened.outside
    assert not opened.problems, opened.problems


def test_search_suggestions_from_the_api(tab, server):
    page = tab.page
    page.goto(server.url + "/")
    page.fill("#q", "soft pow")
    first = page.locator("#suggestions a").first
    first.wait_for(timeout=10_000)
    assert first.inner_text().startswith("soft power")
    page.press("#q", "ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert page.url == server.url + "/soft-power"
    assert page.locator("h1").inner_text().startswith("soft power")


def test_search_form_without_javascript_suggestions(tab, server):
    page = tab.page
    page.goto(server.url + "/az")
    page.fill("#q", "confidence building")
    with page.expect_navigation():
        page.click("form.search button")
    assert "/search?q=confidence+building" in page.url
    assert page.locator("ol.hits a").count() > 0


def test_tree_expands_collapses_and_links(tab, server):
    page = tab.page
    page.goto(server.url + "/browse")
    opened = "#class-tree details[open]"
    assert page.locator(opened).count() > 0
    page.click("button[data-tree=close]")
    assert page.locator(opened).count() == 0
    assert not page.locator("#class-tree a[href='/Dialogue']").is_visible()
    page.click("button[data-tree=open]")
    link = page.locator("#class-tree a[href='/Dialogue']")
    assert link.is_visible()
    with page.expect_navigation():
        link.click()
    assert page.locator("h1").inner_text().startswith("dialogue instrument")


def test_embedded_focus_map_draws(tab, server):
    page = tab.page
    page.goto(server.url + "/defense-diplomacy")
    frame_element = page.locator("iframe.focus-map")
    frame_element.scroll_into_view_if_needed()
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_function("() => window.ddkbMap && window.ddkbMap.state.ready",
                            timeout=60_000)
    nodes = frame.evaluate("() => window.ddkbMap.network.body.data.nodes.length")
    assert nodes > 10
    focus = frame.evaluate("() => window.ddkbMap.network.body.data.nodes"
                           ".get('https://w3id.org/ddkb/defense-diplomacy').label")
    assert focus.splitlines()[0] == "defense diplomacy"  # then "+N more" (progressive disclosure)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("path", ["/", "/defense-diplomacy", "/fact-check", "/ontology"])
def test_layout_has_no_sideways_scroll(browser, server, width, path, tmp_path):
    opened = Tab(browser, server, width)
    try:
        opened.page.goto(server.url + path)
        overflow = opened.page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} at {width} px scrolls sideways by {overflow} px"
        opened.page.screenshot(path=str(tmp_path / "page.png"))
        assert (tmp_path / "page.png").stat().st_size > 5000
    finally:
        opened.close()
    assert not opened.outside
