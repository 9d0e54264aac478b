"""The Discord token and API keys never show up in logs or in what the user sees."""
from __future__ import annotations

import logging

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import SecretStr

from bot.core.config import Settings
from bot.core.safety import SecretFilter
from bot.frontends.discord.client import run_bot
from tests.e2e.fake_discord import FakeDiscord

TOKEN = "MTA5.wrong-but-SECRET-discord-token.abc"
KEY = "sk-proj-SECRET-openai-key-123456"


async def test_failed_login_with_secrets_set_leaks_neither(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    server = FakeDiscord()
    await server.start()
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    caplog.set_level(logging.DEBUG)
    try:
        settings = Settings(data_dir=tmp_path, generator="openai", discord_token=SecretStr(TOKEN),
                            openai_api_key=SecretStr(KEY), openai_base_url="http://127.0.0.1:9/v1",
                            discord_api_base=server.api_base, discord_gateway=server.gateway)
        with pytest.raises(SystemExit) as exc:
            await run_bot(settings)
        logging.getLogger("ragcord.test").error("late failure mentioning %s and %s", TOKEN, KEY)
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = before
        await server.stop()
        for handler in logging.getLogger().handlers:  # leave other tests' handlers as they were
            for f in [f for f in handler.filters if isinstance(f, SecretFilter)]:
                handler.removeFilter(f)
    message = str(exc.value)
    assert message.startswith("error: Discord rejected the token") and TOKEN not in message
    assert "late failure mentioning [redacted] and [redacted]" in caplog.text  # the bot installed the filter
    assert "SECRET" not in caplog.text
