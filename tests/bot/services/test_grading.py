import json
from pathlib import Path

import pytest

from bot.services.grading import grade, grade_mcq, grade_short

CHOICES = ["list", "tuple", "dict", "set"]


@pytest.mark.parametrize("response", ["tuple", "TUPLE ", "b", "B", "2"])
def test_mcq_accepts_text_letter_or_number(response: str) -> None:
    assert grade_mcq("tuple", CHOICES, response).correct


@pytest.mark.parametrize("response", ["list", "a", "5", "banana"])
def test_mcq_wrong_or_invalid(response: str) -> None:
    g = grade_mcq("tuple", CHOICES, response)
    assert g.score == 0.0 and g.verdict == "wrong" and "tuple" in g.feedback


def test_numbers_must_match() -> None:
    assert grade_short("30 days", "14 days", None).verdict == "wrong"
    assert grade_short("30 days", "you get 30 days", None).verdict == "correct"


def test_empty_answer_is_wrong() -> None:
    assert grade("short", "a mapping from keys to values", [], "   ", None).score == 0.0


def test_judge_blends_in() -> None:
    without = grade_short("a mapping from unique keys to values", "a way to store data", None)
    with_judge = grade_short("a mapping from unique keys to values", "a way to store data", None, judge=1.0)
    assert with_judge.score > without.score


@pytest.mark.slow
def test_agreement_with_labelled_set(similarity) -> None:
    """Shipped labelled answers (right / partly right / wrong): report and hold the agreement."""
    rows = [json.loads(line) for line in (Path(__file__).parent / "data" / "grading_set.jsonl").open()]
    verdicts = [grade_short(r["key"], r["answer"], similarity).verdict for r in rows]
    three_way = sum(v == r["label"] for v, r in zip(verdicts, rows)) / len(rows)
    correct_vs_not = sum((v == "correct") == (r["label"] == "correct") for v, r in zip(verdicts, rows)) / len(rows)
    print(f"grading agreement: three-way {three_way:.2f}, correct-vs-not {correct_vs_not:.2f} on {len(rows)}")
    assert three_way >= 0.75
    assert correct_vs_not >= 0.9
    # a wrong answer is never graded correct
    assert not any(v == "correct" and r["label"] == "wrong" for v, r in zip(verdicts, rows))
