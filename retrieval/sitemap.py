"""Read a sitemap (<urlset>) or a sitemap index (<sitemapindex>) into a list of page URLs.

Parsed with the standard library's XML parser; a document type declaration is refused before
parsing, so entity tricks (billion laughs, external entities) never reach the parser. Every
fetch goes through `urlsafety.fetch` (the caller passes it in), so a sitemap cannot point
ragcord at the machine's own network any more than a single URL can.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from .errors import IngestError, one_line
from .urlsafety import Fetched

MAX_NESTED = 2  # a sitemap index may list sitemaps; those may not list further indexes
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

FetchSitemap = Callable[[str], Fetched]


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "urlset" or "sitemapindex"
    locations: list[str]  # page URLs (urlset) or child sitemap URLs (sitemapindex)


def looks_like_sitemap(url: str) -> bool:
    """Whether a URL names a sitemap by convention (…/sitemap.xml, …/sitemap_index.xml, …/sitemap-1.xml)."""
    path = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
    return path.startswith("sitemap") and path.endswith(".xml")


def parse_sitemap(body: bytes, url: str = "sitemap") -> Sitemap:
    """The <loc> entries of a sitemap body. Raises IngestError when it is not a sitemap."""
    if _DOCTYPE.search(body[:4096]):
        raise IngestError(f"not a usable sitemap: {url} declares a document type (refused)")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise IngestError(f"not a usable sitemap: {url} ({one_line(exc, 80)})") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise IngestError(f"not a sitemap: {url} (root element <{kind}>)")
    child = "url" if kind == "urlset" else "sitemap"
    locations: list[str] = []
    for entry in root:
        if _local(entry.tag) != child:
            continue
        for field in entry:
            if _local(field.tag) == "loc" and field.text and field.text.strip():
                locations.append(field.text.strip())
    return Sitemap(kind, list(dict.fromkeys(locations)))


def sitemap_pages(url: str, fetch: FetchSitemap, *, max_pages: int, first: Sitemap | None = None) -> list[str]:
    """Every page URL a sitemap (or a sitemap index, one level deep) lists, at most `max_pages`.

    `first`: the sitemap at `url`, when the caller has fetched and parsed it already."""
    pages: list[str] = []
    queue: list[tuple[str, int]] = [(url, 0)]
    seen: set[str] = set()
    while queue and len(pages) < max_pages:
        current, depth = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        found = first if first is not None and current == url else parse_sitemap(fetch(current).body, current)
        if found.kind == "sitemapindex":
            if depth + 1 >= MAX_NESTED:
                raise IngestError(f"not a usable sitemap: {current} nests sitemap indexes too deep")
            queue.extend((loc, depth + 1) for loc in found.locations)
            continue
        for loc in found.locations:
            if not loc.lower().startswith(("http://", "https://")):
                continue
            if loc not in pages:
                pages.append(loc)
    return pages[:max_pages]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
