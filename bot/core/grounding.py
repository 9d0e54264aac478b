"""How well an answer is supported by the passages it was given, and which ones it cites.

Pure functions over text plus an injected encoder (the embedder, for cosine similarity),
so the core can judge a weak generator instead of trusting it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from model.textutil import content_words, split_sentences, strip_citations

Encode = Callable[[list[str]], np.ndarray]  # texts → L2-normalised rows

_CITE = re.compile(r"\[(\d{1,2})\]")
_ABSTAIN = re.compile(
    r"\b(i (do not|don't|cannot|can't) (know|find|answer|say)|not (mentioned|provided|stated|"
    r"specified|covered|in the (passages|context|documents))|no information|"
    r"(passages|context|documents) do(es)? not)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Support:
    score: float  # 0..1, mean over answer sentences of their best passage match
    weakest: float  # the least-supported sentence's score
    cited: tuple[int, ...]  # passage numbers ([n]) the answer relies on, in first-use order
    abstained: bool  # the answer itself says it does not know


def cited_numbers(text: str, n_passages: int) -> list[int]:
    """[n] markers in order of first use, limited to passages that exist."""
    seen: list[int] = []
    for m in _CITE.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= n_passages and n not in seen:
            seen.append(n)
    return seen


def lexical_support(sentence: str, passage: str) -> float:
    """Share of the sentence's content words that appear in the passage."""
    words = content_words(sentence)
    if not words:
        return 1.0
    return len(words & content_words(passage)) / len(words)


def abstains(text: str) -> bool:
    return bool(_ABSTAIN.search(text))


def assess(answer: str, passages: Sequence[str], encode: Encode | None) -> Support:
    """Score each answer sentence against every passage (semantic and lexical) and aggregate.

    `encode` maps texts to L2-normalised vectors (the embedder); passages and sentences are
    encoded once each and compared in one matrix product. Without it, support is lexical only.
    """
    explicit = cited_numbers(answer, len(passages))
    body = [strip_citations(s) for s in split_sentences(answer)]
    body = [s for s in body if content_words(s)]
    if not body or not passages:
        return Support(0.0, 0.0, tuple(explicit), abstains(answer))
    lexical = np.array([[lexical_support(sent, p) for p in passages] for sent in body])
    if encode is not None:
        vectors = encode([*passages, *body])
        semantic = np.clip(vectors[len(passages):] @ vectors[: len(passages)].T, 0.0, None)
    else:
        semantic = lexical
    combined = 0.5 * lexical + 0.5 * semantic
    best = combined.argmax(axis=1)
    per_sentence = combined[np.arange(len(body)), best]
    cited = explicit or list(dict.fromkeys(int(b) + 1 for b in best))
    return Support(
        score=float(per_sentence.mean()),
        weakest=float(per_sentence.min()),
        cited=tuple(cited),
        abstained=abstains(answer),
    )
