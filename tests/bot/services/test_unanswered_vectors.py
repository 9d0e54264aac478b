"""Stored question vectors: a fresh process groups topics without encoding; another embedder re-encodes."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.services.unanswered import UnansweredTopics
from bot.store import AnswerData, Exchange, Outcome, Store

WIFI = ["What is the wifi password at the venue?", "what's the venue wifi password", "venue wifi password?"]
PARKING = ["Is there parking near the venue?", "Where can I park my car at the venue?"]
SCOPE = "guild:1"


class Counting:
    """The real MiniLM, counting the texts it is asked to encode."""

    def __init__(self, minilm, dim: int | None = None) -> None:
        self.minilm = minilm
        self.dim = dim  # cut vectors to this many dimensions (an embedder of another size)
        self.texts: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        v = np.asarray(self.minilm.encode(list(texts), normalize_embeddings=True), dtype=np.float32)
        if self.dim is not None:
            v = v[:, : self.dim]
            v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v


async def _ask(path: Path, questions: list[str], user: str = "u1") -> list[int]:
    store = await Store.open(path)
    try:
        return [(await store.record_outcome(Outcome(Exchange(
            scope=SCOPE, user=user, channel="c", conversation=None, question=q,
            answer=AnswerData(text="I don't know.", citations=[], confidence=0.2, refused=True,
                              backend="extractive", latency_ms=1))))).answer_id for q in questions]
    finally:
        await store.close()


async def _topics(path: Path, encode: Counting, model: str | None) -> list[list[int]]:
    """A fresh process: its own connection and service."""
    store = await Store.open(path)
    try:
        found = await UnansweredTopics(store, encode, threshold=0.75, sure=0.7, model=model).topics(SCOPE)
        return [t.answer_ids for t in found]
    finally:
        await store.close()


async def _stored(path: Path) -> dict[int, str]:
    store = await Store.open(path)
    try:
        rows = await store.db.fetchall("SELECT answer_id, model FROM unanswered_vectors")
        return {int(r[0]): str(r[1]) for r in rows}
    finally:
        await store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite"


async def test_a_fresh_process_groups_from_stored_vectors_without_encoding(db: Path, minilm) -> None:
    ids = await _ask(db, [WIFI[0], PARKING[0], WIFI[1], PARKING[1], WIFI[2], WIFI[1]])
    first = Counting(minilm)
    grouped = await _topics(db, first, "minilm")
    assert grouped == [[ids[0], ids[2], ids[4], ids[5]], [ids[1], ids[3]]]
    assert sorted(first.texts) == sorted({*WIFI, *PARKING})  # each distinct text once
    assert await _stored(db) == {i: "minilm" for i in ids}  # the repeat stored too
    again = Counting(minilm)
    assert await _topics(db, again, "minilm") == grouped
    assert again.texts == []  # the model is never needed


async def test_only_new_questions_are_encoded(db: Path, minilm) -> None:
    await _ask(db, [WIFI[0], PARKING[0]])
    await _topics(db, Counting(minilm), "minilm")
    await _ask(db, [WIFI[1], WIFI[0]])  # one new text, one repeat of a stored one
    later = Counting(minilm)
    grouped = await _topics(db, later, "minilm")
    assert later.texts == [WIFI[1]] and [len(g) for g in grouped] == [3, 1]
    assert len(await _stored(db)) == 4


async def test_another_embedder_re_encodes_and_replaces_the_vectors(db: Path, minilm) -> None:
    ids = await _ask(db, [WIFI[0], PARKING[0], WIFI[1]])
    await _topics(db, Counting(minilm), "minilm")
    other = Counting(minilm)
    assert len(await _topics(db, other, "other-model")) == 2
    assert sorted(other.texts) == sorted({WIFI[0], WIFI[1], PARKING[0]})
    assert await _stored(db) == {i: "other-model" for i in ids}


async def test_vectors_of_another_size_under_the_same_name_are_replaced(db: Path, minilm) -> None:
    await _ask(db, [WIFI[0], PARKING[0]])
    await _topics(db, Counting(minilm, dim=64), "minilm")
    await _ask(db, [WIFI[1]])
    full = Counting(minilm)
    grouped = await _topics(db, full, "minilm")
    assert [len(g) for g in grouped] == [2, 1]  # no shape error: everything re-encoded at 384
    assert sorted(full.texts) == sorted({WIFI[0], WIFI[1], PARKING[0]})
    store = await Store.open(db)
    try:
        sizes = {len(bytes(r[0])) for r in await store.db.fetchall("SELECT vector FROM unanswered_vectors")}
    finally:
        await store.close()
    assert sizes == {384 * 4}


async def test_without_a_model_name_nothing_is_stored(db: Path, minilm) -> None:
    await _ask(db, [WIFI[0], WIFI[1]])
    encode = Counting(minilm)
    assert len(await _topics(db, encode, None)) == 1
    assert await _stored(db) == {} and len(encode.texts) == 2


async def test_the_assistants_topics_store_vectors_under_its_embedders_name(db: Path) -> None:
    from types import SimpleNamespace

    from bot.core.config import Settings
    from bot.services.unanswered import unanswered_for
    from retrieval.embedder import Embedder

    store = await Store.open(db)
    try:
        embedder = Embedder()  # loads nothing until it encodes
        assistant = SimpleNamespace(settings=Settings(data_dir=db.parent, generator="extractive"), store=store,
                                    embedder=embedder)
        topics = unanswered_for(assistant)  # type: ignore[arg-type]
        assert topics.model == embedder.model_name and topics.encode == embedder.encode_cached
        assert topics.threshold == assistant.settings.unanswered.threshold
    finally:
        await store.close()
