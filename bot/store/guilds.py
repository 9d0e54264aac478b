"""Per-guild settings, one JSON document per scope."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import aiosqlite

from bot.store.database import Database
from bot.store.rows import GuildSettings


class SqliteGuilds:
    forgets: tuple[str, ...] = ()  # settings hold no user

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, scope: str) -> GuildSettings:
        row = await self._db.fetchone("SELECT data FROM guild_settings WHERE scope = ?", (scope,))
        return GuildSettings.from_json(row["data"]) if row else GuildSettings()

    async def set(self, scope: str, **changes: Any) -> GuildSettings:
        current = asdict(await self.get(scope))
        unknown = set(changes) - set(current)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        current.update(changes)
        updated = GuildSettings(**current)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_settings (scope, data) VALUES (?, ?)"
                " ON CONFLICT (scope) DO UPDATE SET data = excluded.data",
                (scope, json.dumps(asdict(updated))),
            )
        return updated

    async def forget_user(self, tx: aiosqlite.Connection, scope: str, user: str) -> dict[str, int]:
        return {}
