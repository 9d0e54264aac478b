"""Copy an embedded data dir (SQLite catalogue + FAISS files) into PostgreSQL: every scope's
documents, chunks, chunk vectors and sentence vectors (copied, never re-embedded), its recorded
embedder, and the re-sync tables. Row ids are kept, so ids stored elsewhere (citations) still
point at the same chunks. Each scope is one transaction under its writer lock, replacing what
PostgreSQL held for that scope; `ragcord migrate` calls `import_data_dir`.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg

from .. import embedder_record
from ..catalog import Catalog, connect, list_scopes
from ..config import RetrievalConfig
from ..dense import DenseIndex
from ..layout import DB_FILENAME, index_dir
from .ann import AnnSettings, ensure_hnsw
from .catalog import PgCatalog
from .connection import Connections, Vector
from .schema import scope_lock_key
from .writes import insert_sentences

_SYNC_TABLES = {
    "sync_sources": ("url, kind, every_s, added_at, last_synced_at, next_sync_at, last_error, error_count, etag,"
                     " last_modified"),
    "sync_pages": ("url, origin, etag, last_modified, body_sha256, last_synced_at, next_sync_at, last_error,"
                   " error_count, gone_count"),
}


_DEFAULTS = RetrievalConfig()
_ANN = AnnSettings(_DEFAULTS.ann_threshold, _DEFAULTS.hnsw_m, _DEFAULTS.hnsw_ef_search)


class TransferError(RuntimeError):
    """A scope that cannot be copied (e.g. its index files are missing); one line."""


@dataclass
class ScopeCounts:
    documents: int = 0
    chunks: int = 0
    vectors: int = 0
    sentence_vectors: int = 0
    sync_sources: int = 0
    sync_pages: int = 0


@dataclass
class TransferCounts:
    documents: int = 0
    chunks: int = 0
    vectors: int = 0
    sentence_vectors: int = 0
    sync_sources: int = 0
    sync_pages: int = 0
    scopes: dict[str, ScopeCounts] = field(default_factory=dict)

    def add(self, scope: str, counts: ScopeCounts) -> None:
        self.scopes[scope] = counts
        for name in ("documents", "chunks", "vectors", "sentence_vectors", "sync_sources", "sync_pages"):
            setattr(self, name, getattr(self, name) + getattr(counts, name))


def import_data_dir(data_dir: Path, dsn: str) -> TransferCounts:
    """Copy every scope of `data_dir` into the PostgreSQL at `dsn`; the counts copied."""
    data_dir = Path(data_dir)
    db_path = data_dir / DB_FILENAME
    totals = TransferCounts()
    pool = Connections(dsn, keep=1)
    try:
        for scope in list_scopes(db_path):
            Catalog(db_path, scope)  # runs the SQLite migrations (an old data dir may lack the sync tables)
            totals.add(scope, _copy_scope(data_dir, db_path, scope, pool))
        with pool.connection() as conn:
            for table in ("kb_documents", "kb_chunks"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(m, 1), m > 0)"
                             f" FROM (SELECT COALESCE(MAX(id), 0) AS m FROM {table}) AS top")
    finally:
        pool.close()
    return totals


def _load_dense(data_dir: Path, db_path: Path, scope: str) -> DenseIndex | None:
    state = Catalog(db_path, scope).index_state()
    if not state.generation or not state.dense_file:
        return None
    try:
        return DenseIndex.load(index_dir(data_dir, scope) / state.dense_file)
    except (OSError, RuntimeError, ValueError) as exc:
        raise TransferError(f"scope {scope}: its vectors cannot be read ({exc}); run `ragcord doctor --repair`"
                            " first") from exc


def _copy_scope(data_dir: Path, db_path: Path, scope: str, pool: Connections) -> ScopeCounts:
    counts = ScopeCounts()
    lite = connect(db_path)
    try:
        documents = lite.execute(
            "SELECT id, source, title, sha256, mime, added_by, added_at, chunk_count FROM documents"
            " WHERE scope = ? ORDER BY id", (scope,)).fetchall()
        chunks = lite.execute(
            "SELECT id, document_id, ord, text, page, heading, sha256 FROM chunks WHERE scope = ? ORDER BY id",
            (scope,)).fetchall()
        sync = {table: lite.execute(f"SELECT {columns} FROM {table} WHERE scope = ?", (scope,)).fetchall()
                for table, columns in _SYNC_TABLES.items()}
    finally:
        lite.close()
    dense = _load_dense(data_dir, db_path, scope)
    ids = [int(c["id"]) for c in chunks]
    if ids and (dense is None or any(i not in dense for i in ids)):
        raise TransferError(f"scope {scope}: the index lacks vectors of some chunks; run `ragcord doctor --repair`"
                            " first")
    vectors = dense.reconstruct_many(ids) if dense is not None and ids else np.zeros((0, 0), np.float32)
    recorded = embedder_record.recorded(index_dir(data_dir, scope))
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (scope_lock_key(scope),))
        _clear_scope(conn, scope)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO kb_documents (id, scope, source, title, sha256, mime, added_by, added_at, chunk_count)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(int(d["id"]), scope, d["source"], d["title"], d["sha256"], d["mime"], d["added_by"],
                  d["added_at"], int(d["chunk_count"])) for d in documents])
            cur.executemany(
                "INSERT INTO kb_chunks (id, document_id, scope, ord, text, page, heading, sha256, dim, embedding)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %b)",
                [(int(c["id"]), int(c["document_id"]), scope, int(c["ord"]), c["text"], c["page"], c["heading"],
                  c["sha256"], len(v), Vector(v)) for c, v in zip(chunks, vectors, strict=True)])
        if dense is not None and ids:
            per_chunk = [dense.sentences.vectors(i) for i in ids]
            insert_sentences(conn, scope, ids, per_chunk)
            counts.sentence_vectors = sum(len(u) for u in per_chunk)
        _copy_sync(conn, scope, sync)
        if dense is not None:
            PgCatalog(pool, scope).bump_generation(conn, recorded or "", dense.dim)
            for kind, n in (("chunks", len(ids)), ("sentences", counts.sentence_vectors)):
                if n >= _ANN.threshold:  # as a publish would (with the default settings)
                    ensure_hnsw(conn, kind, scope, dense.dim, _ANN)
    counts.documents, counts.chunks, counts.vectors = len(documents), len(chunks), len(ids)
    counts.sync_sources, counts.sync_pages = len(sync["sync_sources"]), len(sync["sync_pages"])
    return counts


def _clear_scope(conn: psycopg.Connection, scope: str) -> None:
    for table in ("kb_sentences", "kb_chunks", "kb_documents", "kb_sync_sources", "kb_sync_pages"):
        conn.execute(f"DELETE FROM {table} WHERE scope = %s", (scope,))


def _copy_sync(conn: psycopg.Connection, scope: str, sync: dict[str, list[sqlite3.Row]]) -> None:
    for table, columns in _SYNC_TABLES.items():
        rows = sync[table]
        if not rows:
            continue
        marks = ", ".join(["%s"] * (len(columns.split(",")) + 1))
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO kb_{table} (scope, {columns}) VALUES ({marks})",
                            [(scope, *tuple(r)) for r in rows])
