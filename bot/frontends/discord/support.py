"""Customer service: escalation to staff, `/memory` and `/summarize`.

Escalation (the "Ask a human" button, or a frustrated member flagged by the core) opens a
private thread in the channel with the member, a short summary of the conversation, the
sources the bot tried, the moderator role as text (never a ping) and a "Resolve" button.
Where a thread is not possible (DMs, no permission) it posts the same to the moderators'
channel. A quiet auto-answer (confidence below the threshold) is posted to the moderators'
channel too, so staff can answer in the bot's place.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, NotAllowed, one_line, reply, scope_for
from bot.frontends.discord.views import resolve_view
from bot.core.types import Answer

if TYPE_CHECKING:
    from bot.frontends.discord.client import RagcordBot
    from bot.store import AnswerRow

log = logging.getLogger("ragcord.discord")
SUMMARY_TURNS = 12  # recent messages of a conversation summarised for staff
HISTORY_DEFAULT, HISTORY_MAX = 50, 200


def _quote(text: str, n: int = 300) -> str:
    text = " ".join(text.split())
    return "> " + render.neutralize(text if len(text) <= n else text[: n - 1] + "…")


def _sources(citations: list[dict[str, Any]]) -> str:
    lines = [render.source_line(c) for c in citations[:5]]
    return "\n".join(lines) if lines else "none"


class Support(commands.Cog):
    def __init__(self, bot: RagcordBot) -> None:
        self.bot = bot

    # --- escalation ----------------------------------------------------------------------------
    async def ask_human(self, interaction: discord.Interaction[Any], scope: str, row: AnswerRow) -> None:
        """The "Ask a human" button: flag the answer, then open a staff thread (or post to mods)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = interaction.message
        flag_id = await self.bot.assistant.store.add_flag(
            "reported", scope, user=str(interaction.user.id), answer_id=row.id,
            message_id=str(message.id) if message else None,
            channel=str(interaction.channel_id) if interaction.channel_id else None,
            note="asked for a human",
        )
        where = await self.escalate(
            scope=scope, channel=interaction.channel, member=interaction.user, flag_id=flag_id,
            reason="asked for a human", row=row, jump=message.jump_url if message else None,
        )
        if where is None:
            tail = " A moderator will see it in /flags."
        elif where.startswith("thread:"):
            tail = f" I've opened a private thread with staff: <#{where[7:]}>. A moderator has been notified."
        else:
            tail = " A moderator has been notified."
        await reply(interaction, f"Got it — I've asked for a human to look at this.{tail}")

    async def escalated(self, answer: Answer, channel: Any, member: discord.abc.User, jump: str | None) -> str | None:
        """The core flagged a frustrated member with this answer: hand the conversation to staff."""
        if answer.answer_id is None:
            return None
        store = self.bot.assistant.store
        row = await store.get_answer(answer.answer_id)
        if row is None:
            return None
        flag_id = await self.flag_for(row.scope, answer.answer_id, "frustrated")
        if flag_id is None:
            return None
        return await self.escalate(scope=row.scope, channel=channel, member=member, flag_id=flag_id,
                                   reason="seems frustrated", row=row, jump=jump)

    async def flag_for(self, scope: str, answer_id: int, kind: str) -> int | None:
        # the core raises the flag but does not return its id (see the report): look it up
        for f in await self.bot.assistant.store.list_flags(scope, status="open", limit=50):
            if f.answer_id == answer_id and f.kind == kind:
                return f.id
        return None

    async def escalate(
        self, *, scope: str, channel: Any, member: discord.abc.User, flag_id: int, reason: str,
        row: AnswerRow, jump: str | None,
    ) -> str | None:
        """Open a private thread ("thread:<id>") or post to the moderators' channel ("mods"); None if neither."""
        guild = getattr(channel, "guild", None)
        gs = await self.bot.guild_settings(scope) if guild is not None else None
        name = render.neutralize(member.display_name)
        body = await self._brief(scope, row, gs, member, flag_id, reason, jump)
        mods = guild.get_channel(int(gs.mod_channel)) if guild is not None and gs and gs.mod_channel else None
        parent = channel.parent if isinstance(channel, discord.Thread) else channel
        if isinstance(parent, discord.TextChannel):
            try:
                thread = await parent.create_thread(
                    name=f"Help for {member.display_name} · flag #{flag_id}"[:100],
                    type=discord.ChannelType.private_thread, invitable=True, auto_archive_duration=1440,
                    reason=f"ragcord escalation, flag #{flag_id}",
                )
                await thread.add_user(member)
                await thread.send(body, view=resolve_view(flag_id), allowed_mentions=NONE)
            except discord.HTTPException as exc:
                log.warning("could not open a staff thread in %s: %s", parent.id, one_line(exc))
            else:
                if isinstance(mods, discord.abc.Messageable):
                    note = (f"🙋 **{name}** {reason} (flag #{flag_id}, answer #{row.id}) → {thread.mention}\n"
                            f"{_quote(row.question)}\n{jump or ''}")
                    try:
                        await mods.send(note.strip(), allowed_mentions=NONE)
                    except discord.HTTPException:
                        log.warning("could not post to the moderators' channel %s", gs and gs.mod_channel)
                return f"thread:{thread.id}"
        if isinstance(mods, discord.abc.Messageable):
            try:
                await mods.send(body, view=resolve_view(flag_id), allowed_mentions=NONE)
                return "mods"
            except discord.HTTPException:
                log.warning("could not post to the moderators' channel %s", gs and gs.mod_channel)
        return None

    async def _brief(
        self, scope: str, row: AnswerRow, gs: Any, member: discord.abc.User, flag_id: int, reason: str,
        jump: str | None,
    ) -> str:
        """What staff read first: who, why, a summary of the conversation and the sources tried."""
        turns = await self._conversation(scope, row)
        summary = await self.bot.assistant.summarize([t for t in turns if t.strip()], max_sentences=3) if turns else ""
        role = (gs.mod_role if gs else None) or self.bot.settings.moderator_role
        staff = (f"<@&{role}>" if role.isdigit() else f"@{render.neutralize(role)}") if role else "moderators"
        sources = _sources(row.citations or row.closest)
        text = (
            f"🙋 {staff}: <@{member.id}> {reason} · flag #{flag_id} · answer #{row.id} "
            f"(confidence {row.confidence:.2f})\n"
            f"**Question**\n{_quote(row.question)}\n"
            f"**Summary of the conversation**\n{_quote(summary or row.question, 700)}\n"
            f"**Sources tried**\n{sources}\n"
            + (f"Original: {jump}\n" if jump else "")
            + "A moderator can press **Resolve** here when it's handled."
        )
        return text[:2000]

    async def _conversation(self, scope: str, row: AnswerRow) -> list[str]:
        """The recent messages of the conversation the answer belongs to (oldest first)."""
        store = self.bot.assistant.store
        since = (datetime.fromisoformat(row.created_at) - timedelta(days=1)).isoformat(timespec="seconds")
        logs = await store.logs(scope, user=row.user, channel=row.channel, since=since, limit=1000)
        conversation = next((r.conversation for r in logs if r.answer_id == row.id and r.conversation), None)
        if conversation is None:
            return [row.question, row.text]
        return [t.content for t in await store.recent_turns(conversation, SUMMARY_TURNS)]

    async def stayed_quiet(self, message: discord.Message, answer: Answer) -> None:
        """An auto-answer channel question the bot was not confident about: tell the moderators."""
        if message.guild is None or answer.answer_id is None:
            return
        scope = scope_for(self.bot, message.guild.id)
        gs = await self.bot.guild_settings(scope)
        flag_id = await self.flag_for(scope, answer.answer_id, "low_confidence")
        mods = message.guild.get_channel(int(gs.mod_channel)) if gs.mod_channel else None
        if flag_id is None or not isinstance(mods, discord.abc.Messageable):
            return
        text = (
            f"🤫 I stayed quiet in <#{message.channel.id}>: confidence {answer.confidence:.2f} is below "
            f"the threshold (flag #{flag_id}, answer #{answer.answer_id}).\n"
            f"{_quote(answer.question)}\nClosest sources:\n{_sources([c.record() for c in answer.closest])}\n"
            f"{message.jump_url}"
        )
        try:
            await mods.send(text[:2000], view=resolve_view(flag_id), allowed_mentions=NONE)
        except discord.HTTPException:
            log.warning("could not post to the moderators' channel %s", gs.mod_channel)

    # --- /memory ---------------------------------------------------------------------------------
    @app_commands.command(name="memory", description="What I remember about you here")
    async def memory(self, interaction: discord.Interaction[Any]) -> None:
        scope = scope_for(self.bot, interaction.guild_id)
        facts = await self.bot.assistant.store.facts(scope, str(interaction.user.id))
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


async def setup(bot: RagcordBot) -> None:
    await bot.add_cog(Support(bot))
