"""The bot store for one CLI command that needs no assistant (no models, no indexes)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.config import Settings
from bot.store import Store


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[Store]:
    store = await Store.open(settings.db_path, settings.database_url)
    try:
        yield store
    finally:
        await store.close()
