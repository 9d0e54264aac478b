"""FAISS inner-product index keyed by int64 chunk ids: exact when small, HNSW when large.

The exact `IndexIDMap2(IndexFlatIP)` is always kept as the vector store (it can
reconstruct and remove by id). At `ann_threshold` vectors an
`IndexIDMap2(IndexHNSWFlat)` is built beside it for searching; HNSW cannot
remove, so a removal drops it and it is rebuilt from the store on the next
search. Callers see the same methods either way.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import faiss
import numpy as np

from .fsutil import atomic_write_bytes


class DenseIndex:
    def __init__(
        self,
        dim: int,
        *,
        ann_threshold: int = 50_000,
        hnsw_m: int = 32,
        ef_search: int = 128,
        ef_construction: int = 80,
    ) -> None:
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self._store = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._ann: faiss.IndexIDMap2 | None = None
        self._ann_lock = threading.Lock()

    # ------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self._store.ntotal)

    @property
    def kind(self) -> str:
        return "hnsw" if len(self) >= self.ann_threshold else "flat"

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._store.id_map).astype(np.int64)

    def __contains__(self, chunk_id: int) -> bool:
        try:
            self._store.reconstruct(int(chunk_id))
        except RuntimeError:
            return False
        return True

    # ------------------------------------------------------------ changes
    def add(self, ids: Sequence[int] | np.ndarray, vecs: np.ndarray) -> None:
        ids_arr = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
        vecs_arr = np.ascontiguousarray(np.asarray(vecs, dtype=np.float32).reshape(len(ids_arr), self.dim))
        if len(ids_arr) == 0:
            return
        if len(np.unique(ids_arr)) != len(ids_arr) or (len(self) and np.isin(ids_arr, self.ids()).any()):
            raise ValueError("duplicate chunk id added to the dense index")
        self._store.add_with_ids(vecs_arr, ids_arr)
        if self._ann is not None:
            self._ann.add_with_ids(vecs_arr, ids_arr)

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        ids_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(ids_arr) == 0:
            return 0
        removed = int(self._store.remove_ids(faiss.IDSelectorBatch(ids_arr)))
        if removed:
            self._ann = None  # HNSW cannot delete: rebuilt from the store when next needed
        return removed

    def reconstruct(self, chunk_id: int) -> np.ndarray:
        try:
            return self._store.reconstruct(int(chunk_id))
        except RuntimeError:
            raise KeyError(chunk_id) from None

    def reconstruct_many(self, ids: Sequence[int]) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.reconstruct(i) for i in ids])

    # ------------------------------------------------------------ search
    def copy(self) -> "DenseIndex":
        """An independent copy (the knowledge base edits a copy, then swaps it in)."""
        other = DenseIndex(self.dim, ann_threshold=self.ann_threshold, hnsw_m=self.hnsw_m,
                           ef_search=self.ef_search, ef_construction=self.ef_construction)
        other._store = faiss.clone_index(self._store)
        if self._ann is not None:
            other._ann = faiss.clone_index(self._ann)
        return other

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        n = len(self)
        if n == 0 or k <= 0:
            return []
        k = min(k, n)
        query = np.ascontiguousarray(np.asarray(vec, dtype=np.float32).reshape(1, self.dim))
        index = self._search_index()
        if index is not self._store:
            faiss.downcast_index(index.index).hnsw.efSearch = max(self.ef_search, k)
        scores, ids = index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def _search_index(self) -> faiss.Index:
        if len(self) < self.ann_threshold:
            return self._store
        with self._ann_lock:
            if self._ann is None or self._ann.ntotal != self._store.ntotal:
                self._ann = self._build_ann()
            return self._ann

    def _build_ann(self) -> faiss.IndexIDMap2:
        hnsw = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.ef_construction
        ann = faiss.IndexIDMap2(hnsw)
        n = len(self)
        if n:
            vectors = self._store.index.reconstruct_n(0, n)
            ann.add_with_ids(vectors, self.ids())
        return ann

    # ------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Atomically write one FAISS file (HNSW when in ANN mode, else the flat store)."""
        index = self._search_index() if len(self) >= self.ann_threshold else self._store
        data = faiss.serialize_index(index)
        atomic_write_bytes(Path(path), data.tobytes())

    @classmethod
    def load(cls, path: str | Path, **options: int) -> "DenseIndex":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no dense index at {path}")
        raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
        index = faiss.deserialize_index(raw)
        if not isinstance(index, faiss.IndexIDMap2):
            index = faiss.downcast_index(index)
        self = cls(index.d, **options)
        inner = faiss.downcast_index(index.index)
        n = int(index.ntotal)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        if isinstance(inner, faiss.IndexHNSW):
            vectors = inner.storage.reconstruct_n(0, n) if n else np.zeros((0, index.d), np.float32)
            self._store.add_with_ids(vectors, ids)
            self._ann = index
        else:
            self._store = index
        return self


def file_size(path: str | Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
