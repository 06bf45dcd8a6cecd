"""The concept map's own tools in a real browser (headless Chromium via Playwright,
network blocked): PNG and SVG downloads, printing on one page, the propositions
view, dragged positions kept across a reload, and the student's notes and
relations going out as Turtle and coming back through ``ddkb --data FILE map``
(and ``ddkb --data FILE query``) as the user's own, never as the article's.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

import ddkb
from ddkb.conceptmap import ConceptMap, write_map
from ddkb.mapnotes import MAP_USER, tools_payload

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "conceptmap" / "lagoon.ttl"
EX = "https://example.org/mapfix/"
DDKB = "https://w3id.org/ddkb/"
TOOLS_READY = "() => document.body.getAttribute('data-ddkb-tools-ready') === 'true'"
HOSTILE_LABEL = ("<script>window.pwned = true</script><img src=x "
                 "onerror=\"window.pwned = 1\"> lagoon & \"friends\"")
#: A note that tries to break out of a Turtle string, a comment and the page.
HOSTILE_NOTE = ('He said "hi" \\ then \\" left.\nSecond line """ \'\'\' .\r\n'
                "# not a comment > <http://x> ; ] ) </script><b>bold</b> \u2028 é 🚢")
#: What the page keeps of it: a textarea's value has \n line breaks, the note is trimmed.
SAVED_NOTE = HOSTILE_NOTE.replace("\r\n", "\n").strip()


def ddkb_command() -> list[str]:
    """The installed ``ddkb`` (or the module of this interpreter's install)."""
    found = shutil.which("ddkb")
    return [found] if found else [sys.executable, "-c", "from ddkb.cli import main; main()"]


