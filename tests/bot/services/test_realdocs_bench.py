"""The real-documents sets under bench/: the development sets (realdocs, realdocs_fresh) and the
held-out set (realdocs_holdout); their shape and their gold phrases."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.evaluation import RealDocsSet, is_realdocs, load_realdocs, missing_gold

BENCH = Path(__file__).resolve().parents[3] / "bench"
ROOT = BENCH / "realdocs"
HOLDOUT = BENCH / "realdocs_holdout"
FRESH = BENCH / "realdocs_fresh"
SETS = [p for root in (ROOT, HOLDOUT, FRESH) for p in sorted(root.iterdir()) if (p / "questions.jsonl").is_file()]


def _docs_size(data: RealDocsSet) -> int:
    return sum(p.stat().st_size for p in data.docs)


def test_the_development_set_is_big_enough() -> None:
    data = load_realdocs(ROOT)
    assert len([p for p in SETS if p.parent == ROOT]) >= 2 and is_realdocs(ROOT)
    assert sum(q.answerable for q in data.questions) >= 40
    assert sum(not q.answerable for q in data.questions) >= 15
    assert len({q.id for q in data.questions}) == len(data.questions)
    assert 20 <= len(data.docs) <= 60
    assert _docs_size(data) <= 4 * 1024 * 1024


def test_the_held_out_set_is_big_enough() -> None:
    data = load_realdocs(HOLDOUT)
    assert len([p for p in SETS if p.parent == HOLDOUT]) >= 3 and is_realdocs(HOLDOUT)
    assert sum(q.answerable for q in data.questions) >= 45
    assert sum(not q.answerable for q in data.questions) >= 18
    assert len({q.id for q in data.questions}) == len(data.questions)
    assert _docs_size(data) <= 4 * 1024 * 1024


def test_the_second_development_set_is_big_enough() -> None:
    data = load_realdocs(FRESH)
    assert len([p for p in SETS if p.parent == FRESH]) >= 2 and is_realdocs(FRESH)
    assert sum(q.answerable for q in data.questions) >= 45
    assert sum(not q.answerable for q in data.questions) >= 14
    assert _docs_size(data) <= 4 * 1024 * 1024


def test_no_two_sets_share_a_question_id() -> None:
    ids = [q.id for root in (ROOT, HOLDOUT, FRESH) for q in load_realdocs(root).questions]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("folder", SETS, ids=[f"{p.parent.name}/{p.name}" for p in SETS])
def test_every_gold_phrase_is_in_its_documents_extracted_text(folder: Path) -> None:
    data = load_realdocs(folder)
    assert all(q.gold and q.doc for q in data.questions if q.answerable)
    assert all(not q.gold and q.doc is None for q in data.questions if not q.answerable)
    assert missing_gold(data) == []
