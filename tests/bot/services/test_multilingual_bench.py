"""The bilingual development set under bench/multilingual: its shape, its gold phrases, its per-language report."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.evaluation import is_realdocs, load_realdocs, missing_gold
from bot.services.evaluation.realdocs import QuestionResult, per_language, summarize
from retrieval.textlang import detect

ROOT = Path(__file__).resolve().parents[3] / "bench" / "multilingual"
SETS = sorted(p for p in ROOT.iterdir() if (p / "questions.jsonl").is_file())


def test_the_bilingual_set_has_both_languages_and_cross_lingual_questions() -> None:
    data = load_realdocs(ROOT)
    assert is_realdocs(ROOT) and len({q.id for q in data.questions}) == len(data.questions)
    assert sum(q.answerable for q in data.questions) >= 20
    assert {q.lang for q in data.questions} == {"en", "zh"}
    for lang in ("en", "zh"):
        assert sum(not q.answerable and q.lang == lang for q in data.questions) >= 3
    zh_docs = {p.name for p in data.docs if p.parent.parent.name == "zh"}
    cross = [q for q in data.questions if q.answerable and (q.doc in zh_docs) != (q.lang == "zh")]
    assert len(cross) >= 6
    assert sum(p.stat().st_size for p in data.docs) <= 1024 * 1024


def test_each_question_is_written_in_its_language() -> None:
    data = load_realdocs(ROOT)
    assert [q.id for q in data.questions if detect(q.question) != q.lang] == []


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_every_gold_phrase_is_in_its_documents_extracted_text(folder: Path) -> None:
    data = load_realdocs(folder)
    assert all(q.gold and q.doc for q in data.questions if q.answerable)
    assert missing_gold(data) == []


def result(qid: str, lang: str, answerable: bool, correct: bool, refused: bool, ndcg: float | None) -> QuestionResult:
    return QuestionResult(qid, "q", "a", 0.9, refused, answerable, "d" if answerable else None, ("d",) if correct
                          else (), correct, correct, lang=lang, ndcg=ndcg)


def test_rates_are_split_by_question_language() -> None:
    results = [
        result("z1", "zh", True, True, False, 1.0), result("z2", "zh", True, False, True, 0.5),
        result("zx", "zh", False, False, True, None), result("e1", "en", True, False, False, 0.0),
    ]
    table = per_language(results)
    assert table["zh"] == {"answerable": 2, "out_of_scope": 1, "ndcg@10": 0.75, "correct_with_citation": 0.5,
                           "refused_when_answerable": 0.5, "out_of_scope_refused": 1.0}
    assert table["en"]["correct_with_citation"] == 0.0 and table["en"]["ndcg@10"] == 0.0
    report = summarize("m", results, 0.5)
    assert report.by_language == table and "| zh | 2 | 1 | 0.750 | 0.500 | 1.000 |" in report.markdown()
    assert "by_language" in report.as_json()
    assert "by_language" not in summarize("m", [result("q", "", True, True, False, None)], 0.5).as_json()
