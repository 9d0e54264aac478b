"""Buttons under every answer (Sources, 👍, 👎, Ask a human) and a pager.

Each button is a `DynamicItem` whose custom_id carries the answer id (`rc:<action>:<id>`), so
the buttons keep working after a restart: the Ask extension registers the item class once
(`add_dynamic_items`) and rebuilds the button from the id on every click.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.frontends.discord import escalate, render
from bot.frontends.discord.common import NONE, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.services.escalation import ASKED, Case, StaffThread
from bot.services.feedback import AnswerId, Origin, Vote

if TYPE_CHECKING:
    from bot.store import AnswerRow


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
        bot = host(interaction.client)
        answer_id = AnswerId(self.answer_id)
        scope = scope_for(bot, interaction.guild_id)
        # re-check on every click: the answer must exist and belong to this server's knowledge base
        row = await bot.feedback.answer(answer_id, scope)
        if row is None:
            await reply(interaction, "That answer is no longer available.")
            return
        message = interaction.message
        origin = Origin(scope, str(interaction.user.id), message_id=str(message.id) if message else None,
                        channel=str(interaction.channel_id) if interaction.channel_id else None)
        if self.action == "src":
            cached = bot.recent_answers.get(self.answer_id)
            citations: Any = cached.citations if cached is not None else row.citations
            if row.refused:
                citations = cached.closest if cached is not None else row.closest
            embed = discord.Embed(
                title=f"Sources for answer #{self.answer_id}",
                description=render.passages_text(citations),
                colour=discord.Colour.blurple(),
            )
            await reply(interaction, embed=embed)
        elif self.action == "up":
            await bot.feedback.vote(answer_id, Vote.UP, origin)
            await reply(interaction, "Thanks for the feedback!")
        elif self.action == "down":
            await bot.feedback.vote(answer_id, Vote.DOWN, origin)
            await reply(interaction, "Thanks — I've noted that this answer wasn't helpful.")
        elif self.action == "alt":
            embed = discord.Embed(
                title=f"Candidate answers for #{self.answer_id}",
                description=render.candidates_text(row.candidates),
                colour=discord.Colour.blurple(),
            )
            await reply(interaction, embed=embed)
        else:
            await self._ask_human(bot, interaction, origin, row)

    async def _ask_human(
        self, bot: Host, interaction: discord.Interaction[Any], origin: Origin, row: AnswerRow
    ) -> None:
        """Flag the answer, then open a staff thread (or post to the moderators' channel)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        flag_id = await bot.feedback.report(AnswerId(row.id), origin)
        message = interaction.message
        case = Case(origin.scope, flag_id, ASKED, row, origin.user, interaction.user.display_name,
                    message.jump_url if message else None)
        where = await escalate.open_case(bot, case, interaction.channel, interaction.user)
        if where is None:
            tail = " A moderator will see it in /flags."
        elif isinstance(where, StaffThread):
            tail = f" I've opened a private thread with staff: <#{where.thread_id}>. A moderator has been notified."
        else:
            tail = " A moderator has been notified."
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
