"""Turn the judged candidates into the `Answer` a front end shows: the best one with its citations,
or a refusal with the closest sources when it is below the threshold."""
from __future__ import annotations

from bot.core import i18n
from bot.core.generation import off_language
from bot.core.judge import EXTRACTIVE, Judged
from bot.core.types import Answer, Candidate, Citation, Question, Quote
from model.textutil import strip_citations
from retrieval.types import Hit

IDK = i18n.message("idk")  # in English; a refusal is worded in the question's language


def compose(
    text: str,
    hits: list[Hit],
    best: Judged | None,
    candidates: list[Judged],
    thresholds: tuple[float, float],
    latency_ms: int,
    error: str | None,
) -> Answer:
    """`thresholds` = (refuse below, warn below): an answer between them is shown as tentative."""
    threshold, sure = thresholds
    closest = [citation(i + 1, h) for i, h in enumerate(hits[:3])]
    ranked = sorted(candidates, key=lambda c: c.confidence, reverse=True)
    cands = [
        Candidate(c.generation.text, round(c.confidence, 4), round(c.support.score, 4),
                  c.generation.mean_logprob, c.generation.backend, c.signals,
                  None if c.generation.backend == EXTRACTIVE else off_language(text, c.generation.text))
        for c in ranked
    ]
    if best is None or best.confidence < threshold:
        return Answer(
            question=text, text=i18n.for_text("idk", text), citations=[], confidence=best.confidence if best else 0.0,
            refused=True, backend=best.generation.backend if best else "none",
            latency_ms=latency_ms, closest=closest, candidates=cands, error=error,
        )
    cited = [n for n in best.support.cited if 1 <= n <= len(hits)]
    citations = [citation(n, hits[n - 1]) for n in cited]
    body = best.generation.text.strip()
    if not any(f"[{n}]" in body for n in cited) and cited:
        body = f"{strip_citations(body)} " + "".join(f"[{n}]" for n in cited)
    quote = None
    if best.support.quote is not None and best.support.quote[0] in cited:
        quote = Quote(best.support.quote[0], best.support.quote[1])
    return Answer(
        question=text, text=body, citations=citations, confidence=best.confidence,
        refused=False, backend=best.generation.backend, latency_ms=latency_ms, closest=closest,
        candidates=cands, error=error, quote=quote, tentative=best.confidence < sure,
    )


def error_answer(question: Question, problem: str, latency_ms: int) -> Answer:
    return Answer(
        question=question.text[:200], text=problem, citations=[], confidence=0.0, refused=True,
        backend="none", latency_ms=latency_ms, error=problem,
    )


def citation(n: int, hit: Hit) -> Citation:
    return Citation(
        n=n, chunk_id=hit.chunk_id, document_id=hit.document_id, title=hit.title,
        source=hit.source, page=hit.page, heading=hit.heading, text=hit.text,
    )
