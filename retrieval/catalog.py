"""The knowledge-base catalogue in SQLite: documents, chunks and the current index generation.

The DB file is shared with the bot's store, so migrations are recorded per
component in `schema_migrations` (component='retrieval'), never in
PRAGMA user_version. Every query is filtered by scope.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .types import DocumentInfo

COMPONENT = "retrieval"

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE IF NOT EXISTS documents (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
        CREATE TABLE IF NOT EXISTS chunks (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            scope       TEXT NOT NULL,
            ord         INTEGER NOT NULL,
            text        TEXT NOT NULL,
            page        INTEGER,
            heading     TEXT,
            sha256      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, ord);
        CREATE INDEX IF NOT EXISTS chunks_by_scope_sha ON chunks(scope, sha256);
        CREATE TABLE IF NOT EXISTS index_state (
            scope       TEXT PRIMARY KEY,
            generation  INTEGER NOT NULL,
            dense_file  TEXT,
            sparse_dir  TEXT,
            updated_at  TEXT NOT NULL
        );
        """,
    ),
    (
        2,
        # re-sync (retrieval/resync.py): the URLs / sitemaps a scope re-checks, and per page the
        # validators and body hash of the last fetch. Times are UNIX seconds.
        """
        CREATE TABLE IF NOT EXISTS sync_sources (
            scope          TEXT NOT NULL,
            url            TEXT NOT NULL,
            kind           TEXT NOT NULL DEFAULT 'url',
            every_s        INTEGER NOT NULL DEFAULT 0,
            added_at       REAL NOT NULL,
            last_synced_at REAL,
            next_sync_at   REAL,
            last_error     TEXT,
            error_count    INTEGER NOT NULL DEFAULT 0,
            etag           TEXT,
            last_modified  TEXT,
            PRIMARY KEY (scope, url)
        );
        CREATE TABLE IF NOT EXISTS sync_pages (
            scope          TEXT NOT NULL,
            url            TEXT NOT NULL,
            origin         TEXT NOT NULL,
            etag           TEXT,
            last_modified  TEXT,
            body_sha256    TEXT,
            last_synced_at REAL,
            next_sync_at   REAL,
            last_error     TEXT,
            error_count    INTEGER NOT NULL DEFAULT 0,
            gone_count     INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (scope, url)
        );
        CREATE INDEX IF NOT EXISTS sync_pages_by_origin ON sync_pages(scope, origin);
        """,
    ),
]


@dataclass(frozen=True)
class ChunkRow:
    id: int
    document_id: int
    ord: int
    text: str
    page: int | None
    heading: str | None
    sha256: str
    title: str
    source: str


@dataclass(frozen=True)
class IndexState:
    generation: int
    dense_file: str | None
    sparse_dir: str | None


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(db_path: Path, *, busy_timeout_ms: int = 30_000) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, foreign keys on."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db_path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply the retrieval migrations not yet recorded; returns the versions applied now."""
    # Same shape as the bot's store creates it (whoever comes first wins, so both must agree).
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,"
        " PRIMARY KEY (component, version))"
    )
    columns = {row[1] for row in conn.execute("PRAGMA table_info(schema_migrations)")}
    record = (
        "INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)"
        if "applied_at" in columns
        else "INSERT INTO schema_migrations (component, version) VALUES (?, ?)"
    )
    applied: list[int] = []
    for version, script in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?", (COMPONENT, version)
            ).fetchone()
            if not done:
                for statement in (s.strip() for s in script.split(";")):
                    if statement:
                        conn.execute(statement)
                values = (COMPONENT, version, utc_now()) if "applied_at" in columns else (COMPONENT, version)
                conn.execute(record, values)
                applied.append(version)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied


