"""One fake Discord, one real Assistant and one real discord.py bot per test module.

Scenarios keep out of each other's way by using their own members (rate limits are per user)
and, where knowledge matters, their own guilds.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.core.config import Settings
from bot.frontends.discord.client import RagcordBot, build_bot, endpoints
from tests.e2e.fake_discord import MANAGE_GUILD, MANAGE_MESSAGES, TOKEN, Channel, FakeDiscord, Guild, Role, User

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
pytestmark = pytest.mark.e2e


@dataclass
class World:
    server: FakeDiscord
    bot: RagcordBot
    settings: Settings
    owner: User
    admin: User
    mod: User
    guild_a: Guild
    guild_b: Guild
    general_a: Channel
    mods_a: Channel
    general_b: Channel
    admin_role: Role
    mod_role: Role
    _users: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def member(self, name: str | None = None, guild: Guild | None = None) -> User:
        """A fresh member of guild A (or `guild`), so rate limits never leak between tests."""
        self._users += 1
        user = self.server.add_user(name or f"member{self._users}")
        self.server.add_member(guild or self.guild_a, user)
        return user


async def make_assistant(settings: Settings) -> Any:
    from bot.core.assistant import Assistant

    return await Assistant.create(settings)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    logging.getLogger("discord").setLevel(logging.WARNING)
    server = FakeDiscord()
    await server.start()
    owner = server.add_user("owner")
    admin = server.add_user("alice-admin")
    mod = server.add_user("mo-moderator")
    guild_a = server.add_guild("Guild A", owner, ("general", "mods", "help"))
    guild_b = server.add_guild("Guild B", owner, ("general",))
    admin_role = server.add_role(guild_a, "Admins", MANAGE_GUILD)
    mod_role = server.add_role(guild_a, "Mods", MANAGE_MESSAGES)
    server.add_member(guild_a, admin, (admin_role,))
    server.add_member(guild_a, mod, (mod_role,))
    server.add_member(guild_b, admin, ())

    data_dir: Path = tmp_path_factory.mktemp("ragcord-e2e")
    settings = Settings(
        data_dir=data_dir, generator="extractive", discord_token=SecretStr(TOKEN),
        discord_api_base=server.api_base, discord_gateway=server.gateway,
        rate_limit_per_minute=5, answer_workers=2, max_queue=100,
    )
    assistant = await make_assistant(settings)
    with endpoints(server.api_base, server.gateway):
        bot = build_bot(settings, assistant, guild_ready_timeout=0.05)
        runner = asyncio.create_task(bot.start(TOKEN))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({runner, ready}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if runner.done():
                runner.result()  # raise the startup error
            raise TimeoutError("the bot did not become ready")
        w = World(server, bot, settings, owner, admin, mod, guild_a, guild_b,
                  guild_a.channels[0], guild_a.channels[1], guild_b.channels[0], admin_role, mod_role)
        try:
            yield w
        finally:
            await bot.close()
            await asyncio.wait_for(runner, 10)
            await assistant.aclose()
            await server.stop()
