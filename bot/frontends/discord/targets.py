"""Where an answer goes: a reply to a message, or a deferred slash-command response; one queued job."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.core.types import Question
from bot.frontends.discord.common import NONE
from bot.services.requestlog import new_request_id


class Target:
    """One answer's messages: `show` creates or edits the first, `extra` adds pieces after it."""

    message_ids: list[int]

    async def show(self, content: str, **kwargs: Any) -> None: ...
    async def extra(self, content: str, **kwargs: Any) -> None: ...
    async def notice(self, content: str) -> None: ...


class MessageTarget(Target):
    """Replies to a user's message (never pinging them) and edits that reply."""

    def __init__(self, question: discord.Message) -> None:
        self.question = question
        self.message: discord.Message | None = None
        self.message_ids = []
        self._lock = asyncio.Lock()  # the queue placeholder and the worker may race to create

    async def placeholder(self, content: str) -> None:
        async with self._lock:
            if self.message is None:
                await self._show(content)

    async def show(self, content: str, **kwargs: Any) -> None:
        async with self._lock:
            await self._show(content, **kwargs)

    async def _show(self, content: str, **kwargs: Any) -> None:
        if self.message is None:
            self.message = await self.question.reply(
                content, allowed_mentions=NONE, mention_author=False, **kwargs
            )
            self.message_ids.append(self.message.id)
        else:
            self.message = await self.message.edit(content=content, allowed_mentions=NONE, **kwargs)

    async def extra(self, content: str, **kwargs: Any) -> None:
        msg = await self.question.reply(content, allowed_mentions=NONE, mention_author=False, **kwargs)
        self.message_ids.append(msg.id)

    async def notice(self, content: str) -> None:
        if self.message is not None:
            await self.show(content, embed=None, view=None)
            return
        await self.question.reply(content, allowed_mentions=NONE, mention_author=False, silent=True)


class InteractionTarget(Target):
    """The deferred `/ask` response: edit the original response, follow up for more pieces."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.interaction = interaction
        self.message_ids = []

    async def show(self, content: str, **kwargs: Any) -> None:
        msg = await self.interaction.edit_original_response(content=content, allowed_mentions=NONE, **kwargs)
        if msg.id not in self.message_ids:
            self.message_ids.append(msg.id)

    async def extra(self, content: str, **kwargs: Any) -> None:
        msg = await self.interaction.followup.send(content, allowed_mentions=NONE, wait=True, **kwargs)
        self.message_ids.append(msg.id)

    async def notice(self, content: str) -> None:
        await self.show(content, embed=None, view=None)


@dataclass
class Job:
    question: Question
    target: Target
    channel: discord.abc.Messageable | None  # for the typing indicator (None: interaction)
    enqueued: float = field(default_factory=time.monotonic)
    quiet: bool = False  # auto-answer: no streaming, and say nothing below the threshold
    level: str | None = None  # /explain: answer as an explanation at this level
    request_id: str = field(default_factory=new_request_id)  # on every log line of this question
