"""The streaming loop of the Ask cog: throttled edits, the final edit always happens."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest

from bot.frontends.discord import ask as ask_mod
from bot.frontends.discord.render import STREAM_CURSOR
from bot.core.types import Answer, FinalEvent, Question, StatusEvent, TokenEvent


class FakeAssistant:
    async def ask(self, q: Question) -> Any:
        yield StatusEvent("retrieving")
        for i in range(12):
            await asyncio.sleep(0.025)
            yield TokenEvent(f"w{i} ")
        yield FinalEvent(Answer(q.text, "The authoritative answer [1].", [], 0.9, False, "x", 1, answer_id=3))


class RecordingTarget(ask_mod.Target):
    def __init__(self) -> None:
        self.message_ids = []
        self.shows: list[tuple[float, str, dict[str, Any]]] = []

    async def show(self, content: str, **kwargs: Any) -> None:
        self.shows.append((time.monotonic(), content, kwargs))
        self.message_ids = [1]


async def test_edits_are_throttled_and_final_text_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ask_mod, "EDIT_INTERVAL", 0.1)
    settings = SimpleNamespace(rate_limit_per_minute=5, max_queue=10, answer_workers=1)
    bot = SimpleNamespace(settings=settings, assistant=FakeAssistant(), recent_answers={})
    cog = ask_mod.Ask(bot)  # type: ignore[arg-type]
    target = RecordingTarget()
    job = ask_mod.Job(Question("q?", "u", conversation="c"), target, channel=None)
    final = await cog.answer(job)
    previews = [s for s in target.shows if s[1].endswith(STREAM_CURSOR)]
    assert 2 <= len(previews) <= 5  # ~0.3 s of tokens at one edit per 0.1 s
    gaps = [b[0] - a[0] for a, b in zip(previews, previews[1:])]
    assert all(g >= 0.1 - 0.005 for g in gaps)
    last = target.shows[-1]
    assert last[1] == "The authoritative answer [1]." and "view" in last[2] and "embed" in last[2]
    assert final.answer_id == 3 and bot.recent_answers[3] is final
    assert cog.conversations[1] == "c"
