"""The retrieval tables in PostgreSQL, migrated under component 'retrieval' of `schema_migrations`
(the table the bot's PostgreSQL store keeps, same shape), one advisory lock while migrating.

Every row carries its scope and every query filters on it. Vectors are pgvector `vector`
columns without a fixed dimension (scopes may use different embedders) plus a `dim` column;
each large scope gets a partial HNSW index over `embedding::vector(dim)` (see ann.py).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import psycopg

COMPONENT = "retrieval"
MIGRATION_LOCK = 0x7261_6763_6B62  # "ragckb": one migrator at a time

MIGRATIONS: list[str] = [
    # 1: documents, chunks (with their vector), sentence vectors, the per-scope generation
    """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE IF NOT EXISTS kb_documents (
        id          BIGSERIAL PRIMARY KEY,
        scope       TEXT NOT NULL,
        source      TEXT NOT NULL,
        title       TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        mime        TEXT NOT NULL DEFAULT 'text/plain',
        added_by    TEXT,
        added_at    TEXT NOT NULL,
        chunk_count INTEGER NOT NULL DEFAULT 0,
        UNIQUE (scope, source)
    );
    CREATE TABLE IF NOT EXISTS kb_chunks (
        id          BIGSERIAL PRIMARY KEY,
        document_id BIGINT NOT NULL REFERENCES kb_documents(id) ON DELETE CASCADE,
        scope       TEXT NOT NULL,
        ord         INTEGER NOT NULL,
        text        TEXT NOT NULL,
        page        INTEGER,
        heading     TEXT,
        sha256      TEXT NOT NULL,
        dim         INTEGER NOT NULL,
        embedding   vector NOT NULL
    );
    CREATE INDEX IF NOT EXISTS kb_chunks_by_document ON kb_chunks (document_id, ord);
    CREATE INDEX IF NOT EXISTS kb_chunks_by_scope ON kb_chunks (scope, id);
    CREATE INDEX IF NOT EXISTS kb_chunks_by_scope_sha ON kb_chunks (scope, sha256);
    CREATE TABLE IF NOT EXISTS kb_sentences (
        chunk_id    BIGINT NOT NULL REFERENCES kb_chunks(id) ON DELETE CASCADE,
        unit        INTEGER NOT NULL,
        scope       TEXT NOT NULL,
        dim         INTEGER NOT NULL,
        embedding   vector NOT NULL,
        PRIMARY KEY (chunk_id, unit)
    );
    CREATE INDEX IF NOT EXISTS kb_sentences_by_scope ON kb_sentences (scope, chunk_id);
    CREATE TABLE IF NOT EXISTS kb_index_state (
        scope       TEXT PRIMARY KEY,
        generation  BIGINT NOT NULL,
        embedder    TEXT,
        dim         INTEGER,
        updated_at  TEXT NOT NULL
    );
    """,
    # 2: re-sync state (retrieval/sync_state.py), the same columns as SQLite's catalogue migration 2
    """
    CREATE TABLE IF NOT EXISTS kb_sync_sources (
        scope          TEXT NOT NULL,
        url            TEXT NOT NULL,
        kind           TEXT NOT NULL DEFAULT 'url',
        every_s        INTEGER NOT NULL DEFAULT 0,
        added_at       DOUBLE PRECISION NOT NULL,
        last_synced_at DOUBLE PRECISION,
        next_sync_at   DOUBLE PRECISION,
        last_error     TEXT,
        error_count    INTEGER NOT NULL DEFAULT 0,
        etag           TEXT,
        last_modified  TEXT,
        PRIMARY KEY (scope, url)
    );
    CREATE TABLE IF NOT EXISTS kb_sync_pages (
        scope          TEXT NOT NULL,
        url            TEXT NOT NULL,
        origin         TEXT NOT NULL,
        etag           TEXT,
        last_modified  TEXT,
        body_sha256    TEXT,
        last_synced_at DOUBLE PRECISION,
        next_sync_at   DOUBLE PRECISION,
        last_error     TEXT,
        error_count    INTEGER NOT NULL DEFAULT 0,
        gone_count     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, url)
    );
    CREATE INDEX IF NOT EXISTS kb_sync_pages_by_origin ON kb_sync_pages (scope, origin);
    """,
]


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def scope_lock_key(scope: str) -> int:
    """The advisory lock key of a scope's writer (a signed 64-bit hash of its name)."""
    return int.from_bytes(hashlib.sha256(b"ragcord-kb:" + scope.encode("utf-8")).digest()[:8], "big", signed=True)


def migrate(conn: psycopg.Connection) -> list[int]:
    """Apply the retrieval migrations not yet recorded (one transaction); the versions applied."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL,"
            " applied_at TEXT NOT NULL, PRIMARY KEY (component, version))"
        )
        row = conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = %s", (COMPONENT,)
        ).fetchone()
        current = int(row[0]) if row else 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            conn.execute(script)
            conn.execute("INSERT INTO schema_migrations VALUES (%s, %s, %s)", (COMPONENT, version, utc_now()))
            applied.append(version)
    return applied
