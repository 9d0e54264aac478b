"""Extractive summaries: the most central sentences of a text, in their original order.

Used for conversation memory (older turns folded into a short note), and for `/summarize`
of a thread, a channel or a document when no capable generator is configured.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from model.textutil import content_words, split_sentences

Encode = Callable[[list[str]], np.ndarray]  # texts → L2-normalised rows


def central_sentences(text_or_sentences: str | Sequence[str], encode: Encode, *, max_sentences: int = 5,
                      max_chars: int = 800) -> list[str]:
    """Pick sentences close to the text's centroid while avoiding near-duplicates (MMR)."""
    sents = split_sentences(text_or_sentences) if isinstance(text_or_sentences, str) else list(text_or_sentences)
    sents = [s for s in sents if len(content_words(s)) >= 2]
    if len(sents) <= 1:
        return sents
    vecs = encode(sents)
    centroid = vecs.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    relevance = vecs @ centroid
    chosen: list[int] = []
    used = 0
    while len(chosen) < min(max_sentences, len(sents)):
        best, best_score = -1, -np.inf
        for i in range(len(sents)):
            if i in chosen:
                continue
            redundancy = max((float(vecs[i] @ vecs[j]) for j in chosen), default=0.0)
            score = 0.7 * float(relevance[i]) - 0.3 * redundancy
            if score > best_score:
                best, best_score = i, score
        if used + len(sents[best]) > max_chars and chosen:
            break
        chosen.append(best)
        used += len(sents[best])
    return [sents[i] for i in sorted(chosen)]


def summarize_turns(turns: Sequence[tuple[str, str]], encode: Encode, max_chars: int = 600) -> str:
    """A memory note from (role, content) turns: what the user asked and what they were told."""
    asked = [c.strip() for r, c in turns if r == "user" and c.strip()]
    told = [split_sentences(c)[0] for r, c in turns if r == "assistant" and split_sentences(c)]
    parts: list[str] = []
    if asked:
        picked = central_sentences(asked, encode, max_sentences=4, max_chars=max_chars // 2) or asked[-2:]
        parts.append("The user asked: " + " | ".join(picked))
    if told:
        picked = central_sentences(told, encode, max_sentences=3, max_chars=max_chars // 2) or told[-1:]
        parts.append("They were told: " + " ".join(picked))
    return "\n".join(parts)[:max_chars]
