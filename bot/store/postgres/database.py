"""One PostgreSQL database (asyncpg pool): transactions, reads, numbered migrations.

Several bot processes may share it: migrations run under an advisory lock, each in one transaction,
and are recorded in `schema_migrations` under the component name, as in SQLite.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.store.database import COMPONENT
from bot.store.postgres.migrations import MIGRATIONS
from bot.store.rows import now_iso

MIGRATION_LOCK = 0x72616763  # pg_advisory_xact_lock key taken while migrating ("ragc")


def affected(status: str) -> int:
    """Rows an INSERT/UPDATE/DELETE touched, from asyncpg's command tag ("DELETE 3", "INSERT 0 1")."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgDatabase:
    """A connection pool; writes go through `transaction()` (one pooled connection each)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PgDatabase:
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            where = urlsplit(url)
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ConnectionError(
                f"cannot open the PostgreSQL database {where.hostname}:{where.port or 5432}{where.path}: {first}"
            ) from exc
        db = cls(pool)
        try:
            await db.migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self._pool.close()

    @property
    def connection(self) -> asyncpg.Pool:
        """For reads only (the pool answers `fetch`/`fetchrow`); writes go through `transaction()`."""
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def fetchall(self, sql: str, args: Iterable[Any] = ()) -> list[asyncpg.Record]:
        return list(await self._pool.fetch(sql, *args))

    async def fetchone(self, sql: str, args: Iterable[Any] = ()) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._pool.fetchrow(sql, *args)
        return row

    async def migrate(self) -> None:
        async with self.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, "
                "PRIMARY KEY (component, version))"
            )
            current = int(await tx.fetchval(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = $1", COMPONENT
            ))
            for version, script in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                await tx.execute(script)
                await tx.execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2, $3)", COMPONENT, version, now_iso()
                )
