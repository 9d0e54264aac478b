"""Two bot processes against one: questions per second through the fake Discord, one PostgreSQL.

Both runs use the same world — a fake Discord with two shards, guilds on each, the same tiny
knowledge base, the extractive backend, two answer workers per process — and the same burst of
questions from distinct members (no rate limit in the way). "one" is one process running both
shards (shard_count = 2, shard_ids unset); "two" is two processes, shard_ids [0] and [1]. Each
run: start, wait for the shards to identify, a warm-up question per guild, then the burst, timed
from the first question sent to the last answer recorded. Throughput is bounded by the machine's
cores (the fake server and this script share them); rounds alternate which layout runs first,
and the figure is the median of the per-round ratios.

    .venv/bin/python bench/two_process.py [--quick]
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from common import emit, median, quick, table

from bot.core.config import Settings
from tests.e2e.fake_discord import FakeDiscord, Guild
from tests.e2e.shards import QUESTIONS, BotProcess, bot_env, ingest_kb, wait_connected, wait_finals
from tests.pg import fresh_database, postgres_server

GUILDS_PER_SHARD = 2


async def burst(server: FakeDiscord, guilds: list[Guild], n: int, tag: str) -> float:
    """`n` questions spread over `guilds`, each from a fresh member; seconds until every one is answered."""
    asks = []
    for i in range(n):
        guild = guilds[i % len(guilds)]
        user = server.add_user(f"{tag}-{i}")
        server.add_member(guild, user)
        asks.append((guild, user, f"{QUESTIONS[i % len(QUESTIONS)]} ({tag} {i})"))
    started = time.perf_counter()
    msgs = await asyncio.gather(*(server.user_message(g.channels[0], u, t, mention_bot=True) for g, u, t in asks))
    finals = await wait_finals(server, [m["id"] for m in msgs], timeout=900)
    took = time.perf_counter() - started
    missing = [c.content for c in finals.values() if not c.custom_ids]
    if missing:
        raise SystemExit(f"not every question was answered: {missing[:3]}")
    return took


async def run(layout: str, url: str, data_dir: Path, guilds: list[Guild], server: FakeDiscord, n: int,
              work: Path) -> float:
    plan: dict[int, list[int] | None] = {0: None} if layout == "one" else {0: [0], 1: [1]}
    bots = {}
    for key, ids in plan.items():
        env = bot_env(server, url, data_dir, ids if ids is not None else [0, 1],
                      queue__rate_limit_per_minute="100000", queue__max_queue="100000")
        if ids is None:
            env.pop("RAGCORD_DISCORD__SHARD_IDS")  # one process runs every shard
        bots[key] = BotProcess(f"{layout}-{key}", env, work, work / f"{layout}-{key}.log")
    try:
        for bot in bots.values():
            bot.start()
        await wait_connected(server, {s: bots[0 if layout == "one" else s] for s in (0, 1)})
        await burst(server, guilds, len(guilds), f"{layout}-warm")
        return await burst(server, guilds, n, layout)
    finally:
        for bot in bots.values():
            await bot.stop()


async def main() -> None:
    n, rounds = (40, 1) if quick() else (200, 3)  # rounds alternate which layout goes first
    with postgres_server() as dsn, tempfile.TemporaryDirectory(prefix="ragcord-2proc-") as tmp:
        work = Path(tmp)
        async with fresh_database(dsn) as url:
            server = FakeDiscord(shards=2)
            await server.start()
            try:
                owner = server.add_user("owner")
                guilds = [server.add_guild(f"s{s}-{k}", owner, shard=s)
                          for s in (0, 1) for k in range(GUILDS_PER_SHARD)]
                data_dir = work / "data"
                await ingest_kb(Settings(data_dir=data_dir, database_url=url, generator="extractive"),
                                [f"guild:{g.id}" for g in guilds], work / "docs")
                runs = [(r, layout, await run(layout, url, data_dir, guilds, server, n, work))
                        for r in range(rounds) for layout in (("one", "two") if r % 2 == 0 else ("two", "one"))]
            finally:
                await server.stop()
    table("two bot processes against one (extractive, 2 workers each)", ["round", "layout", "questions", "seconds", "q/s"],
          [[r, layout, n, s, n / s] for r, layout, s in runs])
    qps = {layout: median([n / s for _, lay, s in runs if lay == layout]) for layout in ("one", "two")}
    ratios = [n / s2 / (n / s1) for r in range(rounds)
              for s1 in [s for rr, lay, s in runs if rr == r and lay == "one"]
              for s2 in [s for rr, lay, s in runs if rr == r and lay == "two"]]
    emit("two_process", {"questions": n, "rounds": rounds, "one_qps": round(qps["one"], 2),
                         "two_qps": round(qps["two"], 2), "ratio_median": round(median(ratios), 2),
                         "ratios": [round(x, 2) for x in ratios]})


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
