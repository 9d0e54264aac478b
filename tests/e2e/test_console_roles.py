"""Console login with the configured moderator/admin roles, read from the local Discord server.

A member whose roles carry no permission still moderates (or administers) a server whose settings
name their role — by id in the server's settings or by name in the global setting — as in Discord.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.frontends.console.app import create_app
from bot.frontends.console.auth import Principal
from bot.frontends.console.roles import with_roles
from tests.e2e.fake_discord import MANAGE_MESSAGES, TOKEN, FakeDiscord

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeDiscord]:
    s = FakeDiscord()
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


@pytest_asyncio.fixture
async def assistant(tmp_path: Path, server: FakeDiscord) -> AsyncIterator[Assistant]:
    settings = load_settings(None, data_dir=tmp_path, **{
        "discord_token": TOKEN, "discord.admin_role": "Owners", "console.client_id": server.oauth.client_id,
        "console.client_secret": server.oauth.client_secret, "console.api_base": server.api_base,
        "console.redirect_url": "http://testserver/callback"})
    a = await Assistant.create(settings)
    try:
        yield a
    finally:
        await a.aclose()


async def test_configured_roles_widen_what_a_login_sees(server: FakeDiscord, assistant: Assistant) -> None:
    owner, helper, boss, plain = (server.add_user(n) for n in ("owner", "helper", "boss", "plain"))
    a, b, c = (server.add_guild(n, owner) for n in ("A", "B", "C"))
    helpers = server.add_role(a, "Helpers")  # no permissions: only the setting makes it count
    owners = server.add_role(b, "owners")  # the global admin role, by name (any case)
    mods_c = server.add_role(c, "Mods", MANAGE_MESSAGES)
    server.add_member(a, helper, (helpers,))
    server.add_member(b, helper)
    server.add_member(b, boss, (owners,))
    server.add_member(c, plain, (mods_c,))
    await assistant.store.guilds.set(f"guild:{a.id}", mod_role=str(helpers.id))

    async with httpx.AsyncClient() as http:
        async def widen(user_id: int, guilds: list[int], p: Principal | None = None) -> Principal:
            return await with_roles(p or Principal("x"), str(user_id), [str(g) for g in guilds],
                                    store=assistant.store, http=http, api_base=server.api_base, bot_token=TOKEN,
                                    global_admin="Owners")

        p = await widen(helper.id, [a.id, b.id])
        assert p.moderates == (f"guild:{a.id}",) and p.administers == ()  # B: a member without the role
        p = await widen(boss.id, [b.id])
        assert p.administers == (f"guild:{b.id}",) and p.moderates == (f"guild:{b.id}",)  # an admin moderates
        p = await widen(plain.id, [c.id], Principal("x", moderates=(f"guild:{c.id}",)))
        assert p.moderates == (f"guild:{c.id}",) and p.administers == ()  # kept, not doubled
        assert (await widen(helper.id, [c.id])).moderates == ()  # not a member of C: nothing
        wrong = await with_roles(Principal("x"), str(helper.id), [str(a.id)], store=assistant.store, http=http,
                                 api_base=server.api_base, bot_token="not-the-bot")
        assert wrong.moderates == ()  # Discord refuses the token: nothing added


async def test_oauth_login_with_only_the_moderator_role_sees_that_server(
    server: FakeDiscord, assistant: Assistant,
) -> None:
    owner, helper = server.add_user("owner"), server.add_user("helper")
    a = server.add_guild("A", owner)
    helpers = server.add_role(a, "Helpers")
    server.add_member(a, helper, (helpers,))
    await assistant.store.guilds.set(f"guild:{a.id}", mod_role=str(helpers.id))
    server.oauth.consenting = helper
    app = create_app(assistant, "admin-token")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as console, \
            httpx.AsyncClient() as discord:
        start = await console.get("/login/discord")
        consent = await discord.get(start.headers["location"])
        back = urlsplit(consent.headers["location"])
        q = parse_qs(back.query)
        done = await console.get("/callback", params={"code": q["code"][0], "state": q["state"][0]})
        assert done.status_code == 303 and done.headers["location"] == "/"
        page = await console.get("/flags")
        assert page.status_code == 200 and "helper" in page.text
        assert f"guild:{a.id}" in (await console.get("/conversations")).text  # the server filter lists it