def run_ddkb(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*ddkb_command(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


class Page:
    """A map opened offline in its own browser context (own localStorage, downloads on)."""

    def __init__(self, browser, path: Path, width: int = 1366, height: int = 768) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           accept_downloads=True)
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith("file:") else route.abort())
        self.page = self.context.new_page()
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("console", lambda msg: msg.type == "error"
                     and self.problems.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        self.open(path)

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function(TOOLS_READY, timeout=60_000)

    def download(self, button: str, folder: Path) -> Path:
        with self.page.expect_download() as info:
            self.page.get_by_role("button", name=button, exact=True).click()
        target = folder / info.value.suggested_filename
        info.value.save_as(target)
        return target

    def offline_and_clean(self) -> bool:
        remote = [u for u in self.requests if not u.startswith(("file:", "data:", "blob:"))]
        return not remote and not self.problems

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def lagoon(browser, lagoon_map):
    page = Page(browser, lagoon_map)
    yield page
    page.close()


# -- take it home ------------------------------------------------------------------------
def test_png_download_is_the_current_view(lagoon, tmp_path):
    png = lagoon.download("PNG", tmp_path)
    content = png.read_bytes()
    assert png.suffix == ".png" and content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    canvas = lagoon.page.evaluate("(() => { const c = document.querySelector("
                                  "'#ddkb-canvas canvas'); return [c.width, c.height]; })()")
    assert [width, height] == canvas and width > 300 and height > 300
    assert len(content) > 5000  # a drawing, not a blank image
    assert lagoon.offline_and_clean()


def test_svg_download_parses_and_holds_every_label_escaped(lagoon, tmp_path):
    svg = lagoon.download("SVG", tmp_path)
    raw = svg.read_text(encoding="utf-8")
    root = ET.fromstring(raw.encode("utf-8"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = ["".join(t.itertext()) for t in root.iterfind(".//s:g[@class='node']/s:text", ns)]
    assert sorted(texts) == sorted(["Lagoon drill", "lagoon trust", "lagoon goodwill",
                                    "lagoon escalation", "lagoon liaison office",
                                    "\u26a0 lagoon success story",  # doubtful: marked as on screen
                                    HOSTILE_LABEL])
    assert len(root.findall(".//s:g[@class='edge']", ns)) == 8
    edge_labels = ["".join(t.itertext()) for t in root.iterfind(".//s:g[@class='edge']/s:text", ns)]
    assert sorted(edge_labels) == sorted(["fosters", "contributes to", "has risk", "enables",
                                          "contributes to", "mitigates", "exemplifies",
                                          "contributes to"])
    # the hostile label is text: escaped in the file, no script or img element anywhere
    assert "&lt;script&gt;window.pwned = true&lt;/script&gt;&lt;img" in raw
    assert "<script" not in raw and "<img" not in raw
    assert root.find(".//s:script", ns) is None and root.find(".//s:img", ns) is None
    assert root.findtext("s:title", namespaces=ns) == "Concept map: Lagoon drill"
    # the view box is the current view: the focus concept is inside it
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    pos = lagoon.page.evaluate("(id) => ddkbMap.network.getPositions([id])[id]", EX + "drill")
    assert x < pos["x"] < x + w and y < pos["y"] < y + h
    assert lagoon.page.evaluate("window.pwned") is None
    assert lagoon.offline_and_clean()


def pdf_pages(pdf: bytes) -> int:
    """Page objects in a PDF written by Chromium (its page dictionaries are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


@pytest.mark.parametrize("paper, landscape", [("A4", False), ("A4", True),
                                               ("Letter", False), ("Letter", True)])
def test_print_puts_the_undistorted_map_and_legend_on_one_page(lagoon, tmp_path, paper,
                                                               landscape):
    page = lagoon.page
    screen = page.evaluate("(() => { const c = document.querySelector('#ddkb-canvas canvas');"
                           " return c.width / c.height; })()")
    page.emulate_media(media="print")
    shown = page.evaluate("""() => {
        const c = document.getElementById('ddkb-print-map'), r = c.getBoundingClientRect();
        const cs = getComputedStyle(c);
        const inner = [r.width - parseFloat(cs.borderLeftWidth) - parseFloat(cs.borderRightWidth),
                       r.height - parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth)];
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) painted++; }
        const hidden = id => getComputedStyle(document.getElementById(id)).display === 'none';
        return {ratio: c.width / c.height, shown: inner[0] / inner[1], painted: painted,
                toolbar: hidden('ddkb-toolbar'), search: hidden('ddkb-search-form'),
                card: hidden('ddkb-details-box'), legend: !hidden('ddkb-legend-box'),
                live: hidden('ddkb-canvas')};
    }""")
    assert shown["toolbar"] and shown["search"] and shown["card"] and shown["legend"]
    assert shown["live"] and shown["painted"] > 2000  # the copy of the drawing, not a blank
    assert shown["ratio"] == pytest.approx(screen, rel=0.005)
    assert shown["shown"] == pytest.approx(screen, rel=0.01)
    pdf = page.pdf(format=paper, landscape=landscape, print_background=True)
    assert pdf[:5] == b"%PDF-" and pdf_pages(pdf) == 1
    page.emulate_media(media="screen")


def test_print_of_the_whole_kb_map_fits_one_landscape_page(browser, kb, tmp_path):
    path = tmp_path / "whole.html"
    write_map(kb, path, max_nodes=None)
    opened = Page(browser, path)
    try:
        opened.page.emulate_media(media="print")
        for paper, landscape in (("A4", True), ("Letter", False)):
            assert pdf_pages(opened.page.pdf(format=paper, landscape=landscape)) == 1
        assert opened.offline_and_clean()
    finally:
        opened.close()


def proposition_texts(page) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip()
            for t in page.locator("#ddkb-propositions ol li").all_text_contents()]


def test_propositions_view_lists_every_triple_as_text(lagoon):
    page = lagoon.page
    assert page.locator("#ddkb-propositions").is_hidden()
    page.get_by_role("button", name="Propositions", exact=True).click()
    assert page.locator("#ddkb-propositions").is_visible()
    assert page.locator("#ddkb-canvas").is_hidden()
    assert proposition_texts(page) == [
        "Lagoon drill — contributes to → lagoon trust",
        "Lagoon drill — fosters → lagoon trust",
        "Lagoon drill — has risk → lagoon escalation ⚠ contradicted by the fact-check",
        f"lagoon goodwill — contributes to → {HOSTILE_LABEL}",
        "lagoon liaison office — mitigates → lagoon escalation",
        "lagoon success story — exemplifies → Lagoon drill",
        "lagoon trust — contributes to → lagoon goodwill ⚠ only partly supported by the "
        "fact-check",
        "lagoon trust — enables → Lagoon drill",
    ]
    assert page.text_content("#ddkb-propositions h2") == "Propositions of this map (8)"
    assert page.evaluate("document.querySelectorAll('#ddkb-propositions img, "
                         "#ddkb-propositions script').length") == 0
    page.get_by_role("button", name="Back to the map").click()
    assert page.locator("#ddkb-canvas").is_visible()
    assert lagoon.offline_and_clean()


def test_propositions_show_the_fact_check_status_of_doubtful_claims(browser, kb, tmp_path):
    path = tmp_path / "yatra.html"
    cmap = write_map(kb, path, focus="ddkb:india-defense-yatra", depth=1)
    G = cmap.graph
    label = {n: d["label"] for n, d in G.nodes(data=True)}
    expected = sorted(f"{label[u]} — {d['label']} → {label[v]}"
                      for u, v, d in G.edges(data=True))
    opened = Page(browser, path)
    try:
        opened.page.get_by_role("button", name="Propositions", exact=True).click()
        texts = proposition_texts(opened.page)
        assert len(texts) == G.number_of_edges()
        plain = sorted(t.split(" ⚠ ")[0] for t in texts)
        assert plain == expected
        yatra = label[DDKB + "india-defense-yatra"]
        assert (f"{yatra} — contributes to → soft power ⚠ not supported by the fact-check"
                in texts)
        doubtful = {(d["from"], d["curie"], d["to"]) for d in tools_payload(kb, G)["doubtful"]}
        assert len(doubtful) >= 11
        flagged = [t for t in texts if "⚠" in t]
        assert len(flagged) == len(doubtful)
        assert opened.offline_and_clean()
    finally:
        opened.close()


# -- edit and keep ----------------------------------------------------------------------------
def node_point(page, node_id: str) -> tuple[float, float]:
    return tuple(page.evaluate("""(id) => {
        const net = ddkbMap.network, p = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.querySelector('#ddkb-canvas canvas').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", node_id))


def test_dragged_concept_stays_put_after_a_reload(lagoon, lagoon_map, browser):
    page = lagoon.page
    node = EX + "liaison"
    before = page.evaluate("(id) => ddkbMap.network.getPositions([id])[id]", node)
    x, y = node_point(page, node)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 50, steps=8)
    page.mouse.up()
    moved = page.evaluate("(id) => ddkbMap.network.getPositions([id])[id]", node)
    assert abs(moved["x"] - before["x"]) > 20 and abs(moved["y"] - before["y"]) > 20
    lagoon.open(lagoon_map)  # a reload in the same browser profile
    assert page.evaluate("ddkbMapTools.state.restored") is True
    after = page.evaluate("(id) => ddkbMap.network.getPositions([id])[id]", node)
    assert after["x"] == pytest.approx(moved["x"], abs=0.2)
    assert after["y"] == pytest.approx(moved["y"], abs=0.2)
    # another map (other concepts) in the same profile does not inherit these positions
    kb = ddkb.load(data=[FIXTURE])
    other = lagoon_map.parent / "other.html"
    write_map(kb, other, focus="Lagoon drill", depth=1)
    lagoon.open(other)
    assert page.evaluate("ddkbMapTools.state.restored") is False
    # "Reset layout" forgets them
    lagoon.open(lagoon_map)
    page.get_by_role("button", name="Reset layout").click()
    page.wait_for_function(TOOLS_READY, timeout=60_000)
    assert page.evaluate("ddkbMapTools.state.restored") is False
    assert lagoon.offline_and_clean()


