"""Feedback on answers (👍/👎), reports ("ask a human") and resolving flags, for any front end."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, NewType

if TYPE_CHECKING:
    from bot.store import AnswerRow, Answers

AnswerId = NewType("AnswerId", int)
FlagId = NewType("FlagId", int)
REPORT_NOTE = "asked for a human"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a click or report came from (ids as the store keeps them)."""

    scope: str
    user: str
    message_id: str | None = None
    channel: str | None = None


class Vote(Enum):
    UP = 1
    DOWN = -1


@dataclass(frozen=True, slots=True)
class Voted:
    answer_id: AnswerId
    vote: Vote
    flag_id: FlagId | None  # a 👎 raises a `downvote` flag


class Feedback:
    """Votes, reports and resolutions over the answers repository; the front end renders the results."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    async def answer(self, answer_id: AnswerId, scope: str) -> AnswerRow | None:
        """The answer, if it exists and belongs to this scope's knowledge base."""
        row = await self.answers.get(answer_id)
        return row if row is not None and row.scope == scope else None

    async def vote(self, answer_id: AnswerId, vote: Vote, origin: Origin) -> Voted:
        await self.answers.add_feedback(answer_id, origin.user, vote.value)
        flag = None
        if vote is Vote.DOWN:
            flag = FlagId(await self.answers.add_flag(
                "downvote", origin.scope, user=origin.user, answer_id=answer_id,
                message_id=origin.message_id, channel=origin.channel,
            ))
        return Voted(answer_id, vote, flag)

    async def report(self, answer_id: AnswerId, origin: Origin, note: str = REPORT_NOTE) -> FlagId:
        """A member asked for a human about this answer: a `reported` flag."""
        return FlagId(await self.answers.add_flag(
            "reported", origin.scope, user=origin.user, answer_id=answer_id,
            message_id=origin.message_id, channel=origin.channel, note=note,
        ))

    async def resolve(self, flag_id: FlagId, scope: str, by: str) -> bool:
        """Close an open flag of this scope; False if it was already closed or is not from here."""
        return await self.answers.resolve_flag(scope, flag_id, by)
