"""Answers with the exchange that produced them, feedback on them and moderator flags (PostgreSQL)."""
from __future__ import annotations

import json
from typing import Any

import asyncpg

from bot.store.postgres.database import PgDatabase, affected
from bot.store.rows import AnswerRow, Exchange, FlagDraft, FlagRow, now_iso


class PgAnswers:
    forgets: tuple[str, ...] = ("feedback", "flags", "answers")

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def record_exchange(self, exchange: Exchange) -> int:
        """Store question, answer row and the assistant turn in one transaction; returns answer id."""
        async with self._db.transaction() as tx:
            return await self.record_exchange_in(tx, exchange)

    @staticmethod
    async def record_exchange_in(tx: asyncpg.Connection, ex: Exchange) -> int:
        ts = now_iso()
        a = ex.answer
        question_id = await tx.fetchval(
            'INSERT INTO messages (scope, channel, conversation, "user", role, content,'
            " created_at, external_id, sentiment) VALUES ($1, $2, $3, $4, 'user', $5, $6, $7, $8) RETURNING id",
            ex.scope, ex.channel, ex.conversation, ex.user, ex.question, ts, ex.external_id, ex.sentiment,
        )
        answer_id = int(await tx.fetchval(
            "INSERT INTO answers (scope, question, text, citations, confidence, refused,"
            ' escalated, backend, latency_ms, candidates, "user", channel, created_at, closest)'
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            ex.scope, ex.question, a.text, json.dumps(a.citations), a.confidence, int(a.refused),
            int(a.escalated), a.backend, a.latency_ms, json.dumps(a.candidates), ex.user, ex.channel,
            ts, json.dumps(a.closest),
        ))
        await tx.execute(
            'INSERT INTO messages (scope, channel, conversation, "user", role, content,'
            " created_at, reply_to, answer_id) VALUES ($1, $2, $3, $4, 'assistant', $5, $6, $7, $8)",
            ex.scope, ex.channel, ex.conversation, ex.user, a.text, ts, question_id, answer_id,
        )
        return answer_id

    async def get(self, answer_id: int) -> AnswerRow | None:
        r = await self._db.fetchone("SELECT * FROM answers WHERE id = $1", (answer_id,))
        if r is None:
            return None
        return AnswerRow(
            id=r["id"], scope=r["scope"], question=r["question"], text=r["text"],
            citations=json.loads(r["citations"]), confidence=r["confidence"],
            refused=bool(r["refused"]), escalated=bool(r["escalated"]), backend=r["backend"],
            latency_ms=r["latency_ms"], candidates=json.loads(r["candidates"]), user=r["user"],
            channel=r["channel"], created_at=r["created_at"], closest=json.loads(r["closest"]),
        )

    # --- feedback ---------------------------------------------------------------------------------
    async def add_feedback(self, answer_id: int, user: str, value: int, comment: str | None = None) -> None:
        if value not in (-1, 1):
            raise ValueError("feedback value must be +1 or -1")
        async with self._db.transaction() as tx:
            await tx.execute(
                'INSERT INTO feedback (answer_id, "user", value, comment, created_at) VALUES ($1, $2, $3, $4, $5)'
                ' ON CONFLICT (answer_id, "user") DO UPDATE SET value = excluded.value,'
                " comment = excluded.comment, created_at = excluded.created_at",
                answer_id, user, value, comment, now_iso(),
            )

    async def feedback_for(self, answer_id: int) -> dict[str, int]:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FILTER (WHERE value = 1), COUNT(*) FILTER (WHERE value = -1)"
            " FROM feedback WHERE answer_id = $1", (answer_id,),
        )
        up, down = (row[0], row[1]) if row else (0, 0)
        return {"up": int(up or 0), "down": int(down or 0)}

    # --- flags ------------------------------------------------------------------------------------
    async def add_flag(
        self,
        kind: str,
        scope: str,
        *,
        user: str | None = None,
        answer_id: int | None = None,
        message_id: str | None = None,
        channel: str | None = None,
        note: str | None = None,
    ) -> int:
        """Raise a flag for moderators; returns its id."""
        async with self._db.transaction() as tx:
            return await self.add_flag_in(tx, kind, scope, user, answer_id, message_id, channel, note)

    @staticmethod
    async def add_flag_in(
        tx: asyncpg.Connection, kind: str, scope: str, user: str | None, answer_id: int | None,
        message_id: str | None, channel: str | None, note: str | None,
    ) -> int:
        return int(await tx.fetchval(
            'INSERT INTO flags (scope, kind, answer_id, message_id, channel, "user", note, created_at)'
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            scope, kind, answer_id, message_id, channel, user, note, now_iso(),
        ))

    @classmethod
    async def flag_exchange_in(cls, tx: asyncpg.Connection, ex: Exchange, answer_id: int, flag: FlagDraft) -> int:
        return await cls.add_flag_in(
            tx, flag.kind, ex.scope, ex.user, answer_id, ex.external_id, ex.channel, flag.note
        )

    async def list_flags(
        self, scope: str, status: str | None = "open", limit: int = 20, offset: int = 0
    ) -> list[FlagRow]:
        sql = "SELECT * FROM flags WHERE scope = $1"
        args: list[Any] = [scope]
        if status:
            args.append(status)
            sql += f" AND status = ${len(args)}"
        sql += f" ORDER BY id DESC LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}"
        args += [limit, offset]
        return [
            FlagRow(
                id=r["id"], scope=r["scope"], kind=r["kind"], answer_id=r["answer_id"],
                message_id=r["message_id"], channel=r["channel"], user=r["user"], note=r["note"],
                status=r["status"], resolved_by=r["resolved_by"], created_at=r["created_at"],
            )
            for r in await self._db.fetchall(sql, args)
        ]

    async def resolve_flag(self, scope: str, flag_id: int, resolved_by: str) -> bool:
        async with self._db.transaction() as tx:
            status = await tx.execute(
                "UPDATE flags SET status = 'resolved', resolved_by = $1, resolved_at = $2"
                " WHERE id = $3 AND scope = $4 AND status = 'open'",
                resolved_by, now_iso(), flag_id, scope,
            )
        return affected(status) > 0

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, sql in (
            ("feedback", 'DELETE FROM feedback WHERE "user" = $1 AND answer_id IN'
             " (SELECT id FROM answers WHERE scope = $2)"),
            ("flags", 'DELETE FROM flags WHERE "user" = $1 AND scope = $2'),
            ("answers", 'DELETE FROM answers WHERE "user" = $1 AND scope = $2'),
        ):
            counts[name] = affected(await tx.execute(sql, user, scope))
        return counts
