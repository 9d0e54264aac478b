"""The streaming loop of the Ask cog: throttled edits on an injected clock, the final edit always happens."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.core.types import Answer, FinalEvent, Question, StatusEvent, TokenEvent
from bot.frontends.discord import ask as ask_mod
from bot.frontends.discord.render import STREAM_CURSOR

STEP = 0.25  # fake seconds between tokens: four tokens per EDIT_INTERVAL (1 s)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeAssistant:
    def __init__(self, clock: FakeClock, tokens: int) -> None:
        self.clock = clock
        self.tokens = tokens

    async def ask(self, q: Question) -> Any:
        yield StatusEvent("retrieving")
        for i in range(self.tokens):
            yield TokenEvent(f"w{i} ")
            self.clock.now += STEP
        yield FinalEvent(Answer(q.text, "The authoritative answer [1].", [], 0.9, False, "x", 1, answer_id=3))


class RecordingTarget(ask_mod.Target):
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.message_ids = []
        self.shows: list[tuple[float, str, dict[str, Any]]] = []

    async def show(self, content: str, **kwargs: Any) -> None:
        self.shows.append((self.clock(), content, kwargs))
        self.message_ids = [1]


async def run(tokens: int) -> tuple[RecordingTarget, Any, Answer, Any]:
    clock = FakeClock()
    settings = SimpleNamespace(queue=SimpleNamespace(rate_limit_per_minute=5, max_queue=10, answer_workers=1))
    bot = SimpleNamespace(settings=settings, assistant=FakeAssistant(clock, tokens), recent_answers={})
    cog = ask_mod.Ask(bot, clock=clock)  # type: ignore[arg-type]
    target = RecordingTarget(clock)
    final = await cog.answer(ask_mod.Job(Question("q?", "u", conversation="chain:1"), target, channel=None))
    return target, cog, final, bot


async def test_edits_are_throttled_to_one_per_interval_and_final_text_wins() -> None:
    target, cog, final, bot = await run(tokens=12)  # 3 fake seconds of tokens
    previews = [s for s in target.shows if s[1].endswith(STREAM_CURSOR)]
    # the first token shows at once, then one edit per full interval: t = 100, 101, 102
    assert [t for t, _, _ in previews] == [100.0, 101.0, 102.0]
    assert previews[0][1] == "w0" + STREAM_CURSOR
    assert previews[1][1].startswith("w0 w1 w2 w3 w4")
    last = target.shows[-1]
    assert last[1] == "The authoritative answer [1]." and "view" in last[2] and "embed" in last[2]
    assert len(target.shows) == len(previews) + 1
    assert final.answer_id == 3 and bot.recent_answers[3] is final
    assert str(cog.conversations[1]) == "chain:1"


async def test_a_fast_answer_shows_one_preview_then_the_final_text() -> None:
    target, _, _, _ = await run(tokens=3)  # under one interval
    previews = [s for s in target.shows if s[1].endswith(STREAM_CURSOR)]
    assert len(previews) == 1
    assert target.shows[-1][1] == "The authoritative answer [1]."
