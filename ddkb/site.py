"""``ddkb site``: the pages of ``ddkb serve`` as static files, for any static host.

Every page the app serves (home, browse, A-Z, search, fact check, named
queries, ontology documentation and one page per resource) is written as an
HTML file with relative links, so the folder opens from disk; each resource
also gets its ``.ttl``, ``.jsonld`` and ``.rdf`` description. Search runs in the
browser over ``static/search-index.js``. Focus maps (about 800 kB each) are
written only with ``maps=True``.

With ``base_url`` (where the site will be published), ``w3id.htaccess`` holds
the redirect rules for https://w3id.org/ddkb/ in the style of the w3id.org
repository: ``Accept`` picks ``.ttl``, ``.jsonld``, ``.rdf`` or ``.html``.

The folder is written atomically: everything goes to a new folder beside it,
which then takes its place; on any error nothing changes. An existing folder
is replaced only if it is empty or a previous ddkb site (it holds
:data:`MARKER`); anything else is refused.

>>> import ddkb
>>> report = write_site(ddkb.load(), "public")      # doctest: +SKIP
>>> report.pages > 500                               # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import InputError, RefusedError

#: The file that marks a folder as a ddkb site (so a new site may replace it).
MARKER = ".ddkb-site"
#: Static assets copied from ``ddkb/web/static``.
ASSETS = ("ddkb.css", "ddkb.js")
#: The RDF files written beside each resource page: (format name, suffix).
DATA_FILES = (("turtle", ".ttl"), ("jsonld", ".jsonld"), ("xml", ".rdf"))


@dataclass
class SiteReport:
    """What ``write_site`` wrote."""

    folder: Path
    pages: int
    data_files: int
    maps: int
    htaccess: bool


def _check_target(folder: Path) -> None:
    """Refuse a target that is a file, or a non-empty folder that is not a ddkb site."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise RefusedError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise RefusedError(f"{folder}: the folder is not empty and is not a ddkb site "
                           f"(no {MARKER} file); choose an empty or new folder")


def _check_base_url(base_url: str | None) -> str | None:
    if base_url is None:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(
            c in base_url for c in " \"'<>\\\n\r\t$"):
        raise InputError(f"--base-url {base_url!r}: give an http(s) URL such as "
                         "https://example.org/ddkb/")
    return base_url if base_url.endswith("/") else base_url + "/"


class _Writer:
    """Writes the files of one site into a fresh folder."""

    def __init__(self, kb: Any, root: Path, maps: bool) -> None:
        from .web.app import known_paths

        self.kb = kb
        self.root = root
        self.maps = maps
        self.known = known_paths(kb)
        self.pages = self.data_files = self.map_count = 0

    def links(self, here: str):
        from .web.render import Links

        return Links("site", here, self.known)

    def write(self, relative: str, text: str) -> None:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def page(self, here: str, template: str, **context: Any) -> None:
        from .web.render import render

        self.write((here or "index") + ".html", render(template, self.links(here), **context))
        self.pages += 1

    def browse_pages(self) -> None:
        from .web import pages

        kb = self.kb
        self.page("", "home.html", **pages.home(kb))
        self.page("browse", "browse.html", schemes=pages.concept_tree(kb),
                  classes=pages.class_tree(kb))
        self.page("az", "az.html", letters=pages.a_to_z(kb))
        self.page("search", "search.html", q="", hits=[])
        self.page("fact-check", "fact_check.html", **pages.fact_check(kb))
        self.write("static/search-index.js", "window.ddkbSearchIndex = "
                   + json.dumps(pages.search_index(kb), ensure_ascii=True) + ";\n")

    def query_pages(self) -> None:
        """Each named query's page; those without required parameters with their answer."""
        from .web import pages

        queries = pages.named_queries()
        self.page("queries", "queries.html", queries=queries)
        for query in queries:
            result = None
            if not any(p.required for p in query.params):
                result = pages.run_named_query(self.kb, query.name, {})
                for fmt in ("csv", "json"):
                    text, _ = pages.result_download(result["raw"], fmt)
                    self.write(f"queries/{query.name}.{fmt}", text)
            self.page(f"queries/{query.name}", "query.html", query=query, given={},
                      result=result, error=None)

    def resource_pages(self) -> None:
        """A page, its RDF files and (with maps) its focus map for every resource."""
        from .web import pages
        from .web.app import resource_html

        for path in sorted(self.known):
            iri = pages.iri_for_path(path)
            self.write(path + ".html", resource_html(self.kb, iri, self.links(path),
                                                     maps=self.maps))
            self.pages += 1
            triples = pages.description(self.kb, iri)
            for fmt, suffix in DATA_FILES:
                self.write(path + suffix, pages.serialize(triples, fmt))
                self.data_files += 1
            if self.maps and pages.concept_page(self.kb, iri)["has_map"]:
                self.focus_map(iri, path)

    def focus_map(self, iri: str, path: str) -> None:
        from .conceptmap import ConceptMap
        from .web.pages import MAP_MAX_NODES

        cmap = ConceptMap(self.kb, focus=iri, depth=1, max_nodes=MAP_MAX_NODES)
        self.write(f"map/{path}.html", cmap.html)
        self.map_count += 1

    def assets(self) -> None:
        static = resources.files("ddkb.web.static")
        for name in ASSETS:
            self.write(f"static/{name}", static.joinpath(name).read_text(encoding="utf-8"))
        self.write("404.html", _not_found_page(self.links("")))
        self.write(MARKER, "This folder was written by 'ddkb site'; 'ddkb site' may "
                           "replace it.\n")


