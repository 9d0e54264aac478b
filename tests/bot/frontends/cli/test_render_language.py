"""The terminal's labels under an answer follow the question's language; English is unchanged."""
from __future__ import annotations

from bot.core.types import Answer, Citation
from bot.frontends.cli.render import answer_text

CITE = Citation(n=1, chunk_id=1, document_id=1, title="配送", source="配送.md", page=2, text="加急配送费用十二欧元。")


def answer(question: str, **kw: object) -> Answer:
    base: dict[str, object] = {"question": question, "text": "x [1]", "citations": [CITE], "confidence": 0.8,
                               "refused": False, "backend": "extractive", "latency_ms": 5}
    return Answer(**{**base, **kw})  # type: ignore[arg-type]


def test_labels_in_chinese() -> None:
    zh = answer_text(answer("加急配送多少钱？")).plain
    assert zh == "x [1]\n置信度: 0.80  (extractive, 5 ms)\n来源：\n  [1] 配送，第 2 页 — 配送.md\n"
    refused = answer_text(answer("世界杯冠军是谁？", refused=True, citations=[], closest=[CITE])).plain
    assert "已拒答: 0.80" in refused and "我找到的最接近的来源：\n" in refused


def test_labels_in_english_unchanged() -> None:
    en = answer_text(answer("How much is express shipping?", error="slow", backend="openai")).plain
    assert en == "x [1]\nconfidence: 0.80  (openai, 5 ms)\nSources:\n  [1] 配送, p. 2 — 配送.md\nnote: slow\n"
