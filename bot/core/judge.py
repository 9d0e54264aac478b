"""The judge: how far each candidate answer is supported by its passages, and how confident to be.

Every candidate is checked claim by claim against the passages it cites (grounding.py, claims.py),
measured (`model.calibration.Signals`: retrieval match, answer relevance, support, question
coverage, answer type, verification, agreement of the generated and the extractive readings, the
model's own certainty) and given one calibrated confidence. A generated answer is shown only when
it is verified; otherwise the extractive reading, which quotes the passages, stands.
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, replace

from bot.core.grounding import Support, assess
from model.base import Generation, Passage
from model.calibration import Calibration, Signals, calibration_for, cosine_span, spread
from model.confidence import agreement, logprob_confidence
from model.questions import analyse, holds_code, name_held, one_letter_options, unmentioned_codes
from model.spans import span_kinds
from model.textutil import content_terms, content_words, split_sentences, strip_citations, terms_held
from retrieval.embedder import Embedder
from retrieval.types import Hit

EXTRACTIVE = "extractive"


@dataclass(frozen=True)
class Judged:
    generation: Generation
    support: Support
    confidence: float
    signals: Signals


class Judge:
    def __init__(self, embedder: Embedder, calibration: Calibration | None = None) -> None:
        """`calibration` defaults to the one fitted for this embedder's cosines (by its model name)."""
        self.embedder = embedder
        name = str(getattr(embedder, "model_name", "") or "")
        self.calibration = calibration or calibration_for(name)
        self.span = cosine_span(name)  # cosines are spread over it before they are weighed

    def evidence(self, question: str, hits: list[Hit]) -> float:
        """Cosine of the question with the best passage, spread over the embedder's span (0..1)."""
        if not hits:
            return 0.0
        best = max((h.dense for h in hits if h.dense is not None), default=None)
        if best is None:
            best = max(self.embedder.similarity(question, [hits[0].text]))
        return spread(float(best), self.span)

    async def judge(
        self, question: str, gens: list[Generation], passages: list[Passage], evidence: float
    ) -> list[Judged]:
        """Judge every candidate; the extractive reading among them is what generated ones must agree with."""
        texts = [p.text for p in passages]

        def measure() -> list[tuple[Support, float]]:
            out = []
            for g in gens:
                support = assess(g.text, texts, self.embedder.encode_cached, question)
                body = strip_citations(g.text)
                relevance = self.embedder.similarity(question, [body])[0] if body else 0.0
                out.append((support, float(relevance)))
            return out

        measured = await asyncio.to_thread(measure)
        reading = next((i for i, g in enumerate(gens) if g.backend == EXTRACTIVE), None)
        shape = analyse(question)
        weight = _rarity(shape.focus, texts)
        letters = tuple(one_letter_options(shape))  # "what does -s do?": no content word holds it
        asked = frozenset(content_terms(shape.asked)) & set(weight) if shape.asked else frozenset()
        titles = [p.title for p in passages]
        everywhere = content_words(" ".join([*texts, *titles]))
        in_titles = " ".join(titles).lower()  # "the FAQ" is the page titled gitfaq(7)
        # the names of the question proper: one only in the scene set before it ("I run valgrind
        # in CI. Which flag …?") is the user's setting, not what the passages must speak of
        found = [name_held(t, everywhere) or (len(t) >= 3 and t in in_titles) for t in shape.asked_names]
        named = sum(found) / len(found) if found else 1.0
        # a question about a name no passage mentions ("… with Chocolatey?", "… on Windows?", "2008 年…")
        # is not answered by these passages, however close the rest of them comes
        unnamed = named < 1.0 or bool(unmentioned_codes(shape, [*texts, *titles]))
        # "which option …?" over pages that list command-line options is not answered by a sentence
        # that names none ("Callgrind is a call-graph generating cache profiler." for "which
        # callgrind option dumps …?"); over a shop's pages "which payment option …" is plain words
        wants_option = shape.expects == {"option"} and any("option" in span_kinds(t) for t in texts)
        judged = []
        for i, (g, (s, relevance)) in enumerate(zip(gens, measured)):
            if g.cited and not s.cited:
                s = replace(s, cited=g.cited)
            if s.abstained and g.backend == EXTRACTIVE and g.cited:
                # the passages' own words: "… would leave Cachegrind with no information to
                # collect" quotes the manual, it does not say the answer is unknown
                s = replace(s, abstained=False)
            cited_text = " ".join(texts[n - 1] for n in s.cited if 1 <= n <= len(texts))
            quoted = f"{s.quote[1] if s.quote else ''} {strip_citations(g.text)}"
            others = [j for j in range(len(gens)) if j != i and (reading in (i, j))]
            fits = shape.fits(span_kinds(strip_citations(g.text)))
            agree = max((_agree(g, gens[j], s, measured[j][0]) for j in others), default=0.5)
            signals = Signals(
                evidence=evidence,
                relevance=spread(relevance, self.span),
                support=0.0 if s.abstained else s.score,
                coverage=_share(weight, cited_text, letters, asked),
                quote_coverage=_share(weight, quoted, letters, asked),
                named=named,
                fits=1.0 if fits else 0.0,
                verified=1.0 if s.verified else 0.0,
                agreement=agree,
                fluency=logprob_confidence(g.mean_logprob) if g.mean_logprob is not None else 0.5,
                generated=0.0 if g.backend == EXTRACTIVE else 1.0,
            )
            conf = 0.0 if s.abstained or unnamed or (wants_option and not fits) else self.calibration.confidence(signals)
            judged.append(Judged(g, s, conf, signals))
        return judged


