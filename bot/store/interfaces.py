"""The store's repositories as protocols: callers depend on these, not on SQLite.

A PostgreSQL implementation satisfies them without touching callers. Writes that span
repositories (`record_outcome`, `forget`) belong to the `Store` facade.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from bot.store.rows import (
    AnswerRow,
    DueReviewRow,
    Exchange,
    FlagRow,
    GuildSettings,
    LogRow,
    MessageRow,
    QuizItemDraft,
    QuizItemRow,
    SummaryRow,
    TopicProgressRow,
    TurnRow,
)

Tx = TypeVar("Tx", contravariant=True)


class ForgetsUsers(Protocol[Tx]):
    """A repository holding user data: the tables it clears and how, inside `Store.forget`'s transaction."""

    forgets: tuple[str, ...]

    async def forget_user(self, tx: Tx, scope: str, user: str) -> dict[str, int]: ...


class Conversations(Protocol):
    async def recent_turns(self, conversation: str, limit: int) -> list[TurnRow]: ...
    async def messages(self, conversation: str, after_id: int = 0, limit: int = 500) -> list[MessageRow]: ...
    async def summary(self, conversation: str) -> SummaryRow | None: ...
    async def save_summary(
        self, conversation: str, scope: str, user: str | None, summary: str, upto: int
    ) -> None: ...
    async def recent_sentiments(self, scope: str, user: str, limit: int) -> list[float | None]: ...
    async def logs(
        self, scope: str, *, user: str | None = None, channel: str | None = None,
        since: str | None = None, until: str | None = None, limit: int = 50, offset: int = 0,
    ) -> list[LogRow]: ...


class Answers(Protocol):
    async def record_exchange(self, exchange: Exchange) -> int: ...
    async def get(self, answer_id: int) -> AnswerRow | None: ...
    async def add_feedback(self, answer_id: int, user: str, value: int, comment: str | None = None) -> None: ...
    async def feedback_for(self, answer_id: int) -> dict[str, int]: ...
    async def add_flag(
        self, kind: str, scope: str, *, user: str | None = None, answer_id: int | None = None,
        message_id: str | None = None, channel: str | None = None, note: str | None = None,
    ) -> int: ...
    async def list_flags(
        self, scope: str, status: str | None = "open", limit: int = 20, offset: int = 0
    ) -> list[FlagRow]: ...
    async def resolve_flag(self, scope: str, flag_id: int, resolved_by: str) -> bool: ...


class Guilds(Protocol):
    async def get(self, scope: str) -> GuildSettings: ...
    async def set(self, scope: str, **changes: Any) -> GuildSettings: ...


class Facts(Protocol):
    async def list(self, scope: str, user: str) -> list[str]: ...
    async def add(self, scope: str, user: str, fact: str) -> bool: ...
    async def replace(self, scope: str, user: str, old: str, new: str) -> None: ...


class Tutoring(Protocol):
    async def add_items(self, scope: str, created_by: str | None, items: Sequence[QuizItemDraft]) -> list[int]: ...
    async def item(self, scope: str, item_id: int) -> QuizItemRow | None: ...
    async def record_attempt(
        self, scope: str, user: str, item_id: int, response: str, score: float, verdict: str,
        box: int, due_at: str,
    ) -> int: ...
    async def review_box(self, scope: str, user: str, item_id: int) -> int | None: ...
    async def progress_by_topic(self, scope: str, user: str) -> list[TopicProgressRow]: ...
    async def due_reviews(self, scope: str, user: str, now: str, limit: int = 10) -> list[DueReviewRow]: ...
