"""The store on PostgreSQL (asyncpg): the same tables and protocols as the SQLite store.

Selected by `database_url` (RAGCORD_DATABASE_URL=postgresql://...); several bot processes on
several machines can then share one database. Documents and chunks stay in SQLite for now
(retrieval/catalog.py).
"""
from __future__ import annotations

from bot.store.backend import Backend
from bot.store.postgres.answers import PgAnswers
from bot.store.postgres.console_queries import PgConsoleQueries
from bot.store.postgres.conversations import PgConversations
from bot.store.postgres.coordination import PgCoordination
from bot.store.postgres.curated import PgCurated
from bot.store.postgres.database import PgDatabase
from bot.store.postgres.jobs import PgJobs
from bot.store.postgres.migrations import MIGRATIONS
from bot.store.postgres.profile import PgFacts, PgGuilds
from bot.store.postgres.tutoring import PgTutoring
from bot.store.postgres.unanswered import PgUnanswered

__all__ = ["MIGRATIONS", "PgDatabase", "backend", "open_backend"]


def backend(db: PgDatabase) -> Backend:
    return Backend(db, PgConversations(db), PgAnswers(db), PgGuilds(db), PgFacts(db), PgTutoring(db),
                   PgCurated(db), PgUnanswered(db), PgConsoleQueries(db), PgCoordination(db),
                   PgJobs(db))


async def open_backend(url: str) -> Backend:
    """Open (and migrate) the PostgreSQL database at `url`; `Store.open(path, url)` calls this."""
    return backend(await PgDatabase.open(url))
