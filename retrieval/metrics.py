"""Ranking metrics over one query: pure functions of a ranked id list and the relevant ids."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int) -> float:
    rel = {r for r in relevant if _grade(relevant, r) > 0}
    if not rel:
        return 0.0
    return len(rel.intersection(ranked[:k])) / len(rel)


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int = 10) -> float:
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant and _grade(relevant, item) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int = 10) -> float:
    """nDCG with linear gains (grade / log2(rank + 1)), as BEIR/pytrec_eval compute it."""
    gains = [_grade(relevant, item) if item in relevant else 0.0 for item in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((_grade(relevant, r) for r in relevant), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal) if g > 0)
    return dcg / idcg if idcg > 0 else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _grade(relevant: Mapping[str, float] | set[str], item: str) -> float:
    return float(relevant[item]) if isinstance(relevant, Mapping) else 1.0
