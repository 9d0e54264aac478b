from __future__ import annotations

import pytest

from retrieval.fusion import absolute, fuse, minmax, normalised, rrf, zscore


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
    assert z[2] == pytest.approx(0.5) and z[3] > 0.5 > z[1] and 0 <= z[1] and z[3] <= 1


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


@pytest.mark.parametrize("method", ["absolute", "minmax", "zscore", "rrf", "dense", "sparse"])
def test_fuse_methods_handle_empty_sides(method: str) -> None:
    assert fuse([], [], method=method) == []
    one = fuse([(5, 0.4)], [], method=method)
    assert [h.id for h in one] in ([5], [])


def test_unknown_method() -> None:
    with pytest.raises(ValueError):
        fuse([(1, 1.0)], [], method="magic")
