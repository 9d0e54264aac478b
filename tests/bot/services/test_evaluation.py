"""`ragcord eval` end to end on a tiny hand-made BEIR set (real KB, extractive backend)."""
from __future__ import annotations

import json
from pathlib import Path

from bot.core.config import Settings
from bot.services.evaluation import load_beir, plot, run_eval

DOCS = [
    ("d1", "Shipping", "Parcels to Norway take six working days. Express delivery takes two days."),
    ("d2", "Refunds", "Refunds are paid back to the original card within ten days of the return."),
    ("d3", "Opening hours", "The shop in Leeds opens at nine in the morning and closes at six."),
]
QUERIES = [
    {"id": "q1", "text": "How long do parcels to Norway take?", "answers": ["six working days"], "answerable": True},
    {"id": "q2", "text": "When are refunds paid back?", "answers": ["within ten days"], "answerable": True},
    {"id": "q3", "text": "What time does the Leeds shop open?", "answers": ["nine in the morning"], "answerable": True},
    {"id": "q4", "text": "Which football team does the owner support?", "answers": [], "answerable": False},
]


def write_set(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "corpus.jsonl").write_text("\n".join(json.dumps({"id": i, "title": t, "text": x}) for i, t, x in DOCS))
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in QUERIES))
    (root / "qrels.tsv").write_text("query_id\tdoc_id\trelevance\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n")
    return root


async def test_eval_reports_every_metric_and_indexes_the_whole_corpus(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny")
    # a per-guild document limit smaller than the corpus must not shrink the evaluation corpus
    settings = Settings(data_dir=tmp_path / "data", generator="extractive", max_documents_per_guild=2)
    report = await run_eval(settings, folder)
    out = report.as_json()
    assert set(out["retrieval"]) == {"bm25", "dense", "hybrid"}  # no reranker configured
    for row in out["retrieval"].values():
        assert set(row) == {"ndcg@10", "recall@1", "recall@5", "recall@10", "mrr@10"}
    assert out["retrieval"]["hybrid"]["recall@1"] == 1.0  # three easy questions, three documents
    answers = out["answers"]
    assert {"exact_match", "f1", "citation_accuracy", "refusal_recall", "answered_recall",
            "baseline_refusal_recall", "ece"} <= set(answers)
    assert 0.0 <= answers["ece"] <= 1.0 and sum(b.count for b in report.calibration) >= 1
    assert 0.0 <= out["threshold"] <= 1.0 + 1e-9
    assert answers["citation_accuracy"] == 1.0  # every kept answer cites the passage with its answer
    assert "| hybrid |" in report.markdown()
    png = plot(report, tmp_path / "eval.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(load_beir(folder, None).corpus) == 3


async def test_retrieval_only_skips_answers(tmp_path: Path) -> None:
    report = await run_eval(Settings(data_dir=tmp_path / "data", generator="extractive"),
                            write_set(tmp_path / "tiny"), retrieval_only=True, limit=2)
    assert report.answers == {} and report.queries == 2 and "answers" not in report.as_json()
