"""Conversation keys: which conversation a question belongs to, in the stored string format.

The string form (`chain:<id>`, `thread:<id>`, `dm:<id>`, `slash:<id>`, `cli:<id>`) is what the
store keeps in its logs and memory rows; `parse(str(key)) == key`.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum


class ConversationKind(str, Enum):
    CHAIN = "chain"    # a reply chain under one message
    THREAD = "thread"  # a thread (one conversation per thread)
    DM = "dm"          # a direct-message channel
    SLASH = "slash"    # one slash-command interaction
    CLI = "cli"        # one terminal chat session


@dataclass(frozen=True, slots=True)
class ConversationKey:
    kind: ConversationKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ConversationKey:
        """The key of a stored string; ValueError if it has no known kind."""
        kind, sep, ident = text.partition(":")
        if not sep or not ident:
            raise ValueError(f"not a conversation key: {text!r}")
        return cls(ConversationKind(kind), ident)

    @classmethod
    def chain(cls, message_id: int | str) -> ConversationKey:
        return cls(ConversationKind.CHAIN, str(message_id))

    @classmethod
    def thread(cls, thread_id: int | str) -> ConversationKey:
        return cls(ConversationKind.THREAD, str(thread_id))

    @classmethod
    def dm(cls, channel_id: int | str) -> ConversationKey:
        return cls(ConversationKind.DM, str(channel_id))

    @classmethod
    def slash(cls, interaction_id: int | str) -> ConversationKey:
        return cls(ConversationKind.SLASH, str(interaction_id))

    @classmethod
    def cli(cls) -> ConversationKey:
        """A fresh terminal session."""
        return cls(ConversationKind.CLI, uuid.uuid4().hex[:12])
