"""The questions the bot could not answer well (PostgreSQL); see bot/store/unanswered.py for the rules."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from bot.store.postgres.database import PgDatabase, affected
from bot.store.rows import UnansweredRow, now_iso
from bot.store.unanswered import ESCALATION_FLAGS, SKIPPED_BACKENDS, _refs

# The newest open questions of a scope ($1 escalation kinds, $2 scope, $3 skipped backends, $4 sure,
# $5 limit). PostgreSQL cannot filter on select aliases, so the EXISTS columns come from a subquery.
_OPEN = (
    "SELECT * FROM (SELECT a.id, a.scope, a.question, a.created_at, a.refused, a.confidence, a.escalated,"
    " a.closest, a.citations,"
    " EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.value = -1) AS downvoted,"
    " EXISTS (SELECT 1 FROM flags g WHERE g.answer_id = a.id AND g.kind = ANY($1::text[])) AS asked"
    " FROM answers a WHERE a.scope = $2 AND a.backend <> ALL($3::text[])"
    " AND NOT EXISTS (SELECT 1 FROM unanswered_closed c WHERE c.answer_id = a.id)) q"
    " WHERE q.refused = 1 OR q.confidence < $4 OR q.escalated = 1 OR q.downvoted OR q.asked"
    " ORDER BY q.id DESC LIMIT $5"
)


class PgUnanswered:
    """Reads over `answers`/`feedback`/`flags`; the `unanswered_closed` and `unanswered_vectors` tables."""

    forgets: tuple[str, ...] = ("unanswered_closed", "unanswered_vectors")

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    def _args(self, scope: str, sure: float, limit: int) -> tuple[object, ...]:
        return (list(ESCALATION_FLAGS), scope, list(SKIPPED_BACKENDS), sure, limit)

    async def open_key(self, scope: str, sure: float, limit: int = 1000) -> tuple[int, ...]:
        """A fingerprint of `open_questions` without reading them (count, sums of ids and of reasons)."""
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(id), 0), COALESCE(SUM(id * id), 0),"
            " COALESCE(SUM(id * (refused + 2 * (confidence < $4)::int + 4 * downvoted::int"
            " + 8 * (escalated = 1 OR asked)::int)), 0)"
            f" FROM ({_OPEN}) o"
        )
        row = await self._db.fetchone(sql, self._args(scope, sure, limit))
        return tuple(int(v) for v in row) if row is not None else ()

    async def open_questions(self, scope: str, sure: float, limit: int = 1000) -> list[UnansweredRow]:
        """This scope's newest unanswered questions that nobody closed, oldest first."""
        rows = await self._db.fetchall(_OPEN, self._args(scope, sure, limit))
        out: list[UnansweredRow] = []
        for r in reversed(rows):
            reasons = tuple(name for name, on in (
                ("refused", bool(r["refused"])),
                ("tentative", not r["refused"] and r["confidence"] < sure),
                ("downvoted", bool(r["downvoted"])),
                ("escalated", bool(r["escalated"]) or bool(r["asked"])),
            ) if on)
            closest = _refs(r["closest"]) or _refs(r["citations"])
            out.append(UnansweredRow(r["id"], r["scope"], r["question"], r["created_at"], reasons, closest))
        return out

    async def answer_for_flag(self, scope: str, flag_id: int) -> int | None:
        """The answer a flag of this scope is about (an escalation thread knows only its flag)."""
        r = await self._db.fetchone("SELECT answer_id FROM flags WHERE id = $1 AND scope = $2", (flag_id, scope))
        return int(r[0]) if r is not None and r[0] is not None else None

    async def close(
        self, scope: str, answer_ids: Sequence[int], action: str, by: str, curated_id: int | None = None
    ) -> int:
        """Mark questions of this scope `dismissed` or `resolved` (by a curated answer); how many were."""
        async with self._db.transaction() as tx:
            return await self.close_in(tx, scope, answer_ids, action, by, curated_id)

    @staticmethod
    async def close_in(
        tx: asyncpg.Connection, scope: str, answer_ids: Sequence[int], action: str, by: str,
        curated_id: int | None = None,
    ) -> int:
        if action not in ("dismissed", "resolved"):
            raise ValueError("action must be 'dismissed' or 'resolved'")
        status = await tx.execute(
            "INSERT INTO unanswered_closed (answer_id, scope, action, curated_id, closed_by, closed_at)"
            " SELECT id, scope, $1::text, $2::bigint, $3::text, $4::text FROM answers"
            " WHERE id = ANY($5::bigint[]) AND scope = $6 ON CONFLICT DO NOTHING",
            action, curated_id, by, now_iso(), list(dict.fromkeys(answer_ids)), scope,
        )
        return affected(status)

    async def vectors(self, answer_ids: Sequence[int], model: str) -> dict[int, bytes]:
        """The stored embeddings (float32 bytes) of these answers' questions made by `model`."""
        rows = await self._db.fetchall(
            "SELECT answer_id, vector FROM unanswered_vectors WHERE model = $1 AND answer_id = ANY($2::bigint[])",
            (model, list(dict.fromkeys(answer_ids))),
        )
        return {int(r[0]): bytes(r[1]) for r in rows}

    async def save_vectors(self, model: str, vectors: Mapping[int, bytes]) -> None:
        """Keep these questions' embeddings, replacing any another embedder made."""
        if not vectors:
            return
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO unanswered_vectors (answer_id, model, vector)"
                " SELECT id, $1::text, $2::bytea FROM answers WHERE id = $3"
                " ON CONFLICT (answer_id) DO UPDATE SET model = excluded.model, vector = excluded.vector",
                [(model, data, answer_id) for answer_id, data in vectors.items()],
            )

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        """Vectors and closed marks of the user's questions; a moderator's `closed_by` stays."""
        counts: dict[str, int] = {}
        mine = 'SELECT id FROM answers WHERE "user" = $1 AND scope = $2'
        for name, table in (("question_vectors", "unanswered_vectors"), ("closed_questions", "unanswered_closed")):
            counts[name] = affected(await tx.execute(f"DELETE FROM {table} WHERE answer_id IN ({mine})", user, scope))
        return counts
