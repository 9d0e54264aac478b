"""Vectors of parts of a passage from the token states of one encoder pass over the whole passage.

A mean-pooling encoder (MiniLM) makes a passage vector by averaging its last hidden states;
averaging only the tokens that cover some characters of the passage gives a vector for those
characters (a sentence of a chunk) without encoding them again. The states are contextual
(each token has seen the whole passage), so such a vector is close to, not equal to, the
vector of the sentence encoded alone. Characters past the encoder window have no tokens: a span
that reaches them is reported as not covered, and the caller encodes it alone instead.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Span = tuple[int, int]  # characters [start, end) of a passage
Ranges = tuple[Span, ...]  # the character ranges whose tokens one vector averages


@dataclass(frozen=True)
class PassageTokens:
    """One passage after the encoder: its tokens' last hidden states and character offsets."""

    hidden: np.ndarray  # (tokens, dim) float32, special tokens included
    offsets: np.ndarray  # (tokens, 2) int: each token's characters in the passage
    special: np.ndarray  # (tokens,) bool: [CLS], [SEP] (they cover no characters)


@dataclass(frozen=True)
class PooledPassage:
    """A passage vector (the mean of all its tokens, as `encode` pools them) and one vector per
    requested `Ranges`, all L2-normalised; `covered[k]` is False (and row k zeros) where
    ranges k reach past the last encoded token."""

    vector: np.ndarray  # (dim,)
    spans: np.ndarray  # (len(ranges), dim)
    covered: np.ndarray  # (len(ranges),) bool


def pool_passage(tokens: PassageTokens, ranges: Sequence[Ranges]) -> PooledPassage:
    dim = tokens.hidden.shape[1]
    vector = _unit(tokens.hidden.mean(axis=0))
    spans = np.zeros((len(ranges), dim), dtype=np.float32)
    covered = np.zeros(len(ranges), dtype=bool)
    real = ~tokens.special
    last_end = int(tokens.offsets[real, 1].max()) if real.any() else 0
    starts, ends = tokens.offsets[:, 0], tokens.offsets[:, 1]
    for k, unit in enumerate(ranges):
        if not unit or max(b for _, b in unit) > last_end:
            continue
        chosen = np.zeros(len(real), dtype=bool)
        for a, b in unit:
            chosen |= real & (starts < b) & (ends > a)
        if chosen.any():
            spans[k] = _unit(tokens.hidden[chosen].mean(axis=0))
            covered[k] = True
    return PooledPassage(vector, spans, covered)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def padded(id_lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, attention mask), both (rows, longest) int64, zero-padded on the right."""
    width = max((len(ids) for ids in id_lists), default=0)
    ids = np.zeros((len(id_lists), width), dtype=np.int64)
    mask = np.zeros((len(id_lists), width), dtype=np.int64)
    for r, row in enumerate(id_lists):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return ids, mask


def length_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices of `lengths` in batches of like lengths (little padding), shortest first."""
    order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), max(1, batch_size))]
