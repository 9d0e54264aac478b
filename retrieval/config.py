"""Every retrieval knob in one dataclass, and the safety limits every ingest path enforces."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

# what ingest writes; bump when it changes, so caches of built indexes (ragcord eval) are redone.
# 2: stemmed BM25 and sentence vectors; 3: a definition list's term heads its description
# 4: a chunk that starts inside a code block with the overlap of the one before opens its fence, and a
#    DocBook literallayout of wrapped prose (a README) reads as paragraphs
INDEX_FORMAT = 4

FUSION_METHODS = ("noisy_or", "absolute", "minmax", "zscore", "rrf", "dense", "sparse")


# how sentence-unit vectors are made (retrieval/unit_vectors.py): "encode" runs the encoder on each
# unit, "pooled" averages the chunk pass's token states over the unit
SentenceVectors = Literal["encode", "pooled"]
SENTENCE_VECTORS: tuple[str, ...] = get_args(SentenceVectors)

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one source and one knowledge base may cost; each default is the only one."""

    max_file_bytes: int = 20 * MIB  # one file on disk or one downloaded web page
    url_timeout_s: float = 20.0  # fetching one URL, all redirects included
    max_pdf_pages: int = 500  # checked before any page is parsed
    max_unzipped_bytes: int = 100 * MIB  # a DOCX once unzipped (zip bombs)
    max_zip_ratio: float = 100.0  # DOCX compression ratio above 1 MiB unzipped
    max_documents: int = 1000  # per knowledge base; 0 = no limit
    url_allowlist: tuple[str, ...] = ()  # hosts/CIDRs a URL may reach though not public
    injection_threshold: float = 1.0  # score at which a passage is reported as an injection
    max_sitemap_pages: int = 500  # pages one sitemap source may list (the rest are ignored)

    def __post_init__(self) -> None:
        if self.max_file_bytes < 1 or self.max_unzipped_bytes < 1:
            raise ValueError("need max_file_bytes >= 1 and max_unzipped_bytes >= 1")
        if self.max_pdf_pages < 1 or self.max_documents < 0 or self.max_sitemap_pages < 1:
            raise ValueError("need max_pdf_pages >= 1, max_sitemap_pages >= 1 and max_documents >= 0")
        if self.max_zip_ratio < 2.0:
            raise ValueError("need max_zip_ratio >= 2")
        if self.url_timeout_s <= 0 or self.injection_threshold <= 0:
            raise ValueError("need url_timeout_s > 0 and injection_threshold > 0")
        object.__setattr__(self, "url_allowlist", tuple(self.url_allowlist))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown limits: {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass
class RetrievalConfig:
    # chunking (tokens of the embedder's tokenizer); the embedder reads
    # "title — heading\ntext", so leave room under its 256-token window
    chunk_tokens: int = 200
    overlap_tokens: int = 40
    # candidate depth of each retriever before fusion
    dense_top_k: int = 50
    sparse_top_k: int = 50
    # fusion: "noisy_or" (clipped cosine and BM25 / its attainable max, combined
    # as 1 - (1-d)^w (1-s)^(1-w); see fusion.py), "absolute" (the same two
    # scores, convex), "minmax" / "zscore" (per-query normalised, convex),
    # "rrf", or a single retriever ("dense" / "sparse"). Chosen on the dev sets
    # with `python -m retrieval.fusion_study` (numbers in retrieval/README.md).
    fusion: str = "noisy_or"
    # dense share w in noisy_or/absolute/minmax/zscore; RRF weights are 2w and
    # 2(1-w). 0.7 suits noisy_or; "absolute" was measured best at 0.75.
    dense_weight: float = 0.7
    # share of the dense weight given to each chunk's best sentence vector (noisy_or only;
    # 0 = chunk vectors alone, and ingest then embeds no sentences)
    sentence_weight: float = 0.5
    # "encode" (each sentence unit through the encoder) or "pooled" (means of the chunk pass's token
    # states: one encoder pass per chunk, ingest ~3x less CPU, fused nDCG -0.008 on squad2; see
    # retrieval/unit_vectors.py and bench/sentence_vectors.py)
    sentence_vectors: SentenceVectors = "encode"
    rrf_k: int = 60
    # dense index: exact flat below this many vectors, HNSW at or above
    ann_threshold: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    # ... and IVF-Flat at or above ivf_threshold (HNSW builds too slowly at ~1M vectors);
    # ivf_nprobe lists scanned per query, 0 = automatic (nlist/16; see retrieval/dense.py)
    ivf_threshold: int = 500_000
    ivf_nprobe: int = 0
    # optional cross-encoder (local path); None = no reranking
    reranker_path: str | None = None
    rerank_top_n: int = 20
    # safety limits (README "Security and limits"), the same for the app and direct use
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.fusion not in FUSION_METHODS:
            raise ValueError(f"fusion must be one of {', '.join(FUSION_METHODS)}, not {self.fusion!r}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must be within [0, 1]")
        if not 0.0 <= self.sentence_weight <= 1.0:
            raise ValueError("sentence_weight must be within [0, 1]")
        if self.sentence_vectors not in SENTENCE_VECTORS:
            raise ValueError(f"sentence_vectors must be one of {', '.join(SENTENCE_VECTORS)}, "
                             f"not {self.sentence_vectors!r}")
        if self.chunk_tokens < 16 or not 0 <= self.overlap_tokens < self.chunk_tokens:
            raise ValueError("need chunk_tokens >= 16 and 0 <= overlap_tokens < chunk_tokens")
        if self.ivf_threshold < 1 or self.ivf_nprobe < 0 or self.ann_threshold < 1:
            raise ValueError("need ann_threshold >= 1, ivf_threshold >= 1 and ivf_nprobe >= 0")
        if isinstance(self.limits, dict):  # from_dict / JSON
            self.limits = Limits(**self.limits)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetrievalConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown retrieval settings: {', '.join(sorted(unknown))}")
        return cls(**{**data, "limits": Limits.from_dict(data.get("limits", {}))})
