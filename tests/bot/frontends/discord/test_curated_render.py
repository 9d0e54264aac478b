"""Discord rendering of curated answers and the helpers of the curated-answers cog."""
from __future__ import annotations

from bot.core.types import Answer
from bot.frontends.discord.curated import split_paraphrases
from bot.frontends.discord.render import APPROVED, answer_embed, answer_text


def _answer(**kw: object) -> Answer:
    base: dict[str, object] = dict(question="q", text="Open Settings @everyone.", citations=[], confidence=1.0,
                                   refused=False, backend="curated", latency_ms=2, answer_id=5, curated_id=3)
    base.update(kw)
    return Answer(**base)  # type: ignore[arg-type]


def test_a_curated_answer_is_marked_approved_and_stays_mention_safe() -> None:
    text = answer_text(_answer())
    assert text.endswith(f"-# {APPROVED}") and "@\u200beveryone" in text
    embed = answer_embed(_answer())
    assert embed is not None and embed.footer.text == f"{APPROVED} · curated answer #3 · answer #5"
    plain = answer_text(_answer(curated_id=None, backend="extractive", confidence=0.9))
    assert APPROVED not in plain
    other = answer_embed(_answer(curated_id=None, backend="extractive", confidence=0.9))
    assert other is not None and APPROVED not in (other.footer.text or "")


def test_paraphrases_are_split_on_bars_and_lines() -> None:
    assert split_paraphrases(" a | b\nc || ") == ["a", "b", "c"]
    assert split_paraphrases(None) == []
