"""Chinese numerals in practice questions: read, written back, and graded against digits."""
from __future__ import annotations

import pytest

from bot.services import zh_numbers
from bot.services.grading import grade_short
from bot.services.quizgen import SourcePassage, find_facts, generate_quiz


@pytest.mark.parametrize("text, value", [
    ("三十", 30), ("十五", 15), ("一百零五", 105), ("一百二十", 120), ("两百", 200), ("一千零一", 1001),
    ("三三", None), ("十百", None), ("千", None), ("三十x", None),
])
def test_numerals_are_read(text: str, value: int | None) -> None:
    assert zh_numbers.parse(text) == value


@pytest.mark.parametrize("value", [2, 10, 11, 15, 30, 45, 105, 110, 120, 1001, 9999])
def test_numerals_are_written_so_that_they_read_back(value: int) -> None:
    assert zh_numbers.parse(zh_numbers.write(value)) == value


def test_a_number_written_in_chinese_gives_a_question_with_chinese_choices() -> None:
    passage = SourcePassage(chunk_id=1, title="退货", text="实物商品签收后三十天内可以申请退货。每年一次免费检修。")
    assert [(f.kind, f.key) for f in find_facts(passage)] == [("number", "三十天")]  # "一次" is no number
    (q,) = generate_quiz([passage], count=1, kind="mcq", seed=1)
    assert q.question == "填空：实物商品签收后_____内可以申请退货。" and q.answer == "三十天"
    assert len(set(q.choices)) == 4 and all(c.endswith("天") and zh_numbers.parse(c[:-1]) for c in q.choices)


@pytest.mark.parametrize("response, verdict", [("30天", "correct"), ("三十天", "correct"), ("六十天", "wrong"),
                                               ("60天", "wrong")])
def test_digits_and_numerals_grade_alike(response: str, verdict: str) -> None:
    assert grade_short("三十天", response, None).verdict == verdict
