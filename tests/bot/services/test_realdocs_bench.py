"""The real-documents development set under bench/realdocs: its shape and its gold phrases."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.evaluation import is_realdocs, load_realdocs, missing_gold

ROOT = Path(__file__).resolve().parents[3] / "bench" / "realdocs"
SETS = sorted(p for p in ROOT.iterdir() if (p / "questions.jsonl").is_file())


def test_the_development_set_is_big_enough() -> None:
    data = load_realdocs(ROOT)
    assert len(SETS) >= 2 and is_realdocs(ROOT)
    assert sum(q.answerable for q in data.questions) >= 40
    assert sum(not q.answerable for q in data.questions) >= 15
    assert len({q.id for q in data.questions}) == len(data.questions)
    assert 20 <= len(data.docs) <= 60
    assert sum(p.stat().st_size for p in data.docs) <= 4 * 1024 * 1024


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_every_gold_phrase_is_in_its_documents_extracted_text(folder: Path) -> None:
    data = load_realdocs(folder)
    assert all(q.gold and q.doc for q in data.questions if q.answerable)
    assert missing_gold(data) == []
