from __future__ import annotations

import math

import pytest

from retrieval.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k


def test_recall() -> None:
    assert recall_at_k(["a", "b", "c"], {"b", "z"}, 2) == 0.5
    assert recall_at_k(["a"], set(), 5) == 0.0


def test_mrr() -> None:
    assert mrr_at_k(["x", "y", "a"], {"a"}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], {"a"}, 10) == 0.0


def test_ndcg_hand_computed() -> None:
    # relevant at ranks 1 and 3 of two relevant docs
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at_k(["a", "x", "b"], {"a": 1, "b": 1}, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a"], {"a": 1}, 10) == 1.0
    assert ndcg_at_k(["x", "a"], {"a": 1}, 1) == 0.0
    # graded relevance
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}, 10) == pytest.approx(
        (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))


def test_mean() -> None:
    assert mean([]) == 0.0 and mean([1.0, 0.0]) == 0.5
