"""Every retrieval knob in one dataclass."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

FUSION_METHODS = ("absolute", "minmax", "zscore", "rrf", "dense", "sparse")


@dataclass
class RetrievalConfig:
    # chunking (tokens of the embedder's tokenizer); the embedder reads
    # "title — heading\ntext", so leave room under its 256-token window
    chunk_tokens: int = 200
    overlap_tokens: int = 40
    # candidate depth of each retriever before fusion
    dense_top_k: int = 50
    sparse_top_k: int = 50
    # fusion: "absolute" (cosine + BM25 / its attainable max, convex; see
    # fusion.py), "minmax" / "zscore" (per-query normalised, convex), "rrf",
    # or a single retriever ("dense" / "sparse"). Chosen on the dev sets with
    # `python -m retrieval.evaluate` (numbers in retrieval/README.md).
    fusion: str = "absolute"
    dense_weight: float = 0.75  # dense share in absolute/minmax/zscore; RRF weights are 2w and 2(1-w)
    rrf_k: int = 60
    # dense index: exact flat below this many vectors, HNSW at or above
    ann_threshold: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    # optional cross-encoder (local path); None = no reranking
    reranker_path: str | None = None
    rerank_top_n: int = 20
    # loaders
    max_file_bytes: int = 50 * 1024 * 1024
    url_timeout: float = 20.0

    def __post_init__(self) -> None:
        if self.fusion not in FUSION_METHODS:
            raise ValueError(f"fusion must be one of {', '.join(FUSION_METHODS)}, not {self.fusion!r}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must be within [0, 1]")
        if self.chunk_tokens < 16 or not 0 <= self.overlap_tokens < self.chunk_tokens:
            raise ValueError("need chunk_tokens >= 16 and 0 <= overlap_tokens < chunk_tokens")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RetrievalConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown retrieval settings: {', '.join(sorted(unknown))}")
        return cls(**data)