def _rarity(focus: tuple[str, ...], passages: list[str]) -> dict[str, float]:
    """IDF of each question term over the passages' sentences: a term no passage holds
    ("proxy", "Chocolatey") weighs most, one every sentence holds ("git") least."""
    sentences = [terms_held(focus, s) for p in passages for s in split_sentences(p)]
    n = len(sentences)
    return {t: math.log(1.0 + (n + 1) / (sum(s.get(t, 0.0) >= 0.5 for s in sentences) + 0.5)) for t in focus}


def _share(weight: dict[str, float], text: str, letters: tuple[str, ...] = (),
           asked: frozenset[str] = frozenset()) -> float:
    """The rarity-weighted share of the question's terms that `text` holds; a one-letter option
    the question asks about ("what does -s do?", no content word at all) weighs as its rarest term.
    After a scene ("I run valgrind in CI and want the job to fail. Which flag …?") the terms of the
    question proper weigh half, as in the reader: the answer speaks of the question, not the scene."""
    held = terms_held(weight, text)
    rare = max(weight.values(), default=1.0)
    lowered = text.lower()

    def share(terms: dict[str, float]) -> float:
        total = sum(terms.values()) + rare * len(letters)
        if not total:
            return 1.0
        got = sum(w * held.get(t, 0.0) for t, w in terms.items()) + rare * sum(holds_code(c, lowered) for c in letters)
        return got / total

    whole = share(weight)
    return 0.5 * (whole + share({t: weight[t] for t in asked})) if asked else whole


def _agree(a: Generation, b: Generation, sa: Support, sb: Support) -> float:
    """Two readings agree when they rest on the same source sentence or say the same words."""
    if sa.quote is not None and sa.quote == sb.quote:
        return 1.0
    return agreement([a.text, b.text])


def pick(candidates: list[Judged]) -> Judged | None:
    """The most confident answer that may be shown: a generated one only when verified."""
    usable = [c for c in candidates if c.generation.text.strip() and trustworthy(c)]
    return max(usable, key=lambda c: c.confidence, default=None)


def trustworthy(j: Judged) -> bool:
    """Extractive sentences are the passages' own words; a generated answer must pass every check."""
    if j.generation.backend == EXTRACTIVE:
        return True
    return j.support.verified and bool(j.support.cited)
