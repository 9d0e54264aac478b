"""The topic cache: unchanged questions are not grouped again, and any change they can see regroups."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.services.unanswered import TopicCache, UnansweredTopics
from bot.store import AnswerData, Exchange, FlagDraft, Outcome, Store

WORDS = ["wifi", "parking", "refund", "invoice"]


def encode(texts: Sequence[str]) -> np.ndarray:
    """A stand-in embedder: one axis per known word (the real one is tested in test_unanswered.py)."""
    out = np.zeros((len(texts), len(WORDS) + 1), dtype=np.float32)
    for i, t in enumerate(texts):
        hits = [j for j, w in enumerate(WORDS) if w in t.lower()] or [len(WORDS)]
        out[i, hits] = 1.0
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "db.sqlite")
    yield s
    await s.close()


async def _ask(store: Store, question: str, refused: bool = True, scope: str = "guild:1",
               flag: str | None = None) -> int:
    ex = Exchange(scope=scope, user="u1", channel="c", conversation=None, question=question,
                  answer=AnswerData(text="…", citations=[], confidence=0.2 if refused else 0.9, refused=refused,
                                    backend="extractive", latency_ms=1))
    return (await store.record_outcome(Outcome(ex, [FlagDraft(flag)] if flag else []))).answer_id


def topics_with(store: Store, cache: TopicCache) -> UnansweredTopics:
    return UnansweredTopics(store, encode, threshold=0.8, sure=0.7, model="stand-in", cache=cache)


async def test_unchanged_questions_come_from_the_cache(store: Store) -> None:
    cache = TopicCache()
    await _ask(store, "What is the wifi password?")
    await _ask(store, "Where is parking?")
    first = await topics_with(store, cache).topics("guild:1")
    again = await topics_with(store, cache).topics("guild:1")  # a new instance, as each request makes
    assert [t.question for t in again] == [t.question for t in first]
    assert all(a is b for a, b in zip(again, first))  # the very same topics: not grouped again
    assert list(cache.entries) == ["guild:1"]


async def test_new_closed_downvoted_and_flagged_questions_regroup(store: Store) -> None:
    cache = TopicCache()
    wifi = await _ask(store, "What is the wifi password?")
    answered = await _ask(store, "How do refunds work?", refused=False)
    flagged = await _ask(store, "Can I get an invoice?", refused=False)
    t = topics_with(store, cache)
    assert [x.question for x in await t.topics("guild:1")] == ["What is the wifi password?"]

    await _ask(store, "wifi password please")
    assert [x.count for x in await t.topics("guild:1")] == [2]  # a new question joins

    await store.answers.add_feedback(answered, "u2", -1)
    assert {x.question for x in await t.topics("guild:1")} >= {"How do refunds work?"}  # a 👎

    await store.answers.add_flag("escalated", "guild:1", answer_id=flagged)
    assert "Can I get an invoice?" in {x.question for x in await t.topics("guild:1")}  # sent to a human

    await t.dismiss("guild:1", wifi, "mod")
    assert "What is the wifi password?" not in {x.question for x in await t.topics("guild:1")}

    assert [x.question for x in await topics_with(store, cache).topics("guild:2")] == []


async def test_without_a_model_name_nothing_is_cached(store: Store) -> None:
    cache = TopicCache()
    await _ask(store, "What is the wifi password?")
    await UnansweredTopics(store, encode, threshold=0.8, sure=0.7, cache=cache).topics("guild:1")
    assert cache.entries == {}
