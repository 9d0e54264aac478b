from __future__ import annotations

import numpy as np
import pytest

from retrieval.config import RetrievalConfig
from retrieval.dense import DenseIndex
from retrieval.hybrid import candidates, rank
from retrieval.sparse import SparseIndex

TEXTS = ["cats purr softly", "dogs bark loudly", "the stock market fell"]


@pytest.fixture()
def indexes() -> tuple[DenseIndex, SparseIndex]:
    dense = DenseIndex(4)
    dense.add([10, 11, 12], np.eye(4, dtype=np.float32)[:3])
    sparse = SparseIndex()
    sparse.rebuild([10, 11, 12], TEXTS)
    return dense, sparse


QUERY_VEC = np.array([0.8, 0.6, 0.0, 0.0], dtype=np.float32)  # cosines 0.8, 0.6, 0.0


def test_candidates_fill_each_side(indexes) -> None:
    dense, sparse = indexes
    config = RetrievalConfig(dense_top_k=1, sparse_top_k=1)
    c = candidates("dogs", QUERY_VEC, dense, sparse, config)
    assert [i for i, _ in c.dense] == [10] and [i for i, _ in c.sparse] == [11]
    assert c.dense_fill == {11: pytest.approx(0.6)}
    assert c.sparse_fill == {10: 0.0}
    assert c.sparse_max == pytest.approx(c.sparse[0][1])  # one query term: its best score


def test_rank_default_noisy_or_hand_computed(indexes) -> None:
    dense, sparse = indexes
    fused = rank("dogs", QUERY_VEC, dense, sparse, RetrievalConfig(dense_top_k=1, sparse_top_k=1))
    by_id = {f.id: f for f in fused}
    # 11: d = 0.6, s = 1 (the top BM25 score is the attainable max) → 1 - 0.4^0.7 · 0^0.3 = 1
    # 10: d = 0.8, s = 0 → 1 - 0.2^0.7
    assert [f.id for f in fused] == [11, 10]
    assert by_id[11].fused == pytest.approx(1.0)
    assert by_id[10].fused == pytest.approx(1 - 0.2 ** 0.7)
    assert by_id[10].dense == pytest.approx(0.8) and by_id[11].dense == pytest.approx(0.6)  # true cosines


def test_rank_other_methods_stay_selectable(indexes) -> None:
    dense, sparse = indexes
    config = RetrievalConfig(dense_top_k=1, sparse_top_k=1, fusion="absolute", dense_weight=0.7)
    by_id = {f.id: f.fused for f in rank("dogs", QUERY_VEC, dense, sparse, config)}
    assert by_id[11] == pytest.approx(0.7 * 0.6 + 0.3 * 1.0)
    assert by_id[10] == pytest.approx(0.7 * 0.8)
    only_dense = rank("dogs", QUERY_VEC, dense, sparse, RetrievalConfig(fusion="dense", dense_top_k=2))
    assert [f.id for f in only_dense] == [10, 11]


def test_sentence_vectors_join_the_fusion(indexes) -> None:
    dense, sparse = indexes
    # chunk 10 has two sentences, one pointing exactly where the query points; 11 has none
    dense.sentences.add([10, 11], [np.array([[0.0, 0.0, 0.0, 1.0], [0.6, 0.8, 0.0, 0.0]], np.float32),
                                   np.zeros((0, 4), np.float32)])
    query = np.array([0.6, 0.8, 0.0, 0.0], dtype=np.float32)  # chunk cosines 0.6, 0.8, 0.0
    config = RetrievalConfig(dense_top_k=1, sparse_top_k=1, sentence_weight=0.5)
    c = candidates("market", query, dense, sparse, config)
    # 10 is found through its sentence; 11 (no sentence vectors) scores its chunk cosine;
    # 12 (found by BM25 only) has no sentence vectors and no dense hit either, so its chunk fill stands in
    assert c.sentence == {10: pytest.approx(1.0), 11: pytest.approx(0.8), 12: pytest.approx(0.0)}
    fused = {f.id: f for f in c.fuse("noisy_or", 0.7, sentence_weight=0.5)}
    assert fused[11].fused == pytest.approx(1 - 0.2 ** 0.35 * 0.2 ** 0.35)
    assert fused[10].sentence == pytest.approx(1.0) and fused[10].fused == pytest.approx(1.0)
    off = candidates("market", query, dense, sparse, RetrievalConfig(dense_top_k=1, sparse_top_k=1,
                                                                      sentence_weight=0.0))
    assert off.sentence == {}
