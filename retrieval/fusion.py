"""Fuse the dense and sparse rankings of one query into one ordering.

Four families:
- RRF: sum of weight / (k + rank); needs only ranks.
- Per-query normalised fusion ("minmax", "zscore"): each retriever's scores
  over the candidate set are normalised per query and combined convexly with a
  dense weight. Candidates one retriever did not return should have their
  real score filled in (the knowledge base does); a missing score counts as
  that retriever's minimum.
- "absolute": cosine clipped to [0, 1] and BM25 divided by the most this
  query could score (the sum over its terms of each term's best score in the
  index), combined convexly. Same ranking quality as min-max on the dev sets,
  and the fused score means the same thing from one query to the next, so it
  can feed a confidence threshold (min-max always gives the top hit ~1.0).
- "noisy_or" (the default): the same two query-comparable scores read as
  evidence of relevance and combined by a weighted probabilistic OR,
  1 - (1 - d)^w (1 - s)^(1 - w). In log space this is a convex combination of
  -log(1 - score), a transform that stretches the top of each scale: a
  retriever whose score for a chunk nears its ceiling (it is decisive for this
  query) outweighs a lukewarm score from the other, and a near-zero score
  costs little. Its marginal weight on a retriever is w / (1 - d), so the
  weighting adapts per query and per candidate with no extra parameter. The
  result is never below the convex mean of the two and stays in [0, 1].
  When the index also holds sentence vectors, the best sentence cosine of a
  chunk is a third evidence: the dense weight w is split between the chunk
  vector, (1 - a) w, and its best sentence, a w (a = `sentence_weight`).
  A chunk vector averages everything the chunk says; a question usually asks
  about one sentence of it, which the sentence vector sees undiluted.

All functions return [(id, fused score)] best first, fused scores in [0, 1].
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Ranking = Sequence[tuple[int, float]]  # (id, score), best first


@dataclass(frozen=True)
class Fused:
    id: int
    fused: float
    dense: float | None
    sparse: float | None
    sentence: float | None = None


def rrf(rankings: Mapping[str, Ranking], *, k: int = 60, weights: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal rank fusion, divided by its maximum (rank 1 everywhere) so scores lie in [0, 1]."""
    weights = weights or {}
    total: dict[int, float] = {}
    best_possible = 0.0
    for name, ranking in rankings.items():
        w = float(weights.get(name, 1.0))
        best_possible += w / (k + 1)
        for rank, (item, _score) in enumerate(ranking, start=1):
            total[item] = total.get(item, 0.0) + w / (k + rank)
    scale = 1.0 / best_possible if best_possible > 0 else 0.0
    return _sorted({item: value * scale for item, value in total.items()})


