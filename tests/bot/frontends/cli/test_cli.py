"""The `ragcord` console script, run as a user would (subprocess), on real files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def ragcord(data_dir: Path, *args: str, stdin: str | None = None, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAGCORD_DATA_DIR": str(data_dir), "RAGCORD_GENERATOR": "extractive", "COLUMNS": "200"}
    env.pop("RAGCORD_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.main", *args], capture_output=True, text=True, env=env,
        input=stdin, timeout=timeout, cwd=Path(__file__).resolve().parents[4],
    )


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    docs = root / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text(
        "# Returns\n\nPhysical items can be returned within 30 days of delivery.\n\n"
        "## Digital items\n\nDigital downloads cannot be returned unless they are defective.\n"
    )
    (docs / "shipping.txt").write_text("Standard shipping takes 3 to 5 business days and costs 4.90 EUR.\n")
    return root / "data", docs


def test_ingest_twice_embeds_nothing_the_second_time(kb: tuple[Path, Path], tmp_path: Path) -> None:
    _, docs = kb
    data = tmp_path / "data"  # its own data dir: the module's one may already hold these docs
    first = ragcord(data, "ingest", str(docs), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["added"] == 2 and report["chunks_embedded"] >= 2 and report["errors"] == []
    second = json.loads(ragcord(data, "ingest", str(docs), "--json").stdout)
    assert second == {"added": 0, "updated": 0, "unchanged": 2, "chunks_embedded": 0, "errors": []}


def test_ask_json_has_citations_and_confidence(kb: tuple[Path, Path]) -> None:
    data, docs = kb
    ragcord(data, "ingest", str(docs))
    out = ragcord(data, "ask", "How many days do I have to return a physical item?", "--json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) >= {"answer", "citations", "confidence", "refused", "quote", "tentative"}
    assert answer["quote"] is None or set(answer["quote"]) == {"n", "text"}
    assert isinstance(answer["tentative"], bool)
    assert not answer["refused"] and "30 days" in answer["answer"]
    assert answer["citations"][0]["source"].endswith("returns.md")
    assert set(answer["citations"][0]) >= {"n", "title", "source", "chunk_id"}


def test_changed_document_replaces_its_chunks_and_rm_removes(kb: tuple[Path, Path], tmp_path: Path) -> None:
    data = tmp_path / "data"
    doc = tmp_path / "faq.md"
    doc.write_text("# FAQ\n\nOur shop opens at 9 am.\n")
    assert json.loads(ragcord(data, "ingest", str(doc), "--json").stdout)["added"] == 1
    doc.write_text("# FAQ\n\nOur shop opens at 10 am on weekdays.\n")
    assert json.loads(ragcord(data, "ingest", str(doc), "--json").stdout)["updated"] == 1
    listed = json.loads(ragcord(data, "docs", "list", "--json").stdout)
    assert len(listed) == 1
    removed = ragcord(data, "docs", "rm", str(listed[0]["id"]))
    assert removed.returncode == 0 and "Removed" in removed.stdout
    assert json.loads(ragcord(data, "docs", "list", "--json").stdout) == []
    missing = ragcord(data, "docs", "rm", "999")
    assert missing.returncode == 1 and "no document" in missing.stderr


def test_bad_inputs_are_one_line_each_and_the_rest_is_ingested(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nThis file is fine and has text.\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02\xff" * 100)
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4 this is not really a pdf")
    odd = tmp_path / "slides.pptx"
    odd.write_bytes(b"PK")
    out = ragcord(data, "ingest", str(good), str(empty), str(binary), str(corrupt), str(odd),
                  str(tmp_path / "missing.md"), "http://127.0.0.1:9/nothing", "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["added"] == 1
    errors = {Path(e["source"]).name if "://" not in e["source"] else "url": e["error"] for e in report["errors"]}
    assert set(errors) == {"empty.txt", "binary.txt", "corrupt.pdf", "slides.pptx", "missing.md", "url"}
    assert all("\n" not in e and "Traceback" not in e for e in errors.values())
    plain = ragcord(data, "ingest", str(corrupt), str(good))
    assert plain.returncode == 1 and "Traceback" not in plain.stderr and "corrupt.pdf" in plain.stderr


@pytest.mark.parametrize(("question", "message"), [("", "empty"), ("x" * 20_000, "too long")])
def test_bad_questions_exit_non_zero_without_traceback(kb: tuple[Path, Path], question: str, message: str) -> None:
    data, _ = kb
    out = ragcord(data, "ask", question)
    assert out.returncode == 1 and message in out.stdout + out.stderr
    assert "Traceback" not in out.stderr


def test_bad_config_and_help(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("threshold = 7\n")
    out = ragcord(tmp_path, "--config", str(bad), "docs", "list")
    assert out.returncode == 2 and "invalid setting answering.threshold" in out.stderr and "Traceback" not in out.stderr
    for args in (["--help"], ["ingest", "--help"], ["docs", "--help"], ["ask", "--help"], ["chat", "--help"]):
        assert ragcord(tmp_path, *args).returncode == 0


def test_chat_reads_until_eof(kb: tuple[Path, Path]) -> None:
    data, docs = kb
    ragcord(data, "ingest", str(docs))
    out = ragcord(data, "chat", stdin="How long does standard shipping take?\n/sources\n")
    assert out.returncode == 0, out.stderr
    assert "3 to 5 business days" in out.stdout and "shipping.txt" in out.stdout
