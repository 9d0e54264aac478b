"""One KnowledgeBase per scope, created on first use and cached, over one embedder or one pool."""
from __future__ import annotations

import threading
from pathlib import Path

from .catalog import list_scopes
from .config import RetrievalConfig
from .embedder import Embedder
from .embedders import EmbedderPool
from .knowledge_base import DB_FILENAME, KnowledgeBase
from .rerank import Reranker, load_reranker

__all__ = ["KnowledgeBases"]


class KnowledgeBases:
    """One KnowledgeBase per scope, created on first use and cached; all share one embedder, or
    (given an EmbedderPool) one pool that gives each scope its own (see KnowledgeBase)."""

    def __init__(
        self,
        data_dir: str | Path,
        embedder: Embedder | EmbedderPool,
        config: RetrievalConfig | None = None,
        *,
        reranker: Reranker | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._source = embedder
        self.embedder = embedder.default() if isinstance(embedder, EmbedderPool) else embedder  # the default
        self.config = config or RetrievalConfig()
        self.reranker = reranker if reranker is not None else load_reranker(self.config.reranker_path)
        self._cache: dict[str, KnowledgeBase] = {}
        self._lock = threading.Lock()

    def get(self, scope: str) -> KnowledgeBase:
        with self._lock:
            kb = self._cache.get(scope)
            if kb is None:
                kb = KnowledgeBase(self.data_dir, scope, self._source, self.config, reranker=self.reranker)
                self._cache[scope] = kb
            return kb

    def embedder_for(self, scope: str) -> Embedder:
        """The embedder questions in `scope` are embedded with."""
        return self.get(scope).embedder

    def scopes(self) -> list[str]:
        with self._lock:
            cached = set(self._cache)
        return sorted(cached | set(list_scopes(self.data_dir / DB_FILENAME)))

