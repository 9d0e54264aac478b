"""Conversation memory: messages (turns, moderation logs, sentiment) and rolling summaries (PostgreSQL)."""
from __future__ import annotations

from typing import Any

import asyncpg

from bot.store.postgres.database import PgDatabase, affected
from bot.store.rows import LogRow, MessageRow, SummaryRow, TurnRow, now_iso

Reader = asyncpg.Connection | asyncpg.Pool  # a transaction's connection, or the pool for plain reads


class PgConversations:
    forgets: tuple[str, ...] = ("memory_summaries", "messages")

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def recent_turns(self, conversation: str, limit: int) -> list[TurnRow]:
        if limit <= 0:
            return []
        rows = await self._db.fetchall(
            "SELECT role, content FROM messages WHERE conversation = $1 ORDER BY id DESC LIMIT $2",
            (conversation, limit),
        )
        return [TurnRow(r["role"], r["content"]) for r in reversed(rows)]

    async def messages(self, conversation: str, after_id: int = 0, limit: int = 500) -> list[MessageRow]:
        return await self.messages_in(self._db.connection, conversation, after_id, limit)

    @staticmethod
    async def messages_in(conn: Reader, conversation: str, after_id: int = 0, limit: int = 500) -> list[MessageRow]:
        rows = await conn.fetch(
            "SELECT id, role, content FROM messages WHERE conversation = $1 AND id > $2 ORDER BY id LIMIT $3",
            conversation, after_id, limit,
        )
        return [MessageRow(r["id"], r["role"], r["content"]) for r in rows]

    async def summary(self, conversation: str) -> SummaryRow | None:
        return await self.summary_in(self._db.connection, conversation)

    @staticmethod
    async def summary_in(conn: Reader, conversation: str) -> SummaryRow | None:
        r = await conn.fetchrow(
            "SELECT summary, upto_message_id FROM memory_summaries WHERE conversation = $1", conversation
        )
        return SummaryRow(r["summary"], r["upto_message_id"]) if r else None

    async def save_summary(self, conversation: str, scope: str, user: str | None, summary: str, upto: int) -> None:
        async with self._db.transaction() as tx:
            await self.save_summary_in(tx, conversation, scope, user, summary, upto)

    @staticmethod
    async def save_summary_in(
        tx: asyncpg.Connection, conversation: str, scope: str, user: str | None, summary: str, upto: int
    ) -> None:
        await tx.execute(
            'INSERT INTO memory_summaries (conversation, scope, "user", summary, upto_message_id,'
            " updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation) DO UPDATE SET"
            " summary = excluded.summary, upto_message_id = excluded.upto_message_id,"
            " updated_at = excluded.updated_at",
            conversation, scope, user, summary, upto, now_iso(),
        )

    async def recent_sentiments(self, scope: str, user: str, limit: int) -> list[float | None]:
        rows = await self._db.fetchall(
            "SELECT sentiment FROM messages WHERE scope = $1 AND \"user\" = $2 AND role = 'user'"
            " ORDER BY id DESC LIMIT $3",
            (scope, user, limit),
        )
        return [r["sentiment"] for r in rows]

    async def logs(
        self,
        scope: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[LogRow]:
        sql = (
            "SELECT m.*, a.confidence AS confidence FROM messages m"
            " LEFT JOIN answers a ON a.id = m.answer_id WHERE m.scope = $1"
        )
        args: list[Any] = [scope]
        for column, op, value in (
            ('m."user"', "=", user), ("m.channel", "=", channel),
            ("m.created_at", ">=", since), ("m.created_at", "<", until),
        ):
            if value is not None:
                args.append(value)
                sql += f" AND {column} {op} ${len(args)}"
        sql += f" ORDER BY m.id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}"
        args += [limit, offset]
        return [
            LogRow(
                id=r["id"], scope=r["scope"], channel=r["channel"], conversation=r["conversation"],
                user=r["user"], role=r["role"], content=r["content"], created_at=r["created_at"],
                answer_id=r["answer_id"], confidence=r["confidence"],
            )
            for r in await self._db.fetchall(sql, args)
        ]

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        summaries = await tx.execute('DELETE FROM memory_summaries WHERE "user" = $1 AND scope = $2', user, scope)
        messages = await tx.execute('DELETE FROM messages WHERE "user" = $1 AND scope = $2', user, scope)
        return {"summaries": affected(summaries), "messages": affected(messages)}
