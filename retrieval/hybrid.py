"""Candidate generation shared by the knowledge base and the evaluation: dense + sentence + sparse → fused."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import RetrievalConfig
from .dense import DenseIndex
from .fusion import Fused, fuse
from .sparse import SparseIndex


@dataclass
class Candidates:
    dense: list[tuple[int, float]]
    sparse: list[tuple[int, float]]
    dense_fill: dict[int, float]
    sparse_fill: dict[int, float]
    sparse_max: float = 0.0  # the most any chunk could score in BM25 for this query
    # best sentence cosine of every candidate chunk (empty when the index has no sentence vectors)
    sentence: dict[int, float] = field(default_factory=dict)

    def fuse(self, method: str, dense_weight: float, rrf_k: int = 60, sentence_weight: float = 0.5) -> list[Fused]:
        return fuse(self.dense, self.sparse, method=method, dense_weight=dense_weight, rrf_k=rrf_k,
                    dense_fill=self.dense_fill, sparse_fill=self.sparse_fill, sparse_max=self.sparse_max,
                    sentence=self.sentence, sentence_weight=sentence_weight)


def candidates(
    query: str, query_vec: np.ndarray, dense: DenseIndex, sparse: SparseIndex, config: RetrievalConfig
) -> Candidates:
    """Top-N of each retriever, plus each one's exact score for what only the others found."""
    use_dense = config.fusion != "sparse"
    use_sparse = config.fusion != "dense"
    use_sentences = use_dense and config.sentence_weight > 0 and len(dense.sentences) > 0
    query_vec = np.asarray(query_vec, np.float32)
    dense_hits = dense.search(query_vec, config.dense_top_k) if use_dense else []
    sentence_hits = dense.sentences.search(query_vec, config.dense_top_k) if use_sentences else []
    scores = sparse.scores(query) if use_sparse and len(sparse) else None  # scored once per query
    sparse_hits = sparse.search(query, config.sparse_top_k, scores) if use_sparse else []
    d_ids = {i for i, _ in dense_hits}
    s_ids = {i for i, _ in sparse_hits}
    t_ids = {i for i, _ in sentence_hits}
    everything = d_ids | s_ids | t_ids
    dense_fill: dict[int, float] = {}
    if use_dense:
        missing = [i for i in everything - d_ids if i in dense]
        if missing:
            vectors = dense.reconstruct_many(missing)
            dense_fill = dict(zip(missing, (vectors @ query_vec).tolist()))
    sentence = dict(sentence_hits)
    if use_sentences:
        chunk_cosine = {**dense_fill, **dict(dense_hits)}
        sentence.update(dense.sentences.scores(query_vec, everything - t_ids, chunk_cosine))
    sparse_fill = sparse.scores_for(query, everything - s_ids, scores) if use_sparse else {}
    sparse_max = sparse.max_score(query) if sparse_hits else 0.0
    return Candidates(dense_hits, sparse_hits, dense_fill, sparse_fill, sparse_max, sentence)


def rank(query: str, query_vec: np.ndarray, dense: DenseIndex, sparse: SparseIndex, config: RetrievalConfig) -> list[Fused]:
    return candidates(query, query_vec, dense, sparse, config).fuse(
        config.fusion, config.dense_weight, config.rrf_k, config.sentence_weight)
