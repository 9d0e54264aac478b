"""Unanswered topics: grouping N unanswered questions after a start, with and without stored vectors.

One SQLite database in a temp dir gets N refused questions (the stackfaq eval queries when present,
else generated ones; some asked twice). Then, each time through a fresh `Store` connection, a fresh
MiniLM `Embedder` (model loaded beforehand where it is needed, cache empty) and a fresh
`UnansweredTopics`, as a process that just started would:

  encode_all     no stored vectors (model=None): every question is encoded — the behaviour before #13's
                 stored vectors, and what the first call after an upgrade costs once
  first_store    stored vectors enabled, none stored yet: encodes and writes them
  cold_stored    a fresh process over the stored vectors: reads them, the model is never loaded
  warm           the same `UnansweredTopics` called again (vectors read again, SQLite pages cached)
  (writing)      what storing all the vectors costs: one transaction, rewritten over the same rows

Ratios are against `warm` in the same run; times are printed, never asserted. `--quick`: N = 300.
Also checks that every run produced the same topics (grouping is deterministic).
"""
from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

from common import emit, quick, table
from synth import STACKFAQ

from bot.services.unanswered import Topic, UnansweredTopics
from bot.store import AnswerData, Exchange, Outcome, Store
from retrieval.embedder import Embedder

SCOPE = "guild:bench"
STACKFAQ_QUERIES = STACKFAQ / "queries.jsonl"


def questions(n: int) -> list[str]:
    base: list[str] = []
    if STACKFAQ_QUERIES.is_file():
        base = [json.loads(line)["text"] for line in STACKFAQ_QUERIES.read_text(encoding="utf-8").splitlines() if line]
    if len(base) < 50:
        things = ["password", "refund", "invoice", "wifi", "parking", "login", "shipping", "python list", "git branch"]
        verbs = ["reset", "find", "change", "get", "cancel", "fix", "set up"]
        base = [f"How do I {v} my {t} ({i})?" for i in range(n) for v in verbs for t in things][:n]
    out = [base[i % len(base)] if i < len(base) else f"quick question: {base[i % len(base)]}" for i in range(n)]
    return [out[i // 10] if i % 10 == 9 else out[i] for i in range(n)]  # every tenth one asked again


async def fill(path: Path, texts: list[str]) -> None:
    store = await Store.open(path)
    try:
        for q in texts:
            await store.record_outcome(Outcome(Exchange(
                scope=SCOPE, user="u", channel="c", conversation=None, question=q,
                answer=AnswerData(text="I don't know.", citations=[], confidence=0.1, refused=True,
                                  backend="extractive", latency_ms=1))))
    finally:
        await store.close()


async def run(path: Path, stored: bool, load_model: bool, again: bool = False) -> tuple[float, float, int, list[Topic]]:
    """(first call s, second call s, texts encoded, topics)."""
    embedder = Embedder()
    encoded = 0

    def encode(texts):  # counts what had to be encoded
        nonlocal encoded
        encoded += len(texts)
        return embedder.encode_cached(texts)

    if load_model:
        embedder.encode(["load the model"])  # not cached: only the load is kept out of the timing
    store = await Store.open(path)
    try:
        topics = UnansweredTopics(store, encode, threshold=0.75, sure=0.7, limit=100_000,
                                  model=embedder.model_name if stored else None)
        t0 = time.perf_counter()
        found = await topics.topics(SCOPE)
        first = time.perf_counter() - t0
        second = float("nan")
        if again:
            t0 = time.perf_counter()
            await topics.topics(SCOPE)
            second = time.perf_counter() - t0
        return first, second, encoded, found
    finally:
        await store.close()


async def write_cost(path: Path) -> tuple[float, int]:
    """Seconds to write every stored vector again in one transaction, and how many there are."""
    store = await Store.open(path)
    try:
        rows = await store.db.fetchall("SELECT answer_id, model, vector FROM unanswered_vectors")
        model = str(rows[0][1]) if rows else ""
        vectors = {int(r[0]): bytes(r[2]) for r in rows}
        t0 = time.perf_counter()
        await store.unanswered.save_vectors(model, vectors)
        return time.perf_counter() - t0, len(vectors)
    finally:
        await store.close()


async def main() -> None:
    n = 300 if quick() else 1000
    texts = questions(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        await fill(path, texts)
        encode_all, _, n_all, t_all = await run(path, stored=False, load_model=True)
        first_store, _, n_first, t_first = await run(path, stored=True, load_model=True)
        cold, warm, n_cold, t_cold = await run(path, stored=True, load_model=False, again=True)
        write, n_written = await write_cost(path)
    same = [t.answer_ids for t in t_all] == [t.answer_ids for t in t_first] == [t.answer_ids for t in t_cold]
    rows = [
        ("encode_all (before)", encode_all * 1000, encode_all / warm, n_all),
        ("first_store", first_store * 1000, first_store / warm, n_first),
        ("cold_stored (after)", cold * 1000, cold / warm, n_cold),
        ("warm", warm * 1000, 1.0, 0),
        (f"(writing {n_written} vectors)", write * 1000, write / warm, 0),
    ]
    table(f"unanswered topics over {n} questions ({len(t_cold)} topics)", ["run", "ms", "x warm", "encoded"], rows)
    print(f"same topics in every run: {same}; cold start {encode_all / cold:.1f}x faster with stored vectors")
    emit("unanswered", {"questions": n, "topics": len(t_cold), "encode_all_ms": round(encode_all * 1000, 1),
                        "first_store_ms": round(first_store * 1000, 1), "cold_stored_ms": round(cold * 1000, 1),
                        "warm_ms": round(warm * 1000, 1),
                        "write_ms": round(write * 1000, 1), "cold_speedup": round(encode_all / cold, 1),
                        "deterministic": same})


if __name__ == "__main__":
    asyncio.run(main())
