"""One KnowledgeBase per scope, created on first use and cached, over one embedder or one pool.

With a postgresql:// `database_url` the knowledge bases live in PostgreSQL + pgvector
(retrieval/pg/); otherwise in the data dir's SQLite catalogue and FAISS files.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Union

from .catalog import list_scopes
from .config import RetrievalConfig
from .embedder import Embedder
from .embedders import EmbedderPool
from .knowledge_base import DB_FILENAME, KnowledgeBase
from .pg import is_postgres_url
from .rerank import Reranker, load_reranker
from .sync_state import SyncStore, sync_scopes

if TYPE_CHECKING:
    from .pg.knowledge_base import PgKnowledgeBase
    from .pg.sync_store import PgSyncStore

__all__ = ["AnyKnowledgeBase", "AnySyncStore", "KnowledgeBases", "open_knowledge_base", "open_sync_store"]

AnyKnowledgeBase = Union[KnowledgeBase, "PgKnowledgeBase"]
AnySyncStore = Union[SyncStore, "PgSyncStore"]


def open_sync_store(kb: AnyKnowledgeBase) -> AnySyncStore:
    """The re-sync state of `kb`'s scope, where `kb` keeps its rows."""
    if isinstance(kb, KnowledgeBase):
        return SyncStore(kb.db_path, kb.scope)
    from .pg.sync_store import PgSyncStore

    return PgSyncStore(kb.connections, kb.scope)


def open_knowledge_base(
    data_dir: str | Path,
    scope: str,
    embedder: Embedder | EmbedderPool,
    config: RetrievalConfig | None = None,
    *,
    reranker: Reranker | None = None,
    database_url: str | None = None,
) -> AnyKnowledgeBase:
    """The scope's knowledge base: in PostgreSQL when `database_url` is a postgresql:// URL."""
    if is_postgres_url(database_url):
        from .pg.knowledge_base import PgKnowledgeBase

        assert database_url is not None
        return PgKnowledgeBase(database_url, scope, embedder, config, reranker=reranker, data_dir=data_dir)
    return KnowledgeBase(data_dir, scope, embedder, config, reranker=reranker)


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
        database_url: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.database_url = database_url if is_postgres_url(database_url) else None
        self._source = embedder
        self.embedder = embedder.default() if isinstance(embedder, EmbedderPool) else embedder  # the default
        self.config = config or RetrievalConfig()
        self.reranker = reranker if reranker is not None else load_reranker(self.config.reranker_path)
        self._cache: dict[str, AnyKnowledgeBase] = {}
        self._lock = threading.Lock()

    def get(self, scope: str) -> AnyKnowledgeBase:
        with self._lock:
            kb = self._cache.get(scope)
            if kb is None:
                kb = open_knowledge_base(self.data_dir, scope, self._source, self.config, reranker=self.reranker,
                                         database_url=self.database_url)
                self._cache[scope] = kb
            return kb

    def embedder_for(self, scope: str) -> Embedder:
        """The embedder questions in `scope` are embedded with."""
        return self.get(scope).embedder

    def scopes(self) -> list[str]:
        with self._lock:
            cached = set(self._cache)
        if self.database_url:
            from .pg.catalog import list_scopes as pg_scopes
            from .pg.connection import connections

            return sorted(cached | set(pg_scopes(connections(self.database_url))))
        return sorted(cached | set(list_scopes(self.data_dir / DB_FILENAME)))

    def sync_store(self, scope: str) -> AnySyncStore:
        """The re-sync state of one scope (sync_state.py), in SQLite or PostgreSQL like the rows."""
        if self.database_url:
            from .pg.connection import connections
            from .pg.sync_store import PgSyncStore

            return PgSyncStore(connections(self.database_url), scope)
        return SyncStore(self.data_dir / DB_FILENAME, scope)

    def sync_scopes(self) -> list[str]:
        """Every scope with a registered re-sync source."""
        if self.database_url:
            from .pg.connection import connections
            from .pg.sync_store import pg_sync_scopes

            return pg_sync_scopes(connections(self.database_url))
        return sync_scopes(self.data_dir / DB_FILENAME)
