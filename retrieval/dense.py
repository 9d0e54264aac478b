"""The dense side of one knowledge base: chunk vectors and their sentence vectors, one owner.

`DenseIndex` holds a `VectorIndex` of chunk vectors and a `SentenceStore` whose own
`VectorIndex` (same options) holds the sentence vectors; removing a chunk removes its
sentences. On disk it is one file: a plain FAISS file when there are no sentence
vectors (as written before they existed), else `_PAIR_MAGIC`, the chunk index's length
(8 bytes, little-endian), the chunk index, then the sentence index.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .fsutil import atomic_write_bytes
from .sentences import SentenceStore
from .vectors import VectorIndex, ivf_nlist

__all__ = ["DenseIndex", "VectorIndex", "ivf_nlist", "file_size"]

_PAIR_MAGIC = b"RAGCORD-DENSE+SENTENCES\n"  # chunk index length (8 bytes LE), chunk index, sentence index


class DenseIndex:
    """Chunk vectors (searched, reconstructed, saved) plus `sentences`, kept in step."""

    def __init__(self, dim: int, *, chunks: VectorIndex | None = None, **options: int) -> None:
        self.chunks = chunks if chunks is not None else VectorIndex(dim, **options)
        self.dim = dim
        self.sentences = SentenceStore(dim, self.chunks.empty_like)

    # ------------------------------------------------------------ chunk vectors
    def __len__(self) -> int:
        return len(self.chunks)

    def __contains__(self, chunk_id: int) -> bool:
        return chunk_id in self.chunks

    @property
    def kind(self) -> str:
        return self.chunks.kind

    def ids(self) -> np.ndarray:
        return self.chunks.ids()

    def reconstruct(self, chunk_id: int) -> np.ndarray:
        return self.chunks.reconstruct(chunk_id)

    def reconstruct_many(self, ids: Sequence[int]) -> np.ndarray:
        return self.chunks.reconstruct_many(ids)

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        return self.chunks.search(vec, k)

    def add(self, ids: Sequence[int] | np.ndarray, vecs: np.ndarray,
            sentences: Sequence[np.ndarray] | None = None) -> None:
        """Add chunk vectors and, when given, each chunk's sentence vectors ((n, dim) per chunk)."""
        self.chunks.add(ids, vecs)
        if sentences is not None:
            self.sentences.add(ids, sentences)

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        """Remove chunks and their sentence vectors; returns the chunks removed."""
        ids_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        removed = self.chunks.remove(ids_arr)
        if removed:
            self.sentences.remove(ids_arr)
        return removed

    def copy(self) -> DenseIndex:
        """An independent copy (the knowledge base edits a copy, then swaps it in)."""
        other = DenseIndex(self.dim, chunks=self.chunks.copy())
        other.sentences = self.sentences.copy()
        return other

    # ------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Atomically write one file (see the module docstring for its layout)."""
        data = self.chunks.to_bytes()
        if self.sentences.index is not None and len(self.sentences) > 0:
            data = _PAIR_MAGIC + len(data).to_bytes(8, "little") + data + self.sentences.index.to_bytes()
        atomic_write_bytes(Path(path), data)

    @classmethod
    def load(cls, path: str | Path, **options: int) -> DenseIndex:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no dense index at {path}")
        blob, origin = path.read_bytes(), str(path)
        if not blob.startswith(_PAIR_MAGIC):
            return cls._with(VectorIndex.from_bytes(blob, origin, **options))
        start = len(_PAIR_MAGIC) + 8
        end = start + int.from_bytes(blob[len(_PAIR_MAGIC) : start], "little")
        if end > len(blob):
            raise ValueError(f"truncated dense index file {path}")
        self = cls._with(VectorIndex.from_bytes(blob[start:end], origin, **options))
        sentences = VectorIndex.from_bytes(blob[end:], origin, **options)
        self.sentences = SentenceStore(self.dim, self.chunks.empty_like, sentences)
        return self

    @classmethod
    def _with(cls, chunks: VectorIndex) -> DenseIndex:
        return cls(chunks.dim, chunks=chunks)


def file_size(path: str | Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
