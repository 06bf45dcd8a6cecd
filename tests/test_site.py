"""``ddkb site``: the static site, written by the real CLI, crawled for broken links.

One site is built per module by a ``ddkb site`` subprocess (the slow part);
the crawl, the RDF files, the w3id rules and the browser checks read it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import rdflib
from conftest import require_program

from ddkb.site import MARKER, htaccess

BASE_URL = "https://example.org/ddkb-site/"


@pytest.fixture(scope="module")
def site(ddkb_exe, tmp_path_factory) -> Path:
    parent = tmp_path_factory.mktemp("site")
    folder = parent / "public"
    abandoned, busy = _half_written_sites(parent)
    done = subprocess.run([ddkb_exe, "site", "-o", str(folder), "--base-url", BASE_URL],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"Wrote \d+ pages, \d+ RDF files to .*public/ and w3id.htaccess\n",
                        done.stderr)
    # a site half-written by a killed `ddkb site` is cleared; one being written is not
    assert not abandoned.exists()
    assert (busy / "index.html").read_text() == "being written"
    shutil.rmtree(busy)
    return folder


def _half_written_sites(parent: Path) -> tuple[Path, Path]:
    """Two writers' folders for ``public``: one of a process that is gone, one of a live one."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    abandoned = parent / f".public.new-{gone.pid}-k1ll3d"
    busy = parent / f".public.new-{os.getpid()}-bu5y"
    for folder, text in ((abandoned, "killed midway"), (busy, "being written")):
        folder.mkdir()
        (folder / "index.html").write_text(text)
    return abandoned, busy


