"""Buttons under every answer (Sources, 👍, 👎, Ask a human) and a pager.

Each button is a `DynamicItem` whose custom_id carries the answer id (`rc:<action>:<id>`), so
the buttons keep working after a restart: the Ask extension registers the item class once
(`add_dynamic_items`) and rebuilds the button from the id on every click. Labels and replies are
in the question's language: the view is built per answer; a click reads the stored question.
The pager serves moderators' commands and stays English.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core import i18n
from bot.frontends.discord import escalate, render
from bot.frontends.discord.common import NONE, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.services.escalation import ASKED, Case, EscalationTarget, StaffThread
from bot.services.feedback import AnswerId, Origin, Vote
from retrieval.textlang import detect

if TYPE_CHECKING:
    from bot.store import AnswerRow


log = logging.getLogger("ragcord.discord")

# action -> (catalogue key of the label, emoji, style); 👍 and 👎 have no label
_BUTTONS: dict[str, tuple[str | None, str | None, discord.ButtonStyle]] = {
    "src": ("button_sources", "📚", discord.ButtonStyle.secondary),
    "up": (None, "👍", discord.ButtonStyle.secondary),
    "down": (None, "👎", discord.ButtonStyle.secondary),
    "human": ("button_ask_human", "🙋", discord.ButtonStyle.primary),
    "alt": ("button_other_answers", "🔀", discord.ButtonStyle.secondary),  # only when there were several
}


def locale_language(locale: object) -> str:
    """`zh-CN` → `zh`: the clicker's Discord language, for a reply with no question to go by."""
    return str(locale or i18n.DEFAULT).split("-")[0].lower()


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"rc:(?P<action>src|up|down|human|alt):(?P<answer_id>\d+)",
):
    def __init__(self, action: str, answer_id: int, language: str = i18n.DEFAULT) -> None:
        key, emoji, style = _BUTTONS[action]
        label = i18n.message(key, language) if key else None
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
            await reply(interaction, i18n.message("answer_gone", locale_language(interaction.locale)))
            return
        lang = detect(row.question)
        message = interaction.message
        origin = Origin(scope, str(interaction.user.id), message_id=str(message.id) if message else None,
                        channel=str(interaction.channel_id) if interaction.channel_id else None)
        if self.action == "src":
            cached = bot.recent_answers.get(self.answer_id)
            citations: Any = cached.citations if cached is not None else row.citations
            if row.refused:
                citations = cached.closest if cached is not None else row.closest
            embed = discord.Embed(
                title=i18n.message("sources_for", lang).format(id=self.answer_id),
                description=render.passages_text(citations, language=lang),
                colour=discord.Colour.blurple(),
            )
            await reply(interaction, embed=embed)
        elif self.action == "up":
            await bot.feedback.vote(answer_id, Vote.UP, origin)
            await reply(interaction, i18n.message("thanks_up", lang))
        elif self.action == "down":
            await bot.feedback.vote(answer_id, Vote.DOWN, origin)
            await reply(interaction, i18n.message("thanks_down", lang))
        elif self.action == "alt":
            embed = discord.Embed(
                title=i18n.message("candidates_for", lang).format(id=self.answer_id),
                description=render.candidates_text(row.candidates, language=lang),
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
        await reply(interaction, asked_text(where, detect(row.question)))


def asked_text(where: EscalationTarget | None, language: str = i18n.DEFAULT) -> str:
    """What the member reads after "Ask a human": where the request went."""
    if where is None:
        tail = i18n.message("human_in_flags", language)
    elif isinstance(where, StaffThread):
        tail = i18n.message("human_in_thread", language).format(thread=where.thread_id)
    else:
        tail = i18n.message("human_notified", language)
    return i18n.message("human_asked", language).format(tail=tail)


class AnswerView(discord.ui.View):
    """The row of buttons under an answer (no timeout: the buttons are rebuilt from their ids),
    labelled in `language` (the question's)."""

    def __init__(self, answer_id: int, others: bool = False, language: str = i18n.DEFAULT) -> None:
        super().__init__(timeout=None)
        for action in _BUTTONS:
            if action != "alt" or others:
                self.add_item(AnswerButton(action, answer_id, language))


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
