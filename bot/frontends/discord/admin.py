"""Server admins: `/ingest`, `/docs list|remove`, `/kb stats`, `/settings ...` (all ephemeral)."""
from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, admin_only, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.services.ingest_jobs import ingest_now
from bot.services.resync import ResyncService, describe

log = logging.getLogger("ragcord.discord")
PROGRESS_EVERY = 3.0  # seconds between progress edits of a long ingest
_AddRemove = Literal["add", "remove"]


def _safe_name(name: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip(" .")
    return name[:120] or "upload"


class Admin(commands.Cog):
    def __init__(self, bot: Host) -> None:
        self.bot = bot

    def upload_dir(self, guild_id: int) -> Path:
        # one stable folder per guild: re-uploading a file of the same name updates that document
        path = Path(self.bot.settings.data_dir) / "uploads" / str(guild_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # --- /ingest -------------------------------------------------------------------------------
    @app_commands.command(name="ingest", description="Add or update documents in this server's knowledge base")
    @app_commands.describe(
        file="a document (PDF, DOCX, Markdown, HTML, text)", file2="another document",
        file3="another document", url="an http(s) page to ingest",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @admin_only()
    async def ingest(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment | None = None,
        file2: discord.Attachment | None = None,
        file3: discord.Attachment | None = None,
        url: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        attachments = [a for a in (file, file2, file3) if a is not None]
        if url is not None and not re.match(r"^https?://\S+$", url.strip()):
            await reply(interaction, "The url must start with http:// or https://.")
            return
        if not attachments and not url:
            await reply(interaction, "Attach at least one file or give a `url`.")
            return
        limit = self.bot.settings.limits.max_file_bytes
        too_big = [a.filename for a in attachments if a.size > limit]
        if too_big:
            await reply(interaction, render.neutralize(
                f"Too large (limit {_mb(limit)}): {', '.join(_safe_name(n) for n in too_big)}"[:1900]))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        folder = self.upload_dir(interaction.guild.id)
        sources: list[str] = []
        for att in attachments:
            path = folder / _safe_name(att.filename)
            try:
                await att.save(path)
            except (discord.HTTPException, OSError) as exc:
                await reply(interaction, f"Could not download {att.filename}: {exc}")
                return
            sources.append(str(path))
        if url:
            sources.append(url.strip())

        progress = _Progress(interaction, len(sources))
        ticker = asyncio.create_task(progress.run())
        try:
            report = await ingest_now(self.bot.assistant, scope_for(self.bot, interaction.guild.id), sources,
                                      str(interaction.user.id), progress=progress.update)
        finally:
            ticker.cancel()
        data = report.as_dict() if hasattr(report, "as_dict") else dict(report)
        await progress.finish(render.ingest_summary(data))

    # --- /docs -----------------------------------------------------------------------------------
    docs = app_commands.Group(
        name="docs", description="The documents in this server's knowledge base", guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @docs.command(name="list", description="List the documents")
    @admin_only()
    async def docs_list(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild is not None
        scope = scope_for(self.bot, interaction.guild.id)
        docs = await self.bot.assistant.list_documents(scope)
        if not docs:
            await reply(interaction, "No documents yet — add some with `/ingest`.")
            return
        synced = await ResyncService(self.bot.assistant).states(scope)  # URL documents: last sync, last error
        lines = [
            f"`#{d.id}` **{render.neutralize(d.title or Path(d.source).name)}** — {d.chunk_count} chunks"
            + (f" — {render.neutralize(describe(synced[d.source], time.time()))}" if d.source in synced else "")
            for d in docs
        ]
        embed = discord.Embed(title=f"{len(docs)} document(s)", colour=discord.Colour.blurple())
        embed.description = _fit(lines, render.EMBED_LIMIT)
        await reply(interaction, embed=embed)

    @docs.command(name="remove", description="Remove a document (by id or title)")
    @app_commands.describe(document="the document's id (see /docs list) or title")
    @admin_only()
    async def docs_remove(self, interaction: discord.Interaction[Any], document: str) -> None:
        assert interaction.guild is not None
        ref: int | str = int(document.lstrip("#")) if document.lstrip("#").isdigit() else document
        removed = await self.bot.assistant.remove_document(scope_for(self.bot, interaction.guild.id), ref)
        if removed is None:
            await reply(interaction, f"No document matches `{render.neutralize(document)}`.")
            return
        await reply(interaction, f"Removed **{render.neutralize(removed.title)}** ({removed.chunk_count} chunks).")

    @docs_remove.autocomplete("document")
    async def _docs_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        docs = await self.bot.assistant.list_documents(scope_for(self.bot, interaction.guild.id))
        cur = current.casefold()
        return [
            app_commands.Choice(name=f"#{d.id} {d.title}"[:100], value=str(d.id))
            for d in docs if cur in d.title.casefold() or cur in str(d.id)
        ][:25]

    # --- /kb -------------------------------------------------------------------------------------
    kb = app_commands.Group(
        name="kb", description="Knowledge base", guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @kb.command(name="stats", description="Size of this server's knowledge base")
    @admin_only()
    async def kb_stats(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild is not None
        stats = await self.bot.assistant.kb_stats(scope_for(self.bot, interaction.guild.id))
        embed = discord.Embed(title="Knowledge base", colour=discord.Colour.blurple())
        for key, value in list(stats.items())[:25]:
            embed.add_field(name=key.replace("_", " "), value=str(value)[:1024] or "—")
        await reply(interaction, embed=embed)

    # --- /settings -------------------------------------------------------------------------------
    settings = app_commands.Group(
        name="settings", description="How the assistant behaves in this server", guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    async def _set(self, interaction: discord.Interaction[Any], **changes: Any) -> None:
        assert interaction.guild is not None
        scope = scope_for(self.bot, interaction.guild.id)
        await self.bot.assistant.store.guilds.set(scope, **changes)
        self.bot.invalidate_guild_settings(scope)
        await self._show(interaction, "Saved.")

    async def _show(self, interaction: discord.Interaction[Any], header: str = "") -> None:
        assert interaction.guild is not None
        gs = await self.bot.guild_settings(scope_for(self.bot, interaction.guild.id), fresh=True)
        threshold = f"{gs.threshold:.2f}" if gs.threshold is not None else f"{self.bot.settings.answering.threshold:.2f} (default)"
        channels = ", ".join(f"<#{c}>" for c in gs.auto_channels) or "none"
        lines = [
            f"Confidence threshold: **{threshold}**",
            f"Auto-answer channels: {channels}",
            f"Auto-answer below the threshold: {'stay quiet and flag' if gs.auto_quiet else 'say “I don’t know”'}",
            f"Moderators' channel: {f'<#{gs.mod_channel}>' if gs.mod_channel else 'none'}",
            f"Moderator role: {f'<@&{gs.mod_role}>' if gs.mod_role else 'none'}",
        ]
        await reply(interaction, (header + "\n" if header else "") + "\n".join(lines))

    @settings.command(name="show", description="Show this server's settings")
    @admin_only()
    async def settings_show(self, interaction: discord.Interaction[Any]) -> None:
        await self._show(interaction)

    @settings.command(name="threshold", description="Confidence below which the bot says it doesn't know")
    @app_commands.describe(value="0.0–1.0; leave empty to use the default")
    @admin_only()
    async def settings_threshold(
        self, interaction: discord.Interaction[Any], value: app_commands.Range[float, 0.0, 1.0] | None = None
    ) -> None:
        await self._set(interaction, threshold=value)

    @settings.command(name="auto-channel", description="Answer every question in a channel (or stop)")
    @app_commands.describe(action="add or remove", channel="the channel")
    @admin_only()
    async def settings_auto_channel(
        self, interaction: discord.Interaction[Any], action: _AddRemove, channel: discord.TextChannel
    ) -> None:
        assert interaction.guild is not None
        gs = await self.bot.guild_settings(scope_for(self.bot, interaction.guild.id), fresh=True)
        chans = [c for c in gs.auto_channels if c != str(channel.id)]
        if action == "add":
            chans.append(str(channel.id))
        await self._set(interaction, auto_channels=chans)

    @settings.command(name="auto-quiet", description="In auto-answer channels, stay quiet when unsure (default on)")
    @app_commands.describe(mode="on: stay quiet and flag for staff below the threshold; off: say “I don't know”")
    @admin_only()
    async def settings_auto_quiet(self, interaction: discord.Interaction[Any], mode: Literal["on", "off"]) -> None:
        await self._set(interaction, auto_quiet=mode == "on")

    @settings.command(name="mod-channel", description="Where “Ask a human” requests are posted")
    @app_commands.describe(channel="leave empty to turn off")
    @admin_only()
    async def settings_mod_channel(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        await self._set(interaction, mod_channel=str(channel.id) if channel else None)

    @settings.command(name="mod-role", description="Role allowed to use /logs, /flags and /export")
    @app_commands.describe(role="leave empty to rely on Manage Messages only")
    @admin_only()
    async def settings_mod_role(self, interaction: discord.Interaction[Any], role: discord.Role | None = None) -> None:
        await self._set(interaction, mod_role=str(role.id) if role else None)


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n // 1024} KB"


def _fit(lines: list[str], limit: int) -> str:
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > limit - 40:
            out.append(f"… and {len(lines) - i} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


class _Progress:
    """Shows "Ingesting… embedding 30/100" on the deferred response while a long ingest runs.

    `update(stage, done, total)` is called from the ingest worker thread, so it only stores numbers; an asyncio
    task edits the message at most every PROGRESS_EVERY seconds.
    """

    def __init__(self, interaction: discord.Interaction[Any], total: int) -> None:
        self.interaction = interaction
        self.total = total
        self.state: tuple[str, int, int] | None = None
        self.shown: tuple[str, int, int] | None = None
        self.started = time.monotonic()

    def update(self, name: str, done: int, total: int) -> None:
        self.state = (name, done, total)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            state = self.state
            if state is None or state == self.shown:
                continue
            self.shown = state
            stage, done, total = state
            try:
                await self.interaction.edit_original_response(
                    content=f"Ingesting… {render.neutralize(str(stage))} {done}/{total}",
                    allowed_mentions=NONE,
                )
            except discord.HTTPException:
                log.debug("progress edit failed", exc_info=True)

    async def finish(self, text: str) -> None:
        took = time.monotonic() - self.started
        await self.interaction.edit_original_response(
            content=f"{text}\n-# took {took:.1f} s", allowed_mentions=NONE
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Admin(host(bot)))
