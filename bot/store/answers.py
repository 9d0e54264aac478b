"""Answers with the exchange that produced them, feedback on them and moderator flags."""
from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.store.database import Database
from bot.store.rows import AnswerRow, Exchange, FlagDraft, FlagRow, now_iso


class SqliteAnswers:
    forgets: tuple[str, ...] = ("feedback", "flags", "answers")

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_exchange(self, exchange: Exchange) -> int:
        """Store question, answer row and the assistant turn in one transaction; returns answer id."""
        async with self._db.transaction() as tx:
            return await self.record_exchange_in(tx, exchange)

    @staticmethod
    async def record_exchange_in(tx: aiosqlite.Connection, ex: Exchange) -> int:
        ts = now_iso()
        a = ex.answer
        cur = await tx.execute(
            "INSERT INTO messages (scope, channel, conversation, user, role, content,"
            " created_at, external_id, sentiment) VALUES (?,?,?,?, 'user', ?,?,?,?)",
            (ex.scope, ex.channel, ex.conversation, ex.user, ex.question, ts, ex.external_id, ex.sentiment),
        )
        question_id = cur.lastrowid
        cur = await tx.execute(
            "INSERT INTO answers (scope, question, text, citations, confidence, refused,"
            " escalated, backend, latency_ms, candidates, user, channel, created_at, closest)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (ex.scope, ex.question, a.text, json.dumps(a.citations), a.confidence, int(a.refused),
             int(a.escalated), a.backend, a.latency_ms, json.dumps(a.candidates), ex.user, ex.channel,
             ts, json.dumps(a.closest)),
        )
        answer_id = int(cur.lastrowid or 0)
        await tx.execute(
            "INSERT INTO messages (scope, channel, conversation, user, role, content,"
            " created_at, reply_to, answer_id) VALUES (?,?,?,?, 'assistant', ?,?,?,?)",
            (ex.scope, ex.channel, ex.conversation, ex.user, a.text, ts, question_id, answer_id),
        )
        return answer_id

    async def get(self, answer_id: int) -> AnswerRow | None:
        r = await self._db.fetchone("SELECT * FROM answers WHERE id = ?", (answer_id,))
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
                "INSERT INTO feedback (answer_id, user, value, comment, created_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (answer_id, user) DO UPDATE SET value = excluded.value,"
                " comment = excluded.comment, created_at = excluded.created_at",
                (answer_id, user, value, comment, now_iso()),
            )

    async def feedback_for(self, answer_id: int) -> dict[str, int]:
        row = await self._db.fetchone(
            "SELECT SUM(value = 1), SUM(value = -1) FROM feedback WHERE answer_id = ?", (answer_id,)
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
        tx: aiosqlite.Connection, kind: str, scope: str, user: str | None, answer_id: int | None,
        message_id: str | None, channel: str | None, note: str | None,
    ) -> int:
        cur = await tx.execute(
            "INSERT INTO flags (scope, kind, answer_id, message_id, channel, user, note, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (scope, kind, answer_id, message_id, channel, user, note, now_iso()),
        )
        return int(cur.lastrowid or 0)

    @classmethod
    async def flag_exchange_in(
        cls, tx: aiosqlite.Connection, ex: Exchange, answer_id: int, flag: FlagDraft
    ) -> int:
        return await cls.add_flag_in(
            tx, flag.kind, ex.scope, ex.user, answer_id, ex.external_id, ex.channel, flag.note
        )

    async def list_flags(
        self, scope: str, status: str | None = "open", limit: int = 20, offset: int = 0
    ) -> list[FlagRow]:
        sql = "SELECT * FROM flags WHERE scope = ?"
        args: list[Any] = [scope]
        if status:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
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
            cur = await tx.execute(
                "UPDATE flags SET status = 'resolved', resolved_by = ?, resolved_at = ?"
                " WHERE id = ? AND scope = ? AND status = 'open'",
                (resolved_by, now_iso(), flag_id, scope),
            )
        return cur.rowcount > 0

    async def forget_user(self, tx: aiosqlite.Connection, scope: str, user: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, sql in (
            ("feedback", "DELETE FROM feedback WHERE user = ? AND answer_id IN"
             " (SELECT id FROM answers WHERE scope = ?)"),
            ("flags", "DELETE FROM flags WHERE user = ? AND scope = ?"),
            ("answers", "DELETE FROM answers WHERE user = ? AND scope = ?"),
        ):
            cur = await tx.execute(sql, (user, scope))
            counts[name] = cur.rowcount
        return counts