def add_note(page, concept_label: str, text: str) -> None:
    page.get_by_role("button", name="Add note").click()
    page.select_option("#ddkb-note-concept", label=concept_label)
    page.fill("#ddkb-note-text", text)
    page.locator("#ddkb-note-dialog").get_by_role("button", name="Save").click()
    page.wait_for_selector("#ddkb-note-dialog", state="detached")


def add_relation(page, source: str, relation: str, target: str) -> None:
    page.get_by_role("button", name="Add relation").click()
    page.select_option("#ddkb-rel-from", label=source)
    page.select_option("#ddkb-rel-property", label=relation)
    page.select_option("#ddkb-rel-to", label=target)
    page.locator("#ddkb-relation-dialog").get_by_role("button", name="Save").click()
    page.wait_for_selector("#ddkb-relation-dialog", state="detached")


def user_edges(page) -> list[dict]:
    return page.evaluate("""() => ddkbMap.edges.get({filter: e => e.ddkb && e.ddkb.user})
        .map(e => ({from: e.from, to: e.to, curie: e.ddkb.curie, colour: e.color.color,
                    dashes: e.dashes}))""")


@pytest.fixture(scope="module")
def additions(browser, lagoon_map, tmp_path_factory) -> Path:
    """The Turtle a student downloads after one hostile note and one new relation."""
    folder = tmp_path_factory.mktemp("additions")
    opened = Page(browser, lagoon_map)
    try:
        page = opened.page
        add_note(page, "lagoon liaison office", HOSTILE_NOTE)
        add_relation(page, "lagoon liaison office", "fosters (ddkb:fosters)", "lagoon goodwill")
        # shown at once, distinctly, and kept across a reload
        assert user_edges(page) == [{"from": EX + "liaison", "to": EX + "goodwill",
                                     "curie": "ddkb:fosters", "colour": "#7b2cbf",
                                     "dashes": [10, 4, 2, 4]}]
        opened.open(lagoon_map)
        assert len(user_edges(page)) == 1
        assert page.evaluate("ddkbMapTools.notes().map(n => n.text)") == [SAVED_NOTE]
        # a relation the map already has is refused with a message
        page.get_by_role("button", name="Add relation").click()
        page.select_option("#ddkb-rel-from", label="Lagoon drill")
        page.select_option("#ddkb-rel-property", label="fosters (ddkb:fosters)")
        page.select_option("#ddkb-rel-to", label="lagoon trust")
        page.locator("#ddkb-relation-dialog").get_by_role("button", name="Save").click()
        assert "already has" in page.text_content("#ddkb-relation-dialog .ddkb-dialog-status")
        page.locator("#ddkb-relation-dialog").get_by_role("button", name="Cancel").click()
        target = opened.download("Download my additions", folder)
        assert opened.offline_and_clean()
    finally:
        opened.close()
    return target


