"""Ingest jobs: a request (CLI, `/ingest`, console) is a row in `ingest_jobs` that any process runs.

`IngestWorker` claims a job (store.jobs), runs the ordinary ingest — files through
`Assistant.ingest` (blocking work in a thread), URLs and sitemaps registered for re-sync and synced
now — renews its lease and records progress while it runs, and marks the job done or failed (failed
tries come back after a capped exponential backoff; a worker that dies leaves a lease that expires).
`ragcord run` and the console start its loop; `ragcord ingest` runs its own job in-process and waits.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.assistant import Assistant
from bot.services.resync import ResyncService
from bot.store.job_rows import JobPayload, JobRow
from retrieval.errors import one_line
from retrieval.loaders import is_url
from retrieval.types import IngestReport

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
HOLD_S = 600.0  # a front end's job waits this long for its creator to claim it before any worker may


@dataclass(frozen=True)
class JobResult:
    job: JobRow  # as it was claimed
    report: IngestReport | None  # None when the run raised
    error: str | None  # one line: why the run failed, or which sources failed


def job_kind(sources: Sequence[str], sitemap: bool) -> str:
    if sitemap:
        return "sitemap"
    return "url" if sources and all(is_url(s) for s in sources) else "file"


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def ingest_sources(assistant: Assistant, scope: str, payload: JobPayload, added_by: str,
                         progress: Progress | None = None) -> IngestReport:
    """Files and folders through the ordinary ingest; http(s) URLs registered for re-sync and synced now."""
    urls = [s for s in payload.sources if is_url(s)]
    files = [s for s in payload.sources if not is_url(s)]
    report = IngestReport()
    if files:
        report = await assistant.ingest(scope, files, added_by=added_by, progress=progress)
    if urls:
        synced = await ResyncService(assistant).add_and_sync(scope, urls, every_s=payload.every_s,
                                                             sitemap=True if payload.sitemap else None)
        report = merge(report, synced.as_ingest())
    return report


def merge(a: IngestReport, b: IngestReport) -> IngestReport:
    return IngestReport(added=a.added + b.added, updated=a.updated + b.updated, unchanged=a.unchanged + b.unchanged,
                        chunks_embedded=a.chunks_embedded + b.chunks_embedded, errors=[*a.errors, *b.errors],
                        suspicious=[*a.suspicious, *b.suspicious], notes=[*a.notes, *b.notes])


async def ingest_now(assistant: Assistant, scope: str, sources: Sequence[str], added_by: str, *,
                     progress: Progress | None = None, every_s: int | None = None,
                     sitemap: bool = False) -> IngestReport:
    """A front end's request (`ragcord ingest`, `/ingest`, a console upload) as a job run here and now:
    one try, recorded in `ragcord jobs`; URLs are registered for re-sync like the CLI's."""
    payload = JobPayload(sources=list(sources), every_s=every_s, sitemap=sitemap)
    # held back from the workers' loop (claimed by id below); if this process dies first, it is run later
    job = await assistant.store.jobs.enqueue(scope, job_kind(sources, sitemap), payload, added_by, max_attempts=1,
                                             hold_s=HOLD_S)
    result = await IngestWorker(assistant).run_one(job.id, progress)
    if result is None:  # a running worker claimed it first
        return IngestReport(notes=[f"job {job.id} is being run by another process (see `ragcord jobs`)"])
    if result.report is None:
        return IngestReport(errors=[{"source": f"job {job.id}", "error": result.error or "failed"}])
    return result.report


class IngestWorker:
    def __init__(self, assistant: Assistant, owner: str | None = None, lease_s: float = 120.0,
                 poll_s: float = 5.0) -> None:
        self.assistant = assistant
        self.jobs = assistant.store.jobs
        self.owner = owner or default_owner()
        self.lease_s = lease_s
        self.poll_s = poll_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_one(self, job_id: int | None = None, progress: Progress | None = None) -> JobResult | None:
        """Claim a due job (or `job_id`) and run it; None when there was nothing to claim."""
        job = await self.jobs.claim(self.owner, self.lease_s, job_id)
        if job is None:
            return None
        seen = [0, 0]

        def record(stage: str, done: int, total: int) -> None:  # called from the ingest thread
            seen[0], seen[1] = done, total
            if progress is not None:
                progress(stage, done, total)

        renewing = asyncio.create_task(self._renew(job.id, seen))
        try:
            report = await ingest_sources(self.assistant, job.scope, job.payload, job.created_by, record)
        except Exception as exc:  # noqa: BLE001 - a failed run is a failed try, never a crashed worker
            error = one_line(exc, 200) or type(exc).__name__
            await self.jobs.fail(job.id, self.owner, error)
            return JobResult(job, None, error)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        error = _sources_failed(report)
        await self.jobs.finish(job.id, self.owner, error)
        return JobResult(job, report, error)

    async def _renew(self, job_id: int, seen: list[int]) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            if not await self.jobs.renew(job_id, self.owner, self.lease_s, seen[0], seen[1]):
                log.warning("ingest job %s: lease lost (another worker may run it again)", job_id)
                return

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="ragcord-ingest-jobs")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop polling; a job still running after `grace_s` is cancelled (its lease expires, it is retried)."""
        self._stop.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except asyncio.TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = await self.run_one()
            except Exception as exc:  # noqa: BLE001 - e.g. the database briefly unreachable
                log.warning("ingest jobs: %s", one_line(exc, 200))
                ran = None
            if ran is not None:
                continue  # more may be due
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.poll_s)
            except asyncio.TimeoutError:
                continue


def _sources_failed(report: IngestReport) -> str | None:
    if not report.errors:
        return None
    first = report.errors[0]
    return one_line(f"{len(report.errors)} source(s) failed; {first['source']}: {first['error']}", 200)
