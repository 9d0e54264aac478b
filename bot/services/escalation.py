"""Escalation to staff: where a case goes, and the brief staff read first.

The front end does the platform calls (open a private thread, post to the moderators'
channel) and reports back which `EscalationTarget` it reached; this module decides the order
of attempts and gathers the brief (who, why, a summary of the conversation, sources tried).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.services.feedback import AnswerId, FlagId

if TYPE_CHECKING:
    from bot.store import AnswerRow, Answers, Conversations

SUMMARY_TURNS = 12  # recent messages of a conversation summarised for staff
FRUSTRATED = "seems frustrated"
ASKED = "asked for a human"


class Summarize(Protocol):
    """The core's extractive summary (`Assistant.summarize`)."""

    async def __call__(self, texts: Sequence[str], *, max_sentences: int = ...) -> str: ...


@dataclass(frozen=True, slots=True)
class StaffThread:
    """A private thread with the member and staff."""

    thread_id: str


@dataclass(frozen=True, slots=True)
class ModChannel:
    """The moderators' channel."""

    channel_id: str


EscalationTarget = StaffThread | ModChannel


@dataclass(frozen=True, slots=True)
class Route:
    """What the front end should try, in order: a thread (if it can open one), then the mods' channel."""

    thread: bool
    mod_channel: str | None


def route(can_open_thread: bool, mod_channel: str | None) -> Route:
    return Route(thread=can_open_thread, mod_channel=mod_channel or None)


@dataclass(frozen=True, slots=True)
class Case:
    scope: str
    flag_id: FlagId
    reason: str
    row: AnswerRow
    member_id: str
    member_name: str
    jump: str | None = None


@dataclass(frozen=True, slots=True)
class Brief:
    """What staff read first, as data; the front end formats it."""

    case: Case
    staff_role: str | None
    summary: str
    sources: Sequence[dict[str, Any]] = field(default_factory=list)


class Escalation:
    def __init__(self, answers: Answers, conversations: Conversations, summarize: Summarize,
                 moderator_role: str | None = None) -> None:
        self.answers = answers
        self.conversations = conversations
        self.summarize = summarize
        self.moderator_role = moderator_role

    async def frustrated(self, answer_id: AnswerId, flag_ids: Mapping[str, int], member_id: str,
                         member_name: str, jump: str | None) -> Case | None:
        """The case for a member the core found frustrated (`flag_ids` is the core's `Answer.flag_ids`);
        None when the core raised no such flag or the answer is gone."""
        flag = flag_ids.get("frustrated")
        row = await self.answers.get(answer_id) if flag is not None else None
        if flag is None or row is None:
            return None
        return Case(row.scope, FlagId(flag), FRUSTRATED, row, member_id, member_name, jump)

    async def brief(self, case: Case, guild_mod_role: str | None) -> Brief:
        turns = await self.conversation(case.row)
        texts = [t for t in turns if t.strip()]
        summary = await self.summarize(texts, max_sentences=3) if texts else ""
        role = guild_mod_role or self.moderator_role or None
        row = case.row
        return Brief(case, role, summary or row.question, (row.citations or row.closest)[:5])

    async def conversation(self, row: AnswerRow) -> list[str]:
        """The recent messages of the conversation the answer belongs to (oldest first)."""
        since = (datetime.fromisoformat(row.created_at) - timedelta(days=1)).isoformat(timespec="seconds")
        logs = await self.conversations.logs(row.scope, user=row.user, channel=row.channel, since=since, limit=1000)
        key = next((r.conversation for r in logs if r.answer_id == row.id and r.conversation), None)
        if key is None:
            return [row.question, row.text]
        return [t.content for t in await self.conversations.recent_turns(key, SUMMARY_TURNS)]
