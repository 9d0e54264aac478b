"""Ingest jobs in the store, on SQLite and PostgreSQL: enqueue, claim, progress, retries with capped
backoff, lease expiry — with an injected clock, never a sleep."""
from __future__ import annotations

import asyncio

import pytest

from bot.store import Store
from bot.store.job_rows import BACKOFF_BASE_S, BACKOFF_CAP_S, JobPayload, backoff_s
from tests.bot.store.conftest import Opener


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _clocked(store: Store, clock: Clock) -> Store:
    store.jobs.clock = clock  # type: ignore[attr-defined]
    return store


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n) for n in (1, 2, 3)] == [BACKOFF_BASE_S, 2 * BACKOFF_BASE_S, 4 * BACKOFF_BASE_S]
    assert backoff_s(40) == BACKOFF_CAP_S


async def test_enqueue_claim_progress_done(open_store: Opener) -> None:
    clock = Clock()
    store = _clocked(await open_store(), clock)
    try:
        job = await store.jobs.enqueue("guild:1", "file", JobPayload(sources=["a.md"]), "cli")
        assert (job.status, job.attempts, job.payload.sources) == ("queued", 0, ["a.md"])
        got = await store.jobs.claim("w1", lease_s=60)
        assert got is not None and (got.id, got.status, got.attempts, got.owner) == (job.id, "running", 1, "w1")
        assert await store.jobs.claim("w2", lease_s=60) is None  # nothing else queued
        assert await store.jobs.renew(job.id, "w1", 60, 2, 5)
        assert not await store.jobs.renew(job.id, "w2", 60, 3, 5)  # not w2's job
        row = await store.jobs.get(job.id)
        assert row is not None and (row.done, row.total) == (2, 5)
        assert await store.jobs.finish(job.id, "w1")
        row = await store.jobs.get(job.id)
        assert row is not None and (row.status, row.done, row.finished_at) == ("done", 5, clock.t)
        assert [j.id for j in await store.jobs.recent(scope="guild:1")] == [job.id]
        assert await store.jobs.recent(scope="guild:2") == []
    finally:
        await store.close()


async def test_failure_backs_off_then_fails_after_max_attempts(open_store: Opener) -> None:
    clock = Clock()
    store = _clocked(await open_store(), clock)
    try:
        job = await store.jobs.enqueue("global", "url", JobPayload(sources=["https://x"]), "cli", max_attempts=2)
        assert await store.jobs.claim("w", 60) is not None
        row = await store.jobs.fail(job.id, "w", "boom")
        assert row is not None and (row.status, row.error) == ("queued", "boom")
        assert row.next_attempt_at == pytest.approx(clock.t + backoff_s(1))
        clock.t += backoff_s(1) - 1
        assert await store.jobs.claim("w", 60) is None  # still backing off
        clock.t += 1
        again = await store.jobs.claim("w", 60)
        assert again is not None and again.attempts == 2
        row = await store.jobs.fail(job.id, "w", "boom again")
        assert row is not None and (row.status, row.error, row.finished_at) == ("failed", "boom again", clock.t)
        clock.t += 10 * BACKOFF_CAP_S
        assert await store.jobs.claim("w", 60) is None
    finally:
        await store.close()


async def test_an_expired_lease_frees_a_stuck_job(open_store: Opener) -> None:
    clock = Clock()
    store = _clocked(await open_store(), clock)
    try:
        job = await store.jobs.enqueue("global", "file", JobPayload(sources=["a"]), "cli", max_attempts=2)
        assert await store.jobs.claim("stuck", lease_s=30) is not None
        clock.t += 29
        assert await store.jobs.claim("other", lease_s=30) is None  # lease still held
        clock.t += 2
        assert await store.jobs.claim("other", lease_s=30) is None  # expired: queued again, after a backoff
        row = await store.jobs.get(job.id)
        assert row is not None and (row.status, row.error) == ("queued", "lease expired")
        clock.t += backoff_s(1)
        taken = await store.jobs.claim("other", lease_s=30)
        assert taken is not None and (taken.owner, taken.attempts) == ("other", 2)
        assert not await store.jobs.finish(job.id, "stuck")  # the stuck worker's late finish is ignored
        clock.t += 31  # the second try hangs too: no tries left
        assert await store.jobs.claim("third", lease_s=30) is None
        row = await store.jobs.get(job.id)
        assert row is not None and row.status == "failed"
    finally:
        await store.close()


async def test_two_claimers_never_get_the_same_job(open_store: Opener) -> None:
    a, b = await open_store(), await open_store()  # two connections to one database, like two processes
    try:
        for i in range(20):
            await a.jobs.enqueue("global", "file", JobPayload(sources=[f"doc{i}.md"]), "cli")

        async def drain(store: Store, owner: str) -> list[int]:
            got: list[int] = []
            while (job := await store.jobs.claim(owner, 60)) is not None:
                got.append(job.id)
            return got

        got_a, got_b = await asyncio.gather(drain(a, "a"), drain(b, "b"))
        assert not set(got_a) & set(got_b)
        assert sorted(got_a + got_b) == sorted(j.id for j in await a.jobs.recent(limit=100))
        assert len(got_a + got_b) == 20
    finally:
        await a.close()
        await b.close()


async def test_a_held_job_waits_for_its_creator(open_store: Opener) -> None:
    """A front end's job is held back from the workers' loop; its creator claims it by id at once,
    and only if the creator never does is it due for any worker after the hold."""
    clock = Clock()
    store = _clocked(await open_store(), clock)
    try:
        mine = await store.jobs.enqueue("guild:1", "upload", JobPayload(sources=["a.md"]), "42", hold_s=600)
        orphan = await store.jobs.enqueue("guild:1", "upload", JobPayload(sources=["b.md"]), "43", hold_s=600)
        assert await store.jobs.claim("loop", lease_s=60) is None  # the loop does not take held jobs
        got = await store.jobs.claim("creator", lease_s=60, job_id=mine.id)
        assert got is not None and (got.id, got.owner) == (mine.id, "creator")
        clock.t += 601
        late = await store.jobs.claim("loop", lease_s=60)
        assert late is not None and late.id == orphan.id
    finally:
        await store.close()
