"""The questions the bot could not answer well, read from answers, feedback and flags.

A question is unanswered when its answer was refused, shown below `sure` (tentative), got a 👎,
or was sent to a human ("Ask a human", a frustrated member, an escalation). Moderators close
questions by dismissing them or by writing a curated answer; closed ones stay out of the list.
Each question's embedding is kept in `unanswered_vectors` (raw float32 bytes, with the embedder's
name) so grouping them again needs no model; rows go with their answer.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import aiosqlite

from bot.store.database import Database
from bot.store.rows import DocRef, UnansweredRow, now_iso

ESCALATION_FLAGS = ("reported", "frustrated", "escalated")  # flag kinds that mean "a human was asked"
SKIPPED_BACKENDS = ("curated",)  # answers moderators already wrote (input errors are never recorded)
BATCH = 500  # answer ids per IN (...) list, well under SQLite's variable limit


def _refs(raw: str) -> list[DocRef]:
    out: list[DocRef] = []
    for c in json.loads(raw or "[]"):
        if isinstance(c, dict) and (c.get("title") or c.get("source")):
            doc = c.get("document_id")
            out.append(DocRef(str(c.get("title") or ""), str(c.get("source") or ""),
                              int(doc) if isinstance(doc, int) else None))
    return out


class SqliteUnanswered:
    """Reads over `answers`/`feedback`/`flags`; the `unanswered_closed` and `unanswered_vectors` tables."""

    forgets: tuple[str, ...] = ("unanswered_closed", "unanswered_vectors")

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _open_sql(columns: str) -> str:
        """The newest open questions of a scope (arguments: escalation kinds, scope, skipped backends,
        sure, limit); the index on flags(answer_id) keeps the EXISTS per answer a search."""
        placeholders = ",".join("?" for _ in ESCALATION_FLAGS)
        skipped = ",".join("?" for _ in SKIPPED_BACKENDS)
        return (
            f"SELECT {columns},"
            " EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.value = -1) AS downvoted,"
            f" EXISTS (SELECT 1 FROM flags g WHERE g.answer_id = a.id AND g.kind IN ({placeholders})) AS asked"
            " FROM answers a"
            f" WHERE a.scope = ? AND a.backend NOT IN ({skipped})"
            " AND NOT EXISTS (SELECT 1 FROM unanswered_closed c WHERE c.answer_id = a.id)"
            " AND (a.refused = 1 OR a.confidence < ? OR a.escalated = 1 OR downvoted OR asked)"
            " ORDER BY a.id DESC LIMIT ?"
        )

    async def open_key(self, scope: str, sure: float, limit: int = 1000) -> tuple[int, ...]:
        """A fingerprint of `open_questions` without reading them: changes when a question opens,
        closes, or changes why it is open (a question's text, time and sources never change).

        Count, sum and sum of squares of the ids (ids only grow, so a different set of the same
        size differs in them) and the ids weighted by their reasons, in one aggregate row."""
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(id), 0), COALESCE(SUM(id * id), 0),"
            " COALESCE(SUM(id * (refused + 2 * (confidence < ?) + 4 * downvoted + 8 * (escalated OR asked))), 0)"
            f" FROM ({self._open_sql('a.id, a.refused, a.confidence, a.escalated')})"
        )
        row = await self._db.fetchone(sql, (sure, *ESCALATION_FLAGS, scope, *SKIPPED_BACKENDS, sure, limit))
        return tuple(int(v) for v in row) if row is not None else ()

    async def open_questions(self, scope: str, sure: float, limit: int = 1000) -> list[UnansweredRow]:
        """This scope's newest unanswered questions that nobody closed, oldest first."""
        sql = self._open_sql("a.id, a.scope, a.question, a.created_at, a.refused, a.confidence, a.escalated,"
                             " a.closest, a.citations")
        rows = await self._db.fetchall(sql, (*ESCALATION_FLAGS, scope, *SKIPPED_BACKENDS, sure, limit))
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
        r = await self._db.fetchone("SELECT answer_id FROM flags WHERE id = ? AND scope = ?", (flag_id, scope))
        return int(r[0]) if r is not None and r[0] is not None else None

    async def close(
        self, scope: str, answer_ids: Sequence[int], action: str, by: str, curated_id: int | None = None
    ) -> int:
        """Mark questions of this scope `dismissed` or `resolved` (by a curated answer); how many were."""
        async with self._db.transaction() as tx:
            return await self.close_in(tx, scope, answer_ids, action, by, curated_id)

    @staticmethod
    async def close_in(
        tx: aiosqlite.Connection, scope: str, answer_ids: Sequence[int], action: str, by: str,
        curated_id: int | None = None,
    ) -> int:
        if action not in ("dismissed", "resolved"):
            raise ValueError("action must be 'dismissed' or 'resolved'")
        closed = 0
        ts = now_iso()
        for answer_id in answer_ids:
            cur = await tx.execute(
                "INSERT OR IGNORE INTO unanswered_closed (answer_id, scope, action, curated_id, closed_by, closed_at)"
                " SELECT id, scope, ?, ?, ?, ? FROM answers WHERE id = ? AND scope = ?",
                (action, curated_id, by, ts, answer_id, scope),
            )
            closed += cur.rowcount
        return closed

    async def vectors(self, answer_ids: Sequence[int], model: str) -> dict[int, bytes]:
        """The stored embeddings (float32 bytes) of these answers' questions made by `model`."""
        out: dict[int, bytes] = {}
        ids = list(dict.fromkeys(answer_ids))
        for start in range(0, len(ids), BATCH):
            part = ids[start:start + BATCH]
            rows = await self._db.fetchall(
                "SELECT answer_id, vector FROM unanswered_vectors WHERE model = ?"
                f" AND answer_id IN ({','.join('?' for _ in part)})", (model, *part),
            )
            out.update((int(r[0]), bytes(r[1])) for r in rows)
        return out

    async def save_vectors(self, model: str, vectors: Mapping[int, bytes]) -> None:
        """Keep these questions' embeddings, replacing any another embedder made."""
        if not vectors:
            return
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT OR REPLACE INTO unanswered_vectors (answer_id, model, vector)"
                " SELECT id, ?, ? FROM answers WHERE id = ?",
                [(model, data, answer_id) for answer_id, data in vectors.items()],
            )

    async def forget_user(self, tx: aiosqlite.Connection, scope: str, user: str) -> dict[str, int]:
        """Vectors and closed marks of the user's questions; a moderator's `closed_by` on other
        members' questions is a staff action and stays."""
        counts: dict[str, int] = {}
        mine = "SELECT id FROM answers WHERE user = ? AND scope = ?"
        for name, table in (("question_vectors", "unanswered_vectors"), ("closed_questions", "unanswered_closed")):
            cur = await tx.execute(f"DELETE FROM {table} WHERE answer_id IN ({mine})", (user, scope))
            counts[name] = cur.rowcount
        return counts
