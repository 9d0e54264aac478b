"""Re-sync URL and sitemap sources: re-fetch cheaply, re-embed only what changed.

Per page, a conditional GET (If-None-Match / If-Modified-Since with the validators of the
last fetch). A 304, or a 200 whose body hashes as before, costs no parsing and no embedding;
a changed body is parsed and re-ingested through the knowledge base's update path (only
that document). A page no longer in its sitemap, or answering 404/410 on two syncs in a
row, is removed from the index. Any other failure is recorded on the page (last_error,
error_count) and retried with exponential backoff; it never stops the other pages or sources.

Blocking (HTTP, SQLite, embedding): run it in a worker thread. The clock and the fetch
function are injectable, so tests need no sleeps and no network beyond a local server.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .errors import IngestError
from .knowledge_bases import AnyKnowledgeBase, open_sync_store
from .loaders import is_url, parse_fetched
from .sitemap import looks_like_sitemap, parse_sitemap, sitemap_pages
from .sync_state import SyncPage, SyncSource, parse_interval
from .types import IngestReport, LoadedDocument
from .urlsafety import Fetched, HTTPStatusError, fetch

Clock = Callable[[], float]
# fetch(url, etag, last_modified) -> Fetched; raises IngestError (HTTPStatusError for 4xx/5xx)
Fetcher = Callable[[str, str | None, str | None], Fetched]

__all__ = ["Resyncer", "ResyncReport", "backoff", "parse_interval"]

BACKOFF_BASE_S = 300.0
BACKOFF_CAP_S = 24 * 3600.0
GONE_STATUSES = frozenset({404, 410})
GONE_LIMIT = 2  # consecutive 404/410 answers before a page is removed


@dataclass
class ResyncReport:
    changed: int = 0  # pages re-embedded (new or updated documents)
    added: int = 0  # of those, new documents
    unchanged: int = 0  # 304, same body hash, or the same text after parsing
    failed: int = 0
    removed: int = 0
    skipped: int = 0  # pages still backing off (due-only runs)
    sources: int = 0
    chunks_embedded: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)  # {source, error}

    def merge(self, other: ResyncReport) -> None:
        for name in ("changed", "added", "unchanged", "failed", "removed", "skipped", "sources", "chunks_embedded"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    def as_ingest(self) -> IngestReport:
        """The same outcome in the shape `ragcord ingest` reports."""
        return IngestReport(added=self.added, updated=self.changed - self.added, unchanged=self.unchanged,
                            chunks_embedded=self.chunks_embedded, errors=list(self.errors))


def backoff(error_count: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """Seconds to wait after the `error_count`-th failure in a row: base, 2·base, 4·base … ≤ cap."""
    return min(cap, base * 2 ** max(0, error_count - 1))


class Resyncer:
    """Re-syncs the registered sources of one knowledge base."""

    def __init__(self, kb: AnyKnowledgeBase, *, clock: Clock = time.time, fetcher: Fetcher | None = None,
                 backoff_base_s: float = BACKOFF_BASE_S, backoff_cap_s: float = BACKOFF_CAP_S) -> None:
        self.kb = kb
        self.store = open_sync_store(kb)
        self.clock = clock
        self.fetch = fetcher or self._fetch
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s

    def _fetch(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        limits = self.kb.config.limits
        return fetch(url, max_bytes=limits.max_file_bytes, timeout=limits.url_timeout_s,
                     allowlist=limits.url_allowlist, etag=etag, last_modified=last_modified)

    # ---------------------------------------------------------------- sources
    def add(self, url: str, *, every_s: int = 0, sitemap: bool | None = None) -> SyncSource:
        """Register a URL (or, with `sitemap` or a …/sitemap*.xml name, a sitemap) for re-sync."""
        if not is_url(url):
            raise IngestError(f"only http(s) URLs can be re-synced: {url[:80]}")
        kind = "sitemap" if (sitemap if sitemap is not None else looks_like_sitemap(url)) else "url"
        return self.store.add_source(url, kind, every_s, self.clock())

    def due(self) -> list[SyncSource]:
        now = self.clock()
        return [s for s in self.store.sources() if s.due(now)]

    def run(self, *, due_only: bool = False, urls: list[str] | None = None) -> ResyncReport:
        """Re-sync every source (or those due, or those in `urls`); one report for all."""
        report = ResyncReport()
        chosen = self.due() if due_only else self.store.sources()
        for source in chosen:
            if urls is None or source.url in urls:
                report.merge(self.sync_source(source, due_only=due_only))
        return report

    def sync_source(self, source: SyncSource, *, due_only: bool = False) -> ResyncReport:
        now = self.clock()
        report = ResyncReport(sources=1)
        try:
            listed = self._listed(source)
        except IngestError as exc:  # the sitemap itself failed: record it, keep its pages as they are
            count = source.error_count + 1
            report.failed += 1
            report.errors.append({"source": source.url, "error": str(exc)})
            retry = now + backoff(count, self.backoff_base_s, self.backoff_cap_s) if source.every_s else None
            self.store.source_done(source.url, now=now, next_at=retry, error=str(exc), error_count=count)
            return report
        known = {p.url: p for p in self.store.pages(source.url)}
        for url in sorted(set(known) - set(listed)):  # gone from the sitemap
            self._remove(url, report)
        changed: list[tuple[SyncPage, LoadedDocument]] = []
        for url in listed:
            page = known.get(url) or SyncPage(url=url, origin=source.url)
            if due_only and page.next_sync_at is not None and page.next_sync_at > now:
                report.skipped += 1
                continue
            doc = self._check(page, now, report)
            if doc is not None:
                changed.append(doc)
        self._ingest(changed, now, report)
        retries = [p.next_sync_at for p in self.store.pages(source.url) if p.error_count and p.next_sync_at]
        next_at = now + source.every_s if source.every_s else None
        if next_at is not None and retries:
            next_at = min(next_at, *retries)
        self.store.source_done(source.url, now=now, next_at=next_at, error=None, error_count=0)
        return report

    def _listed(self, source: SyncSource) -> list[str]:
        """The source's pages. A <urlset> sitemap is fetched conditionally: on a 304 its pages are
        the ones it listed last time (a sitemap index is always read whole, its children too)."""
        if source.kind != "sitemap":
            return [source.url]
        known = [p.url for p in self.store.pages(source.url)]
        got = self.fetch(source.url, source.etag if known else None, source.last_modified if known else None)
        if got.status == 304:
            return known
        first = parse_sitemap(got.body, source.url)
        urlset = first.kind == "urlset"
        self.store.source_validators(source.url, got.etag if urlset else None, got.last_modified if urlset else None)
        return sitemap_pages(source.url, lambda u: self.fetch(u, None, None),
                             max_pages=self.kb.config.limits.max_sitemap_pages, first=first)

    # ---------------------------------------------------------------- pages
    def _check(self, page: SyncPage, now: float, report: ResyncReport) -> tuple[SyncPage, LoadedDocument] | None:
        """Fetch one page conditionally; a (page, document) pair when it must be re-ingested."""
        indexed = self.kb.catalog.document(page.url) is not None
        try:
            got = self.fetch(page.url, page.etag if indexed else None, page.last_modified if indexed else None)
        except HTTPStatusError as exc:
            if exc.status in GONE_STATUSES and page.gone_count + 1 >= GONE_LIMIT:
                self._remove(page.url, report)
                return None
            gone = page.gone_count + 1 if exc.status in GONE_STATUSES else 0
            self._failed(replace(page, gone_count=gone), str(exc), now, report)
            return None
        except IngestError as exc:
            self._failed(page, str(exc), now, report)
            return None
        digest = hashlib.sha256(got.body).hexdigest() if got.status != 304 else page.body_sha256
        fresh = replace(page, etag=got.etag, last_modified=got.last_modified, body_sha256=digest,
                        last_synced_at=now, next_sync_at=None, last_error=None, error_count=0, gone_count=0)
        if indexed and (got.status == 304 or digest == page.body_sha256):
            self.store.save_page(fresh)
            report.unchanged += 1
            return None
        try:
            return fresh, parse_fetched(got, page.url, self.kb.config.limits)
        except IngestError as exc:
            self._failed(page, str(exc), now, report)
            return None

    def _ingest(self, changed: list[tuple[SyncPage, LoadedDocument]], now: float, report: ResyncReport) -> None:
        if not changed:
            return
        result = self.kb.ingest_documents([doc for _, doc in changed], added_by="resync")
        report.chunks_embedded += result.chunks_embedded
        failed = {e["source"]: e["error"] for e in result.errors}
        for page, _doc in changed:
            if page.url in failed:
                self._failed(page, failed[page.url], now, report)
            else:
                self.store.save_page(page)
        report.unchanged += result.unchanged
        report.changed += result.added + result.updated
        report.added += result.added

    def _failed(self, page: SyncPage, error: str, now: float, report: ResyncReport) -> None:
        count = page.error_count + 1
        retry = now + backoff(count, self.backoff_base_s, self.backoff_cap_s)
        self.store.save_page(replace(page, last_error=error, error_count=count, next_sync_at=retry))
        report.failed += 1
        report.errors.append({"source": page.url, "error": error})

    def _remove(self, url: str, report: ResyncReport) -> None:
        if self.kb.remove(url) is not None:
            report.removed += 1
        self.store.remove_page(url)
