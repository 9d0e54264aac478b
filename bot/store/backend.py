"""One database and its repositories, as the `Store` facade holds them (SQLite here, PostgreSQL in
bot/store/postgres/)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.store.answers import SqliteAnswers
from bot.store.console_queries import ConsoleQueries
from bot.store.conversations import SqliteConversations
from bot.store.coordination import SqliteCoordination
from bot.store.curated import SqliteCurated
from bot.store.database import Database
from bot.store.facts import SqliteFacts
from bot.store.guilds import SqliteGuilds
from bot.store.jobs import SqliteJobs
from bot.store.tutoring import SqliteTutoring
from bot.store.unanswered import SqliteUnanswered


@dataclass(frozen=True)
class Backend:
    """One database and its repositories. Besides the protocols, the facade calls their `*_in(tx, ...)`
    parts inside its own transactions, so both backends keep those names (typed per backend)."""

    db: Any  # Database (SQLite) or bot.store.postgres.PgDatabase: transaction(), fetchone/fetchall, close
    conversations: Any
    answers: Any
    guilds: Any
    facts: Any
    tutoring: Any
    curated: Any
    unanswered: Any
    console: ConsoleQueries  # the moderator console's read-only queries
    coordination: Any  # question claims and shared rate limits (bot/store/coordination.py)
    jobs: Any  # ingest jobs any process can run (bot/store/jobs.py)

    @classmethod
    def sqlite(cls, db: Database) -> Backend:
        return cls(db, SqliteConversations(db), SqliteAnswers(db), SqliteGuilds(db), SqliteFacts(db),
                   SqliteTutoring(db), SqliteCurated(db), SqliteUnanswered(db), ConsoleQueries(db),
                   SqliteCoordination(db), SqliteJobs(db))
