"""Two real bot processes, two shards, one PostgreSQL.

Process 0 runs shard 0 and process 1 shard 1 (`shard_count = 2`, `shard_ids = [i]`, as AutoShardedBots)
against the fake Discord, which sends each guild's events only to its shard's connection. A fifth
guild is sent to both shards (two processes that both think they own it, as in a rolling restart).
Shown: every guild's questions are answered exactly once, by the process of its shard; a member's
rate limit holds across the two processes; every answer is in the one shared store (who answered
is in `question_claims`); after process 1 is killed with SIGKILL mid-run, every answer it had posted
is still in the store, and process 0 keeps answering.
"""
from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest

from bot.core.config import Settings
from bot.store import Store
from tests.e2e.fake_discord import FakeDiscord, Guild, User
from tests.e2e.shards import (
    QUESTIONS,
    BotProcess,
    answer_id,
    answered,
    bot_env,
    claims,
    ingest_kb,
    replies,
    reply_to,
    stored_questions,
    wait_connected,
    wait_finals,
)
from tests.pg import fresh_database

pytestmark = pytest.mark.e2e
RATE = 3  # questions per member per minute, in all processes together


def member(server: FakeDiscord, guilds: list[Guild], name: str) -> User:
    user = server.add_user(name)
    for g in guilds:
        server.add_member(g, user)
    return user


async def ask_each(server: FakeDiscord, guilds: list[Guild], per_guild: int, tag: str) -> dict[str, Guild]:
    """`per_guild` questions in each guild, from fresh members, all at once; message id -> guild."""
    asks = [(g, member(server, [g], f"{tag}-{g.name}-{i}"), f"{QUESTIONS[i % len(QUESTIONS)]} ({tag} {i})")
            for g in guilds for i in range(per_guild)]
    msgs = await asyncio.gather(*(server.user_message(g.channels[0], u, text, mention_bot=True) for g, u, text in asks))
    return {m["id"]: g for m, (g, _, _) in zip(msgs, asks, strict=True)}


async def test_two_processes_split_the_shards_and_answer_each_question_once(
    postgres_dsn: str, tmp_path: Path
) -> None:
    pytest.importorskip("asyncpg", reason="asyncpg not installed (pip install -e '.[postgres]')")
    async with fresh_database(postgres_dsn) as url:
        server = FakeDiscord(shards=2)
        await server.start()
        owner = server.add_user("owner")
        on = {s: [server.add_guild(f"s{s}-{k}", owner, shard=s) for k in "ab"] for s in (0, 1)}
        both = server.add_guild("both", owner, everywhere=True)
        data_dir = tmp_path / "data"
        await ingest_kb(Settings(data_dir=data_dir, database_url=url, generator="extractive"),
                        [f"guild:{g.id}" for g in [*on[0], *on[1], both]], tmp_path / "docs")
        bots = {s: BotProcess(f"bot-{s}", bot_env(server, url, data_dir, [s], queue__rate_limit_per_minute=str(RATE)),
                              tmp_path, tmp_path / f"bot-{s}.log") for s in (0, 1)}
        try:
            for bot in bots.values():
                bot.start()
            await wait_connected(server, bots)
            assert sorted(tuple(d["shard"]) for d in server.identifies) == [(0, 2), (1, 2)]
            once = await _each_guild_answered_by_its_shard(server, url, on, both, bots)
            await _the_rate_limit_spans_both_processes(server, on)
            await _killing_one_loses_no_stored_answer(server, url, on, bots)
        finally:
            for bot in bots.values():
                if bot.proc is not None:
                    await bot.stop()
            await server.stop()
        # counted when no process can post any more: one reply per question, never two
        assert {mid: len(replies(server, mid)) for mid in once} == {mid: 1 for mid in once}
        await _the_store_shows_both(url, data_dir, on, both)


async def _each_guild_answered_by_its_shard(server: FakeDiscord, url: str, on: dict[int, list[Guild]],
                                            both: Guild, bots: dict[int, BotProcess]) -> dict[str, Guild]:
    asked = await ask_each(server, [*on[0], *on[1], both], 3, "once")
    finals = await wait_finals(server, asked, timeout=180)
    assert all(c.custom_ids for c in finals.values()), [c.content for c in finals.values() if not c.custom_ids]
    assert all(server.deliveries[mid] == 2 for mid, g in asked.items() if g is both)  # both processes saw these
    owners = await claims(url, asked)
    assert set(owners) == set(asked)
    pid_of = {f":{bots[s].pid}": s for s in bots}
    shard_of_owner = {mid: next(s for tail, s in pid_of.items() if o.endswith(tail)) for mid, o in owners.items()}
    for mid, guild in asked.items():
        if guild is not both:
            assert shard_of_owner[mid] == server.shard_of(guild.id), "answered by the other shard's process"
    return asked


async def _the_rate_limit_spans_both_processes(server: FakeDiscord, on: dict[int, list[Guild]]) -> None:
    busy = member(server, [on[0][0], on[1][0]], "busy-member")
    msgs = await asyncio.gather(*(server.user_message(g.channels[0], busy, f"{QUESTIONS[i % len(QUESTIONS)]} (busy {i})", mention_bot=True)
                                  for i, g in enumerate([on[0][0], on[1][0], on[0][0], on[1][0], on[0][0]])))
    finals = await wait_finals(server, [m["id"] for m in msgs], timeout=120)
    kinds = Counter("answer" if c.custom_ids else "slow down" if "please wait" in c.content else c.content
                    for c in finals.values())
    assert kinds == {"answer": RATE, "slow down": len(msgs) - RATE}, kinds


async def _killing_one_loses_no_stored_answer(server: FakeDiscord, url: str, on: dict[int, list[Guild]],
                                              bots: dict[int, BotProcess]) -> None:
    asked = await ask_each(server, [*on[0], *on[1]], 6, "kill")
    doomed = [mid for mid, g in asked.items() if server.shard_of(g.id) == 1]
    await server.wait_for_count(lambda c: bool(c.custom_ids) and reply_to(c) in doomed, 2, timeout=180)
    assert await bots[1].stop(signal.SIGKILL) == -signal.SIGKILL
    survivors = [mid for mid in asked if mid not in doomed]
    finals = await wait_finals(server, survivors, timeout=180)  # process 0 keeps answering its shard
    assert all(c.custom_ids for c in finals.values())
    posted = {mid: call for mid in doomed if (call := answered(server, mid)) is not None}
    ids = {mid: answer_id(c) for mid, c in posted.items()}
    stored = await stored_questions(url, [i for i in ids.values() if i is not None])
    lost = [mid for mid, aid in ids.items() if aid not in stored or stored[aid][1] != mid]
    assert len(posted) >= 2 and not lost, f"answers posted by the killed process but not stored: {lost}"
    print(f"\nKILL posted_before_kill={len(posted)} of {len(doomed)} on shard 1; stored={len(posted) - len(lost)}")


async def _the_store_shows_both(url: str, data_dir: Path, on: dict[int, list[Guild]], both: Guild) -> None:
    store = await Store.open(data_dir / "unused.db", url)
    try:
        for guild in [*on[0], *on[1], both]:
            logs = await store.conversations.logs(f"guild:{guild.id}", limit=500)
            assert sum(1 for r in logs if r.role == "assistant") >= 3, guild.name  # every guild's answers, one place
        row = await store.db.fetchone("SELECT COUNT(DISTINCT owner) FROM question_claims")
        assert row is not None and row[0] == 2  # both processes answered
    finally:
        await store.close()
