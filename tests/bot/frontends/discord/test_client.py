"""Client helpers: invite link, endpoint overrides, startup failures as one line."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import SecretStr

from bot.core.config import Settings
from bot.frontends.discord.client import INVITE_PERMISSIONS, endpoints, intents, invite_url, run_bot


def test_invite_url_scopes_and_minimal_permissions() -> None:
    q = parse_qs(urlparse(invite_url(1234)).query)
    assert q["client_id"] == ["1234"]
    assert q["scope"] == ["bot applications.commands"]
    perms = discord.Permissions(int(q["permissions"][0]))
    assert perms == INVITE_PERMISSIONS
    assert perms.send_messages and perms.embed_links and perms.read_message_history
    assert not perms.administrator and not perms.mention_everyone and not perms.manage_messages


def test_intents_are_the_minimum() -> None:
    i = intents()
    assert i.message_content and i.guild_messages and i.dm_messages and i.guilds
    assert not i.members and not i.presences


def test_endpoints_are_restored() -> None:
    base, gw = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    with endpoints("http://127.0.0.1:1/api/v10/", "ws://127.0.0.1:1/gateway"):
        assert Route.BASE == "http://127.0.0.1:1/api/v10"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gateway"
    assert (base, gw) == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


async def test_missing_token_is_one_clear_line(tmp_path) -> None:
    for token in (None, SecretStr("  ")):
        with pytest.raises(SystemExit) as exc:
            await run_bot(Settings(data_dir=tmp_path, discord_token=token))
        msg = str(exc.value)
        assert "\n" not in msg and "token" in msg and "DISCORD_TOKEN" in msg
