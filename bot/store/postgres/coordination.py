"""Question claims and rate-limit hits shared by every bot process on one PostgreSQL database.

Claims: `INSERT ... ON CONFLICT DO NOTHING` on the Discord message id, so exactly one process answers
a question. Rate limits: each member's hits in the last 60 s, counted and added under a per-member
transaction advisory lock, so two processes cannot both let the sixth question through. Times come
from the server's clock, so machines with skewed clocks still agree.
"""
from __future__ import annotations

import asyncpg

from bot.store.postgres.database import PgDatabase, affected

WINDOW_S = 60.0
_NOW = "extract(epoch from clock_timestamp())::double precision"
_RATE_LOCK = "ragcord-rate:"  # advisory lock key prefix, hashed with the member id


class PgCoordination:
    forgets: tuple[str, ...] = ("question_claims", "rate_hits")

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def claim(self, message_id: str, scope: str, user: str, owner: str) -> bool:
        async with self._db.transaction() as tx:
            status = await tx.execute(
                f'INSERT INTO question_claims (message_id, scope, "user", owner, claimed_at) VALUES ($1, $2, $3, $4, {_NOW})'
                " ON CONFLICT (message_id) DO NOTHING", message_id, scope, user, owner)
        return affected(status) > 0

    async def finish(self, message_id: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(f"UPDATE question_claims SET finished_at = {_NOW}"
                             " WHERE message_id = $1 AND finished_at IS NULL", message_id)

    async def open_claims(self, stale_s: float, user: str | None = None) -> int:
        sql = f"SELECT COUNT(*) FROM question_claims WHERE finished_at IS NULL AND claimed_at > {_NOW} - $1"
        args: tuple[object, ...] = (stale_s,)
        if user is not None:
            sql, args = sql + ' AND "user" = $2', (*args, user)
        row = await self._db.fetchone(sql, args)
        return int(row[0]) if row else 0

    async def rate_hit(self, user: str, per_minute: int) -> float:
        async with self._db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", _RATE_LOCK + user)
            now = float(await tx.fetchval(f"SELECT {_NOW}"))
            await tx.execute('DELETE FROM rate_hits WHERE "user" = $1 AND at <= $2', user, now - WINDOW_S)
            row = await tx.fetchrow('SELECT COUNT(*) AS n, MIN(at) AS oldest FROM rate_hits WHERE "user" = $1', user)
            if row is not None and int(row["n"]) >= per_minute and row["oldest"] is not None:
                return max(0.0, WINDOW_S - (now - float(row["oldest"])))
            await tx.execute('INSERT INTO rate_hits ("user", at) VALUES ($1, $2)', user, now)
        return 0.0

    async def prune(self, keep_s: float) -> int:
        async with self._db.transaction() as tx:
            a = await tx.execute(f"DELETE FROM question_claims WHERE claimed_at < {_NOW} - $1", keep_s)
            b = await tx.execute(f"DELETE FROM rate_hits WHERE at <= {_NOW} - $1", max(keep_s, WINDOW_S))
        return affected(a) + affected(b)

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        await tx.execute('DELETE FROM question_claims WHERE scope = $1 AND "user" = $2', scope, user)
        await tx.execute('DELETE FROM rate_hits WHERE "user" = $1', user)
        return {}
