"""Curated answers in Discord: `/answers add|list|remove` and the "Save as answer" message menu.

Moderators only (Manage Messages or the moderator role); every reply is ephemeral. "Save as
answer" is used on a staff reply inside an escalation thread: the thread is named after its
flag ("… · flag #N"), the flag leads to the escalated question, and the staff's reply becomes
that question's curated answer.
"""
from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord import render
from bot.frontends.discord.common import is_moderator, moderator_only, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.services.curated import CuratedError, Curation

PAGE = 10
_FLAG = re.compile(r"flag #(\d+)")


def _short(text: str, n: int = 150) -> str:
    text = " ".join(text.split())
    return render.neutralize(text if len(text) <= n else text[: n - 1] + "…")


def split_paraphrases(value: str | None) -> list[str]:
    """Paraphrases (or keywords) typed in one option, separated by `|` or new lines."""
    return [p.strip() for p in re.split(r"[|\n]", value or "") if p.strip()]


def escalation_flag(channel: object) -> int | None:
    """The flag an escalation thread was opened for, from its name ("Help for … · flag #12")."""
    if not isinstance(channel, discord.Thread):
        return None
    m = _FLAG.search(channel.name or "")
    return int(m.group(1)) if m else None


class CuratedAnswers(commands.Cog):
    answers = app_commands.Group(
        name="answers", description="Curated answers that win over generated ones", guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    def __init__(self, bot: Host, tree: app_commands.CommandTree[Any]) -> None:
        self.bot = bot
        self.tree = tree
        self.curation = Curation(bot.assistant.store)
        self.save_menu = app_commands.ContextMenu(name="Save as answer", callback=self.save_as_answer)
        self.save_menu.guild_only = True
        self.save_menu.default_permissions = discord.Permissions(manage_messages=True)

    async def cog_load(self) -> None:
        self.tree.add_command(self.save_menu)

    async def cog_unload(self) -> None:
        self.tree.remove_command(self.save_menu.name, type=self.save_menu.type)

    # --- /answers ----------------------------------------------------------------------------------
    @answers.command(name="add", description="Add a curated answer for a question")
    @app_commands.describe(question="the question", answer="the approved answer",
                           paraphrases="other phrasings, separated by |",
                           keywords="words or phrases that always match, separated by |")
    @moderator_only()
    async def add(self, interaction: discord.Interaction[Any], question: str, answer: str,
                  paraphrases: str | None = None, keywords: str | None = None) -> None:
        assert interaction.guild is not None
        scope = scope_for(self.bot, interaction.guild.id)
        try:
            row = await self.curation.add(scope, question, answer, str(interaction.user.id),
                                          paraphrases=split_paraphrases(paraphrases),
                                          keywords=split_paraphrases(keywords))
        except CuratedError as exc:
            await reply(interaction, f"Not saved: {exc}.")
            return
        await reply(interaction, f"Saved curated answer #{row.id} ({len(row.phrasings)} phrasing(s)). "
                                 "Questions that mean the same now get it.")

    @answers.command(name="list", description="This server's curated answers")
    @moderator_only()
    async def list(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild is not None
        rows = await self.curation.list(scope_for(self.bot, interaction.guild.id))
        embed = discord.Embed(title="Curated answers", colour=discord.Colour.green())
        if not rows:
            embed.description = "None yet. Add one with `/answers add`."
        for r in rows[:PAGE]:
            state = "" if r.enabled else " · disabled"
            embed.add_field(name=f"#{r.id} · {r.hits} hit(s){state}"[:256],
                            value=f"Q: {_short(r.question)}\nA: {_short(r.answer, 300)}"[:1024], inline=False)
        if len(rows) > PAGE:
            embed.set_footer(text=f"and {len(rows) - PAGE} more (see the console or `ragcord answers list`)")
        await reply(interaction, embed=embed)

    @answers.command(name="remove", description="Delete a curated answer")
    @app_commands.describe(answer="the curated answer's number (see /answers list)")
    @moderator_only()
    async def remove(self, interaction: discord.Interaction[Any], answer: int) -> None:
        assert interaction.guild is not None
        ok = await self.curation.remove(scope_for(self.bot, interaction.guild.id), answer, str(interaction.user.id))
        await reply(interaction, f"Curated answer #{answer} deleted." if ok
                    else f"No curated answer #{answer} in this server.")

    # --- "Save as answer" ---------------------------------------------------------------------------
    async def save_as_answer(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        if interaction.guild is None:
            await reply(interaction, "This only works in a server.")
            return
        if not await is_moderator(interaction):
            await reply(interaction, "Only moderators (Manage Messages or the moderator role) can do that.")
            return
        flag = escalation_flag(interaction.channel)
        if flag is None:
            await reply(interaction, "Use this on a staff reply in an escalation thread.")
            return
        if not message.content.strip() or (self.bot.user is not None and message.author.id == self.bot.user.id):
            await reply(interaction, "Pick a staff reply with text (not one of my messages).")
            return
        scope = scope_for(self.bot, interaction.guild.id)
        try:
            row = await self.curation.from_escalation(scope, flag, message.content, str(interaction.user.id))
        except CuratedError as exc:
            await reply(interaction, f"Not saved: {exc}.")
            return
        if row is None:
            await reply(interaction, f"I can't find the question of flag #{flag} in this server.")
            return
        await reply(interaction, f"Saved as curated answer #{row.id} for “{_short(row.question, 120)}”.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(CuratedAnswers(host(bot), bot.tree))
