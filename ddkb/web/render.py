"""Jinja2 rendering shared by ``ddkb serve`` and ``ddkb site``: templates and links.

The same templates serve both; only the links differ. Live, a resource is at
``/defense-diplomacy``; on disk it is ``defense-diplomacy.html`` and every
link is relative to the page that holds it, so the site opens from a folder.
"""

from __future__ import annotations

import posixpath
from functools import cache
from typing import Any
from urllib.parse import urlencode

from ..namespaces import curie
from .pages import path_for_iri


@cache
def environment():
    """The Jinja2 environment over ``ddkb/web/templates`` (autoescaping on, built once)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ddkb.web", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.globals["curie"] = curie
    return env


class Links:
    """Where a page's links point: live app paths or relative files of the static site.

    ``here`` is the page's own path (``""`` home, ``"claim/x"``); ``known`` the
    paths of the resources that have pages (links to others go to the IRI
    itself, so no link on a page is ever broken).
    """

    def __init__(self, mode: str, here: str = "", known: frozenset[str] | set[str] = frozenset(),
                 sparql: bool = False) -> None:
        self.mode = mode
        self.here = here
        self.known = known
        self.site = mode == "site"
        self.sparql = sparql and not self.site

    def href(self, path: str) -> str:
        """The link to the page at app path ``path`` (``""`` is the home page)."""
        if not self.site:
            return "/" + path
        return self._relative((path or "index") + ".html")

    def _relative(self, target: str) -> str:
        start = posixpath.dirname(self.here) or "."
        return posixpath.relpath(target, start)

    def resource(self, iri: str) -> str:
        """The page of ``iri`` if it has one, else the IRI itself."""
        path = path_for_iri(iri)
        return self.href(path) if path is not None and path in self.known else iri

    def has_page(self, iri: str) -> bool:
        path = path_for_iri(iri)
        return path is not None and path in self.known

    def root(self) -> str:
        """The site's root folder relative to this page (``/`` live), ending in ``/``."""
        if not self.site:
            return "/"
        rel = self._relative("index.html")
        return rel[: -len("index.html")] or "./"

    def static(self, name: str) -> str:
        return "/static/" + name if not self.site else self._relative("static/" + name)

    def data(self, iri: str, suffix: str) -> str:
        """The link to the RDF of ``iri`` (``suffix`` such as ``.ttl``)."""
        path = path_for_iri(iri) or ""
        return "/" + path + suffix if not self.site else self._relative(path + suffix)

    def map(self, iri: str) -> str:
        path = path_for_iri(iri) or ""
        return "/map/" + path if not self.site else self._relative("map/" + path + ".html")

    def query(self, name: str, params: dict[str, str] | None = None, fmt: str = "") -> str:
        """A named query's page (live: with its parameters and an optional download format)."""
        if self.site:
            return self._relative(f"queries/{name}" + (f".{fmt}" if fmt else ".html"))
        args = dict(params or {})
        if fmt:
            args["format"] = fmt
        return f"/queries/{name}" + ("?" + urlencode(args) if args else "")


def render(template: str, links: Links, **context: Any) -> str:
    """The HTML of ``template`` with ``context`` (``links`` available as ``L``)."""
    return environment().get_template(template).render(L=links, **context)