def minmax(scores: Mapping[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo <= 1e-12:
        return {item: (1.0 if hi > 0 else 0.0) for item in scores}
    return {item: (value - lo) / (hi - lo) for item, value in scores.items()}


def zscore(scores: Mapping[int, float]) -> dict[int, float]:
    """Standardise, then squash with the normal CDF so values stay in [0, 1]."""
    if not scores:
        return {}
    values = list(scores.values())
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std <= 1e-12:
        return {item: (1.0 if value > 0 else 0.0) for item, value in scores.items()}
    return {item: 0.5 * (1.0 + math.erf((v - mean) / std / math.sqrt(2.0))) for item, v in scores.items()}


_NORMALISERS = {"minmax": minmax, "zscore": zscore}


def absolute(
    dense: Mapping[int, float],
    sparse: Mapping[int, float],
    *,
    sparse_max: float,
    dense_weight: float = 0.75,
) -> list[tuple[int, float]]:
    """w * clip(cosine, 0, 1) + (1 - w) * BM25 / sparse_max, over the union of candidates."""
    scale = 1.0 / sparse_max if sparse_max > 0 else 0.0
    candidates = set(dense) | set(sparse)
    w = dense_weight if sparse else 1.0
    return _sorted({
        i: w * min(max(dense.get(i, 0.0), 0.0), 1.0) + (1.0 - w) * min(sparse.get(i, 0.0) * scale, 1.0)
        for i in candidates
    })


def noisy_or(
    dense: Mapping[int, float],
    sparse: Mapping[int, float],
    *,
    sparse_max: float,
    dense_weight: float = 0.7,
    sentence: Mapping[int, float] | None = None,
    sentence_weight: float = 0.5,
) -> list[tuple[int, float]]:
    """1 - (1 - d)^w * (1 - s)^(1 - w), d = clip(cosine, 0, 1), s = min(BM25 / sparse_max, 1).

    With `sentence` scores (best sentence cosine per chunk) the dense factor
    becomes (1 - d)^((1 - a) w) * (1 - t)^(a w), t = clip(sentence cosine, 0, 1).
    A missing score counts as 0 (no evidence). With no sparse candidates the
    dense weight becomes 1, so the score is the clipped cosine itself.
    """
    scale = 1.0 / sparse_max if sparse_max > 0 else 0.0
    w = dense_weight if sparse else 1.0
    a = min(max(sentence_weight, 0.0), 1.0) if sentence else 0.0
    out: dict[int, float] = {}
    for i in set(dense) | set(sparse) | set(sentence or ()):
        d = _unit(dense.get(i, 0.0))
        t = _unit(sentence.get(i, 0.0)) if sentence else 0.0
        s = _unit(sparse.get(i, 0.0) * scale)
        out[i] = 1.0 - _pow(1.0 - d, (1.0 - a) * w) * _pow(1.0 - t, a * w) * _pow(1.0 - s, 1.0 - w)
    return _sorted(out)


def _unit(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _pow(base: float, exponent: float) -> float:
    """base ** exponent with 0 ** 0 = 1 (a retriever with no weight contributes nothing)."""
    if exponent <= 0.0:
        return 1.0
    return base ** exponent


def normalised(
    dense: Mapping[int, float],
    sparse: Mapping[int, float],
    *,
    dense_weight: float = 0.5,
    method: str = "minmax",
) -> list[tuple[int, float]]:
    """Convex combination of per-query normalised scores over the union of candidates."""
    norm = _NORMALISERS[method]
    candidates = set(dense) | set(sparse)
    d_lo = min(dense.values()) if dense else 0.0
    s_lo = min(sparse.values()) if sparse else 0.0
    d = norm({i: dense.get(i, d_lo) for i in candidates}) if dense else {}
    s = norm({i: sparse.get(i, s_lo) for i in candidates}) if sparse else {}
    w = dense_weight if (dense and sparse) else (1.0 if dense else 0.0)
    return _sorted({i: w * d.get(i, 0.0) + (1.0 - w) * s.get(i, 0.0) for i in candidates})


def fuse(
    dense: Ranking,
    sparse: Ranking,
    *,
    method: str = "noisy_or",
    dense_weight: float = 0.7,
    rrf_k: int = 60,
    dense_fill: Mapping[int, float] | None = None,
    sparse_fill: Mapping[int, float] | None = None,
    sparse_max: float | None = None,
    sentence: Mapping[int, float] | None = None,
    sentence_weight: float = 0.5,
) -> list[Fused]:
    """Fuse two rankings. `*_fill` supply a retriever's score for candidates only the other found.

    `sentence` (best sentence cosine of each candidate chunk) is used by "noisy_or" only.
    """
    d_scores = dict(dense)
    s_scores = dict(sparse)
    d_all = {**(dense_fill or {}), **d_scores}
    s_all = {**(sparse_fill or {}), **s_scores}
    t_all = dict(sentence or {})
    if method == "rrf":
        order = rrf({"dense": dense, "sparse": sparse}, k=rrf_k,
                    weights={"dense": 2 * dense_weight, "sparse": 2 * (1 - dense_weight)})
    elif method in ("absolute", "noisy_or"):
        if sparse_max is None:
            sparse_max = max(s_all.values(), default=0.0)
        if method == "absolute":
            order = absolute(d_all, s_all, sparse_max=sparse_max, dense_weight=dense_weight)
        else:
            order = noisy_or(d_all, s_all, sparse_max=sparse_max, dense_weight=dense_weight,
                             sentence=t_all, sentence_weight=sentence_weight)
    elif method in _NORMALISERS:
        order = normalised(d_all, s_all, dense_weight=dense_weight, method=method)
    elif method == "dense":
        order = _sorted(minmax(d_scores)) if d_scores else []
    elif method == "sparse":
        order = _sorted(minmax(s_scores)) if s_scores else []
    else:
        raise ValueError(f"unknown fusion method {method!r}")
    return [Fused(i, score, d_all.get(i), s_all.get(i), t_all.get(i)) for i, score in order]


def _sorted(scores: Mapping[int, float]) -> list[tuple[int, float]]:
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
