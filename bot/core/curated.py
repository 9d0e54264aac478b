"""Curated answers in the answer pipeline: find the one a question asks for, before any retrieval.

A question matches a curated answer of ITS scope by a moderator's regex or keyword, or by
meaning: the cosine between the question and the curated question or any paraphrase reaches
`curated.threshold`. The embeddings of a scope's curated phrasings are cached with the scope's
store revision, so they are encoded once per change, not per question; a change made by
another process sharing the database is seen at the next question.

A curated answer is shown with confidence 1.0: moderators approved the text, and the only doubt
left — did the question match? — is the similarity, kept in the answer's one candidate.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.types import Answer, Candidate, Citation
from bot.store import CuratedAnswers, CuratedRow

BACKEND = "curated"
Encode = Callable[[Sequence[str]], np.ndarray]  # L2-normalised rows, as retrieval.Embedder.encode


@dataclass(frozen=True)
class CuratedMatch:
    row: CuratedRow
    similarity: float  # cosine for a match by meaning; 1.0 for a regex or keyword match
    how: str  # "regex" | "keyword" | "meaning"
    phrasing: str  # the curated phrasing (or the keyword / regex) that matched


@dataclass(frozen=True)
class _Cached:
    revision: int
    rows: list[CuratedRow]
    vectors: np.ndarray  # one row per phrasing
    owners: np.ndarray  # index into `rows` per phrasing
    phrasings: list[str]


def keyword_hit(text: str, keywords: Sequence[str]) -> str | None:
    """The first keyword (a word or phrase) that occurs in `text` as whole words, case-insensitively."""
    folded = text.casefold()
    for k in keywords:
        if k and re.search(r"(?<!\w)" + re.escape(k.casefold()) + r"(?!\w)", folded):
            return k
    return None


def regex_hit(text: str, pattern: str | None) -> bool:
    if not pattern:
        return False
    try:
        return re.search(pattern, text, re.IGNORECASE) is not None
    except re.error:  # saved before validation existed, or edited by hand: never matches
        return False


class CuratedMatcher:
    """Matches questions against one scope's enabled curated answers; caches their embeddings."""

    def __init__(
        self, curated: CuratedAnswers, encode: Encode, threshold: float,
        encode_query: Callable[[str], np.ndarray] | None = None,
    ) -> None:
        """`encode` embeds the curated phrasings; `encode_query` the question (the embedder's
        cached `encode_query`, so retrieval reuses the vector; default: `encode` of one text)."""
        self.curated = curated
        self.encode = encode
        self.encode_query = encode_query or (lambda text: encode([text])[0])
        self.threshold = threshold
        self._cache: dict[str, _Cached] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def invalidate(self, scope: str | None = None) -> None:
        """Drop the cached embeddings of one scope (or all); the store revision does this by itself."""
        if scope is None:
            self._cache.clear()
        else:
            self._cache.pop(scope, None)

    async def match(self, scope: str, question: str) -> CuratedMatch | None:
        """The curated answer of `scope` that answers `question`, or None.

        Order: a regex match, then a keyword match (moderators set these on purpose), then the
        most similar phrasing at or above the threshold."""
        text = " ".join(question.split())
        if not text:
            return None
        cached = await self._load(scope)
        if not cached.rows:
            return None
        for row in cached.rows:
            if regex_hit(text, row.regex):
                return CuratedMatch(row, 1.0, "regex", row.regex or "")
        for row in cached.rows:
            hit = keyword_hit(text, row.keywords)
            if hit is not None:
                return CuratedMatch(row, 1.0, "keyword", hit)
        query = await asyncio.to_thread(self.encode_query, text)
        scores = cached.vectors @ query
        best = int(np.argmax(scores))
        score = float(scores[best])
        if score < self.threshold:
            return None
        return CuratedMatch(cached.rows[int(cached.owners[best])], score, "meaning", cached.phrasings[best])

    async def _load(self, scope: str) -> _Cached:
        revision = await self.curated.revision(scope)
        cached = self._cache.get(scope)
        if cached is not None and cached.revision == revision:
            return cached
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock:  # concurrent questions after a change encode once
            cached = self._cache.get(scope)
            if cached is not None and cached.revision == revision:
                return cached
            rows = await self.curated.list(scope, enabled_only=True)
            phrasings = [p for r in rows for p in r.phrasings]
            owners = np.array([i for i, r in enumerate(rows) for _ in r.phrasings], dtype=np.int64)
            vectors = (await asyncio.to_thread(self.encode, phrasings)) if phrasings else np.zeros((0, 1), np.float32)
            cached = _Cached(revision, rows, np.asarray(vectors, dtype=np.float32), owners, phrasings)
            self._cache[scope] = cached
            return cached


def curated_answer(question: str, match: CuratedMatch, latency_ms: int) -> Answer:
    """The `Answer` a curated match gives: the approved text, its own citations, confidence 1.0."""
    row = match.row
    citations = [
        Citation(n=i + 1, chunk_id=0, document_id=ref.document_id or 0, title=ref.title or ref.source,
                 source=ref.source)
        for i, ref in enumerate(row.citations)
    ]
    candidate = Candidate(text=row.answer, confidence=match.similarity, support=1.0, mean_logprob=None,
                          backend=BACKEND)
    return Answer(
        question=question, text=row.answer, citations=citations, confidence=1.0, refused=False,
        backend=BACKEND, latency_ms=latency_ms, candidates=[candidate], curated_id=row.id,
    )
