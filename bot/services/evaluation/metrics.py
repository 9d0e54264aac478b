"""Small pure metrics: SQuAD answer scores, refusal trade-off, gold phrases, calibration."""
from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from model.textutil import strip_citations
from retrieval.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k


# --- answer metrics (SQuAD conventions) ---------------------------------------------------------
def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    best = 0.0
    p_tokens = normalize_answer(prediction).split()
    for g in golds:
        g_tokens = normalize_answer(g).split()
        common = Counter(p_tokens) & Counter(g_tokens)
        same = sum(common.values())
        if not p_tokens or not g_tokens or same == 0:
            continue
        precision, recall = same / len(p_tokens), same / len(g_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(passage: str, golds: Sequence[str]) -> bool:
    text = normalize_answer(passage)
    return any(normalize_answer(g) and normalize_answer(g) in text for g in golds)


@dataclass(frozen=True)
class Scored:
    """One answered query: its confidence, retrieval score and whether it is answerable."""

    answerable: bool
    confidence: float
    retrieval: float


def refusal_tradeoff(rows: Sequence[Scored], key: Callable[[Scored], float]) -> list[tuple[float, float, float]]:
    """(threshold, answered recall on answerable, refusal recall on unanswerable) per threshold."""
    answerable = [key(r) for r in rows if r.answerable]
    unanswerable = [key(r) for r in rows if not r.answerable]
    if not answerable or not unanswerable:
        return []
    out = []
    for t in sorted({0.0, *answerable, *unanswerable, 1.0 + 1e-9}):
        answered = sum(v >= t for v in answerable) / len(answerable)
        refused = sum(v < t for v in unanswerable) / len(unanswerable)
        out.append((t, answered, refused))
    return out


def recommend_threshold(curve: Sequence[tuple[float, float, float]]) -> tuple[float, float, float] | None:
    """The threshold that maximises the worse of answered recall and refusal recall."""
    return max(curve, key=lambda c: (min(c[1], c[2]), c[1] + c[2]), default=None)


def refusal_at_answered(curve: Sequence[tuple[float, float, float]], answered: float) -> float:
    """Best refusal recall among thresholds that still answer at least `answered` of answerables."""
    return max((c[2] for c in curve if c[1] >= answered - 1e-9), default=0.0)


def retrieval_table(per_method: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        method: {metric: round(mean([row[metric] for row in rows]), 4) for metric in rows[0]}
        for method, rows in per_method.items() if rows
    }


def doc_ranking(chunk_docs: Sequence[str]) -> list[str]:
    """Collapse a chunk ranking to a document ranking (a document ranks at its best chunk)."""
    return list(dict.fromkeys(chunk_docs))


def retrieval_row(ranked_docs: Sequence[str], relevant: dict[str, float]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(ranked_docs, relevant, 10),
        "recall@1": recall_at_k(ranked_docs, relevant, 1),
        "recall@5": recall_at_k(ranked_docs, relevant, 5),
        "recall@10": recall_at_k(ranked_docs, relevant, 10),
        "mrr@10": mrr_at_k(ranked_docs, relevant, 10),
    }




# --- gold phrases (real-documents sets) ---------------------------------------------------------
_MARKUP = str.maketrans({"*": " ", "`": " ", "\u2019": "'", "\u2018": "'"})


def normalize_phrase(text: str) -> str:
    """Lower-case, straight quotes, markup (`*`, backticks) dropped, whitespace collapsed, and no
    thousands separators ("1,000 different errors" and "1000 different errors" state one fact)."""
    return _THOUSANDS.sub("", " ".join(text.translate(_MARKUP).lower().split()))


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def has_gold(answer: str, golds: Sequence[str]) -> bool:
    """Whether the answer, citations stripped, states one of the gold phrases."""
    text = normalize_phrase(strip_citations(answer))
    return any(normalize_phrase(g) and normalize_phrase(g) in text for g in golds)


# --- calibration ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CalibrationBin:
    """One confidence bin of a reliability diagram: [low, high), its mean confidence and accuracy."""

    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[CalibrationBin]:
    """Equal-width confidence bins (1.0 falls in the last one); empty bins are kept with count 0."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    out = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(confidences)
                   if low <= c < high or (b == bins - 1 and c >= high)]
        out.append(CalibrationBin(
            low, high, len(members),
            mean([confidences[i] for i in members]) if members else 0.0,
            mean([float(correct[i]) for i in members]) if members else 0.0,
        ))
    return out


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Σ over bins of (bin share) × |accuracy − mean confidence|; 0.0 for no predictions."""
    total = len(confidences)
    if not total:
        return 0.0
    return sum(b.count / total * abs(b.accuracy - b.confidence) for b in reliability_bins(confidences, correct, bins))
