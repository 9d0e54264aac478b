"""`ragcord ask` over an index another embedder built: one line, exit 1, no traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.frontends.cli.test_cli import ragcord

pytestmark = pytest.mark.slow


def test_ask_with_another_embedder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "shipping.md").write_text("# Shipping\n\nStandard shipping takes 3 to 5 business days.\n")
    data = tmp_path / "data"
    monkeypatch.delenv("RAGCORD_EMBEDDER__MODEL", raising=False)
    built = ragcord(data, "ingest", str(docs))
    assert built.returncode == 0, built.stderr
    monkeypatch.setenv("RAGCORD_EMBEDDER__MODEL", "multilingual")
    out = ragcord(data, "ask", "How long does shipping take?")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    lines = [line for line in (out.stdout + out.stderr).splitlines() if "built with embedder" in line]
    assert len(lines) == 1 and "multilingual-e5" in lines[0] and "minilm" in lines[0].lower()
