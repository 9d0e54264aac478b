"""The Discord client: intents, cogs, command sync, endpoints, invite link and `run_bot`.

Needs the privileged **Message Content** intent (Developer Portal → Bot → Privileged Gateway
Intents) to read questions that mention the bot; slash commands work without it.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.core.embedding import warm_up
from bot.core.safety import install_secret_filter, redact, secret_values
from bot.frontends.discord.common import NotAllowed, log, one_line, reply
from bot.frontends.discord.host import LRU, SlashAsker
from bot.services.escalation import Escalation
from bot.services.feedback import Feedback
from bot.services.ingest_jobs import IngestWorker
from bot.services.metrics import Metrics
from bot.services.metrics_server import MetricsServer, database_check
from bot.services.resync import ResyncService, ResyncTask
from bot.services.tutoring import tutor_for

if TYPE_CHECKING:
    from bot.core.assistant import Assistant
    from bot.core.config import Settings
    from bot.core.types import Answer
    from bot.store import GuildSettings

EXTENSIONS = (
    "bot.frontends.discord.ask", "bot.frontends.discord.admin", "bot.frontends.discord.moderation", "bot.frontends.discord.retention",
    "bot.frontends.discord.support", "bot.frontends.discord.tutor", "bot.frontends.discord.curated",
)
SETTINGS_TTL = 30.0  # seconds a guild's settings are cached between store reads

# Only what the bot uses: see channels, read history (reply chains, /summarize), send messages
# (also in threads), embed links (sources) and create private threads (escalations to staff;
# invitable, so adding the member needs no Manage Threads). Slash-command replies and /export
# files go through the interaction webhook, which needs no channel permission.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_private_threads=True,
    embed_links=True,
    read_message_history=True,
)


def intents() -> discord.Intents:
    i = discord.Intents.none()
    i.guilds = True
    i.guild_messages = True
    i.dm_messages = True
    i.message_content = True  # privileged: enable it in the Developer Portal
    return i


def invite_url(client_id: int | str) -> str:
    return discord.utils.oauth_url(
        client_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


_DEFAULT_BASE = Route.BASE
_DEFAULT_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY


def apply_endpoints(api_base: str | None, gateway: str | None) -> None:
    """Point discord.py at another API/gateway (a test server). These are class attributes:
    they change every client in the process — use `endpoints(...)` to restore them."""
    Route.BASE = api_base.rstrip("/") if api_base else _DEFAULT_BASE
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway) if gateway else _DEFAULT_GATEWAY


@contextmanager
def endpoints(api_base: str | None, gateway: str | None) -> Iterator[None]:
    old = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    apply_endpoints(api_base, gateway)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


class Tree(app_commands.CommandTree["RagcordBot"]):
    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        """Every failure becomes one short line for the user; the traceback goes to the log."""
        original = getattr(error, "original", error)
        if isinstance(original, NotAllowed) or isinstance(error, NotAllowed):
            text = str(original)
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use this command here."
        elif isinstance(error, app_commands.CommandOnCooldown):
            text = f"Slow down — try again in {error.retry_after:.0f} s."
        elif isinstance(error, app_commands.TransformerError):
            text = f"I couldn't understand {error.value!r}."
        else:
            cmd = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed", cmd, exc_info=original)
            text = redact(f"Sorry, that failed: {one_line(original)}", secret_values(interaction.client.settings))
        try:
            await reply(interaction, text)
        except discord.HTTPException:
            log.debug("could not report an error to the user", exc_info=True)


class RagcordBot(commands.Bot):
    def __init__(self, settings: Settings, assistant: Assistant, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands; mentions are questions
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=Tree,
            **options,
        )
        self.settings = settings
        self.assistant = assistant
        self.recent_answers: LRU[int, Answer] = LRU(2048)  # answer id -> Answer (passages for "Sources")
        self.asker: SlashAsker | None = None  # the Ask cog, once loaded: /explain answers through it
        store = assistant.store
        self.feedback = Feedback(store.answers)
        self.escalation = Escalation(store.answers, store.conversations, assistant.summarize,
                                     settings.discord.moderator_role)
        self.tutor = tutor_for(assistant)
        self._guild_settings: dict[str, tuple[float, GuildSettings]] = {}

    async def setup_hook(self) -> None:
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        guild_id = self.settings.discord.test_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d application commands%s", len(synced), f" to guild {guild_id}" if guild_id else "")

    async def on_message(self, message: discord.Message) -> None:
        """Questions are handled by the Ask cog; there are no prefix commands."""

    async def on_ready(self) -> None:
        if self.user is not None:
            shards = f" on shard(s) {getattr(self, 'shard_ids', None)} of {self.shard_count}" if self.shard_count else ""
            log.info("connected as %s (%s) to %d server(s)%s", self.user, self.user.id, len(self.guilds), shards)
            log.info("invite: %s", invite_url(self.application_id or self.user.id))

    async def guild_settings(self, scope: str, fresh: bool = False) -> GuildSettings:
        cached = self._guild_settings.get(scope)
        if not fresh and cached is not None and time.monotonic() - cached[0] < SETTINGS_TTL:
            return cached[1]
        gs = await self.assistant.store.guilds.get(scope)
        self._guild_settings[scope] = (time.monotonic(), gs)
        return gs

    def invalidate_guild_settings(self, scope: str) -> None:
        self._guild_settings.pop(scope, None)


class ShardedRagcordBot(RagcordBot, commands.AutoShardedBot):
    """The same bot on `discord.shard_count` shards, of which this process runs `discord.shard_ids`
    (all of them when unset): N processes split the shards and share one PostgreSQL."""


def build_bot(settings: Settings, assistant: Assistant, **options: Any) -> RagcordBot:
    """A plain client (one gateway connection), or an AutoShardedBot when `shard_count` is set."""
    d = settings.discord
    if d.shard_count is None:
        return RagcordBot(settings, assistant, **options)
    return ShardedRagcordBot(settings, assistant, shard_count=d.shard_count, shard_ids=d.shard_ids, **options)


def queue_depth(bot: commands.Bot) -> int:
    """Questions waiting in the Ask cog's fair queue (0 before it is loaded)."""
    queue = getattr(bot.get_cog("Ask"), "queue", None)
    return len(queue) if queue is not None else 0


