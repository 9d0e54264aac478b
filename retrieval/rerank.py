"""Optional cross-encoder reranking. No reranker ships offline: `load_reranker(None)` is a no-op."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from .types import Hit


class Scorer(Protocol):
    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...


class CrossEncoderScorer:
    """sentence_transformers.CrossEncoder from a local path, loaded on first use."""

    def __init__(self, path: str, device: str | None = None, batch_size: int = 32) -> None:
        self.path = path
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                self._model = CrossEncoder(self.path, device=self.device, local_files_only=True)
        return self._model

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        model = self._model or self._load()
        scores = model.predict([(query, p) for p in passages], batch_size=self.batch_size, show_progress_bar=False)
        return [float(s) for s in scores]


class Reranker:
    """Reorders hits by a scorer's (query, passage) score; keeps every earlier score on the hit."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    def rerank(self, query: str, hits: Sequence[Hit], k: int | None = None) -> list[Hit]:
        if not hits:
            return []
        passages = [f"{h.title} — {h.heading}\n{h.text}" if h.heading else f"{h.title}\n{h.text}" for h in hits]
        scores = self.scorer.score(query, passages)
        if len(scores) != len(hits):
            raise ValueError("reranker returned a different number of scores than passages")
        ranked = sorted(
            (replace(h, rerank=float(s)) for h, s in zip(hits, scores)), key=lambda h: (-h.rerank, -h.fused)
        )
        return ranked[:k] if k is not None else ranked


def load_reranker(path: str | None, device: str | None = None) -> Reranker | None:
    return Reranker(CrossEncoderScorer(path, device=device)) if path else None
