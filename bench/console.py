"""Console page loads over 10,000 conversations: p50/p95 per page, as ratios to a trivial endpoint.

Builds a database with 10k conversations through the store's write path (answers, flags, feedback,
some refused, spread over 60 days and 4 servers), starts the console with uvicorn on a free port
over that data dir, and fetches each page with the admin token (`Authorization: Bearer`).
Command: `.venv/bin/python bench/console.py [--quick]` (quick: 2,000 conversations, fewer rounds).
"""
from __future__ import annotations

import asyncio
import random
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
from common import emit, median, pct, quick, table

from bot.store import AnswerData, Exchange, FlagDraft, Store
from bot.store.answers import SqliteAnswers

TOKEN = "bench-console-token"
SCOPES = [f"guild:{100000000000000000 + i}" for i in range(4)]
TOPICS = ["refund", "password", "invoice", "shipping", "account", "subscription", "export", "login", "api key",
          "webhook", "billing address", "two-factor", "plan upgrade", "data retention", "team seats"]
SHAPES = ["How do I change my {t}?", "Where can I find the {t} settings?", "Why does my {t} not work?",
          "Can I get help with {t} today?", "What is the policy on {t}?", "Is there a limit on {t}?"]
# the console's filter and search parameters (bot/frontends/console); one place to adjust
PAGES = {
    "conversations (first page)": "/conversations",
    "conversations (refused, one server)": "/conversations?refused=yes&scope={scope}",
    "conversations (full-text search)": "/conversations?q=refund",
    "one answer": "/answers/{answer_id}",
    "unanswered topics": "/unanswered",
    "dashboard": "/",
}
BASELINES = ("/healthz", "/login")


async def build(data_dir: Path, n: int, seed: int = 13) -> list[int]:
    """Write `n` conversations; returns the answer ids."""
    rng = random.Random(seed)
    store = await Store.open(data_dir / "ragcord.db")
    ids: list[int] = []
    try:
        batch = 500
        for start in range(0, n, batch):
            async with store.db.transaction() as tx:
                for i in range(start, min(n, start + batch)):
                    topic = rng.choice(TOPICS)
                    refused = rng.random() < 0.15
                    scope = SCOPES[i % len(SCOPES)]
                    cites = [] if refused else [{"n": 1, "title": f"{topic.title()} guide", "source": f"docs/{topic}.md",
                                                 "page": None, "chunk_id": rng.randrange(1, 5000)}]
                    answer = AnswerData(
                        text="I don't know." if refused else f"To manage your {topic}, open Settings → {topic} [1].",
                        citations=cites, confidence=rng.uniform(0.05, 0.4) if refused else rng.uniform(0.45, 0.98),
                        refused=refused, backend="extractive", latency_ms=rng.randrange(80, 900),
                        candidates=[{"text": f"candidate about {topic}", "support": rng.random()}],
                        closest=[{"title": f"{topic.title()} guide", "source": f"docs/{topic}.md", "score": rng.random()}],
                    )
                    ex = Exchange(scope=scope, user=str(rng.randrange(1, 800)), channel=str(rng.randrange(1, 12)),
                                  conversation=f"c{i}", question=rng.choice(SHAPES).format(t=topic), answer=answer,
                                  external_id=str(10**17 + i))
                    aid = await SqliteAnswers.record_exchange_in(tx, ex)
                    ids.append(aid)
                    if refused or rng.random() < 0.03:
                        await SqliteAnswers.flag_exchange_in(tx, ex, aid, FlagDraft("low_confidence" if refused else "reported"))
        for aid in rng.sample(ids, len(ids) // 4):  # a quarter get 👍/👎
            await store.answers.add_feedback(aid, str(rng.randrange(1, 800)), rng.choice((1, 1, 1, -1)))
        async with store.db.transaction() as tx:  # spread over 60 days, newest last
            for table_name, rows_per in (("answers", 1), ("messages", 2)):
                await tx.execute(
                    f"UPDATE {table_name} SET created_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now',"
                    f" '-' || (((SELECT MAX(id) FROM {table_name}) - id) * ?) || ' seconds')", (5_184_000 // (max(n, 1) * rows_per),)
                )
    finally:
        await store.close()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: Path) -> tuple[object, threading.Thread, str]:
    """The console under uvicorn in a thread (its own event loop); returns once it accepts connections."""
    import uvicorn

    from bot.core.assistant import Assistant
    from bot.core.config import load_settings
    from bot.frontends.console.app import create_app

    settings = load_settings(data_dir=data_dir, generator="extractive")
    port = free_port()
    box: dict[str, uvicorn.Server] = {}
    failed: list[BaseException] = []

    async def run() -> None:
        assistant = await Assistant.create(settings)
        try:
            box["server"] = uvicorn.Server(uvicorn.Config(create_app(assistant, TOKEN), host="127.0.0.1",
                                                          port=port, log_level="warning", lifespan="off"))
            await box["server"].serve()
        finally:
            await assistant.aclose()

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as e:  # reported by the waiting thread
            failed.append(e)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not (box.get("server") and box["server"].started):
        if failed or not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit(f"the console did not start: {failed[0] if failed else 'timeout'}")
        thread.join(0.05)
    return box["server"], thread, f"http://127.0.0.1:{port}"


def measure(client: httpx.Client, path: str, rounds: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        r = client.get(path)
        out.append(time.perf_counter() - t0)
        r.raise_for_status()
    return out


def main() -> None:
    n = 2_000 if quick() else 10_000
    rounds = 10 if quick() else 20
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        ids = asyncio.run(build(data_dir, n))
        built = time.perf_counter() - t0
        server, thread, base = serve(data_dir)
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
                baseline_path = next(p for p in BASELINES if client.get(p).status_code == 200)
                base_times = measure(client, baseline_path, rounds)
                rows, figures = [], {}
                fill = {"scope": SCOPES[0], "answer_id": ids[len(ids) // 2]}
                for name, path in PAGES.items():
                    times = measure(client, path.format(**fill), rounds)
                    print(f"  {name}: p50 {median(times) * 1000:.1f} ms", flush=True)
                    p50, p95 = median(times), pct(times, 95)
                    rows.append([name, path.split("?")[0], f"{p50 * 1000:.1f}", f"{p95 * 1000:.1f}",
                                 f"{p50 / median(base_times):.1f}x", f"{p95 / pct(base_times, 95):.1f}x"])
                    figures[name] = {"p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1)}
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(10)
    table(f"console page loads, {n:,} conversations (built in {built:.1f} s), {rounds} rounds each; "
          f"baseline {baseline_path} p50 {median(base_times) * 1000:.1f} ms",
          ["page", "path", "p50 ms", "p95 ms", "p50 / baseline", "p95 / baseline"], rows)
    emit("console", {"conversations": n, "baseline": baseline_path,
                     "baseline_p50_ms": round(median(base_times) * 1000, 1), "pages": figures})


if __name__ == "__main__":
    main()
