"""Log retention: every few hours, delete logs older than `retention_days` (0 = keep forever)."""
from __future__ import annotations

import asyncio

from discord.ext import commands, tasks

from bot.frontends.discord.common import log
from bot.frontends.discord.host import Host, host
from bot.services.ops import prune

PRUNE_EVERY_HOURS = 6.0


class Retention(commands.Cog):
    def __init__(self, bot: Host) -> None:
        self.bot = bot
        self.last: dict[str, int] = {}

    async def cog_load(self) -> None:
        if self.bot.settings.retention.days > 0:
            self.prune_loop.start()

    async def cog_unload(self) -> None:
        self.prune_loop.cancel()

    async def prune_now(self) -> dict[str, int]:
        """Delete what is older than the retention period (SQLite work runs in a thread)."""
        settings = self.bot.settings
        self.last = await asyncio.to_thread(prune, settings.db_path, settings.retention.days)
        if any(self.last.values()):
            log.info("retention: deleted %s", ", ".join(f"{n} {t}" for t, n in self.last.items() if n))
        return self.last

    @tasks.loop(hours=PRUNE_EVERY_HOURS)
    async def prune_loop(self) -> None:
        try:
            await self.prune_now()
        except Exception:  # noqa: BLE001 - a failed run is retried on the next tick
            log.exception("retention pruning failed")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Retention(host(bot)))
