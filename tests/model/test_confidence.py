from __future__ import annotations

import pytest

from model.confidence import agreement, logprob_confidence


def test_logprob_confidence_bounds_and_monotonic():
    xs = [-50.0, -5.0, -2.0, -1.0, -0.5, -0.1, 0.0, 0.5]
    ys = [logprob_confidence(x) for x in xs]
    assert all(0.0 <= y <= 1.0 for y in ys)
    assert ys == sorted(ys) and ys[0] < 0.01 and ys[-2] > 0.9
    assert logprob_confidence(None) == 0.0 and logprob_confidence(float("nan")) == 0.0


def test_agreement():
    assert agreement(["Refunds take 14 days [1].", "Refunds take 14 days [2]."]) == pytest.approx(1.0)
    assert agreement(["Refunds take 14 days.", "The shop opens at nine."]) == 0.0
    mid = agreement(["Refunds take 14 days.", "Refunds take 30 days."])
    assert 0.0 < mid < 1.0
    assert agreement(["only one"]) == 1.0 and agreement([]) == 1.0
