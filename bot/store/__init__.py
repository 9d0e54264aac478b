"""The bot's store: repositories by concern over one database (SQLite by default).

`Store` is the facade callers hold: `store.answers`, `store.conversations`, `store.guilds`,
`store.facts`, `store.tutoring`, `store.curated`, `store.unanswered`, plus the cross-repository `question_context`,
`record_outcome` and `forget`.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.store.backend import Backend
from bot.store.curated import CuratedError
from bot.store.database import COMPONENT, MIGRATIONS, Database
from bot.store.interfaces import (
    Answers,
    Conversations,
    Coordination,
    CuratedAnswers,
    Facts,
    ForgetsUsers,
    Guilds,
    IngestJobs,
    Tutoring,
    UnansweredQuestions,
)
from bot.store.rows import (
    AnswerData,
    AnswerRow,
    Compactor,
    CuratedDraft,
    CuratedRow,
    CuratedVersionRow,
    DocRef,
    DueReviewRow,
    Exchange,
    FactChange,
    FlagDraft,
    FlagRow,
    GuildSettings,
    LogRow,
    MessageRow,
    Outcome,
    OutcomeIds,
    QuestionContext,
    QuizItemDraft,
    QuizItemRow,
    SummaryRow,
    TopicProgressRow,
    TurnRow,
    UnansweredRow,
    now_iso,
)

__all__ = [
    "COMPONENT", "MIGRATIONS", "AnswerData", "AnswerRow", "Answers", "Backend", "Compactor", "Conversations", "Coordination",
    "Database", "DueReviewRow", "Exchange", "FactChange", "Facts", "ForgetsUsers", "FlagDraft", "FlagRow",
    "GuildSettings", "Guilds", "IngestJobs", "LogRow", "MessageRow", "Outcome", "OutcomeIds", "QuestionContext", "QuizItemDraft",
    "QuizItemRow", "Store", "SummaryRow", "TopicProgressRow", "Tutoring", "TurnRow", "now_iso",
    "CuratedAnswers", "CuratedDraft", "CuratedError", "CuratedRow", "CuratedVersionRow", "DocRef",
    "UnansweredQuestions", "UnansweredRow",
]


class Store:
    """The repositories over one database. One instance per process; call `close()`."""

    def __init__(self, db: Database, backend: Backend | None = None) -> None:
        b = backend or Backend.sqlite(db)
        self.db = b.db
        self._conversations = b.conversations
        self._answers = b.answers
        self._guilds = b.guilds
        self._facts = b.facts
        self._tutoring = b.tutoring
        self._curated = b.curated
        self.conversations: Conversations = self._conversations
        self.answers: Answers = self._answers
        self.guilds: Guilds = self._guilds
        self.facts: Facts = self._facts
        self.tutoring: Tutoring = self._tutoring
        self.curated: CuratedAnswers = self._curated
        self._unanswered = b.unanswered
        self.unanswered: UnansweredQuestions = self._unanswered
        self.console_queries = b.console  # the console's read-only queries (bot/store/console_queries.py)
        self._coordination = b.coordination
        self.coordination: Coordination = self._coordination  # claims and rate limits shared by processes
        self.jobs: IngestJobs = b.jobs  # ingest jobs any process can run
        # `forget` walks every repository; this order keeps the counts the old single list gave
        # (the unanswered bookkeeping before the answers it points at)
        self._forgetters: tuple[ForgetsUsers[Any], ...] = (
            self._tutoring, self._facts, self._conversations, self._unanswered, self._answers, self._guilds,
            self._coordination,
        )

    @classmethod
    async def open(cls, path: Path, url: str | None = None) -> Store:
        """SQLite at `path`, or the PostgreSQL database at `url` (postgresql://...) when one is given."""
        if url:
            try:
                from bot.store.postgres import open_backend  # asyncpg is the optional `postgres` extra
            except ImportError as exc:
                raise RuntimeError(f"database_url needs asyncpg: pip install 'ragcord[postgres]' ({exc})") from None
            backend = await open_backend(url)
            return cls(backend.db, backend)
        return cls(await Database.open(path))

    async def close(self) -> None:
        await self.db.close()

    @property
    def forgotten_tables(self) -> set[str]:
        """Every table some repository clears in `forget`."""
        return {table for repo in self._forgetters for table in repo.forgets}

    async def forget(self, scope: str, user: str) -> dict[str, int]:
        """Delete everything held about `user` in `scope`, in one transaction; rows per kind."""
        counts: dict[str, int] = {}
        async with self.db.transaction() as tx:
            for repo in self._forgetters:
                counts.update(await repo.forget_user(tx, scope, user))
        return counts

    async def question_context(
        self, scope: str, user: str, conversation: str | None, history_turns: int, sentiments: int = 0
    ) -> QuestionContext:
        """What answering a question reads: turns, summary, facts, settings, latest sentiments."""
        turns: list[TurnRow] = []
        summary: SummaryRow | None = None
        if conversation:
            turns, summary = await asyncio.gather(
                self._conversations.recent_turns(conversation, history_turns),
                self._conversations.summary(conversation),
            )
        facts = await self._facts.list(scope, user)
        settings = await self._guilds.get(scope)
        recent = await self._conversations.recent_sentiments(scope, user, sentiments) if sentiments > 0 else []
        return QuestionContext(turns, summary, facts, settings, recent)

    async def resolve_unanswered(
        self, scope: str, answer_ids: Sequence[int], draft: CuratedDraft, by: str
    ) -> CuratedRow:
        """Save a curated answer and close the unanswered questions it answers, in one transaction."""
        async with self.db.transaction() as tx:
            curated_id = await self._curated.add_in(tx, scope, draft, by)
            await self._unanswered.close_in(tx, scope, answer_ids, "resolved", by, curated_id)
        row = await self.curated.get(scope, curated_id)
        assert row is not None
        return row

    async def record_outcome(self, outcome: Outcome) -> OutcomeIds:
        """Write the exchange, its flags, learned facts and the summary in ONE transaction."""
        ex = outcome.exchange
        compacted = False
        async with self.db.transaction() as tx:
            answer_id = await self._answers.record_exchange_in(tx, ex)
            flag_ids = {
                flag.kind: await self._answers.flag_exchange_in(tx, ex, answer_id, flag) for flag in outcome.flags
            }
            await self._facts.apply_in(tx, ex.scope, ex.user, outcome.facts)
            if outcome.compact is not None and ex.conversation:
                saved = await self._conversations.summary_in(tx, ex.conversation)
                pending = await self._conversations.messages_in(
                    tx, ex.conversation, after_id=saved.upto_message_id if saved else 0
                )
                note = await asyncio.to_thread(outcome.compact, saved, pending)
                if note is not None:
                    await self._conversations.save_summary_in(
                        tx, ex.conversation, ex.scope, ex.user, note.summary, note.upto_message_id
                    )
                    compacted = True
        return OutcomeIds(answer_id, flag_ids, compacted)
