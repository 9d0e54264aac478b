"""`ragcord eval` with curated answers: a curated answer is correct exactly when it is the gold one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.services.evaluation import EvalError, load_realdocs
from bot.services.evaluation.curated import CuratedCase
from bot.services.evaluation.realdocs import RealQuestion, judge_curated, run_realdocs, summarize

QUESTIONS = [
    {"id": "a1", "question": "What time does the Leeds shop open?", "gold": ["nine in the morning"],
     "doc": "hours.md"},
    {"id": "p1", "question": "Is there parking at the Leeds shop?", "gold": ["car park"], "doc": "hours.md"},
    {"id": "a2", "question": "When are refunds paid back?", "gold": ["within ten days"], "doc": "refunds.md"},
]
CURATED = [
    {"id": "c1", "question": "Where can I park near the Leeds shop?", "answer": "Use the car park behind the shop.",
     "paraphrases": ["Is there parking at the Leeds shop?"], "questions": ["p1"], "doc": "hours.md"},
    {"id": "c2", "question": "When are refunds paid back?", "answer": "Whenever we like.", "questions": []},
]


def write_set(root: Path, curated: list[dict[str, object]]) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "hours.md").write_text("# Opening hours\n\nThe shop in Leeds opens at nine in the morning.\n")
    (root / "docs" / "refunds.md").write_text("# Refunds\n\nRefunds are paid back within ten days of the return.\n")
    (root / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    if curated:
        (root / "curated.jsonl").write_text("\n".join(json.dumps(c) for c in curated))
    return root


def test_judging_a_curated_answer() -> None:
    q = RealQuestion("p1", "Parking?", ("car park",), "hours.md", True)
    right = judge_curated(q, "Use the car park.", CuratedCase("c1", "Parking?", "…", questions=("p1",)), [])
    wrong = judge_curated(q, "Whenever.", CuratedCase("c2", "Refunds?", "…"), [])
    assert right.correct and right.curated == "c1" and right.confidence == 1.0 and not right.refused
    assert not wrong.correct and not wrong.tentative and wrong.curated == "c2"
    report = summarize("s", [right, wrong], 0.45, curated=True)
    assert report.rates["correct_with_citation"] == 0.5 and report.rates["curated_answered"] == 1.0
    assert report.rates["wrong_without_warning"] == 0.5  # a wrong curated match is shown as sure
    assert "curated_answered" not in summarize("s", [right], 0.45).rates


def test_a_curated_answer_naming_an_unknown_question_is_refused_up_front(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "bad", [{**CURATED[0], "questions": ["nope"]}])
    with pytest.raises(EvalError, match="nope"):
        load_realdocs(folder)
    assert [c.id for c in load_realdocs(write_set(tmp_path / "ok", CURATED)).curated] == ["c1", "c2"]


@pytest.mark.slow
async def test_eval_with_curated_answers_counts_the_gold_one_as_correct(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", generator="extractive")
    report = await run_realdocs(settings, write_set(tmp_path / "shop", CURATED))
    rows = {r.id: r for r in report.details}
    assert rows["p1"].curated == "c1" and rows["p1"].correct  # the gold curated answer
    assert rows["a2"].curated == "c2" and not rows["a2"].correct  # a curated answer, but not the gold one
    assert rows["a1"].curated is None and rows["a1"].correct  # answered from the documents
    assert report.rates["curated_answered"] == pytest.approx(2 / 3, abs=1e-3)
    # the same set without curated.jsonl: the previous run's curated answers are gone from the cache
    (tmp_path / "shop" / "curated.jsonl").unlink()
    again = await run_realdocs(settings, tmp_path / "shop")
    assert all(r.curated is None for r in again.details) and "curated_answered" not in again.rates
