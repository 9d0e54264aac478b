"""The dense side of one search in PostgreSQL, shaped like `dense.DenseIndex` for hybrid.py.

A `PgDense` lives for one query, on the connection of that query's snapshot, so the chunk
search, the sentence search and the exact scores of the other retrievers' finds all read the
same committed state as the BM25 index the knowledge base holds for that generation.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import psycopg

from ..sentences import SEARCH_FANOUT
from .ann import AnnSettings, nearest
from .connection import Vector


class PgSentences:
    """The scope's sentence vectors: search (best sentence per chunk) and exact best-sentence scores."""

    def __init__(self, conn: psycopg.Connection, scope: str, count: int, settings: AnnSettings) -> None:
        self._conn = conn
        self._scope = scope
        self._count = count
        self._settings = settings

    def __len__(self) -> int:
        return self._count

    def search(self, query_vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        if k <= 0 or self._count == 0:
            return []
        best: dict[int, float] = {}
        for chunk_id, _unit, score in nearest(self._conn, "sentences", self._scope, query_vec, k * SEARCH_FANOUT,
                                              count=self._count, settings=self._settings):
            best.setdefault(chunk_id, score)  # rows come best first
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]

    def scores(self, query_vec: np.ndarray, chunk_ids: Iterable[int],
               chunk_cosine: Mapping[int, float]) -> dict[int, float]:
        """Best sentence cosine of each chunk, computed by pgvector; a chunk without sentence
        vectors scores `chunk_cosine[id]` (its single unit is the chunk itself), or is left out."""
        wanted = [int(c) for c in chunk_ids]
        if not wanted:
            return {}
        rows = self._conn.execute(
            "SELECT chunk_id, MAX(-(embedding <#> %b)) FROM kb_sentences WHERE scope = %s AND chunk_id = ANY(%s)"
            " GROUP BY chunk_id", (Vector(query_vec), self._scope, wanted)).fetchall()
        out = {int(r[0]): float(r[1]) for r in rows}
        for cid in wanted:
            if cid not in out and cid in chunk_cosine:
                out[cid] = float(chunk_cosine[cid])
        return out


class PgDense:
    """Chunk vectors of one scope at one snapshot: `ids` are the chunk ids of that snapshot."""

    def __init__(self, conn: psycopg.Connection, scope: str, dim: int, ids: frozenset[int], sentence_count: int,
                 settings: AnnSettings) -> None:
        self._conn = conn
        self._scope = scope
        self.dim = dim
        self._ids = ids
        self._settings = settings
        self.sentences = PgSentences(conn, scope, sentence_count, settings)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, chunk_id: int) -> bool:
        return int(chunk_id) in self._ids

    @property
    def kind(self) -> str:
        return kind_of(len(self._ids), self._settings)

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        return [(cid, score) for cid, _unit, score in
                nearest(self._conn, "chunks", self._scope, vec, k, count=len(self._ids), settings=self._settings)]

    def reconstruct_many(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of `ids` (all of this scope), in the order asked."""
        wanted = [int(i) for i in ids]
        found = chunk_vectors(self._conn, self._scope, wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            raise KeyError(f"no vector for chunk {missing[0]} in scope {self._scope}")
        return np.stack([found[i] for i in wanted]) if wanted else np.zeros((0, self.dim), np.float32)


def kind_of(count: int, settings: AnnSettings) -> str:
    return "pgvector-hnsw" if count >= settings.threshold else "pgvector-exact"


def chunk_vectors(conn: psycopg.Connection, scope: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
    rows = conn.cursor(binary=True).execute(
        "SELECT id, embedding FROM kb_chunks WHERE scope = %s AND id = ANY(%s)", (scope, list(ids))).fetchall()
    return {int(r[0]): r[1] for r in rows}


def sentence_vectors(conn: psycopg.Connection, scope: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Each chunk's sentence vectors in unit order (chunks without any are left out)."""
    rows = conn.cursor(binary=True).execute(
        "SELECT chunk_id, embedding FROM kb_sentences WHERE scope = %s AND chunk_id = ANY(%s)"
        " ORDER BY chunk_id, unit", (scope, list(ids))).fetchall()
    grouped: dict[int, list[np.ndarray]] = {}
    for chunk_id, vector in rows:
        grouped.setdefault(int(chunk_id), []).append(vector)
    return {cid: np.stack(vs) for cid, vs in grouped.items()}
