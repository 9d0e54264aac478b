"""The configured moderator and admin roles, for a Discord login whose permissions alone grant less.

The bot counts a member as a moderator with Manage Messages or the moderator role, and as an admin
with Manage Server or the admin role (each role per server in its settings, else the global
`discord.moderator_role` / `discord.admin_role`; an id or a name). The OAuth2 guild list carries
only permissions, so where a server configures a role the login missed, the console reads the
member's roles with the bot's token (`GET /guilds/{id}/members/{user}`, and `/roles` when a role
is configured by name) and widens the principal the same way.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import httpx

from bot.frontends.console.auth import Principal
from bot.store import Store

MAX_GUILDS = 25  # role look-ups per login at most: one or two requests each


@dataclass(frozen=True)
class Wanted:
    moderator: tuple[str, ...]
    admin: tuple[str, ...]


def _matches(wanted: Sequence[str], role_ids: Sequence[str], names: dict[str, str]) -> bool:
    held = set(role_ids) | {names.get(r, "").casefold() for r in role_ids} - {""}
    return any(w in held or w.casefold() in held for w in wanted)


async def _wanted(store: Store, scope: str, global_mod: str | None, global_admin: str | None) -> Wanted:
    gs = await store.guilds.get(scope)
    return Wanted(tuple(r for r in (gs.mod_role, global_mod) if r), tuple(r for r in (gs.admin_role, global_admin) if r))


async def with_roles(
    p: Principal, user_id: str, guild_ids: Sequence[str], *, store: Store, http: httpx.AsyncClient, api_base: str,
    bot_token: str, global_mod: str | None = None, global_admin: str | None = None,
) -> Principal:
    """`p` plus the servers where the member holds the configured moderator or admin role.

    A server the member cannot be read in (not a member, no bot there, Discord down) adds nothing."""
    mods, admins = list(p.moderates), list(p.administers)
    headers = {"Authorization": f"Bot {bot_token}"}
    base = api_base.rstrip("/")
    looked = 0
    for gid in guild_ids:
        scope = f"guild:{gid}"
        if scope in admins or looked >= MAX_GUILDS:
            continue
        wanted = await _wanted(store, scope, global_mod, global_admin)
        if not (wanted.admin or (wanted.moderator and scope not in mods)):
            continue
        looked += 1
        try:
            member = await http.get(f"{base}/guilds/{gid}/members/{user_id}", headers=headers)
            if member.status_code != 200:
                continue
            role_ids = [str(r) for r in member.json().get("roles", [])]
            names: dict[str, str] = {}
            if any(not w.isdigit() for w in wanted.moderator + wanted.admin):
                roles = await http.get(f"{base}/guilds/{gid}/roles", headers=headers)
                if roles.status_code == 200:
                    names = {str(r.get("id")): str(r.get("name") or "") for r in roles.json()}
        except (httpx.HTTPError, ValueError, AttributeError):
            continue
        if _matches(wanted.admin, role_ids, names):
            admins.append(scope)
        if scope not in mods and (scope in admins or _matches(wanted.moderator, role_ids, names)):
            mods.append(scope)
    return replace(p, moderates=tuple(mods), administers=tuple(admins))
