"""The calibrated confidence: a probability, monotone in every signal but `generated`."""
from dataclasses import fields, replace

import pytest

from model.calibration import DEFAULT_CALIBRATION, FEATURES, Calibration, Signals

MID = Signals(*([0.5] * len(FEATURES)))


def test_confidence_is_a_probability() -> None:
    low = Signals(*([0.0] * len(FEATURES)))
    high = Signals(*([1.0] * len(FEATURES)))
    assert 0.0 < DEFAULT_CALIBRATION.confidence(low) < DEFAULT_CALIBRATION.confidence(high) < 1.0


@pytest.mark.parametrize("name", [f.name for f in fields(Signals) if f.name != "generated"])
def test_more_of_a_signal_never_lowers_confidence(name: str) -> None:
    assert DEFAULT_CALIBRATION.confidence(replace(MID, **{name: 1.0})) >= DEFAULT_CALIBRATION.confidence(MID)


def test_one_weight_per_signal_and_extreme_inputs_do_not_overflow() -> None:
    assert len(DEFAULT_CALIBRATION.weights) == len(FEATURES)
    huge = Calibration(bias=1e6, weights=tuple([1e6] * len(FEATURES)))
    assert huge.confidence(MID) == pytest.approx(1.0)
