"""What several bot processes on one database agree on: who answers a question, and each member's
rate-limit hits (SQLite side; the PostgreSQL one is bot/store/postgres/coordination.py).

A question is claimed by its Discord message (or interaction) id before it is answered: the first
insert wins, a second process (or a redelivered event) gets False and stays silent. Unfinished
claims younger than `stale_s` are the questions waiting or being answered anywhere. Times are epoch
seconds. SQLite is one process's store, so the bot uses this only in tests; the tables exist on
both backends so their schemas stay the same.
"""
from __future__ import annotations

import time

import aiosqlite

from bot.store.database import Database

WINDOW_S = 60.0  # the rate limit's sliding window


class SqliteCoordination:
    forgets: tuple[str, ...] = ("question_claims", "rate_hits")

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, message_id: str, scope: str, user: str, owner: str) -> bool:
        """True for the first claim of `message_id`; False when someone already has it."""
        async with self._db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO question_claims (message_id, scope, user, owner, claimed_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (message_id) DO NOTHING", (message_id, scope, user, owner, time.time()))
        return cur.rowcount > 0

    async def finish(self, message_id: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE question_claims SET finished_at = ? WHERE message_id = ? AND finished_at IS NULL",
                             (time.time(), message_id))

    async def open_claims(self, stale_s: float, user: str | None = None) -> int:
        """Claimed, unfinished questions (of `user`, or everyone's) claimed less than `stale_s` ago."""
        sql = "SELECT COUNT(*) FROM question_claims WHERE finished_at IS NULL AND claimed_at > ?"
        args: tuple[object, ...] = (time.time() - stale_s,)
        if user is not None:
            sql, args = sql + " AND user = ?", (*args, user)
        row = await self._db.fetchone(sql, args)
        return int(row[0]) if row else 0

    async def rate_hit(self, user: str, per_minute: int) -> float:
        """0 if `user` may ask now (and counts the question), else seconds until they may."""
        async with self._db.transaction() as tx:
            now = time.time()
            await tx.execute("DELETE FROM rate_hits WHERE user = ? AND at <= ?", (user, now - WINDOW_S))
            async with tx.execute("SELECT COUNT(*), MIN(at) FROM rate_hits WHERE user = ?", (user,)) as cur:
                row = await cur.fetchone()
            count, oldest = (int(row[0]), row[1]) if row else (0, None)
            if count >= per_minute and oldest is not None:
                return max(0.0, WINDOW_S - (now - float(oldest)))
            await tx.execute("INSERT INTO rate_hits (user, at) VALUES (?, ?)", (user, now))
        return 0.0

    async def prune(self, keep_s: float) -> int:
        """Drop finished claims and rate hits older than `keep_s` (and every hit out of the window)."""
        now = time.time()
        async with self._db.transaction() as tx:
            a = await tx.execute("DELETE FROM question_claims WHERE claimed_at < ?", (now - keep_s,))
            b = await tx.execute("DELETE FROM rate_hits WHERE at <= ?", (now - max(keep_s, WINDOW_S),))
        return max(a.rowcount, 0) + max(b.rowcount, 0)

    async def forget_user(self, tx: aiosqlite.Connection, scope: str, user: str) -> dict[str, int]:
        """Bookkeeping, not content: deleted without being counted in `/forget`'s reply."""
        await tx.execute("DELETE FROM question_claims WHERE scope = ? AND user = ?", (scope, user))
        await tx.execute("DELETE FROM rate_hits WHERE user = ?", (user,))
        return {}
