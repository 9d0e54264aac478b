"""Per-guild settings and what users said about themselves (PostgreSQL)."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import asyncpg

from bot.store.postgres.database import PgDatabase, affected
from bot.store.rows import FactChange, GuildSettings, now_iso

_INSERT_FACT = (
    'INSERT INTO user_facts (scope, "user", fact, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING'
)


class PgGuilds:
    forgets: tuple[str, ...] = ()  # settings hold no user

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def get(self, scope: str) -> GuildSettings:
        row = await self._db.fetchone("SELECT data FROM guild_settings WHERE scope = $1", (scope,))
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
                "INSERT INTO guild_settings (scope, data) VALUES ($1, $2)"
                " ON CONFLICT (scope) DO UPDATE SET data = excluded.data",
                scope, json.dumps(asdict(updated)),
            )
        return updated

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        return {}


class PgFacts:
    forgets: tuple[str, ...] = ("user_facts",)

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def list(self, scope: str, user: str) -> list[str]:
        rows = await self._db.fetchall(
            'SELECT fact FROM user_facts WHERE scope = $1 AND "user" = $2 ORDER BY id', (scope, user)
        )
        return [r["fact"] for r in rows]

    async def add(self, scope: str, user: str, fact: str) -> bool:
        async with self._db.transaction() as tx:
            status = await tx.execute(_INSERT_FACT, scope, user, fact, now_iso())
        return affected(status) > 0

    async def replace(self, scope: str, user: str, old: str, new: str) -> None:
        async with self._db.transaction() as tx:
            await self.apply_in(tx, scope, user, [FactChange(new, replaces=old)])

    @staticmethod
    async def apply_in(tx: asyncpg.Connection, scope: str, user: str, changes: list[FactChange]) -> None:
        for change in changes:
            if change.replaces is not None:
                await tx.execute(
                    'DELETE FROM user_facts WHERE scope = $1 AND "user" = $2 AND fact = $3',
                    scope, user, change.replaces,
                )
            await tx.execute(_INSERT_FACT, scope, user, change.fact, now_iso())

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        status = await tx.execute('DELETE FROM user_facts WHERE "user" = $1 AND scope = $2', user, scope)
        return {"facts": affected(status)}
