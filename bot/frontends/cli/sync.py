"""`ragcord resync` and the URL half of `ragcord ingest`: URLs and sitemaps become re-sync sources.

The commands are in app.py; the work is bot/services/resync.py (which runs retrieval/resync.py in a thread).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from bot.core.config import Settings
from bot.frontends.cli.stores import opened_store
from bot.services.ingest_jobs import ingest_now, job_kind
from bot.services.resync import ResyncService, SyncInfo, describe
from bot.store.job_rows import JobPayload, JobRow
from retrieval.loaders import is_url
from retrieval.resync import ResyncReport, parse_interval
from retrieval.types import DocumentInfo, IngestReport

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ResyncOpt = Annotated[str | None, typer.Option(
    "--resync", help="re-sync URLs / sitemaps this often (30m, 24h, 7d, off) [setting ops.resync_every]")]
SitemapOpt = Annotated[bool, typer.Option("--sitemap", help="the URLs are sitemaps: ingest every page they list")]


def interval_or_exit(text: str | None) -> int | None:
    """--resync as seconds (None: the configured default); a bad value exits with one line."""
    if text is None:
        return None
    try:
        return parse_interval(text)
    except ValueError as exc:
        err.print(f"[red]error:[/] --resync: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None


async def ingest_sources(assistant: Any, scope: str, sources: Sequence[str], *, every_s: int | None,
                         sitemap: bool, progress: Callable[[str, int, int], None]) -> IngestReport:
    """`ragcord ingest`: the request becomes an ingest job, run here and now (bot/services/ingest_jobs.py)."""
    return await ingest_now(assistant, scope, sources, "cli", progress=progress, every_s=every_s, sitemap=sitemap)


async def enqueue_sources(settings: Settings, scope: str, sources: Sequence[str], *, every_s: int | None,
                          sitemap: bool) -> JobRow:
    """`ragcord ingest --queue`: the job only (no models loaded), for a worker (`ragcord run`, the console)."""
    payload = JobPayload(sources=[_absolute(s) for s in sources], every_s=every_s, sitemap=sitemap)
    async with opened_store(settings) as store:
        return await store.jobs.enqueue(scope, job_kind(sources, sitemap), payload, "cli")


def _absolute(source: str) -> str:
    return source if is_url(source) else str(Path(source).resolve())


async def documents_with_sync(assistant: Any, scope: str) -> tuple[list[DocumentInfo], dict[str, SyncInfo]]:
    docs = await assistant.list_documents(scope)
    return docs, await ResyncService(assistant).states(scope)


def sync_column(info: SyncInfo | None) -> str:
    return describe(info, time.time())


async def forget_document(assistant: Any, scope: str, source: str) -> None:
    """`docs rm` of a URL: stop re-syncing it too (a page of a sitemap comes back while the sitemap lists it)."""
    if is_url(source):
        await ResyncService(assistant).forget(scope, source)


async def resync_all(assistant: Any, scope: str | None, due_only: bool) -> dict[str, ResyncReport]:
    return await ResyncService(assistant).resync(scope, due_only=due_only)


def show_resync(reports: dict[str, ResyncReport], as_json: bool) -> int:
    """Print what `ragcord resync` did; the exit code (1 when anything failed)."""
    if as_json:
        print(json.dumps({name: _as_dict(r) for name, r in reports.items()}))
    elif not reports:
        out.print("No URL or sitemap sources to re-sync. Add one with: ragcord ingest https://… --resync 24h",
                  markup=False)
    for name, r in ({} if as_json else reports).items():
        for e in r.errors:
            err.print(f"[red]✗[/] {escape(e['source'])}: {escape(e['error'])}", highlight=False)
        out.print(f"[scope {name}] {r.sources} source(s): changed {r.changed}, unchanged {r.unchanged}, "
                  f"removed {r.removed}, failed {r.failed}, backing off {r.skipped}; "
                  f"embedded {r.chunks_embedded} chunks", markup=False, highlight=False)
    return 1 if any(r.failed for r in reports.values()) else 0


def _as_dict(r: ResyncReport) -> dict[str, object]:
    return {"sources": r.sources, "changed": r.changed, "unchanged": r.unchanged, "removed": r.removed,
            "failed": r.failed, "skipped": r.skipped, "chunks_embedded": r.chunks_embedded, "errors": r.errors}