def test_additions_are_turtle_attributed_to_the_user(additions):
    assert additions.suffix == ".ttl"
    store = ox.Store()
    store.load(additions.read_bytes(), format=ox.RdfFormat.TURTLE)
    import rdflib

    graph = rdflib.Graph().parse(additions, format="turtle")  # a second, stricter parser
    assert len(graph) == len(store)
    notes = list(store.query(f"""SELECT ?target ?text WHERE {{
        ?n a <http://www.w3.org/ns/oa#Annotation> ; <http://www.w3.org/ns/oa#hasTarget> ?target ;
           <http://www.w3.org/ns/oa#bodyValue> ?text ;
           <http://www.w3.org/ns/prov#wasAttributedTo> <{MAP_USER}> }}"""))
    assert [(n["target"].value, n["text"].value) for n in notes] == \
        [(EX + "liaison", SAVED_NOTE)]
    claims = list(store.query(f"""SELECT ?s ?p ?o WHERE {{
        ?c a <{DDKB}Claim> ; <{DDKB}claimSubject> ?s ; <{DDKB}claimPredicate> ?p ;
           <{DDKB}claimObject> ?o ; <http://www.w3.org/ns/prov#wasAttributedTo> <{MAP_USER}> .
        ?s ?p ?o }}"""))
    assert [(c["s"].value, c["p"].value, c["o"].value) for c in claims] == \
        [(EX + "liaison", DDKB + "fosters", EX + "goodwill")]
    text = [t.object for t in store.quads_for_pattern(None, ox.NamedNode(DDKB + "claimText"), None)]
    assert [(t.value, t.language) for t in text] == [
        ("Your own relation, drawn on the concept map: lagoon liaison office fosters "
         "lagoon goodwill.", "en")]


