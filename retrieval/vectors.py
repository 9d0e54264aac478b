"""FAISS inner-product index keyed by int64 ids (chunks or sentences): exact when small, HNSW or IVF when large.

The exact `IndexIDMap2(IndexFlatIP)` is always kept as the vector store (it can
reconstruct and remove by id). Beside it, an approximate index is built for searching:

- below `ann_threshold` vectors: none, search is exact ("flat");
- from `ann_threshold`: `IndexIDMap2(IndexHNSWFlat)` ("hnsw"). HNSW cannot remove,
  so a removal drops it and it is rebuilt from the store on the next search;
- from `ivf_threshold` (and `ann_threshold`): `IndexIVFFlat` with inner product and
  the chunk ids as its own ids ("ivf"), because building HNSW over ~1M vectors takes
  minutes on a small machine. nlist ≈ 4·√n (a power of two, at most 4096 to bound the
  k-means cost, at most n/39), k-means on a seeded sample of 40·nlist stored vectors;
  additions and removals are applied to it in place. It is retrained from the store once
  the store has grown to twice the size it was trained at (for a loaded file: its size
  when loaded). nprobe is `ivf_nprobe`, or when 0 nlist/16 (at least 8): about 6 % of
  the vectors are scanned, recall@10 0.99 at 1M in `bench/scale.py`, where nlist/32
  already gives 0.986. It is passed with every search rather than set on the shared index.

Whichever is used, the approximate index is (re)built lazily under a lock on the first
search that needs it, and callers see the same methods.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from .fsutil import atomic_write_bytes

IVF_POINTS_PER_LIST = 40  # k-means training sample per inverted list
IVF_MAX_NLIST = 4096  # k-means over 4096 lists at 1M takes about a minute on 2 cores
IVF_RETRAIN_GROWTH = 2  # retrain once the store holds this many times the training-time size
IVF_SEED = 1234


def ivf_nlist(n: int) -> int:
    """Inverted lists for n vectors: the power of two nearest 4·√n, at most IVF_MAX_NLIST and n/39."""
    nlist = min(IVF_MAX_NLIST, 1 << max(0, round(math.log2(4 * math.sqrt(max(n, 1))))))
    while nlist > 1 and nlist * 39 > n:
        nlist //= 2
    return nlist


@contextmanager
def single_threaded() -> Iterator[None]:
    """FAISS on the calling thread only, for one query. Its OpenMP splits even a single query's
    scan over every core, and on a busy box (the embedder, another question) the second thread
    waits for a time slice: a flat scan of 26k vectors took 21 ms that way and 1.5 ms on one thread.
    The setting belongs to the calling thread (OpenMP keeps it per thread), so index builds, which
    run elsewhere, keep every core; it is restored on the way out."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class VectorIndex:
    """Exact vector store plus a lazily built approximate index; one plain FAISS file on disk."""

    def __init__(
        self,
        dim: int,
        *,
        ann_threshold: int = 50_000,
        hnsw_m: int = 32,
        ef_search: int = 128,
        ef_construction: int = 80,
        ivf_threshold: int = 500_000,
        ivf_nprobe: int = 0,
    ) -> None:
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self.ivf_threshold = ivf_threshold
        self.ivf_nprobe = ivf_nprobe
        self._store = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._ann: faiss.Index | None = None  # IndexIDMap2(HNSW) or IndexIVFFlat
        self._ann_kind = "flat"  # kind of self._ann when it is not None
        self._ivf_trained_n = 0  # store size the IVF was trained at
        self._ann_lock = threading.Lock()

    def empty_like(self) -> VectorIndex:
        """An empty index with the same dimension and options."""
        return VectorIndex(self.dim, ann_threshold=self.ann_threshold, hnsw_m=self.hnsw_m,
                          ef_search=self.ef_search, ef_construction=self.ef_construction,
                          ivf_threshold=self.ivf_threshold, ivf_nprobe=self.ivf_nprobe)

    # ------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self._store.ntotal)

    @property
    def kind(self) -> str:
        return self._kind_for(len(self))

    def _kind_for(self, n: int) -> str:
        if n < self.ann_threshold:
            return "flat"
        return "ivf" if n >= self.ivf_threshold else "hnsw"

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
            if self._stale(self._ann_kind):
                self._ann = None  # the wrong kind now, or an IVF outgrown: rebuilt on the next search
            else:
                self._ann.add_with_ids(vecs_arr, ids_arr)

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        ids_arr = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
        if len(ids_arr) == 0:
            return 0
        removed = int(self._store.remove_ids(faiss.IDSelectorBatch(ids_arr)))
        if removed and self._ann is not None:
            if self._ann_kind == "ivf" and not self._stale("ivf"):
                self._ann.remove_ids(faiss.IDSelectorBatch(ids_arr))  # IVF removes in place
            else:
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
        keys = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
        try:
            return self._store.reconstruct_batch(keys)  # one call into FAISS, not one per vector
        except RuntimeError:  # an id not in the store: say which
            return np.stack([self.reconstruct(i) for i in ids])

    # ------------------------------------------------------------ search
    def copy(self) -> VectorIndex:
        """An independent copy."""
        other = self.empty_like()
        other._store = faiss.clone_index(self._store)
        if self._ann is not None:
            other._ann = faiss.clone_index(self._ann)
            other._ann_kind, other._ivf_trained_n = self._ann_kind, self._ivf_trained_n
        return other

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        n = len(self)
        if n == 0 or k <= 0:
            return []
        k = min(k, n)
        query = np.ascontiguousarray(np.asarray(vec, dtype=np.float32).reshape(1, self.dim))
        index, kind = self._search_index()
        with single_threaded():
            if kind == "ivf":
                params = faiss.SearchParametersIVF()
                params.nprobe = self._nprobe(index.nlist)
                scores, ids = index.search(query, k, params=params)
            else:
                if kind == "hnsw":
                    faiss.downcast_index(index.index).hnsw.efSearch = max(self.ef_search, k)
                scores, ids = index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def _nprobe(self, nlist: int) -> int:
        return min(nlist, self.ivf_nprobe if self.ivf_nprobe > 0 else max(8, nlist // 16))

    def _stale(self, kind: str) -> bool:
        """Whether an approximate index of `kind` no longer fits the store's size."""
        n = len(self)
        return kind != self._kind_for(n) or (kind == "ivf" and n >= IVF_RETRAIN_GROWTH * self._ivf_trained_n)

    def _search_index(self) -> tuple[faiss.Index, str]:
        kind = self.kind
        if kind == "flat":
            return self._store, kind
        with self._ann_lock:
            if self._ann is None or self._ann_kind != kind or self._ann.ntotal != self._store.ntotal \
                    or self._stale(kind):
                self._ann = self._build_ivf() if kind == "ivf" else self._build_hnsw()
                self._ann_kind = kind
            return self._ann, kind

    def _vectors(self) -> np.ndarray:
        """The stored vectors, in store order (a view: read it before changing the store)."""
        n = len(self)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        flat = faiss.downcast_index(self._store.index)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)

    def _build_hnsw(self) -> faiss.IndexIDMap2:
        hnsw = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.ef_construction
        ann = faiss.IndexIDMap2(hnsw)
        if len(self):
            ann.add_with_ids(np.ascontiguousarray(self._vectors()), self.ids())
        return ann

    def _build_ivf(self) -> faiss.IndexIVFFlat:
        n = len(self)
        nlist = ivf_nlist(n)
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = IVF_SEED
        vectors = self._vectors()
        rng = np.random.default_rng(IVF_SEED)
        sample = np.sort(rng.choice(n, size=min(n, IVF_POINTS_PER_LIST * nlist), replace=False))
        ivf.train(np.ascontiguousarray(vectors[sample]))
        ivf.nprobe = self._nprobe(nlist)  # also passed per search; kept here for saved files
        ivf.add_with_ids(vectors, self.ids())
        self._ivf_trained_n = n
        return ivf

    # ------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Atomically write the FAISS index (HNSW or IVF in ANN mode, else the flat store)."""
        atomic_write_bytes(Path(path), self.to_bytes())

    def to_bytes(self) -> bytes:
        return faiss.serialize_index(self._search_index()[0]).tobytes()

    @classmethod
    def load(cls, path: str | Path, **options: int) -> VectorIndex:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no dense index at {path}")
        return cls.from_bytes(path.read_bytes(), str(path), **options)

    @classmethod
    def from_bytes(cls, blob: bytes, origin: str = "<bytes>", **options: int) -> VectorIndex:
        """Read a plain FAISS file (flat IDMap2, IDMap2 over HNSW, or IVF-Flat); `origin` names it in errors."""
        raw = np.frombuffer(blob, dtype=np.uint8)
        index = faiss.deserialize_index(raw)  # already of its concrete type
        self = cls(index.d, **options)
        n = int(index.ntotal)
        if isinstance(index, faiss.IndexIVFFlat):
            ids, vectors = _ivf_contents(index)
            order = np.argsort(ids, kind="stable")
            if n:
                self._store.add_with_ids(np.ascontiguousarray(vectors[order]), ids[order])
            self._ann, self._ann_kind, self._ivf_trained_n = index, "ivf", n
            return self
        if not isinstance(index, faiss.IndexIDMap2):
            raise ValueError(f"unexpected index type in {origin}: {type(index).__name__}")
        inner = faiss.downcast_index(index.index)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        if isinstance(inner, faiss.IndexHNSW):
            vectors = inner.storage.reconstruct_n(0, n) if n else np.zeros((0, index.d), np.float32)
            self._store.add_with_ids(vectors, ids)
            self._ann, self._ann_kind = index, "hnsw"
        else:
            self._store = index
        return self


def _ivf_contents(ivf: faiss.IndexIVFFlat) -> tuple[np.ndarray, np.ndarray]:
    """All (ids, vectors) held in an IVF-Flat's inverted lists (its codes are the raw floats)."""
    invlists = faiss.downcast_InvertedLists(ivf.invlists)
    all_ids, all_vecs = [], []
    for lst in range(ivf.nlist):
        size = invlists.list_size(lst)
        if size == 0:
            continue
        ids_ptr, codes_ptr = invlists.get_ids(lst), invlists.get_codes(lst)
        try:
            all_ids.append(faiss.rev_swig_ptr(ids_ptr, size).copy())
            codes = faiss.rev_swig_ptr(codes_ptr, size * invlists.code_size).copy()
            all_vecs.append(codes.view(np.float32).reshape(size, ivf.d))
        finally:
            invlists.release_ids(lst, ids_ptr)
            invlists.release_codes(lst, codes_ptr)
    if not all_ids:
        return np.zeros(0, np.int64), np.zeros((0, ivf.d), np.float32)
    return np.concatenate(all_ids).astype(np.int64), np.concatenate(all_vecs)

