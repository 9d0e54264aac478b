"""A Chinese knowledge base end to end in the core: real e5 embedder, jieba BM25, SQLite, extractive reader."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import i18n
from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.types import Question

SHOP_ZH = {
    "退货.md": "# 退货政策\n\n实物商品在签收后三十天内可以申请退货并获得全额退款。商品必须未使用并保留原包装。\n\n"
    "## 数字商品\n\n电子书和软件许可证一经下载不能退货，除非文件损坏。\n",
    "配送.md": "# 配送\n\n欧盟境内标准配送需要三到五个工作日，运费四点九欧元。订单满五十欧元免运费。\n\n"
    "## 加急\n\n加急配送在下一个工作日送达，费用十二欧元。\n",
    "账户.md": "# 账户\n\n要重置密码，请打开设置，选择安全，然后点击重置密码。重置链接会发送到你的邮箱，二十四小时内有效。\n",
}


@pytest.fixture
async def assistant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "kb"
    folder.mkdir()
    for name, text in SHOP_ZH.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("RAGCORD_EMBEDDER__MODEL", "multilingual")
    settings = load_settings(data_dir=tmp_path / "data", generator="extractive")
    made = await Assistant.create(settings)
    report = await made.ingest("global", [str(folder)])
    assert report.added == len(SHOP_ZH) and not report.errors
    yield made
    await made.aclose()


@pytest.mark.parametrize(
    ("question", "source", "phrase"),
    [
        ("怎么重置密码？", "账户.md", "重置"),
        ("加急配送多少钱？", "配送.md", "十二欧元"),
        ("电子书可以退货吗？", "退货.md", "电子书"),
    ],
)
async def test_chinese_question_answered_from_the_right_passage(
    assistant: Assistant, question: str, source: str, phrase: str
) -> None:
    answer = await assistant.answer(Question(question, user="u1"))
    assert not answer.refused, answer.confidence
    assert answer.citations and answer.citations[0].source.endswith(source)
    assert phrase in answer.text  # quoted in the passage's own language


async def test_out_of_scope_chinese_question_refused_in_chinese(assistant: Assistant) -> None:
    answer = await assistant.answer(Question("一九五四年世界杯足球赛冠军是谁？", user="u1"))
    assert answer.refused and answer.text == i18n.message("idk", "zh")
