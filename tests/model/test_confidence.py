from __future__ import annotations

import itertools

import pytest

from model.confidence import Weights, agreement, combine, logprob_confidence

GRID = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]


def test_logprob_confidence_bounds_and_monotonic():
    xs = [-50.0, -5.0, -2.0, -1.0, -0.5, -0.1, 0.0, 0.5]
    ys = [logprob_confidence(x) for x in xs]
    assert all(0.0 <= y <= 1.0 for y in ys)
    assert ys == sorted(ys) and ys[0] < 0.01 and ys[-2] > 0.9
    assert logprob_confidence(None) == 0.0 and logprob_confidence(float("nan")) == 0.0


@pytest.mark.parametrize("position", range(4))
def test_combine_monotonic_in_each_input(position: int):
    for others in itertools.product([0.0, 0.4, 1.0, None], repeat=3):
        values = []
        for x in GRID:
            args = list(others)
            args.insert(position, x)
            if args[0] is None:
                args[0] = 0.5
            values.append(combine(*args))
        assert values == sorted(values), (position, others)
        assert all(0.0 <= v <= 1.0 for v in values)


def test_combine_bounds_and_weights():
    assert combine(1.0, 1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert combine(0.0, 0.0, 0.0, 0.0) == 0.0
    assert combine(2.0, -1.0) <= 1.0 and combine(-3.0) == 0.0
    # a weak link pulls the geometric half down
    assert combine(0.9, 0.9, 0.0) < combine(0.9, 0.9, 0.5)
    only_retrieval = Weights(retrieval=1.0, generation=0.0, support=0.0, agreement=0.0)
    assert combine(0.6, 0.0, 0.0, 0.0, weights=only_retrieval) == pytest.approx(0.6)


def test_agreement():
    assert agreement(["Refunds take 14 days [1].", "Refunds take 14 days [2]."]) == pytest.approx(1.0)
    assert agreement(["Refunds take 14 days.", "The shop opens at nine."]) == 0.0
    mid = agreement(["Refunds take 14 days.", "Refunds take 30 days."])
    assert 0.0 < mid < 1.0
    assert agreement(["only one"]) == 1.0 and agreement([]) == 1.0
