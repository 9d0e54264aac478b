"""How well an answer is supported by the passages it was given, and which ones it cites.

Pure functions over text plus an injected encoder (the embedder, for cosine similarity),
so the core can judge a weak generator instead of trusting it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.claims import MIN_NOVEL_SUPPORT, adds_nothing, contradicts, novel_support, unsupported_facts
from model.textutil import clean_sentence, content_words, split_sentences, strip_citations

Encode = Callable[[list[str]], np.ndarray]  # texts → L2-normalised rows

_CITE = re.compile(r"\[(\d{1,2})\]")
_ABSTAIN = re.compile(
    r"\b(i (do not|don't|cannot|can't) (know|find|answer|say)|no information|"
    r"not (mentioned|provided|stated|specified|covered|given|found) (in|by) the (passages?|context|documents?|text)|"
    r"not in the (passages?|context|documents?)|(passages?|context|documents?) do(es)? not (say|mention|cover|answer|contain))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Support:
    score: float  # 0..1, mean over answer sentences of their best passage match
    weakest: float  # the least-supported sentence's score
    cited: tuple[int, ...]  # passage numbers ([n]) the answer relies on, in first-use order
    abstained: bool  # the answer itself says it does not know
    quote: tuple[int, str] | None = None  # (passage number, sentence) the answer's first claim rests on
    problems: tuple[str, ...] = ()  # claims the cited passages do not back (see claims.py)

    @property
    def verified(self) -> bool:
        """Every fact is in a cited passage, nothing is inverted, and it answers something."""
        return not self.problems and not self.abstained and self.quote is not None


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


def assess(answer: str, passages: Sequence[str], encode: Encode | None, question: str = "") -> Support:
    """Score each answer sentence against every passage (semantic and lexical), find the source
    sentence its first claim rests on, and check its claims against the cited passages.

    `encode` maps texts to L2-normalised vectors (the embedder); everything is encoded once and
    compared in matrix products. Without it, support is lexical only.
    """
    explicit = cited_numbers(answer, len(passages))
    body = [strip_citations(s) for s in split_sentences(answer)]
    body = [s for s in body if content_words(s)]
    if not body or not passages:
        return Support(0.0, 0.0, tuple(explicit), abstains(answer))
    sources = [(i, sent) for i, p in enumerate(passages) for sent in split_sentences(p) if content_words(sent)]
    lexical = np.array([[lexical_support(sent, p) for p in passages] for sent in body])
    source_lexical = np.array([lexical_support(body[0], sent) for _, sent in sources])
    if encode is not None:
        vectors = encode([*passages, *body, *(sent for _, sent in sources)])
        n = len(passages)
        semantic = np.clip(vectors[n:n + len(body)] @ vectors[:n].T, 0.0, None)
        source_semantic = np.clip(vectors[n + len(body):] @ vectors[n], 0.0, None) if sources else np.zeros(0)
    else:
        semantic, source_semantic = lexical, source_lexical
    combined = 0.5 * lexical + 0.5 * semantic
    best = combined.argmax(axis=1)
    per_sentence = combined[np.arange(len(body)), best]
    cited = explicit or list(dict.fromkeys(int(b) + 1 for b in best))
    quote = None
    if sources:
        fit = 0.5 * source_lexical + 0.5 * source_semantic
        allowed = np.array([i + 1 in cited for i, _ in sources])
        fit = np.where(allowed, fit, -1.0) if allowed.any() else fit
        at = int(fit.argmax())
        quote = (sources[at][0] + 1, clean_sentence(sources[at][1]))
    return Support(
        score=float(per_sentence.mean()),
        weakest=float(per_sentence.min()),
        cited=tuple(cited),
        abstained=abstains(answer),
        quote=quote,
        problems=tuple(problems(answer, question, [passages[n - 1] for n in cited], quote)),
    )


def problems(answer: str, question: str, cited: Sequence[str], quote: tuple[int, str] | None) -> list[str]:
    """What the cited passages do not back: missing facts, an inverted claim, nothing new."""
    found = [f"not in the source: {fact}" for fact in unsupported_facts(answer, question, cited)]
    first = next(iter(split_sentences(strip_citations(answer))), "")
    if quote is not None and first and (why := contradicts(first, quote[1])):
        found.append(why)
    if question and adds_nothing(answer, question):
        found.append("only repeats the question")
    elif question and (share := novel_support(answer, question, cited)) < MIN_NOVEL_SUPPORT:
        found.append(f"says things the source does not ({share:.0%} of its new words are there)")
    return found
