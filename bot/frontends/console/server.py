"""Serve the console with uvicorn over the bot's data dir (same database: no restart to see new answers)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.core.config import Settings


async def serve(settings: Settings, host: str | None = None, port: int | None = None,
                say: Callable[[str], None] = print) -> None:
    import uvicorn

    from bot.core.assistant import Assistant
    from bot.frontends.console.app import create_app
    from bot.frontends.console.auth import admin_token
    from bot.frontends.console.context import console_of_app
    from bot.frontends.console.review import warm_topics
    from bot.services.ingest_jobs import IngestWorker

    cfg = settings.console
    token, fresh = admin_token(settings.data_dir, cfg.token.get_secret_value() if cfg.token else None)
    if fresh:
        say(f"Console admin token (shown once; stored in {settings.data_dir / 'console_token'}): {token}")
    assistant = await Assistant.create(settings)
    try:
        app = create_app(assistant, token)
        where = f"http://{host or cfg.host}:{port or cfg.port}/"
        say(f"ragcord console on {where} (log in with the admin token or with Discord)")
        server = uvicorn.Server(uvicorn.Config(app, host=host or cfg.host, port=port or cfg.port, log_level="warning"))
        warming = asyncio.create_task(warm_topics(console_of_app(app)))  # stored vectors, grouped topics
        warming.add_done_callback(_report)
        ingesting = IngestWorker(assistant)
        ingesting.start()  # queued ingest jobs, from any process
        try:
            await server.serve()
        finally:
            warming.cancel()
            await ingesting.stop()
    finally:
        await assistant.aclose()


def _report(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger(__name__).warning("warming the unanswered topics failed: %s", task.exception())
