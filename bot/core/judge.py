"""The judge: how far each candidate answer is supported by its passages, and how confident to be.

Each candidate gets a support score (every sentence checked against the passages, see
grounding.py), the retrieval evidence (does the best passage match the question, does the answer
address it), its token log-probabilities and, with several candidates, their agreement; these are
combined into one confidence in `model.confidence.combine`.
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from bot.core.grounding import Support, assess
from model.base import Generation, Passage
from model.confidence import agreement, combine, logprob_confidence
from model.textutil import strip_citations
from retrieval.embedder import Embedder
from retrieval.types import Hit

# A generated answer must be at least this well supported by its passages, else the
# extractive answer (sentences taken from the passages themselves) is used instead.
MIN_SUPPORT = 0.55
# Cosine (MiniLM) of question↔best passage and question↔answer mapped to 0..1 around these
# midpoints: on-topic passages score ≳ 0.5, passages that merely share words ≲ 0.4.
EVIDENCE_MID, EVIDENCE_WIDTH = 0.45, 0.05
RELEVANCE_MID, RELEVANCE_WIDTH = 0.42, 0.06


@dataclass(frozen=True)
class Judged:
    generation: Generation
    support: Support
    confidence: float


class Judge:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def evidence(self, question: str, hits: list[Hit]) -> float:
        """How strongly the best passage matches the question, 0..1 (cosine, squashed)."""
        if not hits:
            return 0.0
        best = max((h.dense for h in hits if h.dense is not None), default=None)
        if best is None:
            best = max(self.embedder.similarity(question, [hits[0].text]))
        return squash(best, mid=EVIDENCE_MID, width=EVIDENCE_WIDTH)

    async def judge(
        self, question: str, gens: list[Generation], passages: list[Passage], evidence: float
    ) -> list[Judged]:
        texts = [p.text for p in passages]

        def measure() -> list[tuple[Support, float]]:
            out = []
            for g in gens:
                support = assess(g.text, texts, self.embedder.encode)
                body = strip_citations(g.text)
                relevance = self.embedder.similarity(question, [body])[0] if body else 0.0
                out.append((support, relevance))
            return out

        measured = await asyncio.to_thread(measure)
        agree = agreement([g.text for g in gens]) if len(gens) > 1 else None
        judged = []
        for g, (s, relevance) in zip(gens, measured):
            if g.cited and not s.cited:
                s = Support(s.score, s.weakest, g.cited, s.abstained)
            # the passage must match the question AND the answer must address the question
            matched = math.sqrt(evidence * squash(relevance, mid=RELEVANCE_MID, width=RELEVANCE_WIDTH))
            lp = g.mean_logprob
            conf = combine(
                retrieval=matched,
                generation=logprob_confidence(lp) if lp is not None else None,
                support=0.0 if s.abstained else s.score,
                agreement=agree,
            )
            judged.append(Judged(g, s, conf))
        return judged


def pick(candidates: list[Judged]) -> Judged | None:
    usable = [c for c in candidates if c.generation.text.strip()]
    return max(usable, key=lambda c: c.confidence, default=None)


def trustworthy(j: Judged) -> bool:
    """A generated answer is kept only when the passages support it and it cites them."""
    if j.generation.backend == "extractive":
        return True
    return not j.support.abstained and j.support.score >= MIN_SUPPORT and bool(j.support.cited)


def squash(x: float, mid: float, width: float) -> float:
    return 1.0 / (1.0 + math.exp(-(x - mid) / width))