class _Links(HTMLParser):
    """Every href/src of a page, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_crawl_finds_no_broken_internal_link(site):
    pages = sorted(p for p in site.rglob("*.html"))
    assert len(pages) > 800
    parsed = {p: _parse(p) for p in pages}
    broken, absolute, checked = [], [], 0
    for page, found in parsed.items():
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            if link.startswith("/"):
                absolute.append(f"{page.relative_to(site)}: {link}")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site)}: {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert not absolute, absolute[:5]
    assert not broken, broken[:10]
    assert checked > 10_000


def test_every_page_of_the_app_is_there(site):
    for name in ("index", "browse", "az", "search", "fact-check", "queries", "ontology",
                 "queries/fosters", "queries/instruments", "defense-diplomacy",
                 "claim/mutual-trust--contributesTo--peace", "source/fact-check", "Instrument"):
        assert (site / f"{name}.html").is_file(), name
    assert (site / "queries/instruments.csv").read_text().startswith("instrument,")
    assert (site / MARKER).is_file()
    concept = (site / "defense-diplomacy.html").read_text()
    assert 'href="joint-military-exercise.html"' in concept
    assert 'href="static/ddkb.css"' in concept
    claim = (site / "claim/mutual-trust--contributesTo--peace.html").read_text()
    assert 'href="../mutual-trust.html"' in claim and 'href="../static/ddkb.css"' in claim


def test_rdf_files_beside_each_page(site):
    me = rdflib.URIRef("https://w3id.org/ddkb/soft-power")
    label = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    graphs = [rdflib.Graph().parse(site / f"soft-power{suffix}", format=fmt)
              for suffix, fmt in ((".ttl", "turtle"), (".jsonld", "json-ld"), (".rdf", "xml"))]
    for g in graphs:
        assert (me, label, rdflib.Literal("soft power", lang="en")) in g
    assert len(graphs[0]) == len(graphs[1]) == len(graphs[2])
    pages = {p.with_suffix("") for p in site.rglob("*.html")
             if p.parent.name != "queries" and p.parent == site or p.parent.name in
             ("claim", "source")} - {site / n for n in ("index", "browse", "az", "search",
                                                        "fact-check", "queries", "404")}
    missing = [str(p) for p in pages if not p.with_suffix(".ttl").is_file()]
    assert not missing, missing[:5]


def test_w3id_rules(site):
    rules = (site / "w3id.htaccess").read_text()
    assert rules == htaccess(BASE_URL)
    assert "RewriteEngine on" in rules
    assert f"RewriteRule ^(.+)$ {BASE_URL}$1.ttl [R=303,L]" in rules
    assert "RewriteCond %{HTTP_ACCEPT} application/ld\\+json" in rules
    assert f"RewriteRule ^(.+)$ {BASE_URL}$1.html [R=303,L]" in rules
    # Accept-specific rules come before the HTML fallback
    assert rules.index("$1.ttl") < rules.index("$1.jsonld") < rules.index("$1.rdf") \
        < rules.index("$1.html [R=303")


# -- refusals and atomic replacement -------------------------------------------------------
def test_refuses_a_folder_that_is_not_a_site(runner, cli, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    result = runner.invoke(cli, ["site", "-o", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "not a ddkb site" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]
    assert (folder / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_refuses_a_file_and_a_bad_base_url(runner, cli, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = runner.invoke(cli, ["site", "-o", str(target)])
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert target.read_text() == "x"
    result = runner.invoke(cli, ["site", "-o", str(tmp_path / "new"), "--base-url",
                                 "javascript:alert(1)"])
    assert result.exit_code == 2 and "--base-url" in result.stderr
    assert not (tmp_path / "new").exists()


def test_a_failure_midway_leaves_the_previous_site_untouched(runner, cli, site, tmp_path):
    """A resource that RDF/XML cannot express stops the build after many files were written."""
    bad = tmp_path / "bad.ttl"
    bad.write_text("<https://w3id.org/ddkb/0-first> <http://example.org/123> \"x\" .\n")
    before = sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    stamp = (site / "index.html").read_bytes()
    result = runner.invoke(cli, ["--data", str(bad), "site", "-o", str(site)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "http://example.org/123" in result.stderr
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*")) == before
    assert (site / "index.html").read_bytes() == stamp
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".public.")]


# -- the site in a browser, from disk --------------------------------------------------------
@pytest.mark.browser
def test_site_opens_from_disk_in_chromium(site):
    executable = require_program("chromium")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable,
                                     args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith("file:") else route.abort())
        page = context.new_page()
        page.on("request", lambda req: requests.append(req.url))
        page.on("pageerror", lambda err: problems.append(str(err)))
        page.goto((site / "index.html").as_uri())
        assert page.locator("h1").inner_text() == "Defense Diplomacy Knowledge Base"
        page.fill("#q", "mutual tru")
        first = page.locator("#suggestions a").first
        first.wait_for(timeout=10_000)
        assert first.inner_text().startswith("mutual trust")
        first.click()
        page.wait_for_load_state()
        assert page.url.endswith("/mutual-trust.html")
        assert page.locator("h1").inner_text().startswith("mutual trust")
        page.goto((site / "search.html").as_uri() + "?q=confidence")
        page.locator("#search-results a").first.wait_for(timeout=10_000)
        assert "confidence" in page.locator("#search-results").inner_text().lower()
        page.goto((site / "browse.html").as_uri())
        page.click("button[data-tree=close]")
        assert page.locator("#class-tree details[open]").count() == 0
        page.click("button[data-tree=open]")
        assert page.locator("#class-tree details[open]").count() > 0
        browser.close()
    assert not problems, problems
    assert all(url.startswith("file:") for url in requests), \
        [u for u in requests if not u.startswith("file:")]


# -- the site with focus maps ----------------------------------------------------------------
class _Frames(HTMLParser):
    """The iframe sources of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.frames += [v for k, v in attrs if k == "src" and v]


def test_site_with_maps_embeds_a_drawable_map_in_every_concept_page(ddkb_exe, tmp_path, kb):
    """``--maps``: each page of a concept of the concept graph embeds its own focus map.

    It once stopped at the first verification status (a skos:Concept, but no
    node of the concept graph): the page offered a map the network could not draw.
    """
    from ddkb.network import is_map_concept, project

    folder = tmp_path / "public"
    done = subprocess.run([ddkb_exe, "site", "-o", str(folder), "--maps"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    maps = sorted(p.relative_to(folder / "map") for p in (folder / "map").rglob("*.html"))
    concepts = set(project(kb).nodes)
    assert re.search(rf", {len(concepts)} maps to ", done.stderr), done.stderr
    assert len(maps) == len(concepts)
    trust = (folder / "mutual-trust.html").read_text(encoding="utf-8")
    frames = _Frames()
    frames.feed(trust)
    assert frames.frames == ["map/mutual-trust.html"]
    drawn = (folder / "map" / "mutual-trust.html").read_text(encoding="utf-8")
    assert "mutual trust" in drawn and "confidence" in drawn.lower()
    status = folder / "status-contradicted.html"
    assert "contradicted" in status.read_text(encoding="utf-8")
    assert "<iframe" not in status.read_text(encoding="utf-8")
    assert not is_map_concept(kb, "https://w3id.org/ddkb/status-contradicted")
