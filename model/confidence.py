"""Confidence signals of an answer, each in [0, 1]. Pure functions.

- `logprob_confidence`: the model's own certainty from its mean token log-probability;
- `agreement`: how much several candidates say the same thing.

The judge combines these with its other signals in `model.calibration`.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from model.textutil import content_terms, strip_citations


def logprob_confidence(mean_logprob: float | None, center: float = -1.0, scale: float = 0.4) -> float:
    """Logistic squashing of a mean token log-probability into [0, 1].

    `center` is the mean logprob judged 50/50 and `scale` its spread: with the
    defaults -0.2 → 0.88, -1.0 → 0.5, -2.0 → 0.08. Monotonic increasing.
    Recalibrate center/scale per model on answerable vs unanswerable dev sets.
    """
    if mean_logprob is None or math.isnan(mean_logprob):
        return 0.0
    z = (min(mean_logprob, 0.0) - center) / scale
    return _clamp(1.0 / (1.0 + math.exp(-z)))


def agreement(texts: Sequence[str]) -> float:
    """Mean pairwise token-overlap F1 of the candidates' content words, in [0, 1].

    Citation markers are ignored; fewer than two texts agree trivially (1.0).
    """
    bags = [Counter(content_terms(strip_citations(t))) for t in texts]
    if len(bags) < 2:
        return 1.0
    scores = [_f1(bags[i], bags[j]) for i in range(len(bags)) for j in range(i + 1, len(bags))]
    return sum(scores) / len(scores)


def _f1(a: Counter[str], b: Counter[str]) -> float:
    if not a and not b:
        return 1.0
    common = sum((a & b).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(b.values()), common / sum(a.values())
    return 2 * precision * recall / (precision + recall)


def _clamp(x: float) -> float:
    if math.isnan(x):
        return 0.0
    return min(1.0, max(0.0, float(x)))
