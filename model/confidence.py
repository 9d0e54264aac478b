"""Confidence of an answer from independent signals, each in [0, 1]. Pure functions.

Signals:
- retrieval: how well the best passage matches the question (the core squashes a cosine/rerank score);
- generation: the model's own certainty, `logprob_confidence(mean token logprob)`;
- support: how much of the answer the passages back up (grounding check);
- agreement: how much several sampled candidates say the same thing (`agreement(texts)`).

`combine` blends a weighted arithmetic mean (forgiving) with a weighted
geometric mean (a weak link drags the result down), over the signals that are
present. Both means are non-decreasing in every input, so the blend is too;
weights of missing (None) signals are redistributed over the present ones.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from model.textutil import content_terms, strip_citations


@dataclass(frozen=True)
class Weights:
    retrieval: float = 0.4
    generation: float = 0.2
    support: float = 0.3
    agreement: float = 0.1
    # 1.0 = pure arithmetic mean, 0.0 = pure geometric mean
    softness: float = 0.5


DEFAULT_WEIGHTS = Weights()


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


def combine(
    retrieval: float,
    generation: float | None = None,
    support: float | None = None,
    agreement: float | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> float:
    """One confidence in [0, 1], non-decreasing in each signal given."""
    pairs = [
        (retrieval, weights.retrieval),
        (generation, weights.generation),
        (support, weights.support),
        (agreement, weights.agreement),
    ]
    present = [(_clamp(v), w) for v, w in pairs if v is not None and w > 0]
    total = sum(w for _, w in present)
    if total <= 0:
        return 0.0
    arithmetic = sum(v * w for v, w in present) / total
    if any(v <= 0.0 for v, _ in present):
        geometric = 0.0  # the weighted geometric mean of anything with a zero
    else:
        geometric = math.exp(sum(w * math.log(v) for v, w in present) / total)
    soft = _clamp(weights.softness)
    return _clamp(soft * arithmetic + (1.0 - soft) * geometric)


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
