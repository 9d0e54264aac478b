from __future__ import annotations

import math

import pytest

from retrieval.config import FUSION_METHODS, RetrievalConfig
from retrieval.fusion import absolute, fuse, minmax, noisy_or, normalised, rrf, zscore


def test_rrf_hand_computed() -> None:
    out = dict(rrf({"a": [(1, 9.0), (2, 8.0)], "b": [(2, 0.5), (3, 0.4)]}, k=60))
    best = 2 / 61
    assert out[2] == pytest.approx((1 / 62 + 1 / 61) / best)
    assert out[1] == pytest.approx((1 / 61) / best)
    assert out[3] == pytest.approx((1 / 62) / best)
    assert list(rrf({"a": [(1, 0.0)], "b": [(1, 0.0)]}, k=60)) == [(1, pytest.approx(1.0))]


def test_rrf_weights() -> None:
    out = rrf({"a": [(1, 1.0)], "b": [(2, 1.0)]}, k=0, weights={"a": 3.0, "b": 1.0})
    assert out == [(1, pytest.approx(0.75)), (2, pytest.approx(0.25))]


def test_minmax_and_zscore() -> None:
    assert minmax({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert minmax({1: 5.0}) == {1: 1.0} and minmax({}) == {}
    z = zscore({1: 1.0, 2: 2.0, 3: 3.0})
    assert z[2] == pytest.approx(0.5) and z[3] > 0.5 > z[1] and z[1] >= 0 and z[3] <= 1


def test_normalised_convex_combination() -> None:
    out = dict(normalised({1: 0.9, 2: 0.5}, {2: 10.0, 3: 4.0}, dense_weight=0.5))
    # dense missing for 3 → dense minimum 0.5 → normalised 0; sparse missing for 1 → 4.0 → 0
    assert out[1] == pytest.approx(0.5 * 1 + 0.5 * 0)
    assert out[2] == pytest.approx(0.5 * 0 + 0.5 * 1)
    assert out[3] == pytest.approx(0.0)


def test_absolute_fusion() -> None:
    out = dict(absolute({1: 0.8, 2: -0.2}, {2: 6.0}, sparse_max=12.0, dense_weight=0.75))
    assert out[1] == pytest.approx(0.75 * 0.8)
    assert out[2] == pytest.approx(0.75 * 0.0 + 0.25 * 0.5)


def test_fuse_keeps_every_score_and_fill() -> None:
    hits = fuse([(1, 0.9), (2, 0.5)], [(3, 7.0), (1, 3.5)], method="minmax", dense_weight=0.5,
                dense_fill={3: 0.7}, sparse_fill={2: 0.0})
    by_id = {h.id: h for h in hits}
    assert by_id[3].dense == 0.7 and by_id[2].sparse == 0.0 and by_id[1].sparse == 3.5
    assert [h.id for h in hits] == sorted(by_id, key=lambda i: -by_id[i].fused)
    assert all(0.0 <= h.fused <= 1.0 for h in hits)


def test_noisy_or_hand_computed() -> None:
    out = dict(noisy_or({1: 0.8, 2: -0.2}, {2: 6.0}, sparse_max=12.0, dense_weight=0.75))
    # 1: d = 0.8, s = 0 → 1 - 0.2^0.75 · 1; 2: d = clip(-0.2) = 0, s = 0.5 → 1 - 1 · 0.5^0.25
    assert out[1] == pytest.approx(1 - 0.2 ** 0.75) and out[1] == pytest.approx(0.70093, abs=1e-5)
    assert out[2] == pytest.approx(1 - 0.5 ** 0.25) and out[2] == pytest.approx(0.15910, abs=1e-5)
    # w = 0.5: 1 - sqrt((1 - 0.36)(1 - 0.64)) = 1 - 0.48 = 0.52, above the convex mean 0.5
    assert dict(noisy_or({7: 0.36}, {7: 6.4}, sparse_max=10.0, dense_weight=0.5))[7] == pytest.approx(0.52)
    # equal evidence gives that evidence back; a perfect score from either side gives 1
    assert dict(noisy_or({1: 0.75}, {1: 7.5}, sparse_max=10.0, dense_weight=0.3))[1] == pytest.approx(0.75)
    assert dict(noisy_or({1: 1.0}, {1: 0.0}, sparse_max=10.0, dense_weight=0.7))[1] == pytest.approx(1.0)
    assert dict(noisy_or({1: 0.2}, {1: 20.0}, sparse_max=10.0, dense_weight=0.7))[1] == pytest.approx(1.0)  # BM25 capped


def test_noisy_or_edges() -> None:
    # no sparse candidates → weight 1 on dense → the clipped cosine itself
    assert noisy_or({1: 0.6, 2: 1.3}, {}, sparse_max=0.0, dense_weight=0.7) == [(2, 1.0), (1, pytest.approx(0.6))]
    # weight 0 / 1 select one side (0 ** 0 counts as 1: no weight, no effect)
    assert dict(noisy_or({1: 1.0}, {1: 5.0}, sparse_max=10.0, dense_weight=0.0))[1] == pytest.approx(0.5)
    assert dict(noisy_or({1: 0.4}, {1: 10.0}, sparse_max=10.0, dense_weight=1.0))[1] == pytest.approx(0.4)
    # sparse_max 0 (no query term in the index) → BM25 contributes nothing
    assert dict(noisy_or({1: 0.5}, {1: 3.0}, sparse_max=0.0, dense_weight=0.7))[1] == pytest.approx(1 - 0.5 ** 0.7)


def test_noisy_or_never_below_convex_mean_and_monotone() -> None:
    grid = [i / 10 for i in range(11)]
    for w in (0.3, 0.7):
        for d in grid:
            for s in grid:
                v = dict(noisy_or({1: d}, {1: s * 10}, sparse_max=10.0, dense_weight=w))[1]
                assert w * d + (1 - w) * s - 1e-12 <= v <= 1.0
        for d in grid[:-1]:  # monotone in the dense score below 1
            for s in grid:
                v = dict(noisy_or({1: d}, {1: s * 10}, sparse_max=10.0, dense_weight=w))[1]
                up = dict(noisy_or({1: d + 0.05}, {1: s * 10}, sparse_max=10.0, dense_weight=w))[1]
                assert up >= v
    # the marginal weight of a retriever grows as its score nears 1: the same 0.1 step in
    # dense moves the fused score more from 0.8 than from 0.1
    f = lambda d: dict(noisy_or({1: d}, {1: 5.0}, sparse_max=10.0, dense_weight=0.5))[1]  # noqa: E731
    assert f(0.9) - f(0.8) > f(0.2) - f(0.1)
    assert math.isclose(f(0.9) - f(0.8), math.sqrt(0.5) * (math.sqrt(0.2) - math.sqrt(0.1)))


def test_fuse_default_is_noisy_or_with_true_cosines() -> None:
    hits = fuse([(1, 0.9), (2, -0.1)], [(2, 8.0)], dense_fill={}, sparse_fill={1: 2.0}, sparse_max=10.0)
    by_id = {h.id: h for h in hits}
    assert by_id[2].dense == -0.1  # the raw cosine is kept for confidence, only the fusion clips it
    assert by_id[1].fused == pytest.approx(1 - 0.1 ** 0.7 * 0.8 ** 0.3)
    assert by_id[2].fused == pytest.approx(1 - 1.0 * 0.2 ** 0.3)
    assert [h.id for h in hits] == [1, 2]
    # without sparse_max the largest BM25 score seen stands in for it
    implicit = {h.id: h.fused for h in fuse([(1, 0.5)], [(1, 4.0), (3, 2.0)])}
    assert implicit[1] == pytest.approx(1 - 0.5 ** 0.7 * 0.0 ** 0.3)
    assert implicit[3] == pytest.approx(1 - 0.5 ** 0.3)


def test_config_default_and_names() -> None:
    config = RetrievalConfig()
    assert config.fusion == "noisy_or" and config.dense_weight == 0.7
    assert set(FUSION_METHODS) >= {"noisy_or", "absolute", "minmax", "zscore", "rrf", "dense", "sparse"}
    assert RetrievalConfig(fusion="absolute", dense_weight=0.75).fusion == "absolute"
    with pytest.raises(ValueError):
        RetrievalConfig(fusion="magic")


@pytest.mark.parametrize("method", ["noisy_or", "absolute", "minmax", "zscore", "rrf", "dense", "sparse"])
def test_fuse_methods_handle_empty_sides(method: str) -> None:
    assert fuse([], [], method=method) == []
    one = fuse([(5, 0.4)], [], method=method)
    assert [h.id for h in one] in ([5], [])


def test_unknown_method() -> None:
    with pytest.raises(ValueError):
        fuse([(1, 1.0)], [], method="magic")


def test_noisy_or_with_sentence_evidence_hand_computed() -> None:
    from retrieval.fusion import noisy_or

    dense, sparse, sentence = {1: 0.5, 2: 0.8}, {1: 4.0}, {1: 0.9, 2: 0.8}
    out = dict(noisy_or(dense, sparse, sparse_max=8.0, dense_weight=0.6, sentence=sentence, sentence_weight=0.5))
    # 1: d 0.5, t 0.9, s 0.5 → 1 - 0.5^0.3 · 0.1^0.3 · 0.5^0.4 ; 2: d = t = 0.8, s 0 → 1 - 0.2^0.6
    assert out[1] == pytest.approx(1 - 0.5 ** 0.3 * 0.1 ** 0.3 * 0.5 ** 0.4)
    assert out[2] == pytest.approx(1 - 0.2 ** 0.6)
    # no sentence scores: exactly the two-way fusion; weight 0: sentences ignored
    two_way = dict(noisy_or(dense, sparse, sparse_max=8.0, dense_weight=0.6))
    assert dict(noisy_or(dense, sparse, sparse_max=8.0, dense_weight=0.6, sentence={})) == two_way
    assert dict(noisy_or(dense, sparse, sparse_max=8.0, dense_weight=0.6, sentence=sentence,
                         sentence_weight=0.0)) == pytest.approx(two_way)
