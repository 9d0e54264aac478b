"""What the cogs and views need from the client, as a Protocol (the cogs never import the client)."""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    import discord

    from bot.core.assistant import Assistant
    from bot.core.config import Settings
    from bot.core.types import Answer
    from bot.services.escalation import Escalation
    from bot.services.feedback import Feedback
    from bot.services.tutoring import Tutor
    from bot.store import GuildSettings

K = TypeVar("K")
V = TypeVar("V")


class LRU(OrderedDict[K, V], Generic[K, V]):
    """A dict that forgets its least recently written keys beyond `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@runtime_checkable
class Host(Protocol):
    """The bot as the cogs see it: configuration, the core, the services, cached guild settings."""

    settings: Settings
    assistant: Assistant
    feedback: Feedback
    escalation: Escalation
    tutor: Tutor
    recent_answers: LRU[int, Answer]
    asker: SlashAsker | None

    @property
    def user(self) -> discord.ClientUser | None: ...

    def get_channel(self, id: int, /) -> Any: ...

    async def guild_settings(self, scope: str, fresh: bool = False) -> GuildSettings: ...

    def invalidate_guild_settings(self, scope: str) -> None: ...


def host(client: object) -> Host:
    """The client as a `Host` (what `interaction.client` and an extension's `setup` receive)."""
    if not isinstance(client, Host):
        raise TypeError(f"{type(client).__name__} is not a ragcord bot")
    return client


@runtime_checkable
class SlashAsker(Protocol):
    """The Ask cog as other cogs use it: queue a slash-command question."""

    async def enqueue_interaction(
        self, interaction: discord.Interaction[Any], text: str, *, level: str | None = None
    ) -> None: ...
