"""The assistant core: question → memory → retrieve → prompt → generate → judge → answer.

Front ends (terminal, Discord) hand it a `Question` and render the `AnswerEvent`s it yields.
It knows nothing about Discord. Blocking work (embedding, FAISS, BM25, SQLite catalogue,
local model) runs in worker threads; the event loop only coordinates.
"""
from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from bot.core.config import Settings
from bot.core.grounding import Support, assess, content_words, strip_citations
from bot.core.memory import Context, Memory
from bot.core import safety
from bot.core.sentiment import FrustrationPolicy, SentimentScorer, is_frustrated
from bot.store import Store
from bot.core.summarize import central_sentences
from bot.services.tutoring import Tutor
from bot.core.types import (
    Answer,
    AnswerEvent,
    Candidate,
    Citation,
    FinalEvent,
    Question,
    StatusEvent,
    TokenEvent,
)
from model.base import Generation, GenerationParams, Generator, GeneratorError, Passage, Prompt, Turn
from model.confidence import agreement, combine, logprob_confidence
from model.extractive import ExtractiveGenerator
from model.factory import build_generator
from retrieval.config import RetrievalConfig
from retrieval.embedder import Embedder
from retrieval.knowledge_base import KnowledgeBases
from retrieval.types import DocumentInfo, Hit, IngestReport

log = logging.getLogger(__name__)
T = TypeVar("T")

IDK = "I don't know — the documents I have do not answer that."
_FOLLOW_UP = re.compile(
    r"^(and|or|but|also|what about|how about|then|so)\b|\b(it|its|that|this|those|these|they|them|"
    r"there|one|ones)\b",
    re.IGNORECASE,
)
EXPLAIN_LEVELS = {
    "beginner": "Explain the topic simply for a beginner, in 2-4 short sentences, using only the "
    "passages. Define any term you use. Cite passages like [1].",
    "intermediate": "Explain the topic for a learner who knows the basics, in one short paragraph, "
    "using only the passages, with an example if they give one. Cite passages like [1].",
    "advanced": "Explain the topic precisely and completely, using only the passages: details, "
    "edge cases and examples they give. Cite passages like [1].",
}
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


