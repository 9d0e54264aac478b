"""Unanswered topics over real SQLite and the real MiniLM: grouping, scoping, dismiss, resolve."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.core.curated import CuratedMatcher
from bot.services.unanswered import UnansweredTopics, group
from bot.store import AnswerData, Exchange, Outcome, Store, UnansweredRow

WIFI = ["What is the wifi password at the venue?", "what's the venue wifi password", "venue wifi password?"]
PARKING = ["Is there parking near the venue?", "Where can I park my car at the venue?"]


def _ex(question: str, scope: str = "guild:1") -> Exchange:
    closest = [{"n": 1, "title": "Venue", "source": "venue.md", "document_id": 2, "chunk_id": 9}]
    return Exchange(scope=scope, user="u1", channel="c", conversation=None, question=question,
                    answer=AnswerData(text="I don't know.", citations=[], confidence=0.2, refused=True,
                                      backend="extractive", latency_ms=1, closest=closest))


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "db.sqlite")
    yield s
    await s.close()


@pytest.fixture
def encode(minilm):
    def enc(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(minilm.encode(list(texts), normalize_embeddings=True), dtype=np.float32)

    return enc


async def _ask(store: Store, questions: list[str], scope: str = "guild:1") -> list[int]:
    return [(await store.record_outcome(Outcome(_ex(q, scope)))).answer_id for q in questions]


async def test_questions_are_grouped_by_meaning_into_topics(store: Store, encode) -> None:
    ids = await _ask(store, [WIFI[0], PARKING[0], WIFI[1], PARKING[1], WIFI[2], WIFI[1]])
    await _ask(store, ["Is there parking near the venue?"], scope="guild:2")
    topics = await UnansweredTopics(store, encode, threshold=0.75, sure=0.7).topics("guild:1")
    assert [t.count for t in topics] == [4, 2]
    wifi, parking = topics
    assert wifi.id == ids[0] and parking.id == ids[1]  # the first question's answer id
    assert wifi.question in WIFI and set(wifi.examples) == set(WIFI) and wifi.examples[0] == WIFI[1]
    assert set(parking.examples) == set(PARKING) and parking.scope == "guild:1"
    assert wifi.first_seen <= wifi.last_seen and wifi.answer_ids == [ids[0], ids[2], ids[4], ids[5]]
    assert [d.source for d in wifi.closest] == ["venue.md"] and wifi.reasons == {"refused": 4}
    assert set(wifi.as_dict()) >= {"question", "count", "examples", "scope", "first_seen", "last_seen"}
    other = await UnansweredTopics(store, encode, threshold=0.75, sure=0.7).topics("guild:2")
    assert [t.count for t in other] == [1]  # never mixed with guild:1's questions


async def test_a_higher_threshold_splits_topics(store: Store, encode) -> None:
    await _ask(store, [WIFI[0], "How do I connect to the wifi at the venue?"])
    assert len(await UnansweredTopics(store, encode, threshold=0.7, sure=0.7).topics("guild:1")) == 1
    assert len(await UnansweredTopics(store, encode, threshold=0.9, sure=0.7).topics("guild:1")) == 2


async def test_dismissed_topics_stop_showing(store: Store, encode) -> None:
    await _ask(store, [WIFI[0], PARKING[0], WIFI[1]])
    topics = UnansweredTopics(store, encode, threshold=0.75, sure=0.7)
    wifi = (await topics.topics("guild:1"))[0]
    assert await topics.dismiss("guild:2", wifi.id, "mod") == 0  # not that guild's topic
    assert await topics.dismiss("guild:1", wifi.id, "mod") == 2
    assert [t.question for t in await topics.topics("guild:1")] == [PARKING[0]]
    assert await topics.dismiss("guild:1", wifi.id, "mod") == 0


async def test_resolving_a_topic_writes_one_curated_answer_covering_its_questions(store: Store, encode) -> None:
    await _ask(store, [WIFI[0], PARKING[0], WIFI[1], WIFI[2]])
    topics = UnansweredTopics(store, encode, threshold=0.75, sure=0.7)
    wifi = (await topics.topics("guild:1"))[0]
    assert await topics.resolve("guild:2", wifi.id, "It is 'welcome'.", "mod") is None
    row = await topics.resolve("guild:1", wifi.id, "It is 'welcome'.", "mod", question="The wifi password, please")
    assert row is not None and row.scope == "guild:1" and row.question == "The wifi password, please"
    assert sorted(row.paraphrases) == sorted(WIFI) and row.answer == "It is 'welcome'."
    assert [t.question for t in await topics.topics("guild:1")] == [PARKING[0]]
    # and the bot now answers a new paraphrase with it
    matcher = CuratedMatcher(store.curated, encode, threshold=0.8)
    found = await matcher.match("guild:1", "whats the wifi password at the venue")
    assert found is not None and found.row.id == row.id


def test_group_is_greedy_over_centroids() -> None:
    rows = [UnansweredRow(i, "s", f"q{i}", "t", ("refused",), []) for i in range(4)]
    v = np.array([[1, 0], [0, 1], [0.96, 0.28], [0.28, 0.96]], dtype=np.float32)
    assert group(rows, v, 0.9) == [[0, 2], [1, 3]]
    assert group(rows, v, 0.99) == [[0], [1], [2], [3]]
