"""Re-sync of ingested URLs and sitemaps for the bot process and the CLI (retrieval/resync.py does the work).

Every blocking step (HTTP, SQLite, embedding) runs in a worker thread; the results of each pass
go to the assistant's observer (`ragcord_resync_documents_total` with metrics on).
`ResyncTask` is the background job `ragcord run` starts: it wakes every `ops.resync_check_s`
and re-syncs the sources that are due, one scope after another; a failing scope is logged in
one line and never stops the loop.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.assistant import Assistant
from retrieval.errors import one_line
from retrieval.resync import Clock, Fetcher, Resyncer, ResyncReport, parse_interval
from retrieval.sync_state import SyncPage, SyncSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncInfo:
    """What the document lists show beside a URL document."""

    last_synced_at: float | None
    last_error: str | None
    error_count: int
    next_sync_at: float | None


def default_every(assistant: Assistant) -> int:
    """The configured default re-sync interval in seconds (ops.resync_every; 0 = off)."""
    return parse_interval(assistant.settings.ops.resync_every)


class ResyncService:
    def __init__(self, assistant: Assistant, *, clock: Clock = time.time, fetcher: Fetcher | None = None) -> None:
        self.assistant = assistant
        self.clock = clock
        self.fetcher = fetcher

    def _resyncer(self, scope: str) -> Resyncer:
        return Resyncer(self.assistant.kbs.get(scope), clock=self.clock, fetcher=self.fetcher)

    async def add_and_sync(self, scope: str, urls: Sequence[str], *, every_s: int | None = None,
                           sitemap: bool | None = None) -> ResyncReport:
        """Register URLs (or sitemaps) as re-sync sources and sync them now (the first ingest)."""
        every = default_every(self.assistant) if every_s is None else every_s

        def work() -> ResyncReport:
            resync = self._resyncer(scope)
            report = ResyncReport()
            for url in dict.fromkeys(urls):
                known = resync.store.source(url) is not None
                part = resync.sync_source(resync.add(url, every_s=every, sitemap=sitemap))
                if not known and part.changed + part.unchanged == 0:  # a typo or a dead link: not kept
                    resync.store.remove_source(url)
                report.merge(part)
            return report

        report = await asyncio.to_thread(work)
        self.assistant.observer.resynced(report.changed, report.unchanged, report.failed)
        return report

    async def resync(self, scope: str | None = None, *, due_only: bool = False) -> dict[str, ResyncReport]:
        """Re-sync one scope's sources (or every scope's); a report per scope."""
        scopes = [scope] if scope else await asyncio.to_thread(self.assistant.kbs.sync_scopes)
        out: dict[str, ResyncReport] = {}
        for name in scopes:
            report = await asyncio.to_thread(lambda n=name: self._resyncer(n).run(due_only=due_only))
            self.assistant.observer.resynced(report.changed, report.unchanged, report.failed)
            out[name] = report
        return out

    async def sources(self, scope: str) -> list[SyncSource]:
        return await asyncio.to_thread(lambda: self.assistant.kbs.sync_store(scope).sources())

    async def states(self, scope: str) -> dict[str, SyncInfo]:
        """Per document source (URL): its last sync and last error."""
        def read() -> dict[str, SyncInfo]:
            store = self.assistant.kbs.sync_store(scope)
            return {p.url: _info(p) for p in store.pages()}

        return await asyncio.to_thread(read)

    async def forget(self, scope: str, url: str) -> None:
        """Stop re-syncing a source (its pages stay in the index until removed)."""
        await asyncio.to_thread(lambda: self.assistant.kbs.sync_store(scope).remove_source(url))


def _info(page: SyncPage) -> SyncInfo:
    return SyncInfo(page.last_synced_at, page.last_error, page.error_count, page.next_sync_at)


def describe(info: SyncInfo | None, now: float) -> str:
    """'synced 3h ago', 'synced 2d ago · error: HTTP 500 …', or '' for documents that are not re-synced."""
    if info is None:
        return ""
    text = f"synced {_ago(now - info.last_synced_at)}" if info.last_synced_at is not None else "never synced"
    if info.last_error:
        text += f" · error ×{info.error_count}: {one_line(info.last_error, 80)}"
    return text


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


class ResyncTask:
    """The background loop of `ragcord run`: due re-syncs every `interval_s`, off the event loop."""

    def __init__(self, service: ResyncService, interval_s: float,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.service = service
        self.interval_s = interval_s
        self.on_error = on_error or (lambda line: log.warning("re-sync: %s", line))
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> dict[str, ResyncReport]:
        """One pass over every scope's due sources; an error becomes one logged line."""
        try:
            return await self.service.resync(due_only=True)
        except Exception as exc:  # noqa: BLE001 - the loop must survive anything one pass raises
            self.on_error(one_line(exc, 200) or type(exc).__name__)
            return {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="ragcord-resync")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _loop(self) -> None:
        while not self._stop.is_set():
            await self.run_once()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_s)
            except asyncio.TimeoutError:
                continue
