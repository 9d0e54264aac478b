"""Moderators: `/logs` (paginated), `/flags list|resolve`, `/export` (JSONL or CSV). All ephemeral."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, NotAllowed, moderator_only, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.frontends.discord.views import Pager

PAGE = 8
EXPORT_MAX_ROWS = 100_000
_REL = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str | None, now: datetime | None = None) -> str | None:
    """'30m', '2h', '7d', '2w' (ago) or an ISO date/datetime → the store's ISO-8601 UTC format."""
    if value is None or not value.strip():
        return None
    now = now or datetime.now(timezone.utc)
    m = _REL.match(value)
    if m:
        when = now - timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
    else:
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise NotAllowed(f"Can't read the time {value!r}: use 30m, 2h, 7d or a date like 2024-05-01.") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _short(text: str, n: int = 180) -> str:
    text = " ".join(text.split())
    return render.neutralize(text if len(text) <= n else text[: n - 1] + "…")


class Moderation(commands.Cog):
    def __init__(self, bot: Host) -> None:
        self.bot = bot

    # --- /logs ---------------------------------------------------------------------------------------
    @app_commands.command(name="logs", description="Questions and answers, filtered")
    @app_commands.describe(user="only this member", channel="only this channel",
                           since="from (30m, 2h, 7d or a date)", until="until (same formats)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @moderator_only()
    async def logs(
        self,
        interaction: discord.Interaction[Any],
        user: discord.User | None = None,
        channel: discord.TextChannel | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        scope = scope_for(self.bot, interaction.guild.id)
        filters = dict(user=str(user.id) if user else None, channel=str(channel.id) if channel else None,
                       since=parse_when(since), until=parse_when(until))
        store = self.bot.assistant.store

        async def fetch(page: int) -> tuple[discord.Embed, bool]:
            rows = await store.conversations.logs(scope, limit=PAGE + 1, offset=page * PAGE, **filters)
            embed = discord.Embed(title=f"Logs — page {page + 1}", colour=discord.Colour.dark_grey())
            if not rows:
                embed.description = "Nothing matches." if page == 0 else "No more entries."
            for r in rows[:PAGE]:
                who = f"<@{r.user}>" if r.role == "user" else "assistant"
                conf = f" · confidence {r.confidence:.2f}" if r.confidence is not None and r.role == "assistant" else ""
                aid = f" · answer #{r.answer_id}" if r.answer_id else ""
                embed.add_field(
                    name=f"{r.created_at[:16].replace('T', ' ')} · {'Q' if r.role == 'user' else 'A'}{aid}"[:256],
                    value=f"{who} in <#{r.channel}>{conf}\n> {_short(r.content)}"[:1024] if r.channel
                    else f"{who}{conf}\n> {_short(r.content)}"[:1024],
                    inline=False,
                )
            return embed, len(rows) > PAGE

        embed, has_next = await fetch(0)
        view = Pager(interaction.user.id, fetch, has_next)
        await reply(interaction, embed=embed, view=view)

    # --- /flags --------------------------------------------------------------------------------------
    flags = app_commands.Group(
        name="flags", description="Answers people flagged", guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    @flags.command(name="list", description="Open (or resolved) flags")
    @app_commands.describe(status="open (default), resolved or all")
    @moderator_only()
    async def flags_list(
        self, interaction: discord.Interaction[Any], status: Literal["open", "resolved", "all"] = "open"
    ) -> None:
        assert interaction.guild is not None
        scope = scope_for(self.bot, interaction.guild.id)
        store = self.bot.assistant.store
        wanted = None if status == "all" else status

        async def fetch(page: int) -> tuple[discord.Embed, bool]:
            rows = await store.answers.list_flags(scope, status=wanted, limit=PAGE + 1, offset=page * PAGE)
            embed = discord.Embed(title=f"Flags ({status}) — page {page + 1}", colour=discord.Colour.orange())
            if not rows:
                embed.description = "No flags. 🎉" if page == 0 else "No more flags."
            for f in rows[:PAGE]:
                bits = [f.kind]
                if f.user:
                    bits.append(f"by <@{f.user}>")
                if f.channel:
                    bits.append(f"in <#{f.channel}>")
                if f.status != "open":
                    bits.append(f"resolved by <@{f.resolved_by}>" if f.resolved_by else f.status)
                value = " · ".join(bits)
                if f.answer_id:
                    row = await store.answers.get(f.answer_id)
                    if row is not None:
                        value += f"\nQ: {_short(row.question, 150)}\nA: {_short(row.text, 200)}"
                if f.note:
                    value += f"\nnote: {_short(f.note, 120)}"
                if f.channel and f.message_id:
                    value += f"\nhttps://discord.com/channels/{interaction.guild_id}/{f.channel}/{f.message_id}"
                embed.add_field(name=f"#{f.id} · {f.created_at[:16].replace('T', ' ')}"
                                + (f" · answer #{f.answer_id}" if f.answer_id else ""),
                                value=value[:1024], inline=False)
            return embed, len(rows) > PAGE

        embed, has_next = await fetch(0)
        await reply(interaction, embed=embed, view=Pager(interaction.user.id, fetch, has_next))

    @flags.command(name="resolve", description="Mark a flag as handled")
    @app_commands.describe(flag="the flag's number (see /flags list)")
    @moderator_only()
    async def flags_resolve(self, interaction: discord.Interaction[Any], flag: int) -> None:
        assert interaction.guild is not None
        ok = await self.bot.assistant.store.answers.resolve_flag(
            scope_for(self.bot, interaction.guild.id), flag, str(interaction.user.id)
        )
        await reply(interaction, f"Flag #{flag} resolved." if ok else f"No open flag #{flag} in this server.")

    # --- /export -------------------------------------------------------------------------------------
    @app_commands.command(name="export", description="Download questions and answers as a file")
    @app_commands.describe(since="from (30m, 2h, 7d or a date)", until="until (same formats)",
                           format="jsonl (default) or csv")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @moderator_only()
    async def export(
        self,
        interaction: discord.Interaction[Any],
        since: str | None = None,
        until: str | None = None,
        format: Literal["jsonl", "csv"] = "jsonl",
    ) -> None:
        assert interaction.guild is not None
        window = dict(since=parse_when(since), until=parse_when(until))
        await interaction.response.defer(ephemeral=True, thinking=True)
        scope = scope_for(self.bot, interaction.guild.id)
        rows: list[dict[str, Any]] = []
        while len(rows) < EXPORT_MAX_ROWS:
            batch = await self.bot.assistant.store.conversations.logs(scope, limit=500, offset=len(rows), **window)
            rows += [dataclasses.asdict(r) for r in batch]
            if len(batch) < 500:
                break
        if not rows:
            await reply(interaction, "Nothing was logged in that time range.")
            return
        buf = io.StringIO()
        if format == "csv":
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        else:
            for r in rows:
                buf.write(json.dumps(r, ensure_ascii=False) + "\n")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        file = discord.File(io.BytesIO(buf.getvalue().encode()), filename=f"ragcord-logs-{stamp}.{format}")
        more = " (truncated)" if len(rows) >= EXPORT_MAX_ROWS else ""
        await interaction.followup.send(f"{len(rows)} log entries{more}.", file=file, ephemeral=True,
                                        allowed_mentions=NONE)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Moderation(host(bot)))
