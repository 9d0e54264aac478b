"""One SQLite database (aiosqlite): the connection, WAL, serialised transactions, migrations.

Documents and chunks belong to `retrieval.catalog` and live in the same database file; each
side versions its own tables in `schema_migrations` under its component name.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.rows import now_iso

COMPONENT = "bot"

MIGRATIONS: list[str] = [
    # 1: conversation log, answers, feedback, flags, per-guild settings
    """
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        question TEXT NOT NULL,
        text TEXT NOT NULL,
        citations TEXT NOT NULL DEFAULT '[]',
        confidence REAL NOT NULL,
        refused INTEGER NOT NULL DEFAULT 0,
        escalated INTEGER NOT NULL DEFAULT 0,
        backend TEXT NOT NULL DEFAULT '',
        latency_ms INTEGER NOT NULL DEFAULT 0,
        candidates TEXT NOT NULL DEFAULT '[]',
        user TEXT,
        channel TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        channel TEXT,
        conversation TEXT,
        user TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created_at TEXT NOT NULL,
        reply_to INTEGER,
        answer_id INTEGER REFERENCES answers(id) ON DELETE SET NULL,
        external_id TEXT
    );
    CREATE INDEX messages_conversation ON messages(conversation, id);
    CREATE INDEX messages_scope_time ON messages(scope, created_at);
    CREATE INDEX messages_user ON messages(scope, user);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        user TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        comment TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (answer_id, user)
    );
    CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        answer_id INTEGER REFERENCES answers(id) ON DELETE SET NULL,
        message_id TEXT,
        channel TEXT,
        user TEXT,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        resolved_by TEXT,
        created_at TEXT NOT NULL,
        resolved_at TEXT
    );
    CREATE INDEX flags_scope_status ON flags(scope, status, id);
    CREATE TABLE guild_settings (
        scope TEXT PRIMARY KEY,
        data TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 2: tutoring, remembered facts about users, conversation summaries, message sentiment
    """
    CREATE TABLE quiz_items (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        topic TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL CHECK (kind IN ('mcq', 'short')),
        question TEXT NOT NULL,
        choices TEXT NOT NULL DEFAULT '[]',
        answer TEXT NOT NULL,
        explanation TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        chunk_id INTEGER,
        created_by TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE quiz_attempts (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES quiz_items(id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        response TEXT NOT NULL,
        score REAL NOT NULL,
        verdict TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX quiz_attempts_user ON quiz_attempts(scope, user);
    CREATE TABLE quiz_reviews (
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES quiz_items(id) ON DELETE CASCADE,
        box INTEGER NOT NULL,
        due_at TEXT NOT NULL,
        PRIMARY KEY (scope, user, item_id)
    );
    CREATE TABLE user_facts (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        fact TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (scope, user, fact)
    );
    CREATE TABLE memory_summaries (
        conversation TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        user TEXT,
        summary TEXT NOT NULL,
        upto_message_id INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    ALTER TABLE messages ADD COLUMN sentiment REAL;
    """,
    # 3: the closest sources shown with a refusal, kept for the "Sources" button
    """
    ALTER TABLE answers ADD COLUMN closest TEXT NOT NULL DEFAULT '[]';
    """,
    # 4: curated answers (moderator-approved, matched before generation), their history, a per-scope
    # revision counter (caches of their embeddings compare it), and closed unanswered questions
    """
    CREATE TABLE curated_answers (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        question TEXT NOT NULL,
        paraphrases TEXT NOT NULL DEFAULT '[]',
        answer TEXT NOT NULL,
        citations TEXT NOT NULL DEFAULT '[]',
        keywords TEXT NOT NULL DEFAULT '[]',
        regex TEXT,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        hits INTEGER NOT NULL DEFAULT 0,
        last_hit_at TEXT
    );
    CREATE INDEX curated_answers_scope ON curated_answers(scope, id);
    CREATE TABLE curated_history (
        id INTEGER PRIMARY KEY,
        curated_id INTEGER NOT NULL,
        scope TEXT NOT NULL,
        action TEXT NOT NULL,
        previous TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX curated_history_answer ON curated_history(scope, curated_id, id);
    CREATE TABLE curated_revisions (
        scope TEXT PRIMARY KEY,
        revision INTEGER NOT NULL
    );
    CREATE TABLE unanswered_closed (
        answer_id INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('dismissed', 'resolved')),
        curated_id INTEGER,
        closed_by TEXT NOT NULL,
        closed_at TEXT NOT NULL
    );
    """,
    # 5: each unanswered question's embedding, stored the first time topics group it (a question's
    # text never changes), with the embedder that made it: another embedder re-encodes
    """
    CREATE TABLE unanswered_vectors (
        answer_id INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        vector BLOB NOT NULL
    );
    """,
    # 6: indexes for the console at 10k+ conversations: a scope's answers newest first and by time
    # (dashboard, unanswered questions), and a flag's answer (the correlated EXISTS of unanswered
    # questions scanned every flag per answer); feedback(answer_id) is its UNIQUE (answer_id, user)
    """
    CREATE INDEX answers_scope_id ON answers(scope, id);
    CREATE INDEX answers_scope_time ON answers(scope, created_at);
    CREATE INDEX flags_answer ON flags(answer_id);
    CREATE INDEX unanswered_closed_scope ON unanswered_closed(scope);
    """,
    # question claims and rate-limit hits shared by several bot processes on one database (used on
    # PostgreSQL; the single-process SQLite path keeps its in-memory limiter): a question is answered
    # by the process whose claim of its Discord message id went in; times are epoch seconds
    """
    CREATE TABLE question_claims (
        message_id TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        owner TEXT NOT NULL,
        claimed_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX question_claims_open ON question_claims(finished_at, claimed_at);
    CREATE INDEX question_claims_user ON question_claims(user, finished_at);
    CREATE TABLE rate_hits (
        user TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX rate_hits_user ON rate_hits(user, at);
    """,
    # ingest jobs any process can run: claimed under BEGIN IMMEDIATE (SKIP LOCKED on PostgreSQL), a lease that
    # frees a stuck job, retries with capped exponential backoff; times are epoch seconds
    """
    CREATE TABLE ingest_jobs (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'url', 'sitemap', 'upload')),
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL DEFAULT 3,
        next_attempt_at REAL NOT NULL,
        lease_until REAL,
        owner TEXT,
        error TEXT,
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX ingest_jobs_due ON ingest_jobs(status, next_attempt_at);
    """,
]


class Database:
    """Owns the one connection; writes go through `transaction()`, one at a time."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        # One connection is shared by every coroutine: transactions must not interleave.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, timeout=30)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=30000")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db = cls(conn)
        await db.migrate()
        return db

    async def close(self) -> None:
        await self._conn.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """For reads only; writes go through `transaction()`."""
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Serialised write transaction: committed on success, rolled back on any error."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            await self._conn.commit()

    async def fetchall(self, sql: str, args: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, tuple(args)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, args: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, tuple(args)) as cur:
            return await cur.fetchone()

    async def migrate(self) -> None:
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, "
            "PRIMARY KEY (component, version))"
        )
        row = await self.fetchone(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?", (COMPONENT,)
        )
        current = int(row[0]) if row else 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            await self._conn.executescript(
                "BEGIN;\n" + script + "\nINSERT INTO schema_migrations VALUES "
                f"('{COMPONENT}', {version}, '{now_iso()}');\nCOMMIT;"
            )
