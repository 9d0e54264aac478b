"""Scoped reads and writes of kb_documents / kb_chunks / kb_index_state: the PostgreSQL twin of
retrieval/catalog.py's `Catalog` (the same method names, so ingest planning runs on either).

Reads take an optional connection (a snapshot or the writer's); without one a pooled
connection is used. Writes take the writer's connection, inside its transaction.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from ..catalog import ChunkRow
from ..types import DocumentInfo
from .connection import Connections
from .schema import utc_now

_CHUNK = ("SELECT c.id, c.document_id, c.ord, c.text, c.page, c.heading, c.sha256, d.title, d.source"
          " FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id")
_DOCUMENT = "SELECT id, scope, source, title, sha256, chunk_count, added_by, added_at FROM kb_documents"


@dataclass(frozen=True)
class PgIndexState:
    generation: int
    embedder: str | None  # the short name of the embedder that made the scope's vectors
    dim: int | None


class PgCatalog:
    def __init__(self, pool: Connections, scope: str) -> None:
        self.pool = pool
        self.scope = scope

    @contextmanager
    def _conn(self, conn: psycopg.Connection | None) -> Iterator[psycopg.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.pool.connection() as fresh:
                yield fresh

    # ------------------------------------------------------------ reads
    def index_state(self, conn: psycopg.Connection | None = None) -> PgIndexState:
        with self._conn(conn) as c:
            row = c.execute("SELECT generation, embedder, dim FROM kb_index_state WHERE scope = %s",
                            (self.scope,)).fetchone()
        return PgIndexState(int(row[0]), row[1], row[2]) if row else PgIndexState(0, None, None)

    def document(self, ref: int | str, conn: psycopg.Connection | None = None) -> DocumentInfo | None:
        column = "id" if isinstance(ref, int) else "source"
        with self._conn(conn) as c:
            row = c.execute(f"{_DOCUMENT} WHERE scope = %s AND {column} = %s", (self.scope, ref)).fetchone()
        return _document(row) if row else None

    def documents(self, conn: psycopg.Connection | None = None) -> list[DocumentInfo]:
        with self._conn(conn) as c:
            rows = c.execute(f"{_DOCUMENT} WHERE scope = %s ORDER BY id", (self.scope,)).fetchall()
        return [_document(r) for r in rows]

    def chunk_rows(self, ids: Sequence[int], conn: psycopg.Connection | None = None) -> dict[int, ChunkRow]:
        with self._conn(conn) as c:
            rows = c.execute(f"{_CHUNK} WHERE c.scope = %s AND c.id = ANY(%s)",
                             (self.scope, [int(i) for i in ids])).fetchall()
        return {int(r[0]): ChunkRow(*r) for r in rows}

    def all_chunks(self, conn: psycopg.Connection | None = None) -> list[ChunkRow]:
        with self._conn(conn) as c:
            rows = c.execute(f"{_CHUNK} WHERE c.scope = %s ORDER BY c.id", (self.scope,)).fetchall()
        return [ChunkRow(*r) for r in rows]

    def chunk_ids_by_sha(self, shas: Sequence[str], conn: psycopg.Connection | None = None) -> dict[str, int]:
        """One existing chunk id per sha256 (of the embedded passage) within the scope."""
        with self._conn(conn) as c:
            rows = c.execute(
                "SELECT sha256, MIN(id) FROM kb_chunks WHERE scope = %s AND sha256 = ANY(%s) GROUP BY sha256",
                (self.scope, sorted(set(shas)))).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def document_chunk_ids(self, document_id: int, conn: psycopg.Connection | None = None) -> list[int]:
        with self._conn(conn) as c:
            rows = c.execute("SELECT id FROM kb_chunks WHERE scope = %s AND document_id = %s ORDER BY ord",
                             (self.scope, document_id)).fetchall()
        return [int(r[0]) for r in rows]

    def counts(self, conn: psycopg.Connection | None = None) -> tuple[int, int]:
        with self._conn(conn) as c:
            docs = c.execute("SELECT COUNT(*) FROM kb_documents WHERE scope = %s", (self.scope,)).fetchone()
            chunks = c.execute("SELECT COUNT(*) FROM kb_chunks WHERE scope = %s", (self.scope,)).fetchone()
        return int(docs[0]) if docs else 0, int(chunks[0]) if chunks else 0

    def sentence_count(self, conn: psycopg.Connection | None = None) -> int:
        with self._conn(conn) as c:
            row = c.execute("SELECT COUNT(*) FROM kb_sentences WHERE scope = %s", (self.scope,)).fetchone()
        return int(row[0]) if row else 0

    def stored_bytes(self, conn: psycopg.Connection | None = None) -> int:
        """What the scope's chunk and sentence rows take in the tables (indexes not counted)."""
        with self._conn(conn) as c:
            row = c.execute(
                "SELECT COALESCE((SELECT SUM(pg_column_size(c.*)) FROM kb_chunks c WHERE c.scope = %s), 0)"
                " + COALESCE((SELECT SUM(pg_column_size(s.*)) FROM kb_sentences s WHERE s.scope = %s), 0)",
                (self.scope, self.scope)).fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ writes (the writer's transaction)
    def upsert_document(self, conn: psycopg.Connection, *, source: str, title: str, sha256: str, mime: str,
                        added_by: str | None, chunk_count: int) -> int:
        row = conn.execute(
            "INSERT INTO kb_documents (scope, source, title, sha256, mime, added_by, added_at, chunk_count)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (scope, source) DO UPDATE SET title = excluded.title, sha256 = excluded.sha256,"
            " mime = excluded.mime, added_by = COALESCE(excluded.added_by, kb_documents.added_by),"
            " added_at = excluded.added_at, chunk_count = excluded.chunk_count RETURNING id",
            (self.scope, source, title, sha256, mime, added_by, utc_now(), chunk_count)).fetchone()
        assert row is not None
        return int(row[0])

    def delete_chunks(self, conn: psycopg.Connection, ids: Sequence[int]) -> None:
        conn.execute("DELETE FROM kb_chunks WHERE scope = %s AND id = ANY(%s)", (self.scope, [int(i) for i in ids]))

    def delete_document(self, conn: psycopg.Connection, document_id: int) -> None:
        conn.execute("DELETE FROM kb_documents WHERE scope = %s AND id = %s", (self.scope, document_id))

    def bump_generation(self, conn: psycopg.Connection, embedder: str, dim: int) -> int:
        """Move the scope to its next generation (in the transaction of the change); the new number."""
        row = conn.execute(
            "INSERT INTO kb_index_state (scope, generation, embedder, dim, updated_at) VALUES (%s, 1, %s, %s, %s)"
            " ON CONFLICT (scope) DO UPDATE SET generation = kb_index_state.generation + 1,"
            " embedder = excluded.embedder, dim = excluded.dim, updated_at = excluded.updated_at"
            " RETURNING generation", (self.scope, embedder, dim, utc_now())).fetchone()
        assert row is not None
        return int(row[0])


def _document(row: tuple) -> DocumentInfo:
    return DocumentInfo(id=int(row[0]), scope=row[1], source=row[2], title=row[3], sha256=row[4],
                        chunk_count=int(row[5]), added_by=row[6], added_at=row[7])


def list_scopes(pool: Connections) -> list[str]:
    """Every scope with documents or an index state in the database."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT scope FROM kb_documents UNION SELECT scope FROM kb_index_state ORDER BY scope").fetchall()
    return [r[0] for r in rows]
