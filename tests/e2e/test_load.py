"""Load through the real client: 200 questions from 50 members at once.

Every question gets exactly one final reply — an answer or a polite "please wait" — none is
dropped, the queue never grows past `max_queue`, members are served fairly, and memory stays
bounded. Figures are printed (run with -s): throughput, p50/p95 latency, max queue depth,
per-user spread.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from typing import Any

import psutil
import pytest
import pytest_asyncio

from tests.e2e.conftest import World
from tests.e2e.fake_discord import Call

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

USERS, PER_USER = 50, 4
BUSY = "I'm answering a lot of questions right now"
QUESTIONS = ["How long does a refund take?", "When do orders ship?", "How much is express delivery?",
             "Where is the warehouse?"]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def kb(world: World) -> None:
    s = world.server
    text = (b"# Store\n\nRefunds are paid back within five business days. Orders ship from the Rotterdam "
            b"warehouse within two business days. Express delivery costs 12 euros.\n")
    att = s.add_attachment("store.md", text, "text/markdown")
    token = await s.slash(world.general_a, world.admin, "ingest", file=att)
    await s.wait_for_interaction(token, lambda c: "Added" in c.content, timeout=120)


async def finals_for(world: World, ids: set[str], timeout: float) -> dict[str, Call]:
    """The final reply (answer or notice) to each message id, scanning each recorded call once."""
    s = world.server
    found: dict[str, Call] = {}
    extra: list[Call] = []
    scanned = 0

    async def wait() -> None:
        nonlocal scanned
        async with s._cond:
            while True:
                for call in s.calls[scanned:]:
                    ref = ((call.message or {}).get("message_reference") or {}).get("message_id")
                    if ref not in ids or call.kind not in ("message_create", "message_edit"):
                        continue
                    text = call.content
                    if call.custom_ids or not (text.endswith("▌") or text.startswith("⏳")):
                        (extra if ref in found else found.__setitem__(ref, call) or []).append(call)
                scanned = len(s.calls)
                if len(found) == len(ids):
                    return
                await s._cond.wait()

    await asyncio.wait_for(wait(), timeout)
    assert not extra, f"{len(extra)} message(s) got a second final reply"
    return found


async def test_two_hundred_questions_from_fifty_members(world: World, kb: None) -> None:
    s = world.server
    ask_cog: Any = world.bot.get_cog("Ask")
    depths: list[int] = []
    put = ask_cog.queue.put_nowait

    def counting_put(user: str, item: Any) -> int:
        ahead = put(user, item)
        depths.append(len(ask_cog.queue))
        return ahead

    ask_cog.queue.put_nowait = counting_put
    members = [world.member(f"load{i}") for i in range(USERS)]
    process = psutil.Process()
    rss_before = process.memory_info().rss
    started = time.monotonic()
    try:
        # all at once: each round, every member asks (a burst of 200 gateway events)
        msgs = await asyncio.gather(*(
            s.user_message(world.general_a, m, f"{QUESTIONS[r]} (#{r})", mention_bot=True)
            for r in range(PER_USER) for m in members
        ))
        by_id = {m["id"]: m for m in msgs}
        finals = await finals_for(world, set(by_id), timeout=240)
    finally:
        ask_cog.queue.put_nowait = put
    took = time.monotonic() - started
    rss_growth = process.memory_info().rss - rss_before

    answered = {mid: c for mid, c in finals.items() if c.custom_ids}
    waiting = {mid: c for mid, c in finals.items() if BUSY in c.content}
    other = set(finals) - set(answered) - set(waiting)
    assert len(finals) == USERS * PER_USER  # nobody dropped
    assert not other, [finals[m].content for m in list(other)[:3]]  # only answers or "please wait"
    assert all("please try again in a minute" in c.content for c in waiting.values())
    assert len({c.message_id for c in answered.values()}) == len(answered)  # one message per answer
    assert max(depths) <= world.settings.queue.max_queue

    per_user = Counter(by_id[mid]["author"]["id"] for mid in answered)
    counts = [per_user.get(str(m.id), 0) for m in members]
    assert min(counts) >= 1, "a member got no answer at all"
    assert max(counts) - min(counts) <= 2
    latencies = sorted(c.at - s.dispatched[mid] for mid, c in answered.items())
    assert rss_growth < 400 * 2**20, f"RSS grew by {rss_growth / 2**20:.0f} MiB"

    figures = {
        "questions": len(msgs), "answered": len(answered), "told_to_wait": len(waiting),
        "seconds": round(took, 2), "answers_per_s": round(len(answered) / took, 2),
        "latency_p50_s": round(statistics.median(latencies), 2),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "max_queue_depth": max(depths), "max_queue": world.settings.queue.max_queue,
        "answers_per_user_min_max": [min(counts), max(counts)],
        "answers_per_user_stdev": round(statistics.pstdev(counts), 2),
        "rss_growth_mib": round(rss_growth / 2**20, 1),
    }
    print(f"\nLOAD {json.dumps(figures)}")

    # and it still serves normally afterwards
    msg = await s.user_message(world.general_a, world.member(), "How much is express delivery?", mention_bot=True)
    after = await s.wait_for_reply(msg, timeout=60)
    assert after.custom_ids  # an answer with its buttons, not a notice
