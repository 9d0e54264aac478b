"""The unanswered bookkeeping in SQLite: stored question vectors, and what `forget` clears of it."""
from __future__ import annotations

import numpy as np
import pytest

from bot.store import AnswerData, Exchange, Outcome, Store

SCOPE = "guild:1"


@pytest.fixture
async def store(open_store):  # SQLite and PostgreSQL (tests/bot/store/conftest.py)
    s = await open_store()
    yield s
    await s.close()


async def _ask(store: Store, question: str, user: str, scope: str = SCOPE) -> int:
    return (await store.record_outcome(Outcome(Exchange(
        scope=scope, user=user, channel="c", conversation=None, question=question,
        answer=AnswerData(text="I don't know.", citations=[], confidence=0.1, refused=True,
                          backend="extractive", latency_ms=1))))).answer_id


def _vec(seed: int) -> bytes:
    return np.random.default_rng(seed).normal(size=8).astype(np.float32).tobytes()


async def test_vectors_round_trip_per_model_and_replace(store: Store) -> None:
    a, b = await _ask(store, "q1?", "amy"), await _ask(store, "q2?", "bob")
    await store.unanswered.save_vectors("m1", {a: _vec(1), b: _vec(2), 999: _vec(3)})  # 999: no such answer
    assert await store.unanswered.vectors([a, b, 999], "m1") == {a: _vec(1), b: _vec(2)}
    assert await store.unanswered.vectors([a, b], "m2") == {}  # another embedder's are not served
    await store.unanswered.save_vectors("m2", {a: _vec(4)})
    assert await store.unanswered.vectors([a, b], "m2") == {a: _vec(4)}
    assert await store.unanswered.vectors([a, b], "m1") == {b: _vec(2)}  # one vector per question
    assert await store.unanswered.vectors([], "m1") == {}


async def test_many_ids_are_read_in_batches(store: Store) -> None:
    ids = [await _ask(store, f"q{i}?", "amy") for i in range(1203)]
    await store.unanswered.save_vectors("m", {i: _vec(i) for i in ids})
    got = await store.unanswered.vectors(ids, "m")
    assert len(got) == 1203 and got[ids[-1]] == _vec(ids[-1])


async def test_forget_clears_the_members_vectors_and_closed_marks_but_not_the_moderators(store: Store) -> None:
    mine = [await _ask(store, "q1?", "amy"), await _ask(store, "q2?", "amy")]
    theirs = await _ask(store, "q3?", "bob")
    elsewhere = await _ask(store, "q4?", "amy", scope="guild:2")
    await store.unanswered.save_vectors("m", {i: _vec(i) for i in [*mine, theirs, elsewhere]})
    await store.unanswered.close(SCOPE, [mine[0], theirs], "dismissed", "amy")  # amy moderates too
    counts = await store.forget(SCOPE, "amy")
    assert counts["question_vectors"] == 2 and counts["closed_questions"] == 1 and counts["answers"] == 2
    assert set(await store.unanswered.vectors([*mine, theirs, elsewhere], "m")) == {theirs, elsewhere}
    closed = await store.db.fetchall("SELECT answer_id, closed_by FROM unanswered_closed")
    assert [(r[0], r[1]) for r in closed] == [(theirs, "amy")]  # her staff action on bob's question stays
    assert [r.answer_id for r in await store.unanswered.open_questions(SCOPE, 0.7)] == []
    assert [r.answer_id for r in await store.unanswered.open_questions("guild:2", 0.7)] == [elsewhere]
    assert "unanswered_vectors" in store.forgotten_tables and "unanswered_closed" in store.forgotten_tables
