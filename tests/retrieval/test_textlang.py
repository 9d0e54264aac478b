"""Language detection, Chinese segmentation and BM25 over Chinese text (real jieba, real bm25s)."""
from __future__ import annotations

import pytest

from retrieval import textlang
from retrieval.sparse import SparseIndex


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("退款需要多长时间？", "zh"),
        ("jieba 支持繁体分词吗", "zh"),
        ("How long do refunds take?", "en"),
        ("install jieba", "en"),
        ("Wie lange dauert die Rückerstattung?", "de"),
        ("¿Dónde está el archivo de configuración?", "es"),
        ("カタカナのテキストです", "ja"),
    ],
)
def test_detect(text: str, language: str) -> None:
    assert textlang.detect(text) == language


def test_words_segments_chinese_and_leaves_english_alone() -> None:
    assert textlang.words("我来到北京清华大学") == ["我", "来到", "北京", "清华大学"]
    assert textlang.words("Refunds take 5 days, don't they?") == ["refunds", "take", "5", "days", "don", "t", "they"]
    assert textlang.words("用 Python 写的分词组件") == ["用", "python", "写", "的", "分词", "组件"]
    assert textlang.words("한국어") == ["한국", "국어"]  # no segmenter: character bigrams


def test_main_language_by_characters() -> None:
    assert textlang.main_language(["结巴中文分词：做最好的 Python 中文分词组件。", "short"]) == "zh"
    assert textlang.main_language([]) == "en"


def test_bm25_finds_chinese_passages_by_chinese_words() -> None:
    texts = [
        "结巴分词支持三种分词模式：精确模式、全模式和搜索引擎模式。",
        "退款将在收到商品后五个工作日内处理。",
        "Refunds are processed within five business days.",
    ]
    index = SparseIndex()
    index.rebuild([1, 2, 3], texts)
    assert index.search("退款要多久处理？", 3)[0][0] == 2
    assert index.search("分词模式有哪些", 3)[0][0] == 1
    assert index.search("how long do refunds take", 3)[0][0] == 3
    assert index.scores("天气预报").max() == 0.0  # no shared word, no score


def test_english_tokens_unchanged_by_segmenter(tmp_path) -> None:
    plain, legacy = SparseIndex(), SparseIndex(segmenter=None)
    text = "Refunds are processed within five business days; e-mail support@example.com."
    assert plain.tokenize(text) == legacy.tokenize(text)
    plain.rebuild([1], ["退款将在五个工作日内处理。"])
    plain.save(tmp_path / "s")
    loaded = SparseIndex.load(tmp_path / "s")
    assert loaded.segmenter == textlang.SEGMENTER
    assert loaded.search("退款", 1)[0][0] == 1


def test_a_long_document_is_judged_on_its_start_middle_and_end() -> None:
    from retrieval.embedders import language_of
    from retrieval.textlang import sample

    header = "CAL(1) General Commands Manual. See the SYNOPSIS and the OPTIONS below. " * 40
    page = header + "显示一个日历，如果没有指定参数，则显示当前月份。选项说明如下。" * 60
    assert len(sample(page)) <= 2002
    assert language_of(page) == "zh"
    assert language_of("The quick brown fox jumps over the lazy dog again and again. " * 100) == "en"
