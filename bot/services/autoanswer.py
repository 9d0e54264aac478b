"""The auto-answer policy: which channels the bot answers unasked, and when it stays quiet there."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.types import Answer


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the policy needs to know about a message in a server channel."""

    channel: str
    parent: str | None = None  # the channel a thread belongs to
    is_reply: bool = False
    mentions_people: bool = False


def auto_answers(message: Incoming, auto_channels: Iterable[str]) -> bool:
    """Whether a message in this channel (or a thread under it) is a question for the bot.

    A reply or a message mentioning people is a conversation between members, not a question.
    """
    if message.is_reply or message.mentions_people:
        return False
    ids = {message.channel} | ({message.parent} if message.parent else set())
    return bool(ids & set(auto_channels))


def stays_quiet(answer: Answer, quiet: bool) -> bool:
    """In a quiet auto-answer, a low-confidence refusal is not posted (moderators hear of it)."""
    return quiet and answer.refused and not answer.error
