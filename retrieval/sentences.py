"""Sentence vectors of chunks, beside the chunk vectors (both held by `dense.DenseIndex`).

A chunk vector averages everything a chunk says; a question usually asks about
one sentence of it. Each chunk with two or more sentence units
(`chunking.sentence_units`) also stores one vector per unit, under the id
`chunk_id << 10 | unit number`, in a `VectorIndex` of its own (so it goes flat →
HNSW → IVF with its size, like the chunk vectors). Fusion then uses a chunk's
best sentence cosine as a third evidence (see fusion.py). A chunk without
sentence units scores its chunk cosine here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from .vectors import VectorIndex

SHIFT = 10  # sentence id = chunk id << SHIFT | unit number (chunking.MAX_SENTENCE_UNITS < 2**SHIFT)
SEARCH_FANOUT = 4  # sentences fetched per wanted chunk: several of one chunk may rank together


class SentenceStore:
    """`make_index` builds the (empty) VectorIndex on first add; `index` may also be given."""

    def __init__(self, dim: int, make_index: Callable[[], VectorIndex], index: VectorIndex | None = None) -> None:
        self.dim = dim
        self._make_index = make_index
        self.index = index
        self._counts: dict[int, int] | None = None  # chunk id → sentence vectors, derived lazily

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else 0

    def counts(self) -> dict[int, int]:
        if self._counts is None:
            if self.index is None:
                return {}
            chunks, counts = np.unique(self.index.ids() >> SHIFT, return_counts=True)
            self._counts = dict(zip(chunks.tolist(), counts.tolist()))
        return self._counts

    def add(self, chunk_ids: Sequence[int], per_chunk: Sequence[np.ndarray]) -> None:
        """Store each chunk's sentence vectors (an (n, dim) array, n may be 0)."""
        ids: list[int] = []
        rows: list[np.ndarray] = []
        if self.index is None:
            self.index = self._make_index()
        for cid, vectors in zip(chunk_ids, per_chunk, strict=True):
            vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
            if len(vectors) >= 1 << SHIFT:
                raise ValueError(f"chunk {cid} has {len(vectors)} sentence vectors (at most {(1 << SHIFT) - 1})")
            ids.extend((int(cid) << SHIFT) | k for k in range(len(vectors)))
            rows.append(vectors)
        if ids:
            self.index.add(ids, np.concatenate(rows))
            self._counts = None

    def remove(self, chunk_ids: Iterable[int]) -> int:
        gone = np.asarray(list(chunk_ids), dtype=np.int64)
        if len(gone) == 0 or self.index is None or len(self) == 0:
            return 0
        ids = self.index.ids()
        doomed = ids[np.isin(ids >> SHIFT, gone)]
        if len(doomed) == 0:
            return 0
        self._counts = None
        return self.index.remove(doomed)

    def vectors(self, chunk_id: int) -> np.ndarray:
        """The chunk's sentence vectors in unit order ((0, dim) when it has none)."""
        n = self.counts().get(int(chunk_id), 0)
        if self.index is None or n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_many([(int(chunk_id) << SHIFT) | k for k in range(n)])

    def search(self, query_vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k chunks whose best sentence is closest to the query, as (chunk id, cosine)."""
        if k <= 0 or self.index is None or len(self) == 0:
            return []
        best: dict[int, float] = {}
        for sid, score in self.index.search(query_vec, k * SEARCH_FANOUT):
            best.setdefault(sid >> SHIFT, score)  # hits come best first
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]

    def scores(self, query_vec: np.ndarray, chunk_ids: Iterable[int],
               chunk_cosine: Mapping[int, float]) -> dict[int, float]:
        """Best sentence cosine of each chunk; a chunk without sentence vectors scores
        `chunk_cosine[id]` (its single unit is the chunk itself), or is left out."""
        counts = self.counts()
        chunk_ids = list(chunk_ids)
        out = {cid: float(chunk_cosine[cid]) for cid in chunk_ids if not counts.get(cid) and cid in chunk_cosine}
        wanted = [cid for cid in chunk_ids if counts.get(cid)]
        if wanted and self.index is not None:  # one reconstruct and one product for all their sentences
            sentence_ids = [(cid << SHIFT) | k for cid in wanted for k in range(counts[cid])]
            cosines = self.index.reconstruct_many(sentence_ids) @ np.asarray(query_vec, dtype=np.float32)
            starts = np.cumsum([0, *(counts[cid] for cid in wanted[:-1])])
            out.update(zip(wanted, np.maximum.reduceat(cosines, starts).tolist()))
        return out

    def copy(self) -> SentenceStore:
        other = SentenceStore(self.dim, self._make_index, self.index.copy() if self.index is not None else None)
        other._counts = dict(self._counts) if self._counts is not None else None
        return other
