"""Unanswered topics: the questions the bot could not answer well, grouped by meaning.

Refused, tentative (below `answering.sure`), 👎 and escalated questions of one scope are grouped
greedily, oldest first: a question joins the topic whose centroid is most similar to it when
the cosine reaches `unanswered.threshold`, else it starts a topic. A topic's id is the answer
id of its first question, so it stays the same while that question stays open. Moderators
dismiss a topic, or resolve it with a curated answer whose paraphrases are all its questions;
either way its questions are closed and the topic disappears.

Each question is embedded once: its vector is stored beside its answer the first time topics
group it (with the embedder's name, so another embedder re-encodes), and later calls, in this
process or a fresh one, read it back instead of loading and running the model.

Grouping is a pure function of the open questions, the embedder and the threshold, so a
`TopicCache` keeps the last topics per scope under a fingerprint of those (the store's
`open_key`: one aggregate row over the same query, changed by any question that opens, closes or
changes why it is open): a page that reloads them reads neither questions nor vectors until then.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from bot.store import CuratedDraft, CuratedRow, DocRef, Store, UnansweredRow

if TYPE_CHECKING:
    from bot.core.assistant import Assistant

Encode = Callable[[Sequence[str]], np.ndarray]  # L2-normalised rows
ScopeEncoder = Callable[[str], tuple[Encode, str]]  # a scope's embedder: its cached encode and its name
EXAMPLES = 5
CLOSEST = 3


@dataclass(frozen=True)
class Topic:
    id: int  # the answer id of the topic's first question
    scope: str
    question: str  # the representative: the question closest to the topic's centre
    count: int  # questions asked (repeats included)
    examples: list[str]  # distinct questions, newest first, at most EXAMPLES
    first_seen: str
    last_seen: str
    closest: list[DocRef]  # the documents its answers cited or came closest to, most frequent first
    answer_ids: list[int]
    questions: list[str] = field(default_factory=list)  # every distinct question, first asked first
    reasons: dict[str, int] = field(default_factory=dict)  # refused / tentative / downvoted / escalated

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "scope": self.scope, "question": self.question, "count": self.count,
            "examples": self.examples, "first_seen": self.first_seen, "last_seen": self.last_seen,
            "closest": [{"title": d.title, "source": d.source, "document_id": d.document_id} for d in self.closest],
            "answer_ids": self.answer_ids, "reasons": self.reasons,
        }


def group(rows: Sequence[UnansweredRow], vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Greedy grouping by centroid similarity, in the order given; lists of row indexes."""
    groups: list[list[int]] = []
    sums = np.zeros((len(rows), vectors.shape[1] if len(rows) else 0), dtype=np.float32)  # one per group
    inverse = np.zeros(len(rows), dtype=np.float32)  # 1/|sum| per group (0 for a zero sum), kept as members join
    for i in range(len(rows)):
        v = vectors[i]
        k = len(groups)
        if k:
            scores = (sums[:k] @ v) * inverse[:k]
            best = int(np.argmax(scores))
            if float(scores[best]) >= threshold:
                groups[best].append(i)
                sums[best] += v
                inverse[best] = _inverse_norm(sums[best])
                continue
        groups.append([i])
        sums[k] = v
        inverse[k] = _inverse_norm(v)
    return groups


def _inverse_norm(v: np.ndarray) -> float:
    norm = float(np.sqrt(v @ v))
    return 1.0 / norm if norm > 0 else 0.0


def _topic(scope: str, rows: list[UnansweredRow], vectors: np.ndarray) -> Topic:
    centre = vectors.sum(axis=0)
    rep = rows[int(np.argmax(vectors @ centre))].question
    distinct = list(dict.fromkeys(r.question for r in rows))
    newest = list(dict.fromkeys(r.question for r in reversed(rows)))
    docs = Counter(d for r in rows for d in r.closest)
    reasons = Counter(reason for r in rows for reason in r.reasons)
    return Topic(
        id=rows[0].answer_id, scope=scope, question=rep, count=len(rows), examples=newest[:EXAMPLES],
        first_seen=rows[0].created_at, last_seen=rows[-1].created_at,
        closest=[d for d, _ in docs.most_common(CLOSEST)], answer_ids=[r.answer_id for r in rows],
        questions=distinct, reasons=dict(reasons),
    )


@dataclass
class TopicCache:
    """The last grouped topics per scope, under the fingerprint of the questions they came from.

    One per long-lived front end (the console keeps one); entries for a scope replace each other."""

    entries: dict[str, tuple[int, list[Topic]]] = field(default_factory=dict)

    def get(self, scope: str, key: int) -> list[Topic] | None:
        hit = self.entries.get(scope)
        return list(hit[1]) if hit is not None and hit[0] == key else None

    def put(self, scope: str, key: int, topics: list[Topic]) -> None:
        self.entries[scope] = (key, list(topics))


