"""Escalation, the Discord part: open a private staff thread or post to the moderators' channel.

`bot.services.escalation` decides what goes where and gathers the brief; this module formats it
(mention syntax lives here) and makes the Discord calls. Also the "Resolve" button under a brief.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.core import i18n
from bot.core.types import Answer
from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, is_moderator, one_line, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.services.escalation import Brief, Case, EscalationTarget, ModChannel, StaffThread, route
from bot.services.feedback import FlagId

log = logging.getLogger("ragcord.discord")


def quote(text: str, n: int = 300) -> str:
    text = " ".join(text.split())
    return "> " + render.neutralize(text if len(text) <= n else text[: n - 1] + "…")


def sources(citations: list[dict[str, Any]]) -> str:
    lines = [render.source_line(c) for c in citations[:5]]
    return "\n".join(lines) if lines else "none"


def brief_text(brief: Brief) -> str:
    """What staff read first: who, why, a summary of the conversation and the sources tried."""
    case, row, role = brief.case, brief.case.row, brief.staff_role
    staff = (f"<@&{role}>" if role.isdigit() else f"@{render.neutralize(role)}") if role else "moderators"
    text = (
        f"🙋 {staff}: <@{case.member_id}> {case.reason} · flag #{case.flag_id} · answer #{row.id} "
        f"(confidence {row.confidence:.2f})\n"
        f"**Question**\n{quote(row.question)}\n"
        f"**Summary of the conversation**\n{quote(brief.summary, 700)}\n"
        f"**Sources tried**\n{sources(list(brief.sources))}\n"
        + (f"Original: {case.jump}\n" if case.jump else "")
        + "A moderator can press **Resolve** here when it's handled."
    )
    return text[:2000]


def where_text(target: EscalationTarget | None, language: str = i18n.DEFAULT) -> str:
    """A sentence for the member about where their case went (what staff read stays English)."""
    if isinstance(target, StaffThread):
        return i18n.message("where_thread", language).format(thread=target.thread_id)
    return i18n.message("where_notified", language)


async def open_case(bot: Host, case: Case, channel: Any, member: discord.abc.User) -> EscalationTarget | None:
    """Open a private thread with the member, else post to the moderators' channel; None if neither."""
    guild = getattr(channel, "guild", None)
    gs = await bot.guild_settings(case.scope) if guild is not None else None
    body = brief_text(await bot.escalation.brief(case, gs.mod_role if gs else None))
    parent = channel.parent if isinstance(channel, discord.Thread) else channel
    plan = route(isinstance(parent, discord.TextChannel), gs.mod_channel if gs else None)
    mods = guild.get_channel(int(plan.mod_channel)) if guild is not None and plan.mod_channel else None
    if plan.thread:
        try:
            thread = await parent.create_thread(
                name=f"Help for {member.display_name} · flag #{case.flag_id}"[:100],
                type=discord.ChannelType.private_thread, invitable=True, auto_archive_duration=1440,
                reason=f"ragcord escalation, flag #{case.flag_id}",
            )
            await thread.add_user(member)
            await thread.send(body, view=resolve_view(case.flag_id), allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not open a staff thread in %s: %s", parent.id, one_line(exc))
        else:
            if isinstance(mods, discord.abc.Messageable):
                note = (f"🙋 **{render.neutralize(case.member_name)}** {case.reason} (flag #{case.flag_id}, "
                        f"answer #{case.row.id}) → {thread.mention}\n{quote(case.row.question)}\n{case.jump or ''}")
                try:
                    await mods.send(note.strip(), allowed_mentions=NONE)
                except discord.HTTPException:
                    log.warning("could not post to the moderators' channel %s", plan.mod_channel)
            return StaffThread(str(thread.id))
    if isinstance(mods, discord.abc.Messageable) and plan.mod_channel:
        try:
            await mods.send(body, view=resolve_view(case.flag_id), allowed_mentions=NONE)
            return ModChannel(plan.mod_channel)
        except discord.HTTPException:
            log.warning("could not post to the moderators' channel %s", plan.mod_channel)
    return None


async def stayed_quiet(bot: Host, message: discord.Message, answer: Answer) -> None:
    """An auto-answer channel question the bot was not confident about: tell the moderators."""
    if message.guild is None or answer.answer_id is None:
        return
    scope = scope_for(bot, message.guild.id)
    gs = await bot.guild_settings(scope)
    flag_id = answer.flag_ids.get("low_confidence")
    mods = message.guild.get_channel(int(gs.mod_channel)) if gs.mod_channel else None
    if flag_id is None or not isinstance(mods, discord.abc.Messageable):
        return
    text = (
        f"🤫 I stayed quiet in <#{message.channel.id}>: confidence {answer.confidence:.2f} is below "
        f"the threshold (flag #{flag_id}, answer #{answer.answer_id}).\n"
        f"{quote(answer.question)}\nClosest sources:\n{sources([c.record() for c in answer.closest])}\n"
        f"{message.jump_url}"
    )
    try:
        await mods.send(text[:2000], view=resolve_view(flag_id), allowed_mentions=NONE)
    except discord.HTTPException:
        log.warning("could not post to the moderators' channel %s", gs.mod_channel)


class ResolveButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"rc:resolve:(?P<flag_id>\d+)"
):
    """"Resolve" on an escalation (staff thread or moderators' channel): moderators close the flag."""

    def __init__(self, flag_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Resolve", emoji="✅", style=discord.ButtonStyle.success, custom_id=f"rc:resolve:{flag_id}"
        ))
        self.flag_id = FlagId(flag_id)

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
        bot = host(interaction.client)
        scope = scope_for(bot, interaction.guild_id)
        if not await bot.feedback.resolve(self.flag_id, scope, str(interaction.user.id)):
            await reply(interaction, f"Flag #{self.flag_id} is already resolved (or not from this server).")
            return
        content = interaction.message.content if interaction.message else ""
        done = f"{content}\n✅ Resolved by <@{interaction.user.id}>."[-2000:]
        await interaction.response.edit_message(content=done, view=None, allowed_mentions=NONE)


def resolve_view(flag_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ResolveButton(flag_id))
    return view
