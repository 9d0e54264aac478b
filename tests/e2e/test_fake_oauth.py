"""The local Discord's OAuth2 routes behave like Discord's, so the console's login can be tested against them."""
from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest_asyncio

from tests.e2e.fake_discord import MANAGE_GUILD, MANAGE_MESSAGES, FakeDiscord

REDIRECT = "http://127.0.0.1:1/auth/callback"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeDiscord]:
    s = FakeDiscord()
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


async def _authorize(client: httpx.AsyncClient, s: FakeDiscord, **extra: str) -> httpx.Response:
    params = {"response_type": "code", "client_id": s.oauth.client_id, "redirect_uri": REDIRECT,
              "scope": "identify guilds", "state": "st-1", **extra}
    return await client.get(f"{s.url}/oauth2/authorize", params=params)


async def _token(client: httpx.AsyncClient, s: FakeDiscord, code: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": s.oauth.client_id, "client_secret": s.oauth.client_secret, **extra}
    return await client.post(f"{s.api_base}/oauth2/token", data=form)


async def test_code_flow_gives_the_consenting_user_and_their_guild_permissions(server: FakeDiscord) -> None:
    owner, mod, other = server.add_user("owner"), server.add_user("mod"), server.add_user("other")
    guild_a = server.add_guild("A", owner)
    guild_b = server.add_guild("B", owner)
    server.add_guild("C", owner)  # mod is not a member: never listed
    mods = server.add_role(guild_a, "Mods", MANAGE_MESSAGES)
    server.add_member(guild_a, mod, (mods,))
    server.add_member(guild_b, mod)
    server.add_member(guild_a, other)
    server.oauth.consenting = mod

    async with httpx.AsyncClient() as client:
        redirect = await _authorize(client, server)
        assert redirect.status_code == 302
        location = urlsplit(redirect.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        query = parse_qs(location.query)
        assert query["state"] == ["st-1"]

        token = await _token(client, server, query["code"][0])
        assert token.status_code == 200, token.text
        access = token.json()["access_token"]
        assert token.json()["token_type"] == "Bearer"
        bearer = {"Authorization": f"Bearer {access}"}

        me = await client.get(f"{server.api_base}/users/@me", headers=bearer)
        guilds = await client.get(f"{server.api_base}/users/@me/guilds", headers=bearer)

    assert me.json()["id"] == str(mod.id)
    assert me.json()["username"] == "mod"
    listed = {g["name"]: int(g["permissions"]) for g in guilds.json()}
    assert set(listed) == {"A", "B"}
    assert listed["A"] & MANAGE_MESSAGES
    assert not listed["B"] & MANAGE_MESSAGES
    assert not listed["A"] & MANAGE_GUILD
    assert all(isinstance(g["permissions"], str) for g in guilds.json())


async def test_a_code_is_good_once_and_only_for_its_redirect_uri(server: FakeDiscord) -> None:
    server.oauth.consenting = server.add_user("someone")
    async with httpx.AsyncClient() as client:
        first = parse_qs(urlsplit((await _authorize(client, server)).headers["location"]).query)["code"][0]
        second = parse_qs(urlsplit((await _authorize(client, server)).headers["location"]).query)["code"][0]
        wrong_uri = await _token(client, server, second, redirect_uri="http://evil.example/cb")
        ok = await _token(client, server, first)
        replay = await _token(client, server, first)
    assert wrong_uri.status_code == 400
    assert ok.status_code == 200
    assert replay.json() == {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'}


async def test_bad_client_secret_unknown_token_and_denied_consent_are_refused(server: FakeDiscord) -> None:
    async with httpx.AsyncClient() as client:
        denied = await _authorize(client, server)  # nobody consents
        server.oauth.consenting = server.add_user("someone")
        code = parse_qs(urlsplit((await _authorize(client, server)).headers["location"]).query)["code"][0]
        bad_secret = await _token(client, server, code, client_secret="nope")
        wrong_client = await _authorize(client, server, client_id="123")
        me = await client.get(f"{server.api_base}/users/@me", headers={"Authorization": "Bearer forged"})
        guilds = await client.get(f"{server.api_base}/users/@me/guilds", headers={"Authorization": "Bearer forged"})
    assert parse_qs(urlsplit(denied.headers["location"]).query) == {"error": ["access_denied"], "state": ["st-1"]}
    assert bad_secret.status_code == 401
    assert wrong_client.status_code == 400
    assert (me.status_code, guilds.status_code) == (401, 401)
