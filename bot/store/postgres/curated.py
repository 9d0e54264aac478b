"""Curated answers, their history and the per-scope revision (PostgreSQL); every query is scoped.

Cleaning and the JSON forms are the SQLite store's (bot/store/curated.py), so both keep equal rows.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import asyncpg

from bot.store.curated import _draft_from_json, _draft_json, _row, clean_draft
from bot.store.postgres.database import PgDatabase
from bot.store.rows import CuratedDraft, CuratedRow, CuratedVersionRow, now_iso


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


class PgCurated:
    """The `curated_answers`, `curated_history` and `curated_revisions` tables."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def add(self, scope: str, draft: CuratedDraft, author: str) -> CuratedRow:
        """Save a new curated answer; raises CuratedError on an empty question/answer or a bad regex."""
        async with self._db.transaction() as tx:
            curated_id = await self.add_in(tx, scope, draft, author)
        row = await self.get(scope, curated_id)
        assert row is not None
        return row

    @classmethod
    async def add_in(cls, tx: asyncpg.Connection, scope: str, draft: CuratedDraft, author: str) -> int:
        d = clean_draft(draft)
        ts = now_iso()
        curated_id = int(await tx.fetchval(
            "INSERT INTO curated_answers (scope, question, paraphrases, answer, citations, keywords, regex,"
            " author, created_at, updated_at, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " RETURNING id",
            scope, d.question, _dumps(d.paraphrases), d.answer, _dumps([asdict(c) for c in d.citations]),
            _dumps(d.keywords), d.regex, author, ts, ts, int(d.enabled),
        ))
        await cls._bump(tx, scope)
        return curated_id

    async def get(self, scope: str, curated_id: int) -> CuratedRow | None:
        r = await self._db.fetchone(
            "SELECT * FROM curated_answers WHERE id = $1 AND scope = $2", (curated_id, scope)
        )
        return _row(r) if r is not None else None

    async def list(self, scope: str, *, enabled_only: bool = False) -> list[CuratedRow]:
        """This scope's curated answers, oldest first."""
        sql = "SELECT * FROM curated_answers WHERE scope = $1" + (" AND enabled = 1" if enabled_only else "")
        return [_row(r) for r in await self._db.fetchall(sql + " ORDER BY id", (scope,))]

    async def update(self, scope: str, curated_id: int, draft: CuratedDraft, by: str) -> CuratedRow | None:
        """Replace the answer's content (the previous version goes to its history); None if not in scope."""
        clean = clean_draft(draft)
        async with self._db.transaction() as tx:
            if not await self._archive(tx, scope, curated_id, "edit", by):
                return None
            await tx.execute(
                "UPDATE curated_answers SET question = $1, paraphrases = $2, answer = $3, citations = $4,"
                " keywords = $5, regex = $6, enabled = $7, updated_at = $8 WHERE id = $9 AND scope = $10",
                clean.question, _dumps(clean.paraphrases), clean.answer,
                _dumps([asdict(c) for c in clean.citations]), _dumps(clean.keywords), clean.regex,
                int(clean.enabled), now_iso(), curated_id, scope,
            )
            await self._bump(tx, scope)
        return await self.get(scope, curated_id)

    async def set_enabled(self, scope: str, curated_id: int, enabled: bool, by: str) -> CuratedRow | None:
        """Enable or disable (kept, but never matched); None if not in scope."""
        async with self._db.transaction() as tx:
            if not await self._archive(tx, scope, curated_id, "enable" if enabled else "disable", by):
                return None
            await tx.execute(
                "UPDATE curated_answers SET enabled = $1, updated_at = $2 WHERE id = $3 AND scope = $4",
                int(enabled), now_iso(), curated_id, scope,
            )
            await self._bump(tx, scope)
        return await self.get(scope, curated_id)

    async def delete(self, scope: str, curated_id: int, by: str) -> bool:
        """Delete it (its last version stays in the history); False if not in scope."""
        async with self._db.transaction() as tx:
            if not await self._archive(tx, scope, curated_id, "delete", by):
                return False
            await tx.execute("DELETE FROM curated_answers WHERE id = $1 AND scope = $2", curated_id, scope)
            await self._bump(tx, scope)
        return True

    async def record_hit(self, scope: str, curated_id: int) -> None:
        """Count one use of the answer (does not change the revision: the embeddings stay valid)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE curated_answers SET hits = hits + 1, last_hit_at = $1 WHERE id = $2 AND scope = $3",
                now_iso(), curated_id, scope,
            )

    async def history(self, scope: str, curated_id: int) -> list[CuratedVersionRow]:
        """Earlier versions of the answer, newest first (also after it was deleted)."""
        rows = await self._db.fetchall(
            "SELECT * FROM curated_history WHERE scope = $1 AND curated_id = $2 ORDER BY id DESC",
            (scope, curated_id),
        )
        return [
            CuratedVersionRow(id=r["id"], curated_id=r["curated_id"], scope=r["scope"], action=r["action"],
                              changed_by=r["changed_by"], changed_at=r["changed_at"],
                              previous=_draft_from_json(r["previous"]))
            for r in rows
        ]

    async def revision(self, scope: str) -> int:
        """A number that changes whenever this scope's curated answers change (0 = never had any)."""
        r = await self._db.fetchone("SELECT revision FROM curated_revisions WHERE scope = $1", (scope,))
        return int(r[0]) if r is not None else 0

    # --- helpers ------------------------------------------------------------------------------------
    @staticmethod
    async def _bump(tx: asyncpg.Connection, scope: str) -> None:
        await tx.execute(
            "INSERT INTO curated_revisions (scope, revision) VALUES ($1, 1)"
            " ON CONFLICT (scope) DO UPDATE SET revision = curated_revisions.revision + 1",
            scope,
        )

    @staticmethod
    async def _archive(tx: asyncpg.Connection, scope: str, curated_id: int, action: str, by: str) -> bool:
        r = await tx.fetchrow(
            "SELECT * FROM curated_answers WHERE id = $1 AND scope = $2 FOR UPDATE", curated_id, scope
        )
        if r is None:
            return False
        await tx.execute(
            "INSERT INTO curated_history (curated_id, scope, action, previous, changed_by, changed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            curated_id, scope, action, _draft_json(_row(r).draft()), by, now_iso(),
        )
        return True
