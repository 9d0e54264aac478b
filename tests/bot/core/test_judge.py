"""The judge takes the calibration fitted for its embedder's cosines, chosen by the model name."""
from collections.abc import Sequence

import numpy as np

from bot.core.judge import Judge
from model.calibration import DEFAULT_CALIBRATION, E5_CALIBRATION, Calibration


class Named:
    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def similarity(self, query: str, texts: Sequence[str]) -> list[float]:
        return [0.0 for _ in texts]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 4), dtype=np.float32)


def test_calibration_follows_the_embedder() -> None:
    assert Judge(Named("multilingual-e5-small-q4")).calibration is E5_CALIBRATION  # type: ignore[arg-type]
    assert Judge(Named("/models/all-MiniLM-L6-v2")).calibration is DEFAULT_CALIBRATION  # type: ignore[arg-type]


def test_an_explicit_calibration_wins() -> None:
    mine = Calibration(bias=0.0, weights=DEFAULT_CALIBRATION.weights)
    assert Judge(Named("multilingual-e5-small-q4"), mine).calibration is mine  # type: ignore[arg-type]
