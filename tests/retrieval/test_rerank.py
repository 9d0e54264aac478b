from __future__ import annotations

import pytest

from retrieval.rerank import Reranker, load_reranker
from retrieval.types import Hit


class LengthScorer:
    def score(self, query, passages):
        return [float(len(p)) for p in passages]


def hit(i: int, text: str, fused: float) -> Hit:
    return Hit(chunk_id=i, document_id=1, text=text, title="T", source="s", fused=fused)


def test_no_path_means_no_reranker() -> None:
    assert load_reranker(None) is None and load_reranker("") is None


def test_rerank_orders_by_scorer_and_keeps_fused() -> None:
    hits = [hit(1, "short", 0.9), hit(2, "a much longer passage", 0.5)]
    out = Reranker(LengthScorer()).rerank("q", hits, k=1)
    assert [h.chunk_id for h in out] == [2]
    assert out[0].fused == 0.5 and out[0].rerank == out[0].score > 0


def test_rerank_rejects_wrong_score_count() -> None:
    class Broken:
        def score(self, query, passages):
            return [1.0]

    with pytest.raises(ValueError):
        Reranker(Broken()).rerank("q", [hit(1, "a", 0), hit(2, "b", 0)])
