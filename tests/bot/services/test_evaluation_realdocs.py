"""`ragcord eval` end to end on a tiny real-documents set (real KB, extractive backend, the CLI)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.services.evaluation import EvalError, load_realdocs, missing_gold

pytestmark = pytest.mark.slow

DOCS = {
    "shipping.html": "<html><head><title>Shipping</title></head><body><h1>Shipping</h1>"
                     "<p>Parcels to Norway take six working days.</p>"
                     "<p>Express delivery costs 12 euros.</p></body></html>",
    "refunds.md": "# Refunds\n\nRefunds are paid back to the original card within ten days of the return.\n",
    "hours.md": "# Opening hours\n\nThe shop in Leeds opens at nine in the morning and closes at six.\n",
}
QUESTIONS = [
    {"id": "a1", "question": "How long do parcels to Norway take?", "gold": ["six working days"],
     "doc": "shipping.html", "answerable": True},
    {"id": "a2", "question": "When are refunds paid back?", "gold": ["within ten days"], "doc": "refunds.md",
     "answerable": True},
    {"id": "a3", "question": "What time does the Leeds shop open?", "gold": ["nine in the morning"],
     "doc": "hours.md", "answerable": True},
    {"id": "a4", "question": "How much is express delivery?", "gold": ["12 euros"], "doc": "shipping.html",
     "answerable": True},
    {"id": "x1", "question": "Which football team does the owner support?", "gold": [], "doc": None,
     "answerable": False},
    {"id": "x2", "question": "What is the boiling point of mercury?", "gold": [], "doc": None, "answerable": False},
]


def write_set(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    for name, text in DOCS.items():
        (root / "docs" / name).write_text(text)
    (root / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    return root


def test_a_question_naming_an_unknown_document_is_refused_up_front(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "bad")
    (folder / "questions.jsonl").write_text(json.dumps({**QUESTIONS[0], "doc": "nowhere.html"}))
    with pytest.raises(EvalError, match="nowhere.html"):
        load_realdocs(folder)


def test_also_documents_are_read_and_must_exist(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "also")
    (folder / "questions.jsonl").write_text(json.dumps({**QUESTIONS[0], "also": ["refunds.md"]}))
    data = load_realdocs(folder)
    assert data.questions[0].docs == ("shipping.html", "refunds.md")
    assert missing_gold(data) == ["a1: six working days (refunds.md)"]  # refunds.md does not say it
    (folder / "questions.jsonl").write_text(json.dumps({**QUESTIONS[0], "also": ["elsewhere.md"]}))
    with pytest.raises(EvalError, match="elsewhere.md"):
        load_realdocs(folder)


def test_cli_eval_on_a_real_documents_set(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "tiny")
    env = {**os.environ, "RAGCORD_DATA_DIR": str(tmp_path / "data"), "RAGCORD_GENERATOR": "extractive"}
    env.pop("RAGCORD_CONFIG", None)
    png, details = tmp_path / "rel.png", tmp_path / "details.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "bot.main", "eval", str(folder), "--json", "--plot", str(png),
         "--details", str(details)], capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["dataset"], out["questions"], out["answerable"], out["out_of_scope"]) == ("tiny", 6, 4, 2)
    assert {"correct_with_citation", "correct_without_citation", "refused_when_answerable",
            "out_of_scope_refused", "wrong_and_confident", "answered", "ece", "threshold"} <= set(out)
    rows = {r["id"]: r for r in map(json.loads, details.read_text().splitlines())}
    assert set(rows) == {q["id"] for q in QUESTIONS}
    assert rows["a1"]["correct"] and rows["a1"]["cited_docs"][0] == "shipping.html"  # one fact, one page
    assert rows["x1"]["refused"] and not rows["x1"]["correct"]
    assert out["correct_with_citation"] == sum(rows[i]["correct"] for i in ("a1", "a2", "a3", "a4")) / 4
    assert 0.0 <= out["ece"] <= 1.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((tmp_path / "data" / "eval").glob("tiny-*"))  # the index is cached under the data dir
