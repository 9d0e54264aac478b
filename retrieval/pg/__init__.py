"""The retrieval side on PostgreSQL + pgvector (chosen when `database_url` is a postgresql:// URL).

Documents, chunks, chunk and sentence vectors, the per-scope generation and the re-sync
tables live in PostgreSQL (psycopg 3, blocking like the rest of retrieval/); BM25 stays the
in-memory `SparseIndex`, rebuilt from the chunk rows whenever the scope's generation moves.
See retrieval/README.md, "PostgreSQL".
"""
from __future__ import annotations


def is_postgres_url(url: str | None) -> bool:
    """Whether `url` names a PostgreSQL server (else the data dir's SQLite + FAISS files are used)."""
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))
