"""Curated answers: moderator-approved answers matched before generation, with their history.

Every read and write is scoped: a guild never sees another guild's rows. Each change (add, edit,
enable/disable, delete) bumps the scope's revision in the same transaction, so a cache of the
curated embeddings — in this process or another sharing the database — knows when to reload.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

import aiosqlite

from bot.store.database import Database
from bot.store.rows import CuratedDraft, CuratedRow, CuratedVersionRow, DocRef, now_iso

MAX_PHRASINGS = 50  # question + paraphrases kept per curated answer


class CuratedError(ValueError):
    """A curated answer cannot be saved as given; the message is one line for the user."""


def clean_draft(draft: CuratedDraft) -> CuratedDraft:
    """The draft with blank and repeated phrasings and keywords dropped; refuses what cannot match."""
    question = " ".join(draft.question.split())
    answer = draft.answer.strip()
    if not question:
        raise CuratedError("a curated answer needs a question")
    if not answer:
        raise CuratedError("a curated answer needs an answer text")
    seen = {question.casefold()}
    paraphrases: list[str] = []
    for p in (" ".join(p.split()) for p in draft.paraphrases):
        if p and p.casefold() not in seen:
            seen.add(p.casefold())
            paraphrases.append(p)
    keywords = list(dict.fromkeys(k.strip().casefold() for k in draft.keywords if k.strip()))
    regex = draft.regex.strip() if draft.regex and draft.regex.strip() else None
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise CuratedError(f"the regex {regex!r} is not valid: {exc}") from None
    return CuratedDraft(question, answer, paraphrases[: MAX_PHRASINGS - 1], list(draft.citations), keywords,
                        regex, draft.enabled)


def _draft_json(draft: CuratedDraft) -> str:
    return json.dumps(asdict(draft), ensure_ascii=False)


def _draft_from_json(raw: str) -> CuratedDraft:
    data: dict[str, Any] = json.loads(raw)
    data["citations"] = [DocRef(**c) for c in data.get("citations", [])]
    return CuratedDraft(**data)


def _row(r: aiosqlite.Row) -> CuratedRow:
    return CuratedRow(
        id=r["id"], scope=r["scope"], question=r["question"], paraphrases=json.loads(r["paraphrases"]),
        answer=r["answer"], citations=[DocRef(**c) for c in json.loads(r["citations"])],
        keywords=json.loads(r["keywords"]), regex=r["regex"], author=r["author"], created_at=r["created_at"],
        updated_at=r["updated_at"], enabled=bool(r["enabled"]), hits=r["hits"], last_hit_at=r["last_hit_at"],
    )


class SqliteCurated:
    """The `curated_answers`, `curated_history` and `curated_revisions` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, scope: str, draft: CuratedDraft, author: str) -> CuratedRow:
        """Save a new curated answer; raises CuratedError on an empty question/answer or a bad regex."""
        async with self._db.transaction() as tx:
            curated_id = await self.add_in(tx, scope, draft, author)
        row = await self.get(scope, curated_id)
        assert row is not None
        return row

    @classmethod
    async def add_in(cls, tx: aiosqlite.Connection, scope: str, draft: CuratedDraft, author: str) -> int:
        d = clean_draft(draft)
        ts = now_iso()
        cur = await tx.execute(
            "INSERT INTO curated_answers (scope, question, paraphrases, answer, citations, keywords, regex,"
            " author, created_at, updated_at, enabled) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (scope, d.question, json.dumps(d.paraphrases, ensure_ascii=False), d.answer,
             json.dumps([asdict(c) for c in d.citations], ensure_ascii=False),
             json.dumps(d.keywords, ensure_ascii=False), d.regex, author, ts, ts, int(d.enabled)),
        )
        await cls._bump(tx, scope)
        return int(cur.lastrowid or 0)

    async def get(self, scope: str, curated_id: int) -> CuratedRow | None:
        r = await self._db.fetchone("SELECT * FROM curated_answers WHERE id = ? AND scope = ?", (curated_id, scope))
        return _row(r) if r is not None else None

    async def list(self, scope: str, *, enabled_only: bool = False) -> list[CuratedRow]:
        """This scope's curated answers, oldest first."""
        sql = "SELECT * FROM curated_answers WHERE scope = ?" + (" AND enabled = 1" if enabled_only else "")
        return [_row(r) for r in await self._db.fetchall(sql + " ORDER BY id", (scope,))]

    async def update(self, scope: str, curated_id: int, draft: CuratedDraft, by: str) -> CuratedRow | None:
        """Replace the answer's content (the previous version goes to its history); None if not in scope."""
        clean = clean_draft(draft)
        async with self._db.transaction() as tx:
            if not await self._archive(tx, scope, curated_id, "edit", by):
                return None
            await tx.execute(
                "UPDATE curated_answers SET question = ?, paraphrases = ?, answer = ?, citations = ?,"
                " keywords = ?, regex = ?, enabled = ?, updated_at = ? WHERE id = ? AND scope = ?",
                (clean.question, json.dumps(clean.paraphrases, ensure_ascii=False), clean.answer,
                 json.dumps([asdict(c) for c in clean.citations], ensure_ascii=False),
                 json.dumps(clean.keywords, ensure_ascii=False), clean.regex, int(clean.enabled), now_iso(),
                 curated_id, scope),
            )
            await self._bump(tx, scope)
        return await self.get(scope, curated_id)

    async def set_enabled(self, scope: str, curated_id: int, enabled: bool, by: str) -> CuratedRow | None:
        """Enable or disable (kept, but never matched); None if not in scope."""
        async with self._db.transaction() as tx:
            if not await self._archive(tx, scope, curated_id, "enable" if enabled else "disable", by):
                return None
            await tx.execute(
                "UPDATE curated_answers SET enabled = ?, updated_at = ? WHERE id = ? AND scope = ?",
                (int(enabled), now_iso(), curated_id, scope),
            )
            await self._bump(tx, scope)
        return await self.get(scope, curated_id)

    async def delete(self, scope: str, curated_id: int, by: str) -> bool:
        """Delete it (its last version stays in the history); False if not in scope."""
        async with self._db.transaction() as tx:
            if not await self._archive(tx, scope, curated_id, "delete", by):
                return False
            await tx.execute("DELETE FROM curated_answers WHERE id = ? AND scope = ?", (curated_id, scope))
            await self._bump(tx, scope)
        return True

    async def record_hit(self, scope: str, curated_id: int) -> None:
        """Count one use of the answer (does not change the revision: the embeddings stay valid)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE curated_answers SET hits = hits + 1, last_hit_at = ? WHERE id = ? AND scope = ?",
                (now_iso(), curated_id, scope),
            )

    async def history(self, scope: str, curated_id: int) -> list[CuratedVersionRow]:
        """Earlier versions of the answer, newest first (also after it was deleted)."""
        rows = await self._db.fetchall(
            "SELECT * FROM curated_history WHERE scope = ? AND curated_id = ? ORDER BY id DESC", (scope, curated_id)
        )
        return [
            CuratedVersionRow(id=r["id"], curated_id=r["curated_id"], scope=r["scope"], action=r["action"],
                              changed_by=r["changed_by"], changed_at=r["changed_at"],
                              previous=_draft_from_json(r["previous"]))
            for r in rows
        ]

    async def revision(self, scope: str) -> int:
        """A number that changes whenever this scope's curated answers change (0 = never had any)."""
        r = await self._db.fetchone("SELECT revision FROM curated_revisions WHERE scope = ?", (scope,))
        return int(r[0]) if r is not None else 0

    # --- helpers ------------------------------------------------------------------------------------
    @staticmethod
    async def _bump(tx: aiosqlite.Connection, scope: str) -> None:
        await tx.execute(
            "INSERT INTO curated_revisions (scope, revision) VALUES (?, 1)"
            " ON CONFLICT (scope) DO UPDATE SET revision = revision + 1",
            (scope,),
        )

    @staticmethod
    async def _archive(tx: aiosqlite.Connection, scope: str, curated_id: int, action: str, by: str) -> bool:
        async with tx.execute(
            "SELECT * FROM curated_answers WHERE id = ? AND scope = ?", (curated_id, scope)
        ) as cur:
            r = await cur.fetchone()
        if r is None:
            return False
        await tx.execute(
            "INSERT INTO curated_history (curated_id, scope, action, previous, changed_by, changed_at)"
            " VALUES (?,?,?,?,?,?)",
            (curated_id, scope, action, _draft_json(_row(r).draft()), by, now_iso()),
        )
        return True
