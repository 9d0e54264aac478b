"""`ragcord answers …`, `ragcord unanswered` and `ask --json` with a curated answer, on a real data dir."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.core.types import Answer
from bot.frontends.cli.app import app
from bot.frontends.cli.render import APPROVED_NOTE, answer_text

ROOT = Path(__file__).resolve().parents[4]


def cli(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data), "--generator", "extractive", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_list_edit_disable_rm(tmp_path: Path) -> None:
    code, out, _ = cli(tmp_path, "answers", "add", "--scope", "guild:1", "How do I reset my password?",
                       "Settings → Security.", "--paraphrase", "forgot my password", "--keyword", "reset link",
                       "--cite", "Accounts=docs/accounts.md", "--json")
    assert code == 0
    added = json.loads(out)
    assert added["scope"] == "guild:1" and added["paraphrases"] == ["forgot my password"]
    assert added["citations"] == [{"title": "Accounts", "source": "docs/accounts.md", "document_id": None}]
    code, out, _ = cli(tmp_path, "answers", "list", "--scope", "guild:1", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [added["id"]]
    code, out, _ = cli(tmp_path, "answers", "list", "--scope", "guild:2", "--json")
    assert code == 0 and json.loads(out) == []  # another scope sees nothing
    aid = str(added["id"])
    assert cli(tmp_path, "answers", "edit", aid, "--scope", "guild:1", "--answer", "Open Settings.")[0] == 0
    assert cli(tmp_path, "answers", "disable", aid, "--scope", "guild:1")[0] == 0
    code, out, _ = cli(tmp_path, "answers", "list", "--scope", "guild:1", "--json")
    [row] = json.loads(out)
    assert row["answer"] == "Open Settings." and row["enabled"] is False
    code, out, _ = cli(tmp_path, "answers", "history", aid, "--scope", "guild:1", "--json")
    assert [h["action"] for h in json.loads(out)] == ["disable", "edit"]
    code, _, err = cli(tmp_path, "answers", "rm", aid, "--scope", "guild:2")
    assert code == 1 and "no curated answer" in err and len(err.strip().splitlines()) == 1
    assert cli(tmp_path, "answers", "rm", aid, "--scope", "guild:1")[0] == 0
    assert json.loads(cli(tmp_path, "answers", "list", "--scope", "guild:1", "--json")[1]) == []


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    code, _, err = cli(tmp_path, "answers", "add", "Q?", "A.", "--regex", "(")
    assert code == 1 and "regex" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(tmp_path, "answers", "add", "Q?", "  ")
    assert code == 1 and "needs an answer" in err


def test_the_renderer_marks_an_approved_answer() -> None:
    curated = Answer(question="q", text="Open Settings.", citations=[], confidence=1.0, refused=False,
                     backend="curated", latency_ms=3, curated_id=7)
    assert f"{APPROVED_NOTE} (curated answer #7)" in answer_text(curated).plain
    assert APPROVED_NOTE not in answer_text(Answer(question="q", text="x", citations=[], confidence=0.9,
                                                   refused=False, backend="extractive", latency_ms=3)).plain


@pytest.mark.slow
def test_ask_json_reports_the_curated_answer_and_unanswered_lists_topics(tmp_path: Path) -> None:
    """As a user runs it: a subprocess, the real embedder."""
    env = {**os.environ, "RAGCORD_DATA_DIR": str(tmp_path), "RAGCORD_GENERATOR": "extractive", "COLUMNS": "200"}
    env.pop("RAGCORD_CONFIG", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot.main", *args], capture_output=True, text=True, env=env,
                              timeout=240, cwd=ROOT)

    added = run("answers", "add", "--scope", "guild:9", "What is the wifi password at the venue?",
                "It is 'welcome2026'.", "--json")
    assert added.returncode == 0, added.stderr
    asked = run("ask", "--scope", "guild:9", "--json", "what's the venue wifi password")
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    assert data["backend"] == "curated" and data["curated_id"] == json.loads(added.stdout)["id"]
    assert data["answer"] == "It is 'welcome2026'." and data["confidence"] == 1.0
    # nothing ingested in guild:9: an unrelated question is refused and becomes a topic
    refused = json.loads(run("ask", "--scope", "guild:9", "--json", "Is there parking near the venue?").stdout)
    assert refused["refused"] and refused["curated_id"] is None
    topics = run("unanswered", "--scope", "guild:9", "--json")
    assert topics.returncode == 0, topics.stderr
    [topic] = json.loads(topics.stdout)
    assert topic["question"] == "Is there parking near the venue?" and topic["count"] == 1
    assert topic["scope"] == "guild:9" and topic["first_seen"] and topic["last_seen"]
