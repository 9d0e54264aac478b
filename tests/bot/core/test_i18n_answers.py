"""The bot's fixed strings around answers follow the question's language; English stays as it was."""
from __future__ import annotations

from bot.core import i18n
from bot.core.types import Answer, Quote
from bot.frontends.cli.render import answer_text as cli_text
from bot.frontends.discord.render import answer_embed
from bot.frontends.discord.render import answer_text as discord_text


def answer(question: str, **kw: object) -> Answer:
    base: dict[str, object] = {"question": question, "text": "x [1]", "citations": [], "confidence": 0.5,
                               "refused": False, "backend": "extractive", "latency_ms": 1}
    return Answer(**{**base, **kw})  # type: ignore[arg-type]


def test_tentative_warning_in_the_question_language() -> None:
    quote = Quote(1, "引文")
    zh = discord_text(answer("加急配送多少钱？", tentative=True, quote=quote))
    assert zh.startswith("-# " + i18n.message("tentative_quote", "zh"))
    en = discord_text(answer("How much is express shipping?", tentative=True))
    assert en == "-# Not sure — check the sources below.\nx [1]"
    assert i18n.message("tentative_note", "zh") in cli_text(answer("加急配送多少钱？", tentative=True)).plain
    assert "Not sure — check the quote and the source" in cli_text(answer("Express?", tentative=True)).plain


def test_refusal_points_to_a_human_in_the_question_language() -> None:
    zh = answer_embed(answer("世界杯冠军是谁？", text=i18n.message("idk", "zh"), refused=True))
    en = answer_embed(answer("Who won the world cup?", text=i18n.message("idk"), refused=True))
    assert zh is not None and en is not None
    assert zh.description is not None and zh.description.endswith(i18n.message("ask_human", "zh"))
    assert en.description == "No document came close.\n\nPress **Ask a human** and a moderator will take a look."
    assert discord_text(answer("世界杯冠军是谁？", text="没有找到。", refused=True)) == "我不知道。没有找到。"
    assert discord_text(answer("Who won?", text="Nothing found.", refused=True)) == "I don't know. Nothing found."


def test_input_errors_in_the_question_language() -> None:
    too_long = i18n.for_text("too_long", "问题" * 10).format(chars="20,000", limit="4,000")
    assert too_long == "问题太长了（20,000 个字符，上限是 4,000）。请缩短一些。"
    english = i18n.message("too_long").format(chars="20,000", limit="4,000")
    assert english == "That question is too long (20,000 characters; the limit is 4,000). Please shorten it."
