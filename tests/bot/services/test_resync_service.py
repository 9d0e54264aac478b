"""The bot side of re-sync: metrics, the background task (off the event loop), the status line."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.services.metrics import Metrics
from bot.services.resync import ResyncService, ResyncTask, SyncInfo, describe
from retrieval.errors import IngestError
from retrieval.urlsafety import Fetched

PAGES = {
    "https://docs.example/a": b"<html><head><title>Kettles</title></head><body><p>Descale kettles monthly.</p></body></html>",
    "https://docs.example/b": b"<html><head><title>Lanterns</title></head><body><p>Lanterns need LED candles.</p></body></html>",
}


class Clock:
    def __init__(self) -> None:
        self.now = 5_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeWeb:
    """An injected fetcher: 304 when the ETag matches; `broken` URLs raise like an unreachable host."""

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.calls: list[str] = []

    def __call__(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        self.calls.append(url)
        if url in self.broken:
            raise IngestError(f"could not fetch URL: cannot resolve host for {url}")
        body = PAGES[url]
        tag = f'"{len(body)}"'
        if etag == tag:
            return Fetched(url=url, content_type="text/html", body=b"", status=304, etag=tag)
        return Fetched(url=url, content_type="text/html", body=body, etag=tag)


def sample(metrics: Metrics, result: str) -> float:
    value = metrics.registry.get_sample_value("ragcord_resync_documents_total", {"result": result})
    assert value is not None
    return value


@pytest.fixture()
async def assistant(tmp_path: Path):
    a = await Assistant.create(load_settings(None, data_dir=tmp_path / "data", generator="extractive"))
    yield a
    await a.aclose()


async def test_first_sync_then_due_resync_report_to_metrics(assistant: Assistant) -> None:
    metrics = Metrics()
    assistant.observer = metrics
    clock, web = Clock(), FakeWeb()
    service = ResyncService(assistant, clock=clock, fetcher=web)
    first = await service.add_and_sync("global", list(PAGES), every_s=3600)
    assert (first.changed, first.added, first.failed) == (2, 2, 0)
    assert first.as_ingest().added == 2
    clock.now += 3600
    again = (await service.resync(due_only=True))["global"]
    assert (again.changed, again.unchanged, again.chunks_embedded) == (0, 2, 0)
    assert (sample(metrics, "changed"), sample(metrics, "unchanged"), sample(metrics, "failed")) == (2, 2, 0)
    states = await service.states("global")
    assert set(states) == set(PAGES) and all(s.last_synced_at == clock.now for s in states.values())


async def test_failure_is_shown_in_the_status_line(assistant: Assistant) -> None:
    clock, web = Clock(), FakeWeb()
    service = ResyncService(assistant, clock=clock, fetcher=web)
    report = await service.add_and_sync("global", list(PAGES), every_s=86400)
    assert (report.changed, report.failed) == (2, 0)
    states = await service.states("global")
    assert describe(states["https://docs.example/a"], clock.now + 60) == "synced 1m ago"
    web.broken = {"https://docs.example/a"}
    clock.now += 3600
    await service.resync("global")
    states = await service.states("global")
    line = describe(states["https://docs.example/a"], clock.now + 3600)
    assert line.startswith("synced 2h ago · error ×1: could not fetch URL")  # last good sync, then the error
    assert describe(states["https://docs.example/b"], clock.now) == "synced just now"
    assert describe(None, clock.now) == ""
    assert describe(SyncInfo(None, None, 0, None), clock.now) == "never synced"


async def test_background_pass_runs_in_a_worker_thread(assistant: Assistant) -> None:
    clock, web = Clock(), FakeWeb()
    service = ResyncService(assistant, clock=clock, fetcher=web)
    await service.add_and_sync("global", ["https://docs.example/a"], every_s=60)
    clock.now += 60
    started, released = threading.Event(), threading.Event()
    waited: list[bool] = []

    def blocking(url: str, etag: str | None, last_modified: str | None) -> Fetched:
        started.set()
        waited.append(released.wait(10))  # False if the event loop (which releases it) were blocked
        return web(url, etag, last_modified)

    service.fetcher = blocking
    task = ResyncTask(service, interval_s=3600)
    running = asyncio.create_task(task.run_once())
    assert await asyncio.to_thread(started.wait, 10)
    released.set()  # runs on the event loop, while the fetch is still waiting in its thread
    reports = await running
    assert waited == [True]
    assert reports["global"].unchanged == 1


async def test_background_loop_survives_a_failing_pass(assistant: Assistant) -> None:
    class Broken(ResyncService):
        async def resync(self, scope: str | None = None, *, due_only: bool = False):  # noqa: ANN201
            raise RuntimeError("database is locked")

    errors: list[str] = []
    failed_once = asyncio.Event()

    def on_error(line: str) -> None:
        errors.append(line)
        failed_once.set()

    task = ResyncTask(Broken(assistant), interval_s=3600, on_error=on_error)
    assert await task.run_once() == {}
    assert errors == ["database is locked"]
    failed_once.clear()
    task.start()
    await asyncio.wait_for(failed_once.wait(), 10)  # the loop's first pass failed ...
    await task.stop()  # ... and it still stops cleanly: the stop event ends its hour-long wait at once
    assert errors == ["database is locked", "database is locked"]


async def test_a_url_that_fails_on_its_first_ingest_is_not_kept_as_a_source(assistant: Assistant) -> None:
    web = FakeWeb()
    web.broken.add("https://docs.example/b")
    service = ResyncService(assistant, clock=Clock(), fetcher=web)
    report = await service.add_and_sync("global", list(PAGES), every_s=3600)
    assert report.failed == 1 and report.errors[0]["source"] == "https://docs.example/b"
    assert [s.url for s in await service.sources("global")] == ["https://docs.example/a"]


def test_the_default_interval_is_checked_when_settings_load() -> None:
    from bot.core.config import ConfigError

    with pytest.raises(ConfigError, match="ops.resync_every: .*not an interval"):
        load_settings(None, **{"ops.resync_every": "soon"})
    assert load_settings(None, **{"ops.resync_every": "24h"}).ops.resync_every == "24h"
