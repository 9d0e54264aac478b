"""Tutoring: quizzes made from the course material, graded answers, progress per learner.

Missed questions come back on a Leitner schedule: a wrong answer is due again soon, each
correct answer moves the question to a box reviewed less often.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from bot.core import i18n
from bot.services.grading import Grade, Similarity, grade
from bot.services.quizgen import QuizQuestion, SourcePassage, generate_quiz
from bot.store import DueReviewRow, QuizItemDraft, Store
from bot.store.interfaces import Tutoring
from retrieval.types import Hit

if TYPE_CHECKING:
    from bot.core.assistant import Assistant

Search = Callable[[str, str, int], Awaitable[list[Hit]]]
ScopeSimilarity = Callable[[str], Similarity]  # a scope's similarity (its embedder's)
# seconds until a question is due again, by box (0 = just missed)
REVIEW_INTERVALS = (600, 86_400, 3 * 86_400, 7 * 86_400, 21 * 86_400)
WEAK_BELOW = 0.6


@dataclass(frozen=True)
class StoredQuestion:
    id: int
    question: QuizQuestion


@dataclass(frozen=True)
class QuizCard:
    """A stored question as a front end shows it."""

    id: int
    topic: str
    kind: str
    question: str
    choices: list[str]
    explanation: str
    source: str

    @classmethod
    def made(cls, stored: StoredQuestion, topic: str) -> QuizCard:
        q = stored.question
        return cls(stored.id, q.topic or topic, q.kind, q.question, list(q.choices), q.explanation, q.source)

    @classmethod
    def due(cls, row: DueReviewRow) -> QuizCard:
        i = row.item
        return cls(i.id, i.topic, i.kind, i.question, list(i.choices), i.explanation, i.source)


@dataclass(frozen=True)
class TopicScore:
    topic: str
    attempts: int
    correct: int
    mean_score: float


@dataclass(frozen=True)
class Progress:
    topics: list[TopicScore]
    weak: list[str]
    due: list[DueReviewRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "topics": [vars(t) for t in self.topics],
            "weak": self.weak,
            "due": [{"id": d.item.id, "question": d.item.question, "due_at": d.due_at} for d in self.due],
        }


class QuizError(ValueError):
    """A user-facing tutoring problem (no material, unknown question), worded from the message
    catalogue (bot/core/i18n) in the learner's language by `say`; `str()` is the English line."""

    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params
        super().__init__(self.say(i18n.DEFAULT))

    def say(self, language: str) -> str:
        return i18n.message(self.key, language).format(**self.params)

    def sorry(self, language: str) -> str:
        """The whole reply: "Sorry — <reason>." in `language`."""
        return i18n.message("quiz_sorry", language).format(reason=self.say(language))


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def next_box(box: int | None, result: Grade) -> int:
    current = 0 if box is None else box
    if result.verdict == "correct":
        return min(current + 1, len(REVIEW_INTERVALS) - 1)
    if result.verdict == "partial":
        return current
    return 0


class Tutor:
    def __init__(self, store: Tutoring, search: Search, similarity: Similarity | None,
                 similarity_for: ScopeSimilarity | None = None) -> None:
        """`similarity_for(scope)`, when given, grades in each scope with its own embedder."""
        self._store = store
        self._search = search
        self._similarity = similarity
        self._similarity_for = similarity_for

    async def make_quiz(
        self, scope: str, topic: str, *, count: int = 5, kind: str = "mixed",
        user: str | None = None, seed: int | None = None,
    ) -> list[StoredQuestion]:
        if not 1 <= count <= 20:
            raise QuizError("quiz_bad_count", low=1, high=20)
        if kind not in ("mcq", "short", "mixed"):
            raise QuizError("quiz_bad_kind")
        hits = await self._search(scope, topic or "key definitions and facts", max(12, count * 3))
        if not hits:
            raise QuizError("quiz_no_material")
        passages = [SourcePassage(h.chunk_id, h.title, h.text, h.heading) for h in hits]
        # the closest passages first; further ones only when those hold too few facts
        questions = generate_quiz(
            passages[: max(4, count * 2)], count=count, kind=kind, topic=topic or "general",
            seed=seed, pool=passages,
        )
        if len(questions) < count:
            questions = generate_quiz(passages, count=count, kind=kind, topic=topic or "general",
                                      seed=seed, pool=passages)
        if not questions:
            raise QuizError("quiz_no_questions", topic=topic)
        ids = await self._store.add_items(scope, user, [
            QuizItemDraft(kind=q.kind, question=q.question, answer=q.answer, topic=q.topic,
                          choices=list(q.choices), explanation=q.explanation, source=q.source,
                          chunk_id=q.chunk_id)
            for q in questions
        ])
        return [StoredQuestion(i, q) for i, q in zip(ids, questions)]

    async def submit(
        self, scope: str, user: str, item_id: int, response: str, *, judge: float | None = None,
        now: datetime | None = None,
    ) -> Grade:
        item = await self._store.item(scope, item_id)
        if item is None:
            raise QuizError("quiz_no_item", item=item_id)
        def graded() -> Grade:  # semantic grading runs the embedder: keep it off the loop
            similarity = self._similarity_for(scope) if self._similarity_for is not None else self._similarity
            return grade(item.kind, item.answer, item.choices, response, similarity, judge)

        result = await asyncio.to_thread(graded)
        box = next_box(await self._store.review_box(scope, user, item_id), result)
        due = (now or datetime.now(timezone.utc)) + timedelta(seconds=REVIEW_INTERVALS[box])
        await self._store.record_attempt(
            scope, user, item_id, response, result.score, result.verdict, box, _iso(due)
        )
        return result

    async def progress(self, scope: str, user: str, now: datetime | None = None) -> Progress:
        rows = await self._store.progress_by_topic(scope, user)
        topics = [
            TopicScore(r.topic, r.attempts, r.correct, round(r.mean_score, 3))
            for r in rows
        ]
        due = await self._store.due_reviews(scope, user, _iso(now or datetime.now(timezone.utc)))
        return Progress(topics, [t.topic for t in topics if t.mean_score < WEAK_BELOW], due)


def build_tutor(store: Store, search: Search, similarity: Similarity | None,
                similarity_for: ScopeSimilarity | None = None) -> Tutor:
    """The tutor the front ends share, over the store's tutoring repository."""
    return Tutor(store.tutoring, search, similarity, similarity_for)


def tutor_for(assistant: Assistant) -> Tutor:
    """The tutor over an assistant's store, search and each scope's embedder (what every front end wires)."""
    return build_tutor(assistant.store, assistant.search, assistant.embedder.similarity,
                       lambda scope: assistant.embedder_for(scope).similarity)