class Assistant:
    """Owns the store, the knowledge bases and the generator for one process."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        kbs: KnowledgeBases,
        embedder: Embedder,
        generator_factory: Callable[[], Generator],
    ) -> None:
        self.settings = settings
        self.store = store
        self.kbs = kbs
        self.embedder = embedder
        self._generator_factory = generator_factory
        self._generator: Generator | None = None
        self._generator_lock = asyncio.Lock()
        self.extractive = ExtractiveGenerator(similarity=embedder.similarity)
        self.memory = Memory(store, embedder.encode, settings.history_turns)
        self.sentiment = SentimentScorer()
        self.frustration = FrustrationPolicy(settings.frustration_below, settings.frustration_run)
        self.tutor = Tutor(store, self.search, embedder.similarity)

    # --- construction -------------------------------------------------------------------------
    @classmethod
    async def create(cls, settings: Settings, generator: Generator | None = None) -> Assistant:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.db_path)
        embedder = Embedder(settings.embedder_model, device=settings.embedder_device)
        kbs = KnowledgeBases(settings.data_dir, embedder, retrieval_config(settings))
        factory = (lambda: generator) if generator is not None else (lambda: make_generator(settings))
        assistant = cls(settings, store, kbs, embedder, factory)
        if generator is not None:
            assistant._generator = generator
        return assistant

    async def generator(self) -> Generator:
        """The configured generator, built on first use (loading a model can take seconds)."""
        async with self._generator_lock:
            if self._generator is None and self.settings.generator == "extractive":
                self._generator = self.extractive  # the one that shares the embedder
            if self._generator is None:
                try:
                    self._generator = await asyncio.to_thread(self._generator_factory)
                except GeneratorError as exc:
                    log.warning("generator unavailable (%s); answering extractively", exc)
                    self._generator = self.extractive
            return self._generator

    async def aclose(self) -> None:
        if self._generator is not None and self._generator is not self.extractive:
            await self._generator.aclose()
        await self.store.close()

    # --- knowledge base --------------------------------------------------------------------------
    async def ingest(
        self,
        scope: str,
        sources: Sequence[str],
        added_by: str | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> IngestReport:
        kb = self.kbs.get(scope)
        report = await asyncio.to_thread(kb.ingest, list(sources), added_by=added_by, progress=progress)
        return await safety.flag_injections(self.store, scope, report, added_by)

    async def list_documents(self, scope: str) -> list[DocumentInfo]:
        return await asyncio.to_thread(self.kbs.get(scope).list_documents)

    async def remove_document(self, scope: str, ref: int | str) -> DocumentInfo | None:
        return await asyncio.to_thread(self.kbs.get(scope).remove, ref)

    async def kb_stats(self, scope: str) -> dict[str, object]:
        return await asyncio.to_thread(self.kbs.get(scope).stats)

    async def search(self, scope: str, query: str, k: int) -> list[Hit]:
        return await asyncio.to_thread(self.kbs.get(scope).search, query, k)

    async def summarize(self, texts: Sequence[str], *, max_sentences: int = 6) -> str:
        """An extractive summary (the most central sentences, in order) of some texts."""
        joined = "\n\n".join(t for t in texts if t.strip())
        picked = await asyncio.to_thread(
            central_sentences, joined, self.embedder.encode, max_sentences=max_sentences, max_chars=1500
        )
        return " ".join(picked)

    async def summarize_document(self, scope: str, ref: int | str) -> tuple[DocumentInfo, str] | None:
        kb = self.kbs.get(scope)

        def texts() -> tuple[DocumentInfo, list[str]] | None:
            doc = kb.get_document(ref)
            if doc is None:
                return None
            return doc, [h.text for h in kb.get_chunks(kb.catalog.document_chunk_ids(doc.id))]

        found = await asyncio.to_thread(texts)
        if found is None:
            return None
        return found[0], await self.summarize(found[1])

    async def forget(self, scope: str, user: str) -> dict[str, int]:
        return await self.store.forget_user(scope, user)

    # --- answering -------------------------------------------------------------------------------
    def explain(self, topic: str, level: str, question: Question) -> AsyncIterator[AnswerEvent]:
        """A grounded explanation of `topic` for a learner at `level` (see EXPLAIN_LEVELS)."""
        if level not in EXPLAIN_LEVELS:
            level = "beginner"
        return self.ask(replace(question, text=topic), instruction=EXPLAIN_LEVELS[level])

    async def answer(self, question: Question) -> Answer:
        final: Answer | None = None
        async for event in self.ask(question):
            if isinstance(event, FinalEvent):
                final = event.answer
        assert final is not None
        return final

    async def ask(self, question: Question, *, instruction: str | None = None) -> AsyncIterator[AnswerEvent]:
        """Answer `question`; `instruction` turns it into another grounded task (e.g. explain)."""
        started = time.perf_counter()
        problem = self._check(question.text)
        if problem:
            yield FinalEvent(self._error_answer(question, problem, started))
            return
        text = question.text.strip()
        await self.memory.learn(question)
        context = await self.memory.context(question)
        history = context.history
        yield StatusEvent("retrieving")
        threshold = await self._threshold(question.scope)
        found = await self.search(question.scope, self._search_query(text, history), 2 * self.settings.top_k)
        hits = personalise(found, context.facts)[: self.settings.top_k]
        passages = [Passage(n=i + 1, title=h.title, text=h.text) for i, h in enumerate(hits)]
        prompt = Prompt(
            question=text, passages=passages, history=history, **prompt_memory(context),
            task="answer" if instruction is None else "explain", instruction=instruction,
        )
        evidence = self._retrieval_evidence(text, hits)

        yield StatusEvent("generating")
        generator = await self.generator()
        best: Judged | None = None
        candidates: list[Judged] = []
        error: str | None = None
        if hits:
            try:
                deadline = time.monotonic() + self.settings.generation_timeout_s
                if self.settings.candidates > 1:
                    gens = await asyncio.wait_for(
                        generator.generate_n(prompt, self._params(n=self.settings.candidates)),
                        self.settings.generation_timeout_s,
                    )
                else:
                    pieces: list[str] = []
                    logprobs: list[float] = []
                    async for tok in with_deadline(generator.stream(prompt, self._params()), deadline):
                        pieces.append(tok.text)
                        if tok.logprob is not None:
                            logprobs.append(tok.logprob)
                        yield TokenEvent(tok.text)
                    gens = [Generation("".join(pieces), logprobs, backend=generator.name)]
            except (GeneratorError, asyncio.TimeoutError) as exc:
                timed_out = isinstance(exc, asyncio.TimeoutError)
                error = "the language model did not answer in time" if timed_out else str(exc)
                log.warning("generation failed: %s", error)
                gens = []
            candidates = await self._judge(text, gens, passages, evidence)
            best = self._pick(candidates)
        if hits and (best is None or not self._trustworthy(best)):
            fallback = await self.extractive.generate(prompt, self._params())
            judged = (await self._judge(text, [fallback], passages, evidence))[0]
            candidates.append(judged)
            best = judged

        answer = safety.guard_answer(self._finish(question, text, hits, best, candidates, threshold, started, error))
        mood = await asyncio.to_thread(self.sentiment.score, text)
        answer_id = await self.store.record_exchange(
            scope=question.scope, user=question.user, channel=question.channel,
            conversation=question.conversation, question=text, external_id=question.message_id,
            sentiment=mood,
            answer={
                "text": answer.text, "citations": [c.record() for c in answer.citations],
                "closest": [c.record() for c in answer.closest],
                "confidence": answer.confidence, "refused": answer.refused,
                "backend": answer.backend, "latency_ms": answer.latency_ms,
                "candidates": [vars(c) for c in answer.candidates],
            },
        )
        escalated = await self._flag(question, answer, answer_id)
        await self.memory.compact(question)
        yield FinalEvent(replace(answer, answer_id=answer_id, escalated=escalated))

    # --- steps ---------------------------------------------------------------------------------
    def _check(self, text: str) -> str | None:
        stripped = text.strip()
        if not stripped:
            return "Please ask a question — the message was empty."
        if len(stripped) > self.settings.max_question_chars:
            return (
                f"That question is too long ({len(stripped):,} characters; the limit is "
                f"{self.settings.max_question_chars:,}). Please shorten it."
            )
        return None

    async def _flag(self, question: Question, answer: Answer, answer_id: int) -> bool:
        """Flag low-confidence answers and frustrated users for moderators; True = escalated."""
        if answer.refused and not answer.error:
            await self.store.add_flag(
                "low_confidence", question.scope, user=question.user, answer_id=answer_id,
                channel=question.channel, message_id=question.message_id,
                note=f"confidence {answer.confidence:.2f}",
            )
        run = self.frustration.run_length
        recent = await self.store.recent_sentiments(question.scope, question.user, run + 1)
        # flag once per streak: the newest `run` are negative and the one before them is not
        if is_frustrated(recent, self.frustration) and not is_frustrated(recent[1:], self.frustration):
            await self.store.add_flag(
                "frustrated", question.scope, user=question.user, answer_id=answer_id,
                channel=question.channel, message_id=question.message_id,
                note=f"{run} negative messages in a row",
            )
            return True
        return False

    async def _threshold(self, scope: str) -> float:
        custom = (await self.store.get_guild_settings(scope)).threshold
        return self.settings.threshold if custom is None else custom

    @staticmethod
    def _search_query(text: str, history: list[Turn]) -> str:
        """Follow-ups ("and for digital items?") are searched together with the last question."""
        last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
        if last_user and (len(text.split()) <= 6 or _FOLLOW_UP.search(text)):
            return f"{last_user} {text}"
        return text

    def _params(self, n: int = 1) -> GenerationParams:
        return GenerationParams(
            max_new_tokens=self.settings.max_new_tokens,
            temperature=self.settings.temperature if n > 1 else 0.0,
            n=n,
            stop=("<passage", "</passage"),  # small models sometimes echo the data markers
        )

    def _retrieval_evidence(self, question: str, hits: list[Hit]) -> float:
        """How strongly the best passage matches the question, 0..1 (cosine, squashed)."""
        if not hits:
            return 0.0
        best = max((h.dense for h in hits if h.dense is not None), default=None)
        if best is None:
            best = max(self.embedder.similarity(question, [hits[0].text]))
        return _squash(best, mid=EVIDENCE_MID, width=EVIDENCE_WIDTH)

    async def _judge(
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
            matched = math.sqrt(evidence * _squash(relevance, mid=RELEVANCE_MID, width=RELEVANCE_WIDTH))
            lp = g.mean_logprob
            conf = combine(
                retrieval=matched,
                generation=logprob_confidence(lp) if lp is not None else None,
                support=0.0 if s.abstained else s.score,
                agreement=agree,
            )
            judged.append(Judged(g, s, conf))
        return judged

    @staticmethod
    def _pick(candidates: list[Judged]) -> Judged | None:
        usable = [c for c in candidates if c.generation.text.strip()]
        return max(usable, key=lambda c: c.confidence, default=None)

    @staticmethod
    def _trustworthy(j: Judged) -> bool:
        if j.generation.backend == "extractive":
            return True
        return not j.support.abstained and j.support.score >= MIN_SUPPORT and bool(j.support.cited)

    def _finish(
        self,
        question: Question,
        text: str,
        hits: list[Hit],
        best: Judged | None,
        candidates: list[Judged],
        threshold: float,
        started: float,
        error: str | None,
    ) -> Answer:
        latency = int((time.perf_counter() - started) * 1000)
        closest = [_citation(i + 1, h) for i, h in enumerate(hits[:3])]
        ranked = sorted(candidates, key=lambda c: c.confidence, reverse=True)
        cands = [
            Candidate(c.generation.text, round(c.confidence, 4), round(c.support.score, 4),
                      c.generation.mean_logprob, c.generation.backend)
            for c in ranked
        ]
        if best is None or best.confidence < threshold:
            return Answer(
                question=text, text=IDK, citations=[], confidence=best.confidence if best else 0.0,
                refused=True, backend=best.generation.backend if best else "none",
                latency_ms=latency, closest=closest, candidates=cands, error=error,
            )
        cited = [n for n in best.support.cited if 1 <= n <= len(hits)]
        citations = [_citation(n, hits[n - 1]) for n in cited]
        body = best.generation.text.strip()
        if not any(f"[{n}]" in body for n in cited) and cited:
            body = f"{strip_citations(body)} " + "".join(f"[{n}]" for n in cited)
        return Answer(
            question=text, text=body, citations=citations, confidence=best.confidence,
            refused=False, backend=best.generation.backend, latency_ms=latency, closest=closest,
            candidates=cands, error=error,
        )

    def _error_answer(self, question: Question, problem: str, started: float) -> Answer:
        return Answer(
            question=question.text[:200], text=problem, citations=[], confidence=0.0, refused=True,
            backend="none", latency_ms=int((time.perf_counter() - started) * 1000), error=problem,
        )


# --- helpers ----------------------------------------------------------------------------------
def retrieval_config(settings: Settings) -> RetrievalConfig:
    return RetrievalConfig(
        chunk_tokens=settings.chunk_tokens,
        overlap_tokens=settings.overlap_tokens,
        ann_threshold=settings.ann_threshold,
        ivf_threshold=settings.ivf_threshold,
        sentence_weight=settings.sentence_weight,
        reranker_path=settings.reranker_model,
        **safety.retrieval_limits(settings),
    )


def make_generator(settings: Settings) -> Generator:
    """Build the configured backend (blocking: a local model loads here)."""
    if settings.generator == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return build_generator(
            "openai", base_url=settings.openai_base_url, model=settings.openai_model,
            api_key=key, timeout=settings.generation_timeout_s,
        )
    if settings.generator in ("local", "llamacpp"):
        return build_generator(
            settings.generator, model=settings.local_model, device=settings.local_device,
            cache_dir=Path(settings.data_dir) / "models",
        )
    return build_generator("extractive")


async def with_deadline(tokens: AsyncIterator[T], deadline: float) -> AsyncIterator[T]:
    """Re-yield `tokens`, raising asyncio.TimeoutError once the monotonic deadline passes."""
    iterator = tokens.__aiter__()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise asyncio.TimeoutError
            try:
                item = await asyncio.wait_for(iterator.__anext__(), remaining)
            except StopAsyncIteration:
                return
            yield item
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def _squash(x: float, mid: float, width: float) -> float:
    return 1.0 / (1.0 + math.exp(-(x - mid) / width))


def _citation(n: int, hit: Hit) -> Citation:
    return Citation(
        n=n, chunk_id=hit.chunk_id, document_id=hit.document_id, title=hit.title,
        source=hit.source, page=hit.page, heading=hit.heading, text=hit.text,
    )


def personalise(hits: list[Hit], facts: list[str]) -> list[Hit]:
    """Prefer passages that mention what the user told us about themselves (plan, OS, ...)."""
    terms = set().union(*(content_words(f) for f in facts)) - {"you", "use", "plan", "are"} if facts else set()
    if not terms:
        return hits

    def boosted(item: tuple[int, Hit]) -> float:
        rank, hit = item
        mentions = len(terms & content_words(hit.text))
        return (1.0 / (rank + 2)) * (1.0 + 0.5 * min(2, mentions))

    return [h for _, h in sorted(enumerate(hits), key=boosted, reverse=True)]


def prompt_memory(context: Context) -> dict[str, object]:
    """Prompt fields carrying the conversation summary and the user's stated facts."""
    return {"memory": context.summary, "profile": tuple(context.facts)}
