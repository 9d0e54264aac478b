"""Admission: the single-process path is the in-memory limiter as before; the shared one goes through
the store's claims and rate-limit hits (here on SQLite; on PostgreSQL in tests/e2e/test_discord_shards.py)."""
from __future__ import annotations

from pathlib import Path

from bot.services.admission import LocalAdmission, SharedAdmission, admission_for
from bot.services.queue import RateLimiter
from bot.store import Store


async def test_local_admission_is_todays_limiter() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    admission = admission_for(limiter, None)
    assert isinstance(admission, LocalAdmission)
    assert await admission.claim("m1", "guild:1", "amy") and await admission.claim("m1", "guild:1", "amy")
    assert [await admission.retry_after("amy") for _ in range(3)] == [0.0, 0.0, 60.0]
    assert await admission.full(5, 5) and not await admission.full(4, 5)


async def test_shared_admission_claims_once_and_counts_open_questions(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        one = admission_for(RateLimiter(2), store.coordination)
        two = SharedAdmission(store.coordination, 2, owner="other:2")
        assert isinstance(one, SharedAdmission)
        assert await one.claim("m1", "guild:1", "amy")
        assert not await two.claim("m1", "guild:1", "amy")  # the other process stays silent
        assert not await one.full(0, 1)  # m1 itself does not count against it
        assert await two.claim("m2", "guild:1", "bob")
        assert await two.full(0, 1)  # m1 is still open in the first process
        await one.done("m1")
        assert not await two.full(0, 1)
        assert [await one.retry_after("amy"), await two.retry_after("amy")] == [0.0, 0.0]
        assert await one.retry_after("amy") > 0  # the third in a minute, whichever process sees it
    finally:
        await store.close()
