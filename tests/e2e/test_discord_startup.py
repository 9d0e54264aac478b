"""`run_bot` against the fake Discord: a rejected token is one line, not a traceback."""
from __future__ import annotations

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import SecretStr

from bot.core.config import Settings
from bot.frontends.discord.client import run_bot
from tests.e2e.fake_discord import FakeDiscord

pytestmark = pytest.mark.e2e


async def test_rejected_token_is_one_clear_line(tmp_path) -> None:
    server = FakeDiscord()
    await server.start()
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        settings = Settings(data_dir=tmp_path, generator="extractive", discord_token=SecretStr("wrong"),
                            discord_api_base=server.api_base, discord_gateway=server.gateway)
        with pytest.raises(SystemExit) as exc:
            await run_bot(settings)
        assert str(exc.value).startswith("error: Discord rejected the token")
        assert "\n" not in str(exc.value)
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = before
        await server.stop()
