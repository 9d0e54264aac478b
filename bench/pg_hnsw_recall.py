"""Recall@10 of pgvector HNSW (retrieval/pg/ann.py's settings) against exact search, on real
MiniLM vectors: a data dir's chunk + sentence vectors as the corpus, a BEIR set's questions
as queries.

    python -m bench.pg_hnsw_recall DATA_DIR SCOPE QUERIES.jsonl POSTGRES_URL [--ef 40,128,256]

DATA_DIR is an embedded (SQLite + FAISS) data dir, e.g. the one `ragcord eval` builds
(DATA_DIR/eval/<set>-<fingerprint>); POSTGRES_URL a database it may write scope `bench:recall` to.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from retrieval.catalog import Catalog
from retrieval.config import RetrievalConfig
from retrieval.dense import DenseIndex
from retrieval.embedder import Embedder
from retrieval.layout import DB_FILENAME, index_dir
from retrieval.pg.ann import AnnSettings, ensure_hnsw, nearest
from retrieval.pg.catalog import PgCatalog
from retrieval.pg.connection import Connections, Vector
from retrieval.pg.writes import new_chunk_ids

SCOPE = "bench:recall"


def corpus(data_dir: Path, scope: str) -> np.ndarray:
    state = Catalog(data_dir / DB_FILENAME, scope).index_state()
    dense = DenseIndex.load(index_dir(data_dir, scope) / str(state.dense_file))
    parts = [dense.reconstruct_many(dense.ids())]
    if dense.sentences.index is not None and len(dense.sentences):
        parts.append(dense.sentences.index.reconstruct_many(dense.sentences.index.ids()))
    return np.concatenate(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("scope")
    ap.add_argument("queries", type=Path)
    ap.add_argument("dsn")
    ap.add_argument("--ef", default="40,128,256")
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    vectors = corpus(args.data_dir, args.scope)
    texts = [json.loads(line)["text"] for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = Embedder().encode(texts)  # MiniLM: queries embed like passages
    cfg = RetrievalConfig()
    pool = Connections(args.dsn)
    with pool.connection() as conn, conn.transaction():  # every vector as a chunk of one bench document
        conn.execute("DELETE FROM kb_documents WHERE scope = %s", (SCOPE,))
        doc = PgCatalog(pool, SCOPE).upsert_document(conn, source="bench", title="bench", sha256="", mime="text/plain",
                                                      added_by=None, chunk_count=len(vectors))
        ids = new_chunk_ids(conn, len(vectors))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO kb_chunks (id, document_id, scope, ord, text, sha256, dim, embedding)"
                            " VALUES (%s, %s, %s, %s, '', '', %s, %b)",
                            [(cid, doc, SCOPE, i, vectors.shape[1], Vector(v)) for i, (cid, v) in enumerate(zip(ids, vectors))])
        started = time.perf_counter()
        ensure_hnsw(conn, "chunks", SCOPE, vectors.shape[1], AnnSettings(1, cfg.hnsw_m, cfg.hnsw_ef_search))
        built = time.perf_counter() - started
    exact = np.asarray(ids)[np.argsort(-(queries @ vectors.T), axis=1)[:, : args.k]]
    print(f"{len(vectors)} vectors (dim {vectors.shape[1]}), {len(queries)} queries, m={cfg.hnsw_m}, "
          f"ef_construction=128, build {built:.1f}s")
    for ef in (int(e) for e in args.ef.split(",")):
        settings = AnnSettings(1, cfg.hnsw_m, ef)
        hits, took = 0, []
        with pool.connection() as conn:
            for q, truth in zip(queries, exact):
                with conn.transaction():
                    t = time.perf_counter()
                    found = nearest(conn, "chunks", SCOPE, q, args.k, count=len(vectors), settings=settings)
                    took.append(time.perf_counter() - t)
                hits += len({cid for cid, _u, _s in found} & set(truth.tolist()))
        print(f"hnsw.ef_search={ef}: recall@{args.k} {hits / (len(queries) * args.k):.4f}, "
              f"p50 {1000 * float(np.median(took)):.2f} ms")
    with pool.connection() as conn:
        conn.execute("DELETE FROM kb_documents WHERE scope = %s", (SCOPE,))
    pool.close()


if __name__ == "__main__":
    main()
