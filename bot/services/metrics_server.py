"""A small aiohttp server beside the bot: `GET /metrics` (Prometheus text) and `GET /healthz`.

It runs on the bot's own event loop (no thread): start it with the bot, stop it with the bot.
`/healthz` answers 200 with the checks while every check passes, else 503.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.services.metrics import Metrics

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[str | None]]  # None = healthy, else one line saying what is wrong


class MetricsServer:
    def __init__(self, metrics: Metrics, checks: dict[str, Check] | None = None) -> None:
        self.metrics = metrics
        self.checks = dict(checks or {})
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0 = any free port); returns the bound port."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])  # the real port when 0 was asked for
        log.info("metrics on http://%s:%d/metrics", host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        scrape = self.metrics.render()
        return web.Response(body=scrape.body, headers={"Content-Type": scrape.content_type})

    async def _healthz(self, request: web.Request) -> web.Response:
        health = await run_checks(self.checks)
        return web.Response(text=json.dumps(health.as_dict()), status=health.status,
                            content_type="application/json")


@dataclass(frozen=True)
class Health:
    checks: dict[str, str]  # name -> "ok" or one line saying what is wrong

    @property
    def ok(self) -> bool:
        return all(v == "ok" for v in self.checks.values())

    @property
    def status(self) -> int:
        return 200 if self.ok else 503

    def as_dict(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "failing", "checks": dict(self.checks)}


async def run_checks(checks: dict[str, Check]) -> Health:
    return Health({name: (await _run(check)) or "ok" for name, check in checks.items()})


async def _run(check: Check) -> str | None:
    try:
        return await check()
    except Exception as exc:  # a failing check is a 503 with one line, never a traceback
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def database_check(fetchone: Callable[[str], Awaitable[object]]) -> Check:
    """Healthy while the database answers `SELECT 1`."""

    async def check() -> str | None:
        await fetchone("SELECT 1")
        return None

    return check
