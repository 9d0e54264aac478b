"""The assistant core: question → memory → retrieve → prompt → generate → judge → answer.

Front ends (terminal, Discord) hand it a `Question` and render the `AnswerEvent`s it yields.
It knows nothing about Discord. Blocking work (embedding, FAISS, BM25, SQLite catalogue,
local model) runs in worker threads; the event loop only coordinates.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, replace

from bot.core import i18n, safety
from bot.core.compose import compose, error_answer
from bot.core.config import Settings
from bot.core.curated import CuratedMatcher, curated_answer
from bot.core.embedding import embedder_pool
from bot.core.generation import in_language, make_generator, question_language, with_deadline
from bot.core.judge import Judge, Judged, pick
from bot.core.memory import Memory, personalise, prompt_memory
from bot.core.observe import NullObserver, Observer
from bot.core.sentiment import FrustrationPolicy, SentimentScorer, is_frustrated
from bot.core.summarize import central_sentences
from bot.core.types import (
    Answer,
    AnswerEvent,
    FinalEvent,
    Question,
    StatusEvent,
    TokenEvent,
)
from bot.store import AnswerData, Exchange, FactChange, FlagDraft, GuildSettings, Outcome, Store
from model.base import Generation, GenerationParams, Generator, GeneratorError, Passage, Prompt, Turn
from model.calibration import cosine_span
from model.extractive import ExtractiveGenerator, as_tokens
from model.textutil import strip_preamble
from retrieval.embedder import Embedder
from retrieval.errors import EmbedderMismatch
from retrieval.knowledge_bases import KnowledgeBases
from retrieval.types import DocumentInfo, Hit, IngestReport

log = logging.getLogger(__name__)

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
ELLIPSIS_DISCOUNT = 0.8  # confidence kept by a follow-up-shaped question that follows nothing


@dataclass(frozen=True)
class EmbedderTools:
    """What answering builds over one embedder: built once per embedder, shared by its scopes."""

    embedder: Embedder
    extractive: ExtractiveGenerator
    judge: Judge
    memory: Memory
    curated: CuratedMatcher


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
        self._tools: dict[int, EmbedderTools] = {}  # by id() of the embedder, which the tools hold
        self._tools_lock = threading.Lock()
        default = self.tools(embedder)  # the default embedder's, for callers without a scope
        self.extractive, self.judge, self.memory, self.curated = (
            default.extractive, default.judge, default.memory, default.curated)
        self.sentiment = SentimentScorer()
        self.frustration = FrustrationPolicy(settings.answering.frustration_below, settings.answering.frustration_run)
        self.observer: Observer = NullObserver()  # operations replace it (bot/services/metrics.py)

    # --- construction -------------------------------------------------------------------------
    @classmethod
    async def create(cls, settings: Settings, generator: Generator | None = None) -> Assistant:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.db_path, settings.database_url)
        pool = embedder_pool(settings)  # model unset: per scope; MiniLM on [embedder] runtime
        kbs = KnowledgeBases(settings.data_dir, pool, settings.retrieval, database_url=settings.database_url)
        factory = (lambda: generator) if generator is not None else (lambda: make_generator(settings))
        assistant = cls(settings, store, kbs, kbs.embedder, factory)
        if generator is not None:
            assistant._generator = generator
        return assistant

    def embedder_for(self, scope: str) -> Embedder:
        """The embedder of a scope's index (blocking: a small file and catalogue read)."""
        return self.kbs.embedder_for(scope)

    def tools(self, embedder: Embedder) -> EmbedderTools:
        """The judge, extractive reader, memory and curated matcher over `embedder`, built once."""
        with self._tools_lock:
            built = self._tools.get(id(embedder))
            if built is None:
                built = EmbedderTools(
                    embedder=embedder,
                    extractive=ExtractiveGenerator(similarity=embedder.similarity, cosine_span=cosine_span(
                        str(getattr(embedder, "model_name", "") or ""))),
                    judge=Judge(embedder),
                    memory=Memory(embedder.encode, self.settings.answering.history_turns),
                    curated=CuratedMatcher(self.store.curated, embedder.encode, self.settings.curated.threshold,
                                           encode_query=embedder.encode_query),
                )
                self._tools[id(embedder)] = built
            return built

    async def tools_for(self, scope: str) -> EmbedderTools:
        return self.tools(await asyncio.to_thread(self.embedder_for, scope))

    async def generator(self) -> Generator:
        """The configured generator, built on first use (loading a model can take seconds)."""
        async with self._generator_lock:
            if self._generator is None and self.settings.generation.backend == "extractive":
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
        self.observer.ingested(report)
        return await safety.flag_injections(self.store, scope, report, added_by)

    async def list_documents(self, scope: str) -> list[DocumentInfo]:
        return await asyncio.to_thread(self.kbs.get(scope).list_documents)

    async def remove_document(self, scope: str, ref: int | str) -> DocumentInfo | None:
        return await asyncio.to_thread(self.kbs.get(scope).remove, ref)

    async def kb_stats(self, scope: str) -> dict[str, object]:
        return await asyncio.to_thread(self.kbs.get(scope).stats)

    async def search(self, scope: str, query: str, k: int) -> list[Hit]:
        return await asyncio.to_thread(self.kbs.get(scope).search, query, k)

    async def summarize(self, texts: Sequence[str], *, max_sentences: int = 6, scope: str | None = None) -> str:
        """An extractive summary (the most central sentences, in order), by `scope`'s embedder."""
        joined = "\n\n".join(t for t in texts if t.strip())
        embedder = self.embedder if scope is None else await asyncio.to_thread(self.embedder_for, scope)
        picked = await asyncio.to_thread(
            central_sentences, joined, embedder.encode, max_sentences=max_sentences, max_chars=1500
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
        return found[0], await self.summarize(found[1], scope=scope)

    async def forget(self, scope: str, user: str) -> dict[str, int]:
        return await self.store.forget(scope, user)

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
        self.observer.question()
        async for event in self._ask(question, instruction):
            if isinstance(event, FinalEvent):
                self.observer.answered(event.answer)
            yield event

    async def _ask(self, question: Question, instruction: str | None) -> AsyncIterator[AnswerEvent]:
        started = time.perf_counter()
        problem = self._check(question.text)
        if problem:
            yield FinalEvent(error_answer(question, problem, _ms_since(started)))
            return
        text = question.text.strip()
        tools = await self.tools_for(question.scope)  # everything below embeds with the scope's embedder
        read = await self.store.question_context(
            question.scope, question.user, question.conversation, tools.memory.history_turns,
            sentiments=self.frustration.run_length,
        )
        learned = tools.memory.learn(question, read.facts)
        match = await tools.curated.match(question.scope, text) if instruction is None else None
        if match is not None:  # a moderator-approved answer wins before retrieval and generation
            answer = curated_answer(text, match, _ms_since(started))
            mood = await asyncio.to_thread(self.sentiment.score, text)
            final = await self._record(question, text, answer, mood, [], learned.changes, tools.memory)
            await self.store.curated.record_hit(question.scope, match.row.id)
            yield FinalEvent(final)
            return
        context = tools.memory.context(question, read, learned.facts)
        history = context.history
        yield StatusEvent("retrieving")
        threshold = self._threshold(read.settings)
        query = self._search_query(text, history)  # a follow-up is searched with its antecedent
        language = asyncio.ensure_future(asyncio.to_thread(question_language, text))  # beside the search: ~1 s cold
        mark = time.perf_counter()
        try:
            found = await self.search(question.scope, query, 2 * self.settings.answering.top_k)
        except EmbedderMismatch as exc:  # vectors of another embedder: one line, not a traceback
            await language
            yield FinalEvent(error_answer(question, str(exc), _ms_since(started)))
            return
        hits = personalise(found, context.facts)[: self.settings.answering.top_k]
        self.observer.stage("retrieve", time.perf_counter() - mark)
        passages = [Passage(n=i + 1, title=h.title, text=h.text) for i, h in enumerate(hits)]
        prompt = Prompt(
            question=text, passages=passages, history=history, **prompt_memory(context),
            task="answer" if instruction is None else "explain", instruction=instruction, language=await language,
        )
        evidence = tools.judge.evidence(text, hits)

        yield StatusEvent("generating")
        generator = await self.generator()
        if generator is self.extractive:
            generator = tools.extractive  # the extractive backend reads with the scope's embedder
        best: Judged | None = None
        candidates: list[Judged] = []
        error: str | None = None
        if hits:
            gens: list[Generation] = []
            mark = time.perf_counter()
            if generator is not tools.extractive:
                try:
                    deadline = time.monotonic() + self.settings.generation.timeout_s
                    if self.settings.generation.candidates > 1:
                        gens = await asyncio.wait_for(
                            generator.generate_n(prompt, self._params(n=self.settings.generation.candidates)),
                            self.settings.generation.timeout_s,
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
                    gens = [replace(g, text=strip_preamble(g.text)) for g in gens]
                except (GeneratorError, asyncio.TimeoutError) as exc:
                    timed_out = isinstance(exc, asyncio.TimeoutError)
                    error = "the language model did not answer in time" if timed_out else str(exc)
                    log.warning("generation failed: %s", error)
                    self.observer.generator_failed(timed_out)
                    gens = []
            # the extractive reading is always built: generated answers must agree with it
            readings = await asyncio.to_thread(
                tools.extractive.readings, prompt,
                self.settings.generation.candidates if generator is tools.extractive else 1,
            )
            if generator is tools.extractive:
                for token in as_tokens(readings[0].text):
                    yield TokenEvent(token.text)
            self.observer.stage("generate", time.perf_counter() - mark)
            mark = time.perf_counter()
            candidates = await tools.judge.judge(text, [*gens, *readings], passages, evidence)
            self.observer.stage("judge", time.perf_counter() - mark)
            if query == text and _FOLLOW_UP.match(text):
                # "and for digital items?" with nothing before it: what it refers to is a guess
                candidates = [replace(c, confidence=c.confidence * ELLIPSIS_DISCOUNT) for c in candidates]
            best = pick(in_language(text, candidates))  # a generated answer in another language is not shown

        answer = safety.guard_answer(compose(
            text, hits, best, candidates, (threshold, self.settings.answering.sure), _ms_since(started), error
        ))
        mood = await asyncio.to_thread(self.sentiment.score, text)
        flags, escalated = self._flags(question, answer, [mood, *read.sentiments])
        final = await self._record(question, text, answer, mood, flags, learned.changes, tools.memory)
        yield FinalEvent(replace(final, escalated=escalated))

    async def _record(
        self, question: Question, text: str, answer: Answer, mood: float | None, flags: list[FlagDraft],
        facts: list[FactChange], memory: Memory | None = None,
    ) -> Answer:
        """Write the exchange (answer, flags, learned facts, summary by `memory`, default the
        default embedder's); the answer with its ids."""
        exchange = Exchange(
            scope=question.scope, user=question.user, channel=question.channel,
            conversation=question.conversation, question=text, external_id=question.message_id,
            sentiment=mood,
            answer=AnswerData(
                text=answer.text, citations=[c.record() for c in answer.citations],
                closest=[c.record() for c in answer.closest],
                confidence=answer.confidence, refused=answer.refused,
                backend=answer.backend, latency_ms=answer.latency_ms,
                candidates=[asdict(c) for c in answer.candidates],
            ),
        )
        compact = (memory or self.memory).compaction if question.conversation else None
        ids = await self.store.record_outcome(Outcome(exchange, flags, facts, compact))
        return replace(answer, answer_id=ids.answer_id, flag_ids=ids.flag_ids)

    # --- steps ---------------------------------------------------------------------------------
    def _check(self, text: str) -> str | None:
        stripped = text.strip()
        if not stripped:
            return i18n.message("empty_question")
        limit = self.settings.answering.max_question_chars
        if len(stripped) > limit:
            return i18n.for_text("too_long", stripped[:2000]).format(chars=f"{len(stripped):,}", limit=f"{limit:,}")
        return None

    def _flags(self, question: Question, answer: Answer, recent: list[float | None]) -> tuple[list[FlagDraft], bool]:
        """Flags for moderators: low-confidence answers, frustrated users (`recent`: newest first,
        this question's sentiment included); True = escalated."""
        flags: list[FlagDraft] = []
        if answer.refused and not answer.error:
            flags.append(FlagDraft("low_confidence", f"confidence {answer.confidence:.2f}"))
        run = self.frustration.run_length
        # flag once per streak: the newest `run` are negative and the one before them is not
        if is_frustrated(recent, self.frustration) and not is_frustrated(recent[1:], self.frustration):
            flags.append(FlagDraft("frustrated", f"{run} negative messages in a row"))
            return flags, True
        return flags, False

    def _threshold(self, settings: GuildSettings) -> float:
        custom = settings.threshold
        return self.settings.answering.threshold if custom is None else custom

    @staticmethod
    def _search_query(text: str, history: list[Turn]) -> str:
        """Follow-ups ("and for digital items?") are searched together with the last question."""
        last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
        if last_user and (len(text.split()) <= 6 or _FOLLOW_UP.search(text)):
            return f"{last_user} {text}"
        return text

    def _params(self, n: int = 1) -> GenerationParams:
        return GenerationParams(
            max_new_tokens=self.settings.generation.max_new_tokens,
            temperature=self.settings.generation.temperature if n > 1 else 0.0,
            n=n,
            stop=("<passage", "</passage"),  # small models sometimes echo the data markers
        )


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
