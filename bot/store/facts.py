"""What users have said about themselves (their profile), per scope."""
from __future__ import annotations

import aiosqlite

from bot.store.database import Database
from bot.store.rows import FactChange, now_iso

_INSERT = "INSERT OR IGNORE INTO user_facts (scope, user, fact, created_at) VALUES (?,?,?,?)"


class SqliteFacts:
    forgets: tuple[str, ...] = ("user_facts",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self, scope: str, user: str) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT fact FROM user_facts WHERE scope = ? AND user = ? ORDER BY id", (scope, user)
        )
        return [r["fact"] for r in rows]

    async def add(self, scope: str, user: str, fact: str) -> bool:
        async with self._db.transaction() as tx:
            cur = await tx.execute(_INSERT, (scope, user, fact, now_iso()))
        return cur.rowcount > 0

    async def replace(self, scope: str, user: str, old: str, new: str) -> None:
        async with self._db.transaction() as tx:
            await self.apply_in(tx, scope, user, [FactChange(new, replaces=old)])

    @staticmethod
    async def apply_in(tx: aiosqlite.Connection, scope: str, user: str, changes: list[FactChange]) -> None:
        for change in changes:
            if change.replaces is not None:
                await tx.execute(
                    "DELETE FROM user_facts WHERE scope = ? AND user = ? AND fact = ?",
                    (scope, user, change.replaces),
                )
            await tx.execute(_INSERT, (scope, user, change.fact, now_iso()))

    async def forget_user(self, tx: aiosqlite.Connection, scope: str, user: str) -> dict[str, int]:
        cur = await tx.execute("DELETE FROM user_facts WHERE user = ? AND scope = ?", (user, scope))
        return {"facts": cur.rowcount}
