"""Practice questions from a Chinese passage and grading of Chinese answers (real e5 embedder, real jieba)."""
from __future__ import annotations

import pytest

from bot.core import i18n
from bot.services.grading import grade, grade_short
from bot.services.quizgen import SourcePassage, find_facts, generate_quiz
from retrieval.embedder_e5 import E5Embedder, make_embedder

PASSAGE = SourcePassage(
    chunk_id=7, title="主机名",
    text="结巴是一个中文分词组件。主机名最长64个字符。加急配送在下一个工作日送达，费用12欧元。"
         "它是一个很好的工具。这个文件应该仅包含一行。",
)


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return make_embedder("multilingual")  # type: ignore[return-value]


def test_facts_of_a_chinese_passage_are_spans_of_it() -> None:
    facts = {(f.kind, f.key, f.term) for f in find_facts(PASSAGE)}
    assert facts == {("definition", "一个中文分词组件", "结巴"), ("number", "64个字符", None),
                     ("number", "12欧元", None)}  # "它是……" is no definition


def test_chinese_quiz_is_worded_in_chinese_with_keys_from_the_passage() -> None:
    quiz = generate_quiz([PASSAGE], count=5, kind="short", seed=1)
    assert {q.question for q in quiz} == {"请用自己的话说明：结巴是什么？", "填空：主机名最长_____。",
                                          "填空：加急配送在下一个工作日送达，费用_____。"}
    assert all(q.answer in PASSAGE.text and q.explanation.startswith("出自“主机名”：") for q in quiz)
    mcq = generate_quiz([PASSAGE], count=5, kind="mcq", seed=1)
    numbers = [q for q in mcq if q.answer == "64个字符"]
    assert len(numbers) == 1 and len(set(numbers[0].choices)) == 4
    assert all(c.endswith("个字符") for c in numbers[0].choices)


@pytest.mark.parametrize(
    ("response", "verdicts"),
    [
        ("实物商品签收后三十天内可以申请退货", {"correct"}),
        ("签收后三十天内可以退货", {"partial", "correct"}),
        ("电子书不能退货", {"wrong"}),
        ("加急配送十二欧元", {"wrong"}),
        ("不知道", {"wrong"}),
    ],
)
def test_chinese_short_answers_are_graded_by_their_words(e5: E5Embedder, response: str, verdicts: set[str]) -> None:
    got = grade_short("实物商品在签收后三十天内可以申请退货", response, e5.similarity)
    assert got.verdict in verdicts, got


def test_feedback_is_in_the_key_language(e5: E5Embedder) -> None:
    wrong = grade_short("主机名最长64个字符", "32个字符", e5.similarity)
    assert wrong.verdict == "wrong" and wrong.feedback == i18n.message("grade_wrong", "zh").format(answer="主机名最长64个字符")
    assert grade("mcq", "64个字符", ["32个字符", "64个字符"], "b", None).feedback == "正确。"
    english = grade("mcq", "30 days", ["30 days", "60 days"], "b", None)
    assert english.feedback == "Not quite — the answer is: 30 days."
