"""Ingest jobs on PostgreSQL: claimed with `SELECT … FOR UPDATE SKIP LOCKED`, so any number of
processes take distinct jobs without waiting on each other. Same rules as bot/store/jobs.py;
times come from the injectable `clock` (epoch seconds) so tests can move time."""
from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from bot.store.job_rows import BACKOFF_BASE_S, BACKOFF_CAP_S, JobPayload, JobRow, job_row
from bot.store.postgres.database import PgDatabase, affected

_RETRY = ("UPDATE ingest_jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,"
          " finished_at = CASE WHEN attempts >= max_attempts THEN $1::double precision END,"
          " owner = CASE WHEN attempts >= max_attempts THEN owner END,"
          " next_attempt_at = CASE WHEN attempts >= max_attempts THEN next_attempt_at"
          " ELSE $1 + LEAST($3::double precision, $4::double precision * power(2, GREATEST(attempts - 1, 0))) END,"
          " error = $2, lease_until = NULL")


_CAP, _BASE = BACKOFF_CAP_S, BACKOFF_BASE_S  # _RETRY computes job_rows.backoff_s in SQL


class PgJobs:
    forgets: tuple[str, ...] = ()

    def __init__(self, db: PgDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.clock = clock

    async def enqueue(self, scope: str, kind: str, payload: JobPayload, created_by: str,
                      max_attempts: int = 3, hold_s: float = 0.0) -> JobRow:
        now = self.clock()
        async with self._db.transaction() as tx:
            row = await tx.fetchrow(
                "INSERT INTO ingest_jobs (scope, kind, payload, max_attempts, next_attempt_at, created_by, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                scope, kind, payload.model_dump_json(), max_attempts, now + hold_s, created_by, now)
        return job_row(row)

    async def get(self, job_id: int) -> JobRow | None:
        row = await self._db.fetchone("SELECT * FROM ingest_jobs WHERE id = $1", (job_id,))
        return job_row(row) if row else None

    async def recent(self, limit: int = 20, scope: str | None = None) -> list[JobRow]:
        if scope:
            rows = await self._db.fetchall("SELECT * FROM ingest_jobs WHERE scope = $1 ORDER BY id DESC LIMIT $2",
                                           (scope, limit))
        else:
            rows = await self._db.fetchall("SELECT * FROM ingest_jobs ORDER BY id DESC LIMIT $1", (limit,))
        return [job_row(r) for r in rows]

    async def claim(self, owner: str, lease_s: float, job_id: int | None = None) -> JobRow | None:
        now = self.clock()
        async with self._db.transaction() as tx:
            await tx.execute(_RETRY + " WHERE id IN (SELECT id FROM ingest_jobs WHERE status = 'running'"
                             " AND lease_until < $1 FOR UPDATE SKIP LOCKED)",
                             now, "lease expired", _CAP, _BASE)
            pick = "SELECT id FROM ingest_jobs WHERE status = 'queued' AND next_attempt_at <= $1"
            args: tuple[object, ...] = (now,)
            if job_id is not None:  # by id: due or held for its creator
                pick, args = "SELECT id FROM ingest_jobs WHERE status = 'queued' AND id = $1", (job_id,)
            picked = await tx.fetchval(pick + " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", *args)
            if picked is None:
                return None
            row = await tx.fetchrow(
                "UPDATE ingest_jobs SET status = 'running', attempts = attempts + 1, owner = $1, lease_until = $2,"
                " error = NULL WHERE id = $3 RETURNING *", owner, now + lease_s, picked)
        return job_row(row)

    async def renew(self, job_id: int, owner: str, lease_s: float, done: int, total: int) -> bool:
        async with self._db.transaction() as tx:
            status = await tx.execute("UPDATE ingest_jobs SET lease_until = $1, done = $2, total = $3 WHERE id = $4"
                                      " AND owner = $5 AND status = 'running'",
                                      self.clock() + lease_s, done, total, job_id, owner)
        return affected(status) > 0

    async def finish(self, job_id: int, owner: str, error: str | None = None) -> bool:
        async with self._db.transaction() as tx:
            status = await tx.execute(
                "UPDATE ingest_jobs SET status = 'done', lease_until = NULL, finished_at = $1, error = $2,"
                " done = GREATEST(done, total) WHERE id = $3 AND owner = $4 AND status = 'running'",
                self.clock(), error, job_id, owner)
        return affected(status) > 0

    async def fail(self, job_id: int, owner: str, error: str) -> JobRow | None:
        async with self._db.transaction() as tx:
            await tx.execute(_RETRY + " WHERE id = $5 AND owner = $6 AND status = 'running'",
                             self.clock(), error, _CAP, _BASE, job_id, owner)
        return await self.get(job_id)

    async def forget_user(self, tx: asyncpg.Connection, scope: str, user: str) -> dict[str, int]:
        return {}
