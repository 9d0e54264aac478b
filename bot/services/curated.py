"""Curated answers for every front end: add, edit, enable/disable, remove, and "Save as answer".

The answers themselves live in `store.curated` (scoped, with history); the core matches them
before generation (`bot.core.curated`). This service is what the CLI, Discord and the console
call, so validation and the escalation-thread shortcut are written once.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.store import CuratedDraft, CuratedError, CuratedRow, CuratedVersionRow, DocRef, Store

__all__ = ["Curation", "CuratedError"]


class Curation:
    """Moderator-approved answers of one scope at a time; every method is scoped."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self, scope: str, question: str, answer: str, author: str, *, paraphrases: Sequence[str] = (),
        citations: Sequence[DocRef] = (), keywords: Sequence[str] = (), regex: str | None = None,
    ) -> CuratedRow:
        """Save a curated answer; raises CuratedError (one line) on an empty text or a bad regex."""
        draft = CuratedDraft(question, answer, list(paraphrases), list(citations), list(keywords), regex)
        return await self.store.curated.add(scope, draft, author)

    async def list(self, scope: str, *, enabled_only: bool = False) -> list[CuratedRow]:
        return await self.store.curated.list(scope, enabled_only=enabled_only)

    async def get(self, scope: str, curated_id: int) -> CuratedRow | None:
        return await self.store.curated.get(scope, curated_id)

    async def edit(
        self, scope: str, curated_id: int, by: str, *, question: str | None = None, answer: str | None = None,
        paraphrases: Sequence[str] | None = None, citations: Sequence[DocRef] | None = None,
        keywords: Sequence[str] | None = None, regex: str | None = None,
    ) -> CuratedRow | None:
        """Change the given fields (None = keep; `regex=""` clears it); None when not in this scope."""
        row = await self.store.curated.get(scope, curated_id)
        if row is None:
            return None
        old = row.draft()
        draft = replace(
            old,
            question=old.question if question is None else question,
            answer=old.answer if answer is None else answer,
            paraphrases=old.paraphrases if paraphrases is None else list(paraphrases),
            citations=old.citations if citations is None else list(citations),
            keywords=old.keywords if keywords is None else list(keywords),
            regex=old.regex if regex is None else (regex or None),
        )
        return await self.store.curated.update(scope, curated_id, draft, by)

    async def set_enabled(self, scope: str, curated_id: int, enabled: bool, by: str) -> CuratedRow | None:
        return await self.store.curated.set_enabled(scope, curated_id, enabled, by)

    async def remove(self, scope: str, curated_id: int, by: str) -> bool:
        return await self.store.curated.delete(scope, curated_id, by)

    async def history(self, scope: str, curated_id: int) -> list[CuratedVersionRow]:
        return await self.store.curated.history(scope, curated_id)

    async def from_escalation(self, scope: str, flag_id: int, staff_reply: str, by: str) -> CuratedRow | None:
        """"Save as answer" on a staff reply in an escalation: the escalated question, the staff's
        words as its answer, the answer's sources as citations; the question leaves the unanswered
        list. None when the flag or its answer is not from this scope."""
        answer_id = await self.store.unanswered.answer_for_flag(scope, flag_id)
        row = await self.store.answers.get(answer_id) if answer_id is not None else None
        if row is None or row.scope != scope:
            return None
        cited = [DocRef(str(c.get("title") or ""), str(c.get("source") or ""),
                        c["document_id"] if isinstance(c.get("document_id"), int) else None)
                 for c in row.citations if c.get("title") or c.get("source")]
        draft = CuratedDraft(question=row.question, answer=staff_reply, citations=cited)
        return await self.store.resolve_unanswered(scope, [row.id], draft, by)