def _not_found_page(links: Any) -> str:
    from .web.render import render

    return render("error.html", links, status=404, title="Not found",
                  message="There is no page at this address.")


def htaccess(base_url: str) -> str:
    """The w3id.org redirect rules for https://w3id.org/ddkb/ (Apache mod_rewrite).

    Goes to the w3id.org repository as ``ddkb/.htaccess``. A request with a
    suffix goes to that file; otherwise ``Accept`` picks Turtle, JSON-LD,
    RDF/XML (also N-Triples, answered as Turtle, a superset) or HTML; 303 See
    Other, as for any non-information resource.
    """
    return f"""# w3id.org redirect rules for https://w3id.org/ddkb/ (written by 'ddkb site').
# Copy this file to the w3id.org repository as ddkb/.htaccess.
# The static site (ddkb site -o DIR) is published at {base_url}
Options +FollowSymLinks
RewriteEngine on

# A file name with a suffix: that file.
RewriteRule ^(.+)\\.(html|ttl|jsonld|rdf)$ {base_url}$1.$2 [R=303,L]

# Content negotiation by Accept.
RewriteCond %{{HTTP_ACCEPT}} text/turtle [OR]
RewriteCond %{{HTTP_ACCEPT}} application/n-triples
RewriteRule ^(.+)$ {base_url}$1.ttl [R=303,L]

RewriteCond %{{HTTP_ACCEPT}} application/ld\\+json
RewriteRule ^(.+)$ {base_url}$1.jsonld [R=303,L]

RewriteCond %{{HTTP_ACCEPT}} application/rdf\\+xml
RewriteRule ^(.+)$ {base_url}$1.rdf [R=303,L]

# Anything else (browsers): the HTML page.
RewriteRule ^$ {base_url}index.html [R=303,L]
RewriteRule ^(.+)$ {base_url}$1.html [R=303,L]
"""


def write_site(kb: Any, folder: str | Path, *, maps: bool = False,
               base_url: str | None = None) -> SiteReport:
    """Write the static site of ``kb`` into ``folder`` (atomically; see the module doc).

    Raises RefusedError for a target that is not empty and not a previous ddkb
    site, InputError for a bad ``base_url``. On any error the folder is as it was.
    """
    target = Path(folder)
    base_url = _check_base_url(base_url)
    _check_target(target)
    parent = target.absolute().parent
    if not parent.is_dir():
        raise InputError(f"{target}: the folder {parent} does not exist")
    _remove_abandoned(parent, target.name)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-{os.getpid()}-", dir=parent))
    try:
        writer = _Writer(kb, fresh, maps)
        writer.browse_pages()
        writer.query_pages()
        writer.resource_pages()
        writer.assets()
        if base_url is not None:
            writer.write("w3id.htaccess", htaccess(base_url))
        os.chmod(fresh, 0o755)
        _swap_in(fresh, target)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return SiteReport(target, writer.pages, writer.data_files, writer.map_count,
                      base_url is not None)


def _remove_abandoned(parent: Path, name: str) -> None:
    """Remove half-written sites of ``name`` whose writer was killed (its process is gone).

    A writer's folder is ``.NAME.new-PID-XXXX``: a folder whose process still
    runs (another ``ddkb site`` writing the same target) is left alone.
    """
    for folder in parent.glob(f".{name}.new-*"):
        pid = folder.name[len(f".{name}.new-"):].split("-", 1)[0]
        if not (pid.isdigit() and folder.is_dir() and not folder.is_symlink()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError):
            pass


def _swap_in(fresh: Path, target: Path) -> None:
    """Put ``fresh`` where ``target`` is; the old site is removed only once replaced."""
    if not target.exists():
        fresh.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=fresh.parent))
    old.rmdir()
    target.rename(old)
    try:
        fresh.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
