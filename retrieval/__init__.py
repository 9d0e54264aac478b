"""ragcord retrieval: load → chunk → embed → index (FAISS + BM25) → fuse → rerank, one KB per scope.

Typical use (blocking; call it from a worker thread in async code):

    from retrieval import Embedder, KnowledgeBases, RetrievalConfig
    kbs = KnowledgeBases(Path(".ragcord"), Embedder(), RetrievalConfig())
    kb = kbs.get("guild:123")
    report = kb.ingest(["data/"], added_by="admin")
    hits = kb.search("how do I get a refund?", k=5)
"""
from .config import RetrievalConfig
from .embedder import Embedder
from .errors import IngestError
from .knowledge_base import KnowledgeBase
from .knowledge_bases import KnowledgeBases
from .types import ChunkDraft, DocumentInfo, Hit, IngestReport, LoadedDocument, Section

__all__ = [
    "ChunkDraft",
    "DocumentInfo",
    "Embedder",
    "Hit",
    "IngestError",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeBases",
    "LoadedDocument",
    "RetrievalConfig",
    "Section",
]
