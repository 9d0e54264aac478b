"""Customer service: `/memory` and `/summarize`; registers the escalations' "Resolve" button.

Escalation itself (the "Ask a human" button, a frustrated member, a quiet auto-answer) is
`bot.services.escalation`, with its Discord calls in `bot.frontends.discord.escalate`.
"""
from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord import render
from bot.frontends.discord.common import NotAllowed, reply, scope_for
from bot.frontends.discord.escalate import ResolveButton
from bot.frontends.discord.host import Host, host

log = logging.getLogger("ragcord.discord")
HISTORY_DEFAULT, HISTORY_MAX = 50, 200


class Support(commands.Cog):
    def __init__(self, bot: Host) -> None:
        self.bot = bot

    # --- /memory ---------------------------------------------------------------------------------
    @app_commands.command(name="memory", description="What I remember about you here")
    async def memory(self, interaction: discord.Interaction[Any]) -> None:
        scope = scope_for(self.bot, interaction.guild_id)
        facts = await self.bot.assistant.store.facts.list(scope, str(interaction.user.id))
        where = "in this server" if interaction.guild_id else "in direct messages"
        if not facts:
            await reply(interaction, f"I don't remember anything about you {where}.")
            return
        lines = "\n".join(f"• {render.neutralize(f)}" for f in facts[:30])
        await reply(interaction, f"What I remember about you {where}:\n{lines}\n-# `/forget` deletes it."[:2000])

    # --- /summarize ------------------------------------------------------------------------------
    @app_commands.command(name="summarize", description="Summarize this thread, a channel's recent messages or a document")
    @app_commands.describe(
        document="an ingested document", channel="a channel (default: this one)",
        messages=f"how many recent messages (default {HISTORY_DEFAULT})",
    )
    async def summarize(
        self,
        interaction: discord.Interaction[Any],
        document: str | None = None,
        channel: discord.TextChannel | None = None,
        messages: app_commands.Range[int, 1, HISTORY_MAX] = HISTORY_DEFAULT,
    ) -> None:
        scope = scope_for(self.bot, interaction.guild_id)
        if document is not None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            ref: int | str = int(document.lstrip("#")) if document.lstrip("#").isdigit() else document
            found = await self.bot.assistant.summarize_document(scope, ref)
            if found is None:
                await reply(interaction, f"No document matches `{render.neutralize(document)}`.")
                return
            doc, summary = found
            embed = discord.Embed(title=f"Summary of {doc.title}"[:256], colour=discord.Colour.blurple(),
                                  description=render.neutralize(summary or "The document has no text.")[:4000])
            await reply(interaction, embed=embed)
            return
        target = self._readable(interaction, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        history = [m async for m in target.history(limit=messages)]
        texts = [m.content for m in reversed(history) if m.content.strip()]
        if not texts:
            await reply(interaction, "There are no messages with text to summarize there.")
            return
        summary = await self.bot.assistant.summarize(texts)
        what = "this thread" if isinstance(target, discord.Thread) else f"<#{target.id}>"
        embed = discord.Embed(title="Summary", colour=discord.Colour.blurple(),
                              description=f"{what}, last {len(history)} message(s):\n\n"
                              + render.neutralize(summary)[:3800])
        await reply(interaction, embed=embed)

    def _readable(self, interaction: discord.Interaction[Any], channel: Any) -> Any:
        """The channel to read: the option (if the caller may read it) or the current channel/thread."""
        if channel is None:
            target = interaction.channel
        else:
            member = interaction.user
            perms = (channel.permissions_for(member) if isinstance(member, discord.Member)
                     and hasattr(channel, "permissions_for") else getattr(channel, "permissions", None))
            if perms is None or not (perms.view_channel and perms.read_message_history):
                raise NotAllowed("You can't read that channel's history.")
            target = self.bot.get_channel(channel.id)
        if not isinstance(target, discord.abc.Messageable) or isinstance(target, discord.abc.User):
            raise NotAllowed("I can't read that channel's messages.")
        return target

    @summarize.autocomplete("document")
    async def _documents(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        docs = await self.bot.assistant.list_documents(scope_for(self.bot, interaction.guild_id))
        cur = current.casefold()
        return [
            app_commands.Choice(name=f"#{d.id} {d.title}"[:100], value=str(d.id))
            for d in docs if cur in d.title.casefold() or cur in str(d.id)
        ][:25]


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ResolveButton)
    await bot.add_cog(Support(host(bot)))