async def serve_metrics(settings: Settings, assistant: Assistant, bot: commands.Bot) -> MetricsServer | None:
    """With `ops.metrics_port` set: this process's metrics observe the assistant, served over HTTP."""
    if not settings.ops.metrics_port:
        return None
    metrics = Metrics()
    metrics.watch_queue(lambda: queue_depth(bot))
    server = MetricsServer(metrics, {"database": database_check(assistant.store.db.fetchone)})
    try:
        await server.start(settings.ops.metrics_host, settings.ops.metrics_port)
    except OSError as exc:
        raise SystemExit(f"error: cannot serve metrics on port {settings.ops.metrics_port}: {one_line(exc)}") from None
    assistant.observer = metrics
    return server


async def run_bot(settings: Settings) -> None:
    """Run until stopped. Configuration and login problems end with one line, no traceback."""
    if settings.discord.token is None or not settings.discord.token.get_secret_value().strip():
        raise SystemExit(
            "error: no Discord bot token — set DISCORD_TOKEN (or RAGCORD_DISCORD_TOKEN, "
            "or token in the [discord] table of the config file)"
        )
    token = settings.discord.token.get_secret_value().strip()
    from bot.core.assistant import Assistant  # noqa: PLC0415

    install_secret_filter(settings)  # the token and API keys never reach a log line

    apply_endpoints(settings.discord.api_base, settings.discord.gateway)
    assistant = await Assistant.create(settings)
    try:
        async with build_bot(settings, assistant) as bot:
            served = await serve_metrics(settings, assistant, bot)
            resyncing = ResyncTask(ResyncService(assistant), settings.ops.resync_check_s)
            resyncing.start()  # due URL / sitemap re-syncs, in a worker thread
            ingesting = IngestWorker(assistant)
            ingesting.start()  # queued ingest jobs (`ragcord ingest --queue`, other processes' requests)
            warming = asyncio.ensure_future(asyncio.to_thread(warm_up, assistant.embedder))  # beside the login
            try:
                await bot.start(token)
            finally:
                warming.cancel()
                await ingesting.stop()
                await resyncing.stop()
                if served is not None:
                    await served.stop()
    except discord.LoginFailure:
        raise SystemExit("error: Discord rejected the token — check DISCORD_TOKEN (Developer Portal → Bot → Reset Token)") from None
    except discord.PrivilegedIntentsRequired:
        raise SystemExit(
            "error: enable the Message Content intent for this bot "
            "(Developer Portal → Bot → Privileged Gateway Intents)"
        ) from None
    except (OSError, asyncio.TimeoutError) as exc:
        raise SystemExit(f"error: could not reach Discord: {one_line(exc)}") from None
    finally:
        await assistant.aclose()
