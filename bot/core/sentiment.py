"""Frustration detection: VADER sentiment per message, a run of negative messages flags the user."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from retrieval.textlang import detect

SUPPORTED = frozenset({"en"})  # VADER's lexicon is English


@dataclass(frozen=True)
class FrustrationPolicy:
    negative_below: float = -0.3  # VADER compound score counted as negative
    run_length: int = 2  # consecutive negative messages that flag the user


class SentimentScorer:
    """VADER (lexicon + rules, tuned for social-media text); loads its lexicon once."""

    @cached_property
    def _analyzer(self):  # type: ignore[no-untyped-def]
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer()

    def score(self, text: str) -> float | None:
        """Compound sentiment in [-1, 1]; None ("not supported") for a language VADER does not
        know, so a Chinese or German message is never counted as negative or positive."""
        if detect(text) not in SUPPORTED:
            return None
        return float(self._analyzer.polarity_scores(text)["compound"])


def is_frustrated(recent: list[float | None], policy: FrustrationPolicy) -> bool:
    """`recent` is newest first; True when the newest `run_length` are all negative."""
    run = recent[: policy.run_length]
    return len(run) == policy.run_length and all(s is not None and s <= policy.negative_below for s in run)
