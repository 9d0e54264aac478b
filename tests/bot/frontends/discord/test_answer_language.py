"""What a member sees around a Discord answer is in the question's language; English is unchanged."""
from __future__ import annotations

from bot.core import i18n
from bot.core.types import Answer, Citation
from bot.frontends.discord import ask, escalate, render
from bot.frontends.discord.tutor_views import QuestionView, QuizSession, RetryView, feedback_text
from bot.frontends.discord.views import AnswerView, asked_text, locale_language
from bot.services.escalation import ModChannel, StaffThread
from bot.services.tutoring import QuizCard

ZH_QUESTION = "加急配送多少钱？"
EN_QUESTION = "How much is express shipping?"
CITE = Citation(n=1, chunk_id=1, document_id=1, title="配送", source="配送.md", page=3, text="加急配送费用十二欧元。")


def answer(question: str, **kw: object) -> Answer:
    base: dict[str, object] = {"question": question, "text": "x [1]", "citations": [CITE], "confidence": 0.5,
                               "refused": False, "backend": "extractive", "latency_ms": 1, "answer_id": 3}
    return Answer(**{**base, **kw})  # type: ignore[arg-type]


def buttons(view: AnswerView) -> list[tuple[str | None, str | None]]:
    return [(item.item.label, item.item.custom_id) for item in view.children]  # type: ignore[attr-defined]


async def test_buttons_are_labelled_in_the_question_language_with_the_same_ids() -> None:
    zh = buttons(AnswerView(7, others=True, language="zh"))
    en = buttons(AnswerView(7, others=True))
    assert [label for label, _ in zh] == ["来源", None, None, "人工帮助", "其他答案"]
    assert [label for label, _ in en] == ["Sources", None, None, "Ask a human", "Other answers"]
    assert [cid for _, cid in zh] == [cid for _, cid in en] == ["rc:src:7", "rc:up:7", "rc:down:7", "rc:human:7", "rc:alt:7"]
    assert i18n.message("button_ask_human", "zh") in i18n.message("ask_human", "zh")  # the refusal names the button


def test_embed_titles_and_footer_in_chinese_english_unchanged() -> None:
    zh = render.answer_embed(answer(ZH_QUESTION))
    en = render.answer_embed(answer(EN_QUESTION))
    assert zh is not None and en is not None
    assert zh.title == "来源" and zh.footer.text == "置信度中（0.50） · 答案 #3"
    assert zh.description == "**[1]** 配送 — 第 3 页"
    assert en.title == "Sources" and en.footer.text == "Medium confidence (0.50) · answer #3"
    assert en.description == "**[1]** 配送 — p. 3"
    refused = render.answer_embed(answer(ZH_QUESTION, refused=True, citations=[], closest=[CITE]))
    assert refused is not None and refused.title == "我找到的最接近的来源"
    assert refused.footer.text == "置信度不确定（0.50） · 答案 #3"
    curated = render.answer_embed(answer(EN_QUESTION, curated_id=4))
    assert curated is not None and curated.footer.text == "✅ Answer approved by the moderators · curated answer #4 · answer #3"
    tentative = render.confidence_label(0.4, tentative=True)
    assert tentative == "Tentative · confidence 0.40"
    assert render.confidence_label(0.4, tentative=True, language="zh") == "暂定 · 置信度 0.40"


def test_answer_body_notes_in_chinese() -> None:
    assert render.answer_text(answer(ZH_QUESTION, error="timeout", backend="openai")) == "x [1]\n-# 注：timeout"
    assert render.answer_text(answer(EN_QUESTION, error="timeout", backend="openai")) == "x [1]\n-# note: timeout"
    assert render.answer_pieces(answer(ZH_QUESTION, text="", refused=True)) == ["我不知道。"]
    assert render.answer_pieces(answer(EN_QUESTION, text="", refused=True)) == ["I don't know."]


def test_button_replies_in_chinese_english_unchanged() -> None:
    assert render.passages_text([], language="zh") == "这个答案没有引用来源。"
    assert render.passages_text([]) == "This answer cites no sources."
    cands = [{"text": "加急配送费用十二欧元 [1]", "confidence": 0.8},
             {"text": "Express costs 12 EUR [1].", "confidence": 0.6, "dropped": "answered in en, asked in zh"}]
    assert render.candidates_text(cands, language="zh").startswith("**最佳** · 置信度 0.80\n")
    assert "**#2** · confidence 0.60 · not shown: answered in en, asked in zh" in render.candidates_text(cands)
    assert render.candidates_text([]) == "There were no other candidate answers."
    assert asked_text(None) == "Got it — I've asked for a human to look at this. A moderator will see it in /flags."
    assert asked_text(StaffThread("42")) == ("Got it — I've asked for a human to look at this. I've opened a "
                                             "private thread with staff: <#42>. A moderator has been notified.")
    assert asked_text(ModChannel("9"), "zh") == "收到——我已请人工查看。已通知管理员。"
    assert escalate.where_text(StaffThread("42")) == "a moderator will join you in <#42>."
    assert escalate.where_text(StaffThread("42"), "zh") == "管理员会在 <#42> 中和你联系。"
    assert locale_language("zh-CN") == "zh" and locale_language("en-US") == "en"


def test_asking_errors_follow_the_question() -> None:
    assert ask._slow_down(2.4, EN_QUESTION) == (
        "You're asking faster than I can keep up — please wait 2 s and ask again.")
    assert ask._slow_down(2.4, ZH_QUESTION) == "提问太快了——请等 2 秒再问。"
    assert ask._busy(ZH_QUESTION) == i18n.message("busy", "zh")
    assert ask.FAILED == "Sorry — something went wrong while answering. The error was logged; please try again."


async def test_quiz_in_the_topic_language() -> None:
    card = QuizCard(5, "配送", "short", "请用自己的话说明：加急配送是什么？", [], "加急配送在下一个工作日送达。", "配送.md")
    zh = QuizSession.about(1, "global", [card], "配送")
    assert zh.title == "测验 · 配送"
    assert zh.question_text(0).splitlines()[0] == "**测验 · 配送 — 第 1/1 题**"
    assert zh.question_text(0).endswith("-# 点击 **作答** 输入你的答案。")
    view = QuestionView(zh, 0)
    assert [c.label for c in view.children] == ["作答"]  # type: ignore[attr-defined]
    assert "你的答案：（空）" in feedback_text(card, "", "wrong", "不太对。", "zh")
    en_card = QuizCard(6, "lists", "short", "In your own words: what is a list?", [], "", "")
    en = QuizSession.about(1, "global", [en_card], "lists")
    assert en.question_text(0) == ("**Quiz · lists — question 1/1**\nIn your own words: what is a list?\n"
                                   "-# Press **Answer** to type your answer.")
    assert feedback_text(en_card, "", "wrong", "Not quite.") == "❌ Not quite.\nYour answer: (empty)"
    retry = RetryView(1, "global", [card])
    assert retry.retry.label == "重做需要复习的题目（1）" and retry.session.title == "复习"
    assert RetryView(1, "global", [en_card]).retry.label == "Retry due questions (1)"
