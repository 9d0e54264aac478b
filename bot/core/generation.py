"""Building the configured generator and bounding how long it may stream."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

from bot.core.config import Settings
from model.base import Generator
from model.factory import build_generator

T = TypeVar("T")


def make_generator(settings: Settings) -> Generator:
    """Build the configured backend (blocking: a local model loads here)."""
    gen = settings.generation
    if gen.backend == "openai":
        key = gen.openai_api_key.get_secret_value() if gen.openai_api_key else None
        return build_generator(
            "openai", base_url=gen.openai_base_url, model=gen.openai_model, api_key=key, timeout=gen.timeout_s,
        )
    if gen.backend in ("local", "llamacpp"):
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