class Catalog:
    """Scoped access to the catalogue tables; opens a short-lived connection per call."""

    def __init__(self, db_path: Path, scope: str) -> None:
        self.db_path = Path(db_path)
        self.scope = scope
        with self.connection() as conn:
            migrate(conn)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT on a fresh connection; ROLLBACK on any exception."""
        with self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ------------------------------------------------------------ reads
    def index_state(self, conn: sqlite3.Connection | None = None) -> IndexState:
        with _maybe(self, conn) as c:
            row = c.execute(
                "SELECT generation, dense_file, sparse_dir FROM index_state WHERE scope = ?", (self.scope,)
            ).fetchone()
        if row is None:
            return IndexState(0, None, None)
        return IndexState(int(row["generation"]), row["dense_file"], row["sparse_dir"])

    def document(self, ref: int | str, conn: sqlite3.Connection | None = None) -> DocumentInfo | None:
        column = "id" if isinstance(ref, int) else "source"
        with _maybe(self, conn) as c:
            row = c.execute(
                f"SELECT * FROM documents WHERE scope = ? AND {column} = ?", (self.scope, ref)
            ).fetchone()
        return _document(row) if row else None

    def documents(self) -> list[DocumentInfo]:
        with self.connection() as c:
            rows = c.execute("SELECT * FROM documents WHERE scope = ? ORDER BY id", (self.scope,)).fetchall()
        return [_document(r) for r in rows]

    def chunk_rows(self, ids: Sequence[int], conn: sqlite3.Connection | None = None) -> dict[int, ChunkRow]:
        out: dict[int, ChunkRow] = {}
        with _maybe(self, conn) as c:
            for start in range(0, len(ids), 500):
                batch = [int(i) for i in ids[start : start + 500]]
                marks = ",".join("?" * len(batch))
                rows = c.execute(
                    "SELECT c.id, c.document_id, c.ord, c.text, c.page, c.heading, c.sha256, d.title, d.source"
                    " FROM chunks c JOIN documents d ON d.id = c.document_id"
                    f" WHERE c.scope = ? AND c.id IN ({marks})",
                    (self.scope, *batch),
                ).fetchall()
                for r in rows:
                    out[int(r["id"])] = ChunkRow(**{k: r[k] for k in r.keys()})  # noqa: SIM118 (sqlite3.Row iterates values)
        return out

    def all_chunks(self, conn: sqlite3.Connection | None = None) -> list[ChunkRow]:
        with _maybe(self, conn) as c:
            rows = c.execute(
                "SELECT c.id, c.document_id, c.ord, c.text, c.page, c.heading, c.sha256, d.title, d.source"
                " FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.scope = ? ORDER BY c.id",
                (self.scope,),
            ).fetchall()
        return [ChunkRow(**{k: r[k] for k in r.keys()}) for r in rows]  # noqa: SIM118 (sqlite3.Row iterates values)

    def chunk_ids_by_sha(self, shas: Sequence[str], conn: sqlite3.Connection | None = None) -> dict[str, int]:
        """One existing chunk id per sha256 (of the embedded passage) within the scope."""
        out: dict[str, int] = {}
        unique = sorted(set(shas))
        with _maybe(self, conn) as c:
            for start in range(0, len(unique), 500):
                batch = unique[start : start + 500]
                marks = ",".join("?" * len(batch))
                for r in c.execute(
                    f"SELECT sha256, MIN(id) AS id FROM chunks WHERE scope = ? AND sha256 IN ({marks}) GROUP BY sha256",
                    (self.scope, *batch),
                ):
                    out[r["sha256"]] = int(r["id"])
        return out

    def document_chunk_ids(self, document_id: int, conn: sqlite3.Connection | None = None) -> list[int]:
        with _maybe(self, conn) as c:
            rows = c.execute(
                "SELECT id FROM chunks WHERE scope = ? AND document_id = ? ORDER BY ord", (self.scope, document_id)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def counts(self) -> tuple[int, int]:
        with self.connection() as c:
            docs = c.execute("SELECT COUNT(*) FROM documents WHERE scope = ?", (self.scope,)).fetchone()[0]
            chunks = c.execute("SELECT COUNT(*) FROM chunks WHERE scope = ?", (self.scope,)).fetchone()[0]
        return int(docs), int(chunks)

    # ------------------------------------------------------------ writes (inside a transaction)
    def upsert_document(
        self, conn: sqlite3.Connection, *, source: str, title: str, sha256: str, mime: str,
        added_by: str | None, chunk_count: int,
    ) -> int:
        conn.execute(
            "INSERT INTO documents (scope, source, title, sha256, mime, added_by, added_at, chunk_count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (scope, source) DO UPDATE SET title = excluded.title, sha256 = excluded.sha256,"
            " mime = excluded.mime, added_by = COALESCE(excluded.added_by, documents.added_by),"
            " added_at = excluded.added_at, chunk_count = excluded.chunk_count",
            (self.scope, source, title, sha256, mime, added_by, utc_now(), chunk_count),
        )
        row = conn.execute(
            "SELECT id FROM documents WHERE scope = ? AND source = ?", (self.scope, source)
        ).fetchone()
        return int(row["id"])

    def delete_chunks(self, conn: sqlite3.Connection, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            batch = [int(i) for i in ids[start : start + 500]]
            conn.execute(
                f"DELETE FROM chunks WHERE scope = ? AND id IN ({','.join('?' * len(batch))})", (self.scope, *batch)
            )

    def insert_chunk(
        self, conn: sqlite3.Connection, *, document_id: int, ord: int, text: str,
        page: int | None, heading: str | None, sha256: str,
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO chunks (document_id, scope, ord, text, page, heading, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (document_id, self.scope, ord, text, page, heading, sha256),
        )
        return int(cursor.lastrowid)

    def delete_document(self, conn: sqlite3.Connection, document_id: int) -> None:
        conn.execute("DELETE FROM documents WHERE scope = ? AND id = ?", (self.scope, document_id))

    def set_index_state(self, conn: sqlite3.Connection, generation: int, dense_file: str, sparse_dir: str) -> None:
        conn.execute(
            "INSERT INTO index_state (scope, generation, dense_file, sparse_dir, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (scope) DO UPDATE SET generation = excluded.generation, dense_file = excluded.dense_file,"
            " sparse_dir = excluded.sparse_dir, updated_at = excluded.updated_at",
            (self.scope, generation, dense_file, sparse_dir, utc_now()),
        )


@contextmanager
def _maybe(catalog: Catalog, conn: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
    if conn is not None:
        yield conn
    else:
        with catalog.connection() as fresh:
            yield fresh


def _document(row: sqlite3.Row) -> DocumentInfo:
    return DocumentInfo(
        id=int(row["id"]), scope=row["scope"], source=row["source"], title=row["title"], sha256=row["sha256"],
        chunk_count=int(row["chunk_count"]), added_by=row["added_by"], added_at=row["added_at"],
    )


def list_scopes(db_path: Path) -> list[str]:
    """Every scope with documents or an index in the DB file (empty when there is no DB yet)."""
    if not Path(db_path).exists():
        return []
    conn = connect(Path(db_path))
    try:
        migrate(conn)
        rows = conn.execute(
            "SELECT scope FROM documents UNION SELECT scope FROM index_state ORDER BY scope"
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]
