"""Building the configured generator, bounding how long it may stream, and the language rule.

The language rule: a generated answer is shown only in the question's language. The prompt asks
for it (model.prompts.language_instruction); `in_language` drops a generated candidate written in
another language, so the extractive reading (the passage quoted in its own language) stands, and
`off_language` says why, for the candidate record.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

from bot.core.config import Settings
from bot.core.judge import EXTRACTIVE, Judged
from model.base import Generator
from model.factory import build_generator
from model.textutil import strip_citations
from retrieval.textlang import MIN_LETTERS, detect, has_cjk

T = TypeVar("T")


def make_generator(settings: Settings) -> Generator:
    """Build the configured backend (blocking: a local model loads here)."""
    gen = settings.generation
    if gen.backend == "openai":
        key = gen.openai_api_key.get_secret_value() if gen.openai_api_key else None
        return build_generator(
            "openai", base_url=gen.openai_base_url, model=gen.openai_model, api_key=key, timeout=gen.timeout_s,
        )
    if gen.backend in ("local", "ct2", "auto", "llamacpp"):
        return build_generator(
            gen.backend, model=gen.local_model, device=gen.local_device,
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


def question_language(question: str) -> str:
    """The language the answer is asked for in (`Prompt.language`): the question's."""
    return detect(question)


def off_language(question: str, answer: str) -> str | None:
    """Why a generated `answer` must not be shown for `question`: "answered in en, asked in zh";
    None when it may (same language, or too short to tell).

    An English question only rules out an answer in a CJK script: a short English answer full of
    commands and names is easily taken for another Latin language, and English answers stay as
    they were. A question in another language needs an answer detected in that language.
    """
    body = strip_citations(answer).strip()
    if not body or (not has_cjk(body) and sum(c.isalpha() for c in body) < MIN_LETTERS):
        return None
    asked, answered = detect(question), detect(body)
    if answered == asked or (asked == "en" and not has_cjk(body)):
        return None
    return f"answered in {answered}, asked in {asked}"


def in_language(question: str, candidates: list[Judged]) -> list[Judged]:
    """The candidates that may be picked: extractive readings, and generated answers in the question's language."""
    return [c for c in candidates
            if c.generation.backend == EXTRACTIVE or off_language(question, c.generation.text) is None]
