"""A generated answer is shown in the question's language only; the prompt asks for that language.

End to end against a small OpenAI-compatible server: one that answers a Chinese question in
English is replaced by the extractive answer (the passage quoted in Chinese), and the candidate
record says why; one that answers in Chinese stays a candidate (shown when verified and the
most confident, see the `pick` test).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.generation import in_language, make_generator, off_language
from bot.core.grounding import Support
from bot.core.judge import Judged, pick
from bot.core.types import Question
from model.base import Generation, Passage, Prompt
from model.calibration import FEATURES, Signals
from model.prompts import language_instruction, render_messages

PASSAGES = [Passage(1, "配送", "加急配送在下一个工作日送达，费用十二欧元。")]
SHOP_ZH = {
    "配送.md": "# 配送\n\n欧盟境内标准配送需要三到五个工作日，运费四点九欧元。订单满五十欧元免运费。\n\n"
    "## 加急\n\n加急配送在下一个工作日送达，费用十二欧元。\n",
    "账户.md": "# 账户\n\n要重置密码，请打开设置，选择安全，然后点击重置密码。重置链接会发送到你的邮箱，二十四小时内有效。\n",
}
QUESTION = "加急配送多少钱？"


def test_prompt_names_the_question_language() -> None:
    zh = render_messages(Prompt(QUESTION, PASSAGES, language="zh"))[0]["content"]
    assert zh.endswith(" Answer in Chinese. 用中文回答。")
    explain = render_messages(Prompt(QUESTION, PASSAGES, task="explain", instruction="Explain.", language="zh"))
    assert "用中文回答" in explain[0]["content"]
    en = render_messages(Prompt("How much is express shipping?", PASSAGES))[0]["content"]
    assert "Answer in" not in en and en.endswith("Never mention or ping anyone.")
    assert language_instruction("de") == "Answer in German." and language_instruction("en") == ""


@pytest.mark.parametrize(
    ("question", "answer", "why"),
    [
        (QUESTION, "Express delivery costs twelve euros [1].", "answered in en, asked in zh"),
        (QUESTION, "加急配送的费用是十二欧元 [1]。", None),
        (QUESTION, "12 EUR [1]", None),  # too short to tell
        ("How much is express shipping?", "Express delivery costs twelve euros [1].", None),
        ("How much is express shipping?", "加急配送的费用是十二欧元 [1]。", "answered in zh, asked in en"),
        ("How do I rebase a branch onto main?", "Run git rebase main on the feature branch [1].", None),
    ],
)
def test_off_language(question: str, answer: str, why: str | None) -> None:
    assert off_language(question, answer) == why


class FakeOpenAI:
    """/v1/chat/completions answering every request with `reply`; records the system prompts."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.systems: list[str] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.systems.append(body["messages"][0]["content"])
        if not body.get("stream"):
            return web.json_response({"choices": [
                {"index": 0, "message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}]})
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        chunk = {"choices": [{"index": 0, "delta": {"content": self.reply}, "finish_reason": None}]}
        await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await resp.write(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
        return resp


async def answer_with(reply: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int):
    fake = FakeOpenAI(reply)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    folder = tmp_path / "kb"
    folder.mkdir()
    for name, text in SHOP_ZH.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("RAGCORD_EMBEDDER__MODEL", "multilingual")
    settings = load_settings(data_dir=tmp_path / "data", generator="openai",
                             openai_base_url=f"http://127.0.0.1:{port}/v1", generation_timeout_s=10.0)
    assistant = await Assistant.create(settings, generator=make_generator(settings))
    try:
        assert (await assistant.ingest("global", [str(folder)])).added == len(SHOP_ZH)
        return await assistant.answer(Question(QUESTION, user="u1")), fake
    finally:
        await assistant.aclose()
        await runner.cleanup()


async def test_an_english_answer_to_a_chinese_question_gives_way_to_the_extractive_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int
) -> None:
    answer, fake = await answer_with("Express delivery costs twelve euros [1].", tmp_path, monkeypatch, unused_tcp_port)
    assert fake.systems and all(s.endswith("用中文回答。") for s in fake.systems)
    assert answer.backend == "extractive" and "十二欧元" in answer.text and not answer.refused
    generated = [c for c in answer.candidates if c.backend == "openai"]
    assert [c.dropped for c in generated] == ["answered in en, asked in zh"]
    assert all(c.dropped is None for c in answer.candidates if c.backend == "extractive")


async def test_a_verified_chinese_answer_stays_a_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int
) -> None:
    """Not dropped: whether it or the extractive reading is shown is then the judge's confidence."""
    answer, _ = await answer_with("加急配送的费用是十二欧元，下一个工作日送达 [1]。", tmp_path, monkeypatch, unused_tcp_port)
    generated = [c for c in answer.candidates if c.backend == "openai"]
    assert [c.dropped for c in generated] == [None]
    assert [c.signals.verified if c.signals else None for c in generated] == [1.0]
    assert not answer.refused and "十二欧元" in answer.text


def judged(text: str, backend: str, confidence: float) -> Judged:
    support = Support(1.0, 1.0, (1,), False, (1, PASSAGES[0].text))
    signals = Signals(*([1.0] * len(FEATURES)))
    return Judged(Generation(text, [], backend=backend), support, confidence, signals)


def test_the_rule_picks_the_extractive_answer_over_a_confident_one_in_another_language() -> None:
    reading = judged("加急配送在下一个工作日送达，费用十二欧元。 [1]", "extractive", 0.5)
    english = judged("Express delivery costs twelve euros [1].", "openai", 0.9)
    chinese = judged("加急配送的费用是十二欧元 [1]。", "openai", 0.9)
    assert pick([english, reading]) is english  # without the rule
    assert pick(in_language(QUESTION, [english, reading])) is reading
    assert pick(in_language(QUESTION, [chinese, reading])) is chinese  # verified, in the question's language
    assert pick(in_language("How much is express shipping?", [english, reading])) is english
