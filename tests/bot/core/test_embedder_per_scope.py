"""One process, two scopes, two embedders (auto, no `[embedder] model`): a Chinese scope answers with
e5, an English one with MiniLM; the helpers over each embedder are built once."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.types import Question
from bot.services.tutoring import tutor_for
from bot.services.unanswered import unanswered_for
from retrieval.embedder_e5 import NAME

ZH = {
    "账户.md": "# 账户\n\n要重置密码，请打开设置，选择安全，然后点击重置密码。重置链接会发送到你的邮箱，二十四小时内有效。\n",
    "配送.md": "# 配送\n\n欧盟境内标准配送需要三到五个工作日，运费四点九欧元。\n\n## 加急\n\n加急配送在下一个工作日送达，费用十二欧元。\n",
}
EN = {
    "returns.md": "# Returns\n\nYou can return physical items within 30 days of delivery for a full refund. "
    "Items must be unused and in their original packaging.\n",
    "shipping.md": "# Shipping\n\nStandard shipping within the EU takes 3 to 5 business days and costs 4.90 EUR.\n",
}


def folder(root: Path, docs: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for name, text in docs.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
async def assistant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RAGCORD_EMBEDDER__MODEL", raising=False)
    made = await Assistant.create(load_settings(data_dir=tmp_path / "data", generator="extractive"))
    assert (await made.ingest("guild:1", [str(folder(tmp_path / "zh", ZH))])).added == len(ZH)
    assert (await made.ingest("guild:2", [str(folder(tmp_path / "en", EN))])).added == len(EN)
    yield made
    await made.aclose()


async def test_each_scope_answers_with_its_own_embedder(assistant: Assistant) -> None:
    zh, en = assistant.embedder_for("guild:1"), assistant.embedder_for("guild:2")
    assert zh.model_name == NAME and en.model_name != NAME and en is assistant.embedder

    answer = await assistant.answer(Question("加急配送多少钱？", user="u1", scope="guild:1"))
    assert not answer.refused and answer.citations[0].source.endswith("配送.md") and "十二欧元" in answer.text
    answer = await assistant.answer(Question("How many days do I have to return an item?", user="u1",
                                             scope="guild:2"))
    assert not answer.refused and answer.citations[0].source.endswith("returns.md") and "30 days" in answer.text

    tools = await assistant.tools_for("guild:1")
    assert tools is await assistant.tools_for("guild:1") and tools.embedder is zh
    assert tools.judge is not (await assistant.tools_for("guild:2")).judge
    assert (await assistant.tools_for("guild:2")).judge is assistant.judge  # the default's, shared


async def test_services_use_the_scope_embedder(assistant: Assistant) -> None:
    tutor = tutor_for(assistant)
    assert tutor._similarity_for is not None
    assert tutor._similarity_for("guild:1").__self__ is assistant.embedder_for("guild:1")  # type: ignore[attr-defined]
    topics = unanswered_for(assistant)
    assert topics.encoder_for is not None and topics.encoder_for("guild:1")[1] == NAME
    assert topics.encoder_for("guild:2")[1] == assistant.embedder.model_name
    doc = next(d for d in await assistant.list_documents("guild:1") if d.title == "账户")
    summary = await assistant.summarize_document("guild:1", doc.id)
    assert summary is not None and "重置密码" in summary[1]


async def test_english_only_process_never_builds_e5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGCORD_EMBEDDER__MODEL", raising=False)
    made = await Assistant.create(load_settings(data_dir=tmp_path / "data", generator="extractive"))
    try:
        await made.ingest("global", [str(folder(tmp_path / "en", EN))])
        assert not (await made.answer(Question("How long does standard shipping take?", user="u1"))).refused
        assert [e.model_name for e in made.kbs.get("global")._auto().built()] == [made.embedder.model_name]
    finally:
        await made.aclose()