def test_additions_come_back_as_the_users_own_in_the_map(additions, browser, tmp_path):
    out = tmp_path / "with-additions.html"
    done = run_ddkb("--data", str(FIXTURE), "--data", str(additions), "map",
                    "--focus", "Lagoon drill", "--depth", "3", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "9 relations" in done.stdout and done.stderr == ""
    opened = Page(browser, out)  # a fresh profile: nothing from localStorage
    try:
        page = opened.page
        assert page.evaluate("localStorage.length") == 0
        edges = user_edges(page)
        assert [(e["from"], e["curie"], e["to"], e["colour"]) for e in edges] == \
            [(EX + "liaison", "ddkb:fosters", EX + "goodwill", "#7b2cbf")]
        notes = page.evaluate("ddkbMapTools.notes()")
        assert [(n["concept"], n["text"]) for n in notes] == [(EX + "liaison", SAVED_NOTE)]
        assert notes[0]["origin"] == additions.name
        # the card of the concept shows the note as the user's, as text
        x, y = node_point(page, EX + "liaison")
        page.mouse.click(x, y)
        details = page.text_content("#ddkb-details")
        assert "your note" in details and "</script><b>bold</b>" in details
        assert page.evaluate("document.querySelectorAll('#ddkb-details b').length") == 0
        # the legend and the propositions say whose the relation is
        legend = " ".join(page.locator("#ddkb-legend li").all_text_contents())
        assert "your relation, not the article's" in legend and "your note" in legend
        page.get_by_role("button", name="Propositions", exact=True).click()
        assert "lagoon liaison office — fosters → lagoon goodwill your relation" in \
            proposition_texts(page)
        assert SAVED_NOTE.split("\n")[0] in page.text_content("#ddkb-propositions")
        # downloading again gives the same additions (nothing lost, nothing doubled)
        again = opened.download("Download my additions", tmp_path)
        first, second = ox.Store(), ox.Store()
        first.load(additions.read_bytes(), format=ox.RdfFormat.TURTLE)
        second.load(again.read_bytes(), format=ox.RdfFormat.TURTLE)
        assert len(first) == len(second)
        assert page.evaluate("window.pwned") is None
        assert opened.offline_and_clean()
    finally:
        opened.close()


def test_additions_made_on_another_map_survive_a_download_here(additions, browser, tmp_path):
    out = tmp_path / "smaller.html"
    done = run_ddkb("--data", str(FIXTURE), "--data", str(additions), "map",
                    "--focus", "Lagoon drill", "--depth", "1", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    opened = Page(browser, out)
    try:
        page = opened.page
        # neither end of the relation, nor the noted concept, is on this map
        assert page.evaluate("(id) => ddkbMap.nodes.get(id)", EX + "liaison") is None
        assert user_edges(page) == [] and page.evaluate("ddkbMapTools.notes()") == []
        again = opened.download("Download my additions", tmp_path)
    finally:
        opened.close()
    before, after = ox.Store(), ox.Store()
    before.load(additions.read_bytes(), format=ox.RdfFormat.TURTLE)
    after.load(again.read_bytes(), format=ox.RdfFormat.TURTLE)
    query = ("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s) && ?p != "
             "<http://www.w3.org/ns/prov#generatedAtTime>) }")
    assert sorted(map(str, before.query(query))) == sorted(map(str, after.query(query)))
    notes = "SELECT ?t WHERE { ?n <http://www.w3.org/ns/oa#bodyValue> ?t }"
    assert [r["t"].value for r in after.query(notes)] == [SAVED_NOTE]


def test_additions_query_shows_statements_attributed_to_the_user(additions, tmp_path):
    sparql = (f"SELECT ?what ?s ?text WHERE {{ ?x prov:wasAttributedTo <{MAP_USER}> . "
              "{ ?x ddkb:claimSubject ?s ; ddkb:claimPredicate ?what } UNION "
              "{ ?x <http://www.w3.org/ns/oa#hasTarget> ?s ; "
              "<http://www.w3.org/ns/oa#bodyValue> ?text BIND(\"note\" AS ?what) } }")
    done = run_ddkb("--data", str(FIXTURE), "--data", str(additions), "query", sparql,
                    "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    found = sorted((r["what"]["value"], r["s"]["value"], r.get("text", {}).get("value"))
                   for r in rows)
    assert found == [(DDKB + "fosters", EX + "liaison", None),
                     ("note", EX + "liaison", SAVED_NOTE)]


def test_user_additions_in_the_python_api_and_cli(additions, tmp_path, runner, cli):
    kb = ddkb.load(data=[FIXTURE, additions])
    cmap = ConceptMap(kb, focus="Lagoon drill", depth=3)
    user = tools_payload(kb, cmap.graph)["user"]
    assert [(r["from"], r["curie"], r["to"], r["file"]) for r in user["relations"]] == \
        [(EX + "liaison", "ddkb:fosters", EX + "goodwill", additions.name)]
    assert [(n["concept"], n["text"]) for n in user["notes"]] == \
        [(EX + "liaison", SAVED_NOTE)]
    assert user["relations"][0]["onMap"] is True and user["notes"][0]["onMap"] is True
    small = ConceptMap(kb, focus="Lagoon drill", depth=1)
    elsewhere = tools_payload(kb, small.graph)["user"]
    assert [(r["iri"], r["onMap"]) for r in elsewhere["relations"]] == [(DDKB + "fosters", False)]
    assert [n["onMap"] for n in elsewhere["notes"]] == [False]
    # neither the claim nor the note became a concept of the map
    assert cmap.node_count == 7 and cmap.edge_count == 9
    out = tmp_path / "cli.html"
    result = runner.invoke(cli, ["--data", str(FIXTURE), "--data", str(additions),
                                 "map", "--focus", "Lagoon drill", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="ddkb-data" type="application/json">(.*?)</script>',
                                page, re.DOTALL).group(1))
    assert data["tools"]["user"]["notes"][0]["text"] == SAVED_NOTE
    assert "</script><b>bold" not in page  # escaped in the data block


def test_a_relation_the_article_also_makes_stays_the_articles(tmp_path):
    mine = tmp_path / "mine.ttl"
    mine.write_text(f"""@prefix ddkb: <{DDKB}> .
@prefix prov: <http://www.w3.org/ns/prov#> .
ddkb:joint-military-exercise ddkb:fosters ddkb:mutual-trust .
[] a ddkb:Claim ; ddkb:claimSubject ddkb:joint-military-exercise ;
   ddkb:claimPredicate ddkb:fosters ; ddkb:claimObject ddkb:mutual-trust ;
   prov:wasAttributedTo <{MAP_USER}> .
""", encoding="utf-8")
    kb = ddkb.load(data=[mine])
    cmap = ConceptMap(kb, focus="joint military exercise", depth=1)
    assert cmap.graph.has_edge(DDKB + "joint-military-exercise", DDKB + "mutual-trust",
                               "ddkb:fosters")
    assert tools_payload(kb, cmap.graph)["user"]["relations"] == []


def test_turtle_strings_and_iris_written_by_the_page_parse_back(lagoon):
    hostile = ['"', "\\", '\\"', "a\nb\rc\td", "\x00\x01\x1f\x7f", '"""', "'''", "\u2028\u2029",
               "é 🚢 \ufffe", "</script>", "x\" . <http://evil> <p> \"y", "\\u0022", "end\\"]
    page = lagoon.page
    lines = page.evaluate("""(items) => items.map((s, i) =>
        '<https://example.org/s' + i + '> <https://example.org/p> ' +
        ddkbMapTools.turtleString(s) + ' .')""", hostile)
    lone = page.evaluate("ddkbMapTools.turtleString('a' + String.fromCharCode(0xd800) + 'b')")
    store = ox.Store()
    lines.append(f"<https://example.org/lone> <https://example.org/p> {lone} .")
    store.load("\n".join(lines).encode("utf-8"), format=ox.RdfFormat.TURTLE)
    got = {q.subject.value: q.object.value for q in store}
    for i, text in enumerate(hostile):
        assert got[f"https://example.org/s{i}"] == text
    assert got["https://example.org/lone"] == "a\ufffdb"
    ok = page.evaluate("ddkbMapTools.turtleIri('https://example.org/a-b_c~d?e=f#g')")
    assert ok == "<https://example.org/a-b_c~d?e=f#g>"
    for bad in ["https://x.org/a>b", "https://x.org/a b", 'https://x.org/"', "relative/path",
                "https://x.org/{x}", "https://x.org/a\\b", "https://x.org/a\nb"]:
        assert page.evaluate("(i) => ddkbMapTools.turtleIri(i)", bad) is None


def test_malformed_kept_additions_are_ignored(lagoon, lagoon_map):
    page = lagoon.page
    key = page.evaluate("ddkbMapTools.state.key")
    page.evaluate("""([key, concept]) => {
        localStorage.setItem(key + ':additions', JSON.stringify({notes: [null, 5, {concept: 1},
            {concept: ['x'], text: 'x'}, {concept: concept, text: 'kept <b>note</b>'}],
            relations: [null, {from: 'a'}, 'x']}));
        localStorage.setItem(key + ':positions', '{not json');
    }""", [key, EX + "liaison"])
    lagoon.open(lagoon_map)
    assert [n["text"] for n in page.evaluate("ddkbMapTools.notes()")] == ["kept <b>note</b>"]
    assert user_edges(page) == [] and page.evaluate("ddkbMapTools.state.restored") is False
    assert lagoon.offline_and_clean()


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 768)])
def test_toolbar_fits_the_screen(browser, lagoon_map, width, height):
    opened = Page(browser, lagoon_map, width=width, height=height)
    try:
        boxes = opened.page.evaluate("""() => Array.from(
            document.querySelectorAll('#ddkb-toolbar button')).map(b => {
                const r = b.getBoundingClientRect();
                return [b.textContent, r.left, r.right, r.top, r.bottom];
            })""")
        assert [b[0] for b in boxes] == ["PNG", "SVG", "Print", "Propositions", "Add note",
                                         "Add relation", "Download my additions", "Reset layout"]
        assert all(0 <= left and right <= width and bottom <= height
                   for _, left, right, _, bottom in boxes)
        assert opened.page.evaluate("document.documentElement.scrollWidth") <= width
        assert opened.offline_and_clean()
    finally:
        opened.close()
