"""Tutoring: quiz items, graded attempts, Leitner review boxes and progress by topic (PostgreSQL)."""
from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from bot.store.postgres.database import PgDatabase, affected
from bot.store.rows import DueReviewRow, QuizItemDraft, QuizItemRow, TopicProgressRow, now_iso


def _item(r: asyncpg.Record) -> QuizItemRow:
    return QuizItemRow(
        id=r["id"], scope=r["scope"], topic=r["topic"], kind=r["kind"], question=r["question"],
        choices=json.loads(r["choices"]), answer=r["answer"], explanation=r["explanation"],
        source=r["source"], chunk_id=r["chunk_id"], created_by=r["created_by"], created_at=r["created_at"],
    )


class PgTutoring:
    forgets: tuple[str, ...] = ("quiz_attempts", "quiz_reviews")

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def add_items(self, scope: str, created_by: str | None, items: Sequence[QuizItemDraft]) -> list[int]:
        ids: list[int] = []
        ts = now_iso()
        async with self._db.transaction() as tx:
            for it in items:
                ids.append(int(await tx.fetchval(
                    "INSERT INTO quiz_items (scope, topic, kind, question, choices, answer, explanation,"
                    " source, chunk_id, created_by, created_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    scope, it.topic, it.kind, it.question, json.dumps(it.choices), it.answer,
                    it.explanation, it.source, it.chunk_id, created_by, ts,
                )))
        return ids

    async def item(self, scope: str, item_id: int) -> QuizItemRow | None:
        r = await self._db.fetchone("SELECT * FROM quiz_items WHERE id = $1 AND scope = $2", (item_id, scope))
        return None if r is None else _item(r)

    async def record_attempt(
        self, scope: str, user: str, item_id: int, response: str, score: float, verdict: str,
        box: int, due_at: str,
    ) -> int:
        async with self._db.transaction() as tx:
            attempt_id = int(await tx.fetchval(
                'INSERT INTO quiz_attempts (item_id, scope, "user", response, score, verdict, created_at)'
                " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                item_id, scope, user, response, score, verdict, now_iso(),
            ))
            await tx.execute(
                'INSERT INTO quiz_reviews (scope, "user", item_id, box, due_at) VALUES ($1, $2, $3, $4, $5)'
                ' ON CONFLICT (scope, "user", item_id) DO UPDATE SET box = excluded.box,'
                " due_at = excluded.due_at",
                scope, user, item_id, box, due_at,
            )
        return attempt_id

    async def review_box(self, scope: str, user: str, item_id: int) -> int | None:
        r = await self._db.fetchone(
            'SELECT box FROM quiz_reviews WHERE scope = $1 AND "user" = $2 AND item_id = $3', (scope, user, item_id)
        )
        return int(r["box"]) if r else None

    async def progress_by_topic(self, scope: str, user: str) -> list[TopicProgressRow]:
        rows = await self._db.fetchall(
            "SELECT i.topic AS topic, COUNT(*) AS attempts, AVG(a.score) AS mean_score,"
            " COUNT(*) FILTER (WHERE a.verdict = 'correct') AS correct FROM quiz_attempts a JOIN quiz_items i"
            ' ON i.id = a.item_id WHERE a.scope = $1 AND a."user" = $2 GROUP BY i.topic ORDER BY mean_score',
            (scope, user),
        )
        return [
            TopicProgressRow(r["topic"], int(r["attempts"]), int(r["correct"] or 0), float(r["mean_score"]))
            for r in rows
        ]

    async def due_reviews(self, scope: str, user: str, now: str, limit: int = 10) -> list[DueReviewRow]:
        rows = await self._db.fetchall(
            "SELECT i.*, r.box AS box, r.due_at AS due_at FROM quiz_reviews r JOIN quiz_items i"
            ' ON i.id = r.item_id WHERE r.scope = $1 AND r."user" = $2 AND r.due_at <= $3'
            " ORDER BY r.due_at LIMIT $4",
            (scope, user, now, limit),
        )
        return [DueReviewRow(_item(r), int(r["box"]), r["due_at"]) for r in rows]

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        attempts = await tx.execute('DELETE FROM quiz_attempts WHERE "user" = $1 AND scope = $2', user, scope)
        reviews = await tx.execute('DELETE FROM quiz_reviews WHERE "user" = $1 AND scope = $2', user, scope)
        return {"quiz_attempts": affected(attempts), "quiz_reviews": affected(reviews)}