class UnansweredTopics:
    """Topics over the store's unanswered questions; what the CLI, Discord and the console call."""

    def __init__(
        self, store: Store, encode: Encode, *, threshold: float, sure: float, limit: int = 1000,
        model: str | None = None, cache: TopicCache | None = None, encoder_for: ScopeEncoder | None = None,
    ) -> None:
        """`model` names the embedder behind `encode`; with it, vectors are stored and reused
        (without it every call encodes, as a test's stand-in encoder would want). With a `cache`
        (and a `model`: a stand-in encoder may change behind the same None), unchanged
        questions are not grouped again. With `encoder_for(scope)`, each scope's questions are
        encoded by that scope's embedder (under its name) instead of `encode`."""
        self.store = store
        self.encoder_for = encoder_for
        self.encode = encode
        self.threshold = threshold
        self.sure = sure
        self.limit = limit
        self.model = model
        self.cache = cache if model else None

    async def topics(self, scope: str) -> list[Topic]:
        """The scope's open topics, most asked first (then most recent)."""
        if self.encoder_for is not None:
            encode, model = await asyncio.to_thread(self.encoder_for, scope)
            scoped = UnansweredTopics(self.store, encode, threshold=self.threshold, sure=self.sure, limit=self.limit,
                                      model=model, cache=self.cache)
            return await scoped.topics(scope)
        key = None
        if self.cache is not None:  # read before the questions: a write in between only regroups
            key = hash((self.model, self.threshold, await self.store.unanswered.open_key(scope, self.sure, self.limit)))
            cached = self.cache.get(scope, key)
            if cached is not None:
                return cached
        rows = await self.store.unanswered.open_questions(scope, self.sure, self.limit)
        if not rows:
            return []
        vectors = await self.vectors(rows)
        topics = sorted((
            _topic(scope, [rows[i] for i in members], vectors[members])
            for members in group(rows, vectors, self.threshold)
        ), key=lambda t: (t.count, t.last_seen), reverse=True)
        if self.cache is not None and key is not None:
            self.cache.put(scope, key, topics)
        return topics

    async def vectors(self, rows: Sequence[UnansweredRow]) -> np.ndarray:
        """One L2-normalised float32 row per question: stored ones read back, the rest encoded
        (each distinct text once) and stored for next time."""
        stored = await self.store.unanswered.vectors([r.answer_id for r in rows], self.model) if self.model else {}
        by_id = {i: np.frombuffer(b, dtype=np.float32) for i, b in stored.items()}
        if len({v.shape for v in by_id.values()}) > 1:
            by_id = {}  # vectors of different sizes under one name: trust none of them
        by_text = {r.question: by_id[r.answer_id] for r in rows if r.answer_id in by_id}
        missing = [t for t in dict.fromkeys(r.question for r in rows) if t not in by_text]
        if missing:
            encoded = await self._encode(missing)
            if by_id and encoded.shape[1:] != next(iter(by_id.values())).shape:
                stale = list(by_text)  # the embedder behind the name changed: these were its vectors
                by_id, by_text = {}, dict(zip(missing, encoded))
                by_text.update(zip(stale, await self._encode(stale)))
            else:
                by_text.update(zip(missing, encoded))
        if self.model:
            new = {r.answer_id: by_text[r.question].tobytes() for r in rows if r.answer_id not in by_id}
            await self.store.unanswered.save_vectors(self.model, new)
        return np.stack([by_id.get(r.answer_id, by_text[r.question]) for r in rows]).astype(np.float32, copy=False)

    async def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(await asyncio.to_thread(self.encode, texts), dtype=np.float32)

    async def topic(self, scope: str, topic_id: int) -> Topic | None:
        return next((t for t in await self.topics(scope) if t.id == topic_id), None)

    async def dismiss(self, scope: str, topic_id: int, by: str) -> int:
        """Hide the topic's questions from now on; how many were closed (0: no such open topic)."""
        topic = await self.topic(scope, topic_id)
        if topic is None:
            return 0
        return await self.store.unanswered.close(scope, topic.answer_ids, "dismissed", by)

    async def resolve(
        self, scope: str, topic_id: int, answer: str, by: str, *, question: str | None = None,
        citations: Sequence[DocRef] | None = None,
    ) -> CuratedRow | None:
        """Write the answer once: a curated answer whose paraphrases are all the topic's questions.

        `question` defaults to the topic's representative, `citations` to none. None when the
        topic is not open in this scope; raises bot.store.CuratedError on an empty answer."""
        topic = await self.topic(scope, topic_id)
        if topic is None:
            return None
        main = (question or topic.question).strip() or topic.question
        draft = CuratedDraft(question=main, answer=answer, paraphrases=[q for q in topic.questions if q != main],
                             citations=list(citations or []))
        return await self.store.resolve_unanswered(scope, topic.answer_ids, draft, by)


def unanswered_for(assistant: Assistant, cache: TopicCache | None = None) -> UnansweredTopics:
    """The topics over an assistant's store and embedder, with the configured thresholds."""
    s = assistant.settings

    def encoder_for(scope: str) -> tuple[Encode, str]:
        embedder = assistant.embedder_for(scope)
        return embedder.encode_cached, embedder.model_name

    return UnansweredTopics(assistant.store, assistant.embedder.encode_cached, threshold=s.unanswered.threshold,
                            sure=s.answering.sure, limit=s.unanswered.limit, model=assistant.embedder.model_name,
                            cache=cache, encoder_for=encoder_for)
