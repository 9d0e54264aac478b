"""Re-sync against a real local HTTP server: conditional GETs, hashes, removal, backoff, schedule."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from retrieval.config import Limits, RetrievalConfig
from retrieval.embedder import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.resync import Resyncer, backoff, parse_interval
from retrieval.sync_state import sync_scopes

LOCAL = ("127.0.0.1",)  # the test server is local: loopback must be allowed explicitly


@dataclass
class Site:
    """What the test server serves; tests change it between syncs."""

    base: str = ""
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (content type, body)
    status: dict[str, int] = field(default_factory=dict)  # path -> forced HTTP status
    etags: bool = True  # False: a server that ignores validators and sends none
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, If-None-Match)

    def html(self, path: str, title: str, text: str) -> None:
        self.pages[path] = ("text/html; charset=utf-8",
                            f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>".encode())

    def sitemap(self, paths: list[str]) -> None:
        locs = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in paths)
        self.pages["/sitemap.xml"] = ("application/xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>').encode())


@pytest.fixture()
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            state.requests.append((self.path, self.headers.get("If-None-Match")))
            if self.path in state.status:
                self.send_error(state.status[self.path])
                return
            if self.path not in state.pages:
                self.send_error(404)
                return
            ctype, body = state.pages[self.path]
            tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if state.etags and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if state.etags:
                self.send_header("ETag", tag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.encoded = 0
        self.texts: list[str] = []

    def encode(self, texts: list[str]):  # noqa: ANN201 - numpy array, as the inner embedder returns
        self.encoded += len(texts)
        self.texts.extend(texts)
        return self._inner.encode(texts)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@pytest.fixture()
def counting(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture()
def kb(tmp_path: Path, counting: CountingEmbedder) -> KnowledgeBase:
    config = RetrievalConfig(limits=Limits(url_allowlist=LOCAL, url_timeout_s=5))
    return KnowledgeBase(tmp_path / "kb", "global", counting, config)  # type: ignore[arg-type]


def three_pages(site: Site) -> list[str]:
    site.html("/a", "Kettles", "Descale the kettle every month with citric acid.")
    site.html("/b", "Lanterns", "Paper lanterns need a fire-safe LED candle.")
    site.html("/c", "Bicycles", "Oil the bicycle chain after riding in the rain.")
    site.sitemap(["/a", "/b", "/c"])
    return ["/a", "/b", "/c"]


def test_first_sync_embeds_then_unchanged_sync_uses_304_and_embeds_nothing(
        site: Site, kb: KnowledgeBase, counting: CountingEmbedder) -> None:
    three_pages(site)
    clock = Clock()
    resync = Resyncer(kb, clock=clock)
    resync.add(f"{site.base}/sitemap.xml", every_s=3600)
    first = resync.run()
    assert (first.changed, first.failed, first.errors) == (3, 0, [])
    assert first.chunks_embedded >= 3
    assert len(kb.list_documents()) == 3
    generation = kb.catalog.index_state().generation
    site.requests.clear()
    counting.encoded = 0
    clock.now += 3600
    again = resync.run(due_only=True)
    assert (again.changed, again.unchanged, again.chunks_embedded, again.failed) == (0, 3, 0, 0)
    assert counting.encoded == 0
    assert kb.catalog.index_state().generation == generation  # the index is untouched
    assert sorted(p for p, _ in site.requests) == ["/a", "/b", "/c", "/sitemap.xml"]
    assert all(tag is not None for _, tag in site.requests)  # every GET was conditional, the sitemap's too


def test_server_without_validators_same_body_is_unchanged_by_hash(
        site: Site, kb: KnowledgeBase, counting: CountingEmbedder) -> None:
    site.etags = False
    three_pages(site)
    resync = Resyncer(kb, clock=Clock())
    resync.add(f"{site.base}/sitemap.xml")
    assert resync.run().changed == 3
    counting.encoded = 0
    again = resync.run()
    assert (again.changed, again.unchanged, again.chunks_embedded) == (0, 3, 0)
    assert counting.encoded == 0


def test_changed_page_reembeds_only_that_page(site: Site, kb: KnowledgeBase, counting: CountingEmbedder) -> None:
    three_pages(site)
    resync = Resyncer(kb, clock=Clock())
    resync.add(f"{site.base}/sitemap.xml")
    resync.run()
    before = {d.source: d for d in kb.list_documents()}
    counting.texts.clear()
    site.html("/b", "Lanterns", "Paper lanterns now ship with a rechargeable battery light.")
    again = resync.run()
    assert (again.changed, again.unchanged) == (1, 2)
    assert again.chunks_embedded == 1
    assert counting.texts and all("rechargeable" in t for t in counting.texts)  # page /b, nothing else
    after = {d.source: d for d in kb.list_documents()}
    assert after[f"{site.base}/b"].sha256 != before[f"{site.base}/b"].sha256
    assert after[f"{site.base}/a"].sha256 == before[f"{site.base}/a"].sha256
    assert "rechargeable" in kb.search("rechargeable battery lantern", k=1)[0].text


def test_page_removed_from_sitemap_is_removed_from_the_index(site: Site, kb: KnowledgeBase) -> None:
    three_pages(site)
    resync = Resyncer(kb, clock=Clock())
    resync.add(f"{site.base}/sitemap.xml")
    resync.run()
    site.sitemap(["/a", "/c"])
    again = resync.run()
    assert again.removed == 1
    assert sorted(d.source for d in kb.list_documents()) == [f"{site.base}/a", f"{site.base}/c"]
    assert resync.store.page(f"{site.base}/b") is None


def test_page_answering_404_twice_is_removed(site: Site, kb: KnowledgeBase) -> None:
    site.html("/solo", "Solo", "A single page about teapots.")
    resync = Resyncer(kb, clock=Clock())
    resync.add(f"{site.base}/solo")
    resync.run()
    site.status["/solo"] = 404
    first = resync.run()
    assert (first.failed, first.removed, len(kb.list_documents())) == (1, 0, 1)
    second = resync.run()
    assert (second.removed, kb.list_documents()) == (1, [])


def test_failing_url_records_error_backs_off_and_does_not_block_others(site: Site, kb: KnowledgeBase) -> None:
    three_pages(site)
    site.status["/b"] = 500
    clock = Clock()
    resync = Resyncer(kb, clock=clock, backoff_base_s=300, backoff_cap_s=1200)
    resync.add(f"{site.base}/sitemap.xml", every_s=86400)
    report = resync.run(due_only=True)
    assert (report.changed, report.failed) == (2, 1)
    page = resync.store.page(f"{site.base}/b")
    assert page is not None and page.error_count == 1 and "HTTP 500" in (page.last_error or "")
    assert page.next_sync_at == clock.now + 300
    source = resync.store.source(f"{site.base}/sitemap.xml")
    assert source is not None and source.next_sync_at == clock.now + 300  # retried before the daily sync
    clock.now += 100
    assert resync.due() == []
    clock.now += 250
    again = resync.run(due_only=True)
    assert (again.failed, again.unchanged) == (1, 2)
    page = resync.store.page(f"{site.base}/b")
    assert page is not None and page.error_count == 2 and page.next_sync_at == clock.now + 600
    del site.status["/b"]
    clock.now += 600
    healed = resync.run(due_only=True)
    assert (healed.changed, healed.failed) == (1, 0)
    page = resync.store.page(f"{site.base}/b")
    assert page is not None and (page.error_count, page.last_error, page.next_sync_at) == (0, None, None)


def test_pages_still_backing_off_are_skipped_by_due_only_runs(site: Site, kb: KnowledgeBase) -> None:
    three_pages(site)
    site.status["/c"] = 503
    clock = Clock()
    resync = Resyncer(kb, clock=clock)
    source = resync.add(f"{site.base}/sitemap.xml", every_s=60)
    resync.run()
    clock.now += 60  # the source is due again, /c is still backing off (300 s)
    report = resync.run(due_only=True)
    assert (report.skipped, report.unchanged, report.failed) == (1, 2, 0)
    assert source.url in {s.url for s in resync.store.sources()}


def test_scheduler_picks_only_due_sources(site: Site, kb: KnowledgeBase) -> None:
    site.html("/hourly", "Hourly", "News about kettles, hourly.")
    site.html("/daily", "Daily", "News about lanterns, daily.")
    site.html("/manual", "Manual", "News about bicycles, on demand.")
    clock = Clock()
    resync = Resyncer(kb, clock=clock)
    for path, every in (("/hourly", 3600), ("/daily", 86400), ("/manual", 0)):
        resync.add(f"{site.base}{path}", every_s=every)
    assert sorted(s.url for s in resync.due()) == [f"{site.base}/daily", f"{site.base}/hourly"]  # never synced
    assert resync.run(due_only=True).changed == 2
    assert resync.due() == []
    clock.now += 2 * 3600
    assert [s.url for s in resync.due()] == [f"{site.base}/hourly"]
    site.requests.clear()
    resync.run(due_only=True)
    assert [p for p, _ in site.requests] == ["/hourly"]
    assert sync_scopes(kb.db_path) == ["global"]


def test_sitemap_index_and_page_limit(site: Site, tmp_path: Path, counting: CountingEmbedder) -> None:
    for i in range(4):
        site.html(f"/p{i}", f"Page {i}", f"Page number {i} about tea.")
    site.sitemap(["/p0", "/p1", "/p2", "/p3"])
    site.pages["/sitemap_index.xml"] = ("application/xml", (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.base}/sitemap.xml</loc></sitemap></sitemapindex>").encode())
    config = RetrievalConfig(limits=Limits(url_allowlist=LOCAL, max_sitemap_pages=3))
    kb = KnowledgeBase(tmp_path / "kb2", "global", counting, config)  # type: ignore[arg-type]
    resync = Resyncer(kb, clock=Clock())
    assert resync.add(f"{site.base}/sitemap_index.xml").kind == "sitemap"
    assert resync.run().changed == 3


def test_sitemap_on_a_loopback_host_needs_the_allowlist(site: Site, tmp_path: Path, counting: CountingEmbedder) -> None:
    three_pages(site)
    kb = KnowledgeBase(tmp_path / "kb3", "global", counting, RetrievalConfig())  # type: ignore[arg-type]
    resync = Resyncer(kb, clock=Clock())
    resync.add(f"{site.base}/sitemap.xml", every_s=60)
    report = resync.run()
    assert report.failed == 1 and "loopback" in report.errors[0]["error"]
    assert site.requests == []
    source = resync.store.source(f"{site.base}/sitemap.xml")
    assert source is not None and source.error_count == 1 and "loopback" in (source.last_error or "")


def test_intervals_and_backoff() -> None:
    assert [parse_interval(x) for x in ("24h", "30m", "90s", "7d", "", "off", "15")] == [
        86400, 1800, 90, 604800, 0, 0, 15]
    with pytest.raises(ValueError):
        parse_interval("soon")
    assert [backoff(n, 300, 1000) for n in (1, 2, 3, 4)] == [300, 600, 1000, 1000]


def test_a_version_1_catalogue_gains_the_sync_tables(tmp_path: Path) -> None:
    from retrieval import catalog

    db = tmp_path / "old.db"
    conn = catalog.connect(db)
    try:
        original = list(catalog.MIGRATIONS)
        catalog.MIGRATIONS[:] = original[:1]
        try:
            assert catalog.migrate(conn) == [1]
        finally:
            catalog.MIGRATIONS[:] = original
        assert catalog.migrate(conn) == [2]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"documents", "sync_sources", "sync_pages"} <= tables
    finally:
        conn.close()


def test_sitemap_parser_refuses_doctype_and_non_sitemaps() -> None:
    from retrieval.errors import IngestError
    from retrieval.sitemap import looks_like_sitemap, parse_sitemap

    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc></url></urlset>'
    with pytest.raises(IngestError, match="document type"):
        parse_sitemap(bomb)
    with pytest.raises(IngestError, match="not a sitemap"):
        parse_sitemap(b"<html><body>hi</body></html>")
    with pytest.raises(IngestError, match="not a usable sitemap"):
        parse_sitemap(b"<urlset><url>")
    found = parse_sitemap(b"<urlset><url><loc> https://a.example/x </loc></url><url><loc>https://a.example/x</loc>"
                          b"</url></urlset>")
    assert (found.kind, found.locations) == ("urlset", ["https://a.example/x"])
    assert looks_like_sitemap("https://a.example/sitemap.xml") and looks_like_sitemap("https://a.example/sitemap_1.xml")
    assert not looks_like_sitemap("https://a.example/docs/page.xml")
