"""The write steps of the PostgreSQL knowledge base: reuse stored vectors of identical chunks,
then write documents, chunks (with their vectors) and sentence vectors in the writer's
transaction. The caller bumps the scope's generation in that same transaction."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg

from ..catalog import ChunkRow
from ..config import SentenceVectors
from ..embedder import Embedder
from ..ingest import Plan, Progress, fill_plans
from .catalog import PgCatalog
from .connection import Vector
from .dense import chunk_vectors, sentence_vectors


def embed_plans(plans: list[Plan], catalog: PgCatalog, conn: psycopg.Connection, embedder: Embedder,
                notify: Progress, unit_mode: SentenceVectors) -> int:
    """Fill the plans' vectors: stored ones for chunks the scope already holds (when their sentence
    vectors are stored too, as many as the plan wants), the rest embedded; returns how many were."""
    units_of = {sha: units for p in plans for sha, units in zip(p.passage_shas, p.units)}
    known = catalog.chunk_ids_by_sha(list(units_of), conn)
    ids = list(known.values())
    stored = chunk_vectors(conn, catalog.scope, ids)
    stored_units = sentence_vectors(conn, catalog.scope, ids)
    vectors: dict[str, np.ndarray] = {}
    unit_vectors: dict[str, np.ndarray] = {}
    empty = np.zeros((0, embedder.dim), dtype=np.float32)
    for sha, cid in known.items():
        units = stored_units.get(cid, empty)
        if cid in stored and len(stored[cid]) == embedder.dim and len(units) == len(units_of[sha].texts):
            vectors[sha], unit_vectors[sha] = stored[cid], units
    return fill_plans(plans, vectors, unit_vectors, embedder, notify, unit_mode)


def new_chunk_ids(conn: psycopg.Connection, n: int) -> list[int]:
    if n <= 0:
        return []
    rows = conn.execute("SELECT nextval('kb_chunks_id_seq') FROM generate_series(1, %s)", (n,)).fetchall()
    return [int(r[0]) for r in rows]


def insert_sentences(conn: psycopg.Connection, scope: str, chunk_ids: Sequence[int],
                     per_chunk: Sequence[np.ndarray]) -> None:
    rows = [(cid, k, scope, len(v), Vector(v)) for cid, units in zip(chunk_ids, per_chunk, strict=True)
            if len(units) for k, v in enumerate(np.asarray(units, dtype=np.float32).reshape(len(units), -1))]
    if rows:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO kb_sentences (chunk_id, unit, scope, dim, embedding)"
                            " VALUES (%s, %s, %s, %s, %b)", rows)


def write_plans(conn: psycopg.Connection, catalog: PgCatalog, plans: list[Plan], added_by: str | None) -> int:
    """Replace / insert every planned document's rows (inside the writer's transaction); the number
    of chunks written."""
    written = 0
    for plan in plans:
        if plan.existing_id is not None:  # its chunks go, and their sentence vectors with them (cascade)
            catalog.delete_chunks(conn, catalog.document_chunk_ids(plan.existing_id, conn))
        doc_id = catalog.upsert_document(conn, source=plan.doc.source, title=plan.doc.title, sha256=plan.sha256,
                                         mime=plan.doc.mime, added_by=added_by, chunk_count=len(plan.drafts))
        ids = new_chunk_ids(conn, len(plan.drafts))
        rows = [(cid, doc_id, catalog.scope, d.ord, d.text, d.page, d.heading, sha, len(v), Vector(v))
                for cid, d, sha, v in zip(ids, plan.drafts, plan.passage_shas, plan.vectors, strict=True)]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO kb_chunks (id, document_id, scope, ord, text, page, heading, sha256, dim, embedding)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %b)", rows)
        insert_sentences(conn, catalog.scope, ids, plan.unit_vectors)
        written += len(ids)
    return written


def replace_vectors(conn: psycopg.Connection, scope: str, rows: Sequence[ChunkRow], vectors: np.ndarray,
                    per_chunk: Sequence[np.ndarray]) -> None:
    """Reindex: every chunk's vector replaced and its sentence vectors rewritten."""
    conn.execute("DELETE FROM kb_sentences WHERE scope = %s", (scope,))
    with conn.cursor() as cur:
        cur.executemany("UPDATE kb_chunks SET dim = %s, embedding = %b WHERE scope = %s AND id = %s",
                        [(len(v), Vector(v), scope, r.id) for r, v in zip(rows, vectors, strict=True)])
    insert_sentences(conn, scope, [r.id for r in rows], per_chunk)
