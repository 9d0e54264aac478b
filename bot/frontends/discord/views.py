"""Buttons under every answer: Sources, 👍, 👎, Ask a human.

Each button is a `DynamicItem` whose custom_id carries the answer id (`rc:<action>:<id>`), so
the buttons keep working after a restart: the bot registers the item class once
(`add_dynamic_items`) and rebuilds the button from the id on every click.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, is_moderator, reply, scope_for

if TYPE_CHECKING:
    from bot.frontends.discord.client import RagcordBot

log = logging.getLogger("ragcord.discord")

_BUTTONS: dict[str, tuple[str | None, str | None, discord.ButtonStyle]] = {
    "src": ("Sources", "📚", discord.ButtonStyle.secondary),
    "up": (None, "👍", discord.ButtonStyle.secondary),
    "down": (None, "👎", discord.ButtonStyle.secondary),
    "human": ("Ask a human", "🙋", discord.ButtonStyle.primary),
    "alt": ("Other answers", "🔀", discord.ButtonStyle.secondary),  # only when there were several
}


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"rc:(?P<action>src|up|down|human|alt):(?P<answer_id>\d+)",
):
    def __init__(self, action: str, answer_id: int) -> None:
        label, emoji, style = _BUTTONS[action]
        super().__init__(
            discord.ui.Button(label=label, emoji=emoji, style=style, custom_id=f"rc:{action}:{answer_id}")
        )
        self.action = action
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        return cls(match["action"], int(match["answer_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: RagcordBot = interaction.client  # type: ignore[assignment]
        store = bot.assistant.store
        row = await store.get_answer(self.answer_id)
        scope = scope_for(bot, interaction.guild_id)
        # re-check on every click: the answer must exist and belong to this server's knowledge base
        if row is None or row.scope != scope:
            await reply(interaction, "That answer is no longer available.")
            return
        user = str(interaction.user.id)
        if self.action == "src":
            cached = bot.recent_answers.get(self.answer_id)
            citations = cached.citations if cached is not None else row.citations
            if row.refused:
                citations = cached.closest if cached is not None else row.closest
            embed = discord.Embed(
                title=f"Sources for answer #{self.answer_id}",
                description=render.passages_text(citations),
                colour=discord.Colour.blurple(),
            )
            await reply(interaction, embed=embed)
        elif self.action == "up":
            await store.add_feedback(self.answer_id, user, 1)
            await reply(interaction, "Thanks for the feedback!")
        elif self.action == "down":
            await store.add_feedback(self.answer_id, user, -1)
            await store.add_flag(
                "downvote", scope, user=user, answer_id=self.answer_id,
                message_id=str(interaction.message.id) if interaction.message else None,
                channel=str(interaction.channel_id) if interaction.channel_id else None,
            )
            await reply(interaction, "Thanks — I've noted that this answer wasn't helpful.")
        elif self.action == "alt":
            embed = discord.Embed(
                title=f"Candidate answers for #{self.answer_id}",
                description=render.candidates_text(row.candidates),
                colour=discord.Colour.blurple(),
            )
            await reply(interaction, embed=embed)
        else:
            support = bot.get_cog("Support")
            if support is not None:  # a private thread with staff (bot/discord/support.py)
                await support.ask_human(interaction, scope, row)  # type: ignore[attr-defined]
            else:
                await self._escalate(bot, interaction, scope, row.question)

    async def _escalate(
        self, bot: RagcordBot, interaction: discord.Interaction[Any], scope: str, question: str
    ) -> None:
        message = interaction.message
        flag_id = await bot.assistant.store.add_flag(
            "reported", scope, user=str(interaction.user.id), answer_id=self.answer_id,
            message_id=str(message.id) if message else None,
            channel=str(interaction.channel_id) if interaction.channel_id else None,
            note="asked for a human",
        )
        posted = False
        if interaction.guild is not None:
            gs = await bot.assistant.store.get_guild_settings(scope)
            channel = interaction.guild.get_channel(int(gs.mod_channel)) if gs.mod_channel else None
            if isinstance(channel, discord.abc.Messageable):
                jump = message.jump_url if message else ""
                text = (
                    f"🙋 **{render.neutralize(interaction.user.display_name)}** asked for a human "
                    f"(flag #{flag_id}, answer #{self.answer_id}).\n"
                    f"> {render.neutralize(' '.join(question.split())[:300])}\n{jump}"
                )
                try:
                    await channel.send(text, allowed_mentions=NONE)
                    posted = True
                except discord.HTTPException:
                    log.warning("could not post to the moderators' channel %s", gs.mod_channel)
        tail = " A moderator has been notified." if posted else " A moderator will see it in /flags."
        await reply(interaction, f"Got it — I've asked for a human to look at this.{tail}")


class AnswerView(discord.ui.View):
    """The row of buttons under an answer (no timeout: the buttons are rebuilt from their ids)."""

    def __init__(self, answer_id: int, others: bool = False) -> None:
        super().__init__(timeout=None)
        for action in _BUTTONS:
            if action != "alt" or others:
                self.add_item(AnswerButton(action, answer_id))


class Pager(discord.ui.View):
    """Prev/Next over pages of embeds produced on demand by `fetch(page) -> (embed, has_next)`."""

    def __init__(self, owner_id: int, fetch: Any, has_next: bool, timeout: float = 300) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.fetch = fetch
        self.page = 0
        self._sync(has_next)

    def _sync(self, has_next: bool) -> None:
        self.prev.disabled = self.page == 0
        self.next.disabled = not has_next

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await reply(interaction, "These pages belong to someone else's command.")
            return False
        return True

    async def _show(self, interaction: discord.Interaction[Any], page: int) -> None:
        embed, has_next = await self.fetch(page)
        self.page = page
        self._sync(has_next)
        await interaction.response.edit_message(embed=embed, view=self, allowed_mentions=NONE)

    @discord.ui.button(label="Prev", style=discord.ButtonStyle.secondary)
    async def prev(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, max(0, self.page - 1))

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.page + 1)


class ResolveButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"rc:resolve:(?P<flag_id>\d+)"
):
    """"Resolve" on an escalation (staff thread or moderators' channel): moderators close the flag."""

    def __init__(self, flag_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Resolve", emoji="✅", style=discord.ButtonStyle.success, custom_id=f"rc:resolve:{flag_id}"
        ))
        self.flag_id = flag_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ResolveButton:
        return cls(int(match["flag_id"]))

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if not await is_moderator(interaction):
            await reply(interaction, "Only moderators (Manage Messages or the moderator role) can resolve this.")
            return False
        return True

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: RagcordBot = interaction.client  # type: ignore[assignment]
        scope = scope_for(bot, interaction.guild_id)
        if not await bot.assistant.store.resolve_flag(scope, self.flag_id, str(interaction.user.id)):
            await reply(interaction, f"Flag #{self.flag_id} is already resolved (or not from this server).")
            return
        content = interaction.message.content if interaction.message else ""
        done = f"{content}\n✅ Resolved by <@{interaction.user.id}>."[-2000:]
        await interaction.response.edit_message(content=done, view=None, allowed_mentions=NONE)


def resolve_view(flag_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ResolveButton(flag_id))
    return view
