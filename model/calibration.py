"""A calibrated confidence: the probability that a shown answer is right, from its signals.

The judge measures each candidate (`Signals`); a logistic model turns them into one number that
should mean what it says — of answers shown at 0.8, about eight in ten are right. The weights are
fitted by `bench/calibrate.py` on the real-documents development set (bench/realdocs) with
L2 regularisation and written here; `ragcord eval` reports the calibration error and draws the
reliability diagram on any set. A signal a candidate lacks (no log-probabilities, one reading)
takes its neutral value, so a missing signal neither helps nor hurts.

Cosines depend on the embedder (all-MiniLM-L6-v2 puts unrelated text near 0.1, multilingual-e5
near 0.8), so each embedder has its own fit: `calibration_for(embedder.model_name)` picks it, and
an embedder without a fit of its own gets the MiniLM one.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Signals:
    """What the judge measured about one candidate answer (each 0..1 unless noted)."""

    # cosines are spread over the embedder's span first (`spread`, `cosine_span`): e5's 0.78..0.98
    # becomes 0..1, so that one fit's weights mean the same on any set (MiniLM's span is 0..1)
    evidence: float  # cosine of the question with the best retrieved passage
    relevance: float  # cosine of the question with the answer
    support: float  # how much of the answer its passages back (grounding.assess)
    coverage: float  # share of the question's words found in the cited passages
    quote_coverage: float  # share of the question's words found in the supporting sentence
    named: float  # share of the question's names ("GitLab", "2010") found in any retrieved passage
    fits: float  # 1: the answer holds the kind of fact the question asks for (or it asks none)
    verified: float  # 1: every fact in a cited passage, nothing inverted, something new said
    agreement: float  # how far the generated and the extractive readings agree (1 for one reading)
    fluency: float  # the generator's own certainty (logprob_confidence); 0.5 when unknown
    generated: float  # 1: a language model wrote it, 0: sentences quoted from the passages

    def vector(self) -> list[float]:
        return [float(getattr(self, f.name)) for f in fields(self)]


FEATURES = tuple(f.name for f in fields(Signals))


@dataclass(frozen=True)
class Calibration:
    bias: float
    weights: tuple[float, ...]  # one per FEATURES entry

    def confidence(self, signals: Signals) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, signals.vector()))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# fitted on three kinds of manual, so that no one of them sets the weights: extractive candidates of
# bench/realdocs (Git), bench/realdocs_fresh/valgrind and bench/realdocs_fresh/nodejs (118 questions,
# `python bench/calibrate.py --dump extractive F bench/<set>` for each, then `python bench/calibrate.py
# F1 F2 F3 --l2 3`, 2026-12-07). Of l2 0.3, 1 and 3 and bias steps of 0.25, the fit that answers most
# of the answerable questions right (58/88) with at most 2 of the 118 wrong at `sure` (1) and no more
# out-of-scope ones shown (2). The candidates were all quoted, so `generated` keeps the penalty
# fitted on local candidates (2026-12-02). Refit when a signal changes.
DEFAULT_CALIBRATION = Calibration(
    bias=-2.779,
    weights=(0.748, 0.86, 0.161, 0.958, 0.76, 1.015, 0.153, 0.011, 0.0, 0.0, -2.704),
)

# multilingual-e5, its cosines spread over its span first (they crowd into 0.78..0.98): fitted by
# `python bench/calibrate.py --dump extractive e5-dev.jsonl bench/multilingual` and the same for
# bench/multilingual_calib (auto picks e5 for them), then `python bench/calibrate.py e5-dev.jsonl
# e5-calib.jsonl --l2 1` (116 extractive candidates, zh and en, 2026-12-07), with the bias lowered
# by 0.25: of l2 0.3 and 1 and bias steps of 0.25, the pair that answers most of those questions
# right (68 %) with no more than 2 of the 111 wrong at `sure`.
# The candidates were all quoted, so `generated` keeps the MiniLM fit's penalty. Refit when a
# signal changes.
E5_CALIBRATION = Calibration(
    bias=-3.3,
    weights=(0.19, 0.996, 0.155, 1.771, 1.973, 1.143, 0.0, 0.0, 0.0, 0.0, -2.704),
)

# an embedder's short name (a word of `model_name`) → the fit for its cosines
CALIBRATIONS: tuple[tuple[str, Calibration], ...] = (
    ("e5", E5_CALIBRATION),
    ("minilm", DEFAULT_CALIBRATION),
)


# an embedder's short name → the cosines it gives unrelated and near-identical text: the extractive
# reader rescales meaning over this span (MiniLM already spreads over 0..1; e5 crowds into 0.8..0.95)
COSINE_SPANS: tuple[tuple[str, tuple[float, float]], ...] = (
    ("e5", (0.78, 0.98)),
)


def _short_name(model_name: str, table: tuple[tuple[str, object], ...]) -> str | None:
    name = model_name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    parts = set(re.split(r"[^a-z0-9]+", name))
    return next((key for key, _ in table if key in parts or any(p.startswith(key) for p in parts)), None)


def cosine_span(model_name: str) -> tuple[float, float]:
    """(unrelated, near-identical) cosines of the embedder named `model_name`; (0, 1) by default."""
    key = _short_name(model_name, COSINE_SPANS)
    return next((span for k, span in COSINE_SPANS if k == key), (0.0, 1.0))


def spread(cosine: float, span: tuple[float, float]) -> float:
    """A cosine rescaled to 0..1 over an embedder's span (unrelated → 0, near-identical → 1)."""
    low, high = span
    return min(1.0, max(0.0, (cosine - low) / (high - low)))


def calibration_for(model_name: str) -> Calibration:
    """The calibration fitted for the embedder named `model_name` ("multilingual-e5-small-q4", a
    path ending in "all-MiniLM-L6-v2"); the MiniLM fit for any other."""
    key = _short_name(model_name, CALIBRATIONS)
    return next((c for k, c in CALIBRATIONS if k == key), DEFAULT_CALIBRATION)
