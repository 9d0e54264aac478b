"""`ragcord ingest --queue` and `ragcord jobs`, through typer's CliRunner (no models loaded)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.frontends.cli.app import app


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAGCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RAGCORD_CONFIG", raising=False)
    monkeypatch.delenv("RAGCORD_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_queue_then_list(env: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(app, ["jobs"])
    assert empty.exit_code == 0 and "No ingest jobs yet" in empty.output
    doc = env / "a.md"
    doc.write_text("# A\n\nText.\n")
    queued = runner.invoke(app, ["ingest", str(doc), "--queue", "--scope", "guild:3"])
    assert queued.exit_code == 0, queued.output
    assert queued.output.strip() == "Queued ingest job 1 [scope guild:3]"
    url = runner.invoke(app, ["ingest", "https://docs.example/sitemap.xml", "--sitemap", "--queue", "--json"])
    assert url.exit_code == 0 and json.loads(url.output) == {"job": 2}
    listed = runner.invoke(app, ["jobs"])
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if line.strip(" │|┃")]
    row1 = next(line for line in lines if " guild:3 " in line)
    row2 = next(line for line in lines if " sitemap " in line)
    assert "file" in row1 and "queued" in row1 and "0/0" in row1 and "0/3" in row1
    assert "global" in row2 and "queued" in row2
    data = json.loads(runner.invoke(app, ["jobs", "--json", "--scope", "guild:3"]).output)
    [job] = data["jobs"]
    assert (job["id"], job["kind"], job["status"], job["payload"]["sources"]) == (1, "file", "queued", [str(doc.resolve())])
