"""Chinese text landing in an English (MiniLM) scope: the ingest prints one note, and
`ragcord reindex --embedder multilingual` re-embeds the scope, which then keeps e5."""
from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import embedder_record
from retrieval.embedder_e5 import NAME
from retrieval.layout import index_dir
from tests.bot.frontends.cli.test_cli import ragcord

pytestmark = pytest.mark.slow


def test_note_then_reindex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGCORD_EMBEDDER__MODEL", raising=False)
    en, zh, data = tmp_path / "en.md", tmp_path / "zh.md", tmp_path / "data"
    en.write_text("# Shipping\n\nStandard shipping takes 3 to 5 business days.\n")
    zh.write_text("# 结巴\n\n结巴分词支持三种分词模式：精确模式、全模式和搜索引擎模式。\n", encoding="utf-8")
    assert ragcord(data, "ingest", str(en)).returncode == 0
    added = ragcord(data, "ingest", str(zh))
    assert added.returncode == 0, added.stderr
    notes = [line for line in added.stdout.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "ragcord reindex --scope global --embedder multilingual" in notes[0]

    refused = ragcord(data, "reindex", "--embedder", "klingon")
    assert refused.returncode == 1 and "unknown embedder" in refused.stderr and "Traceback" not in refused.stderr
    done = ragcord(data, "reindex", "--embedder", "multilingual")
    assert done.returncode == 0, done.stderr
    assert "re-embedded 2 chunks of global with multilingual" in done.stdout
    assert embedder_record.recorded(index_dir(data, "global")) == NAME
    asked = ragcord(data, "ask", "结巴分词有哪些模式？")  # auto: opened with e5, no mismatch
    assert asked.returncode == 0, asked.stderr
    assert "zh.md" in asked.stdout
