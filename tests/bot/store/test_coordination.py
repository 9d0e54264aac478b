"""Question claims and shared rate limits: one answer per message id, one limit per member, on both backends;
on PostgreSQL, two stores (two processes' pools) racing each other."""
from __future__ import annotations

import asyncio

from tests.bot.store.conftest import Opener


async def test_a_message_is_claimed_once_and_counted_until_finished(open_store: Opener) -> None:
    store = await open_store()
    try:
        c = store.coordination
        assert await c.claim("m1", "guild:1", "amy", "p1")
        assert not await c.claim("m1", "guild:1", "amy", "p2")  # a second process stays silent
        assert await c.claim("m2", "guild:1", "bob", "p2")
        assert await c.open_claims(600) == 2 and await c.open_claims(600, "amy") == 1
        await c.finish("m1")
        assert await c.open_claims(600) == 1 and await c.open_claims(600, "amy") == 0
        assert not await c.claim("m1", "guild:1", "amy", "p1")  # finished is still claimed
        assert await c.open_claims(0.0) == 0  # older than `stale_s`: a dead process's claim stops counting
        assert await c.prune(0.0) == 2 and await c.open_claims(600) == 0
    finally:
        await store.close()


async def test_the_rate_limit_is_a_sliding_window_per_member(open_store: Opener) -> None:
    store = await open_store()
    try:
        c = store.coordination
        assert [await c.rate_hit("amy", 2) for _ in range(2)] == [0.0, 0.0]
        wait = await c.rate_hit("amy", 2)
        assert 59.0 < wait <= 60.0
        assert await c.rate_hit("bob", 2) == 0.0  # another member is not slowed down
    finally:
        await store.close()


async def test_two_processes_race_for_claims_and_the_limit(open_pg: Opener) -> None:
    one, two = await open_pg(), await open_pg()
    try:
        claims = await asyncio.gather(*(s.coordination.claim(f"m{i}", "guild:1", "amy", name)
                                        for i in range(20) for s, name in ((one, "p1"), (two, "p2"))))
        assert sum(claims) == 20  # each message id exactly once
        hits = await asyncio.gather(*(s.coordination.rate_hit("amy", 5) for _ in range(10) for s in (one, two)))
        assert sum(1 for h in hits if h == 0.0) == 5  # the sixth question is refused, whichever process sees it
        assert await one.coordination.open_claims(600, "amy") == 20
    finally:
        await one.close()
        await two.close()
