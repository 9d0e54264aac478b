"""Ingest jobs on SQLite: enqueue, claim (under `BEGIN IMMEDIATE`, so two processes on one file never
claim the same job), lease renewal with progress, done / failed with capped exponential backoff.
The PostgreSQL side is bot/store/postgres/jobs.py. `clock` is injectable (epoch seconds)."""
from __future__ import annotations

import time
from collections.abc import Callable

import aiosqlite

from bot.store.database import Database
from bot.store.job_rows import JobPayload, JobRow, backoff_s, job_row

_COLUMNS = "id, scope, kind, payload, status, done, total, attempts, max_attempts, next_attempt_at, lease_until, " \
           "owner, error, created_by, created_at, finished_at"


class SqliteJobs:
    forgets: tuple[str, ...] = ()

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.clock = clock

    async def enqueue(self, scope: str, kind: str, payload: JobPayload, created_by: str,
                      max_attempts: int = 3, hold_s: float = 0.0) -> JobRow:
        now = self.clock()
        async with self._db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO ingest_jobs (scope, kind, payload, max_attempts, next_attempt_at, created_by, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (scope, kind, payload.model_dump_json(), max_attempts, now + hold_s, created_by, now))
            job_id = int(cur.lastrowid or 0)
        got = await self.get(job_id)
        assert got is not None
        return got

    async def get(self, job_id: int) -> JobRow | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM ingest_jobs WHERE id = ?", (job_id,))
        return job_row(row) if row else None

    async def recent(self, limit: int = 20, scope: str | None = None) -> list[JobRow]:
        where, args = ("WHERE scope = ?", (scope, limit)) if scope else ("", (limit,))
        rows = await self._db.fetchall(f"SELECT {_COLUMNS} FROM ingest_jobs {where} ORDER BY id DESC LIMIT ?", args)
        return [job_row(r) for r in rows]

    async def claim(self, owner: str, lease_s: float, job_id: int | None = None) -> JobRow | None:
        """The oldest due queued job (or `job_id` if it is queued, due or held), now running under `owner`'s lease."""
        now = self.clock()
        async with self._db.transaction() as tx:
            await _expire(tx, now)
            sql = "SELECT id FROM ingest_jobs WHERE status = 'queued' AND next_attempt_at <= ?"
            args: tuple[object, ...] = (now,)
            if job_id is not None:
                sql, args = "SELECT id FROM ingest_jobs WHERE status = 'queued' AND id = ?", (job_id,)
            async with tx.execute(sql + " ORDER BY next_attempt_at, id LIMIT 1", args) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await tx.execute("UPDATE ingest_jobs SET status = 'running', attempts = attempts + 1, owner = ?,"
                             " lease_until = ?, error = NULL WHERE id = ?", (owner, now + lease_s, int(row[0])))
        return await self.get(int(row[0]))

    async def renew(self, job_id: int, owner: str, lease_s: float, done: int, total: int) -> bool:
        """Extend the lease and record progress; False when the job is no longer this owner's."""
        async with self._db.transaction() as tx:
            cur = await tx.execute("UPDATE ingest_jobs SET lease_until = ?, done = ?, total = ? WHERE id = ?"
                                   " AND owner = ? AND status = 'running'",
                                   (self.clock() + lease_s, done, total, job_id, owner))
        return cur.rowcount > 0

    async def finish(self, job_id: int, owner: str, error: str | None = None) -> bool:
        async with self._db.transaction() as tx:
            cur = await tx.execute("UPDATE ingest_jobs SET status = 'done', lease_until = NULL, finished_at = ?,"
                                   " error = ?, done = MAX(done, total) WHERE id = ? AND owner = ? AND status = 'running'",
                                   (self.clock(), error, job_id, owner))
        return cur.rowcount > 0

    async def fail(self, job_id: int, owner: str, error: str) -> JobRow | None:
        """Back to queued after a backoff, or failed once `max_attempts` tries are spent."""
        async with self._db.transaction() as tx:
            await _retry_or_fail(tx, self.clock(), error, "id = ? AND owner = ? AND status = 'running'",
                                 (job_id, owner))
        return await self.get(job_id)

    async def forget_user(self, tx: aiosqlite.Connection, scope: str, user: str) -> dict[str, int]:
        return {}


async def _expire(tx: aiosqlite.Connection, now: float) -> None:
    await _retry_or_fail(tx, now, "lease expired", "status = 'running' AND lease_until < ?", (now,))


async def _retry_or_fail(tx: aiosqlite.Connection, now: float, error: str, where: str,
                         args: tuple[object, ...]) -> None:
    async with tx.execute(f"SELECT id, attempts, max_attempts FROM ingest_jobs WHERE {where}", args) as cur:
        rows = list(await cur.fetchall())
    for job_id, attempts, max_attempts in rows:
        if int(attempts) >= int(max_attempts):
            await tx.execute("UPDATE ingest_jobs SET status = 'failed', error = ?, lease_until = NULL,"
                             " finished_at = ? WHERE id = ?", (error, now, job_id))
        else:
            await tx.execute("UPDATE ingest_jobs SET status = 'queued', error = ?, lease_until = NULL, owner = NULL,"
                             " next_attempt_at = ? WHERE id = ?", (error, now + backoff_s(int(attempts)), job_id))
