"""Small helpers shared by the cogs: scopes, permission checks, one-line ephemeral replies."""
from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.frontends.discord.host import Host, host

log = logging.getLogger("ragcord.discord")
NONE = discord.AllowedMentions.none()


def scope_for(bot: Host, guild_id: int | None) -> str:
    """Guild messages use that guild's knowledge base; DMs use the configured DM scope."""
    return f"guild:{guild_id}" if guild_id else bot.settings.discord.dm_scope


def _role_matches(member: discord.Member, wanted: str | None) -> bool:
    if not wanted:
        return False
    wanted = wanted.strip().lstrip("@")
    return any(str(r.id) == wanted or r.name.casefold() == wanted.casefold() for r in member.roles)


async def is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Manage Server, or the admin role (per-guild setting, else the global `admin_role`)."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return True
    bot = host(interaction.client)
    gs = await bot.assistant.store.guilds.get(scope_for(bot, interaction.guild.id))
    return _role_matches(member, gs.admin_role) or _role_matches(member, bot.settings.discord.admin_role)


async def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Messages, the moderator role (per-guild or global), or an admin."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_messages:
        return True
    bot = host(interaction.client)
    gs = await bot.assistant.store.guilds.get(scope_for(bot, interaction.guild.id))
    if _role_matches(member, gs.mod_role) or _role_matches(member, bot.settings.discord.moderator_role):
        return True
    return await is_admin(interaction)


class NotAllowed(app_commands.CheckFailure):
    """A check failed; the message is shown to the user as is."""


def admin_only() -> Any:
    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise NotAllowed("This command only works in a server.")
        if not await is_admin(interaction):
            raise NotAllowed("Only server admins (Manage Server or the admin role) can do that.")
        return True

    return app_commands.check(predicate)


def moderator_only() -> Any:
    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise NotAllowed("This command only works in a server.")
        if not await is_moderator(interaction):
            raise NotAllowed("Only moderators (Manage Messages or the moderator role) can do that.")
        return True

    return app_commands.check(predicate)


async def reply(interaction: discord.Interaction[Any], content: str | None = None, **kwargs: Any) -> None:
    """Answer ephemerally whether or not the interaction was already acknowledged."""
    kwargs.setdefault("ephemeral", True)
    kwargs.setdefault("allowed_mentions", NONE)
    if content is not None:
        kwargs["content"] = content
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
