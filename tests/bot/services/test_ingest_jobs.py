"""The ingest-jobs worker: a real ingest of a text file into a real knowledge base (MiniLM), progress
and status recorded, a raising run retried after a backoff, and the background loop."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.services.ingest_jobs import IngestWorker, ingest_now, job_kind
from bot.store.job_rows import JobPayload, backoff_s

pytestmark = pytest.mark.slow


@pytest.fixture()
async def assistant(tmp_path: Path) -> AsyncIterator[Assistant]:
    a = await Assistant.create(load_settings(None, data_dir=tmp_path / "data", generator="extractive"))
    yield a
    await a.aclose()


def _doc(tmp_path: Path) -> Path:
    doc = tmp_path / "kettles.txt"
    doc.write_text("Descale the kettle every month with citric acid.\n\nLanterns take two AA batteries.\n")
    return doc


def test_kind_of_a_request() -> None:
    assert job_kind(["a.md", "https://x/y"], sitemap=False) == "file"
    assert job_kind(["https://x/y"], sitemap=False) == "url"
    assert job_kind(["https://x/sitemap.xml"], sitemap=True) == "sitemap"


async def test_worker_runs_a_real_ingest_and_marks_the_job_done(assistant: Assistant, tmp_path: Path) -> None:
    job = await assistant.store.jobs.enqueue("guild:7", "file", JobPayload(sources=[str(_doc(tmp_path))]), "cli")
    stages: list[tuple[int, int]] = []
    result = await IngestWorker(assistant, owner="w").run_one(progress=lambda s, d, t: stages.append((d, t)))
    assert result is not None and result.job.id == job.id and result.error is None
    assert result.report is not None and result.report.added == 1 and result.report.chunks_embedded >= 1
    assert stages  # the ingest's progress reached the caller
    row = await assistant.store.jobs.get(job.id)
    assert row is not None and (row.status, row.attempts, row.error) == ("done", 1, None)
    assert row.finished_at is not None and row.done == row.total
    hits = await assistant.search("guild:7", "how often to descale the kettle", 3)
    assert hits and "citric acid" in hits[0].text
    assert await IngestWorker(assistant).run_one() is None  # nothing left


async def test_a_missing_file_is_a_done_job_with_one_error_line(assistant: Assistant, tmp_path: Path) -> None:
    job = await assistant.store.jobs.enqueue("global", "file", JobPayload(sources=[str(tmp_path / "nope.md")]), "cli")
    result = await IngestWorker(assistant, owner="w").run_one(job.id)
    assert result is not None and result.error is not None and "\n" not in result.error
    row = await assistant.store.jobs.get(job.id)
    assert row is not None and row.status == "done" and row.error == result.error
    assert "1 source(s) failed" in row.error


async def test_a_raising_run_is_retried_after_a_backoff(assistant: Assistant, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full\nat line 2 of some traceback")

    monkeypatch.setattr(assistant, "ingest", broken)
    job = await assistant.store.jobs.enqueue("global", "file", JobPayload(sources=[str(_doc(tmp_path))]), "cli")
    result = await IngestWorker(assistant, owner="w").run_one()
    assert result is not None and result.report is None and result.error is not None
    assert result.error.startswith("disk full") and "\n" not in result.error  # one line
    row = await assistant.store.jobs.get(job.id)
    assert row is not None and (row.status, row.error) == ("queued", result.error)
    assert row.next_attempt_at - result.job.created_at == pytest.approx(backoff_s(1), abs=5)


async def test_the_background_loop_runs_queued_jobs(assistant: Assistant, tmp_path: Path) -> None:
    job = await assistant.store.jobs.enqueue("global", "file", JobPayload(sources=[str(_doc(tmp_path))]), "console")
    worker = IngestWorker(assistant, owner="loop", poll_s=0.05)
    worker.start()
    try:
        async with asyncio.timeout(120):
            while (row := await assistant.store.jobs.get(job.id)) is not None and row.status != "done":
                await asyncio.sleep(0.05)  # polling the job's state, not waiting for a guessed duration
    finally:
        await worker.stop()
    assert row is not None and row.status == "done" and row.owner == "loop"


async def test_a_front_end_request_is_one_job_run_at_once(assistant: Assistant, tmp_path: Path) -> None:
    report = await ingest_now(assistant, "guild:9", [str(_doc(tmp_path))], "4242")
    assert report.added == 1 and not report.errors
    (job,) = await assistant.store.jobs.recent(scope="guild:9")
    assert (job.kind, job.status, job.created_by, job.max_attempts, job.error) == ("file", "done", "4242", 1, None)
    docs = await assistant.list_documents("guild:9")
    assert [d.added_by for d in docs] == ["4242"]
