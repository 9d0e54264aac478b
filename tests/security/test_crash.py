"""kill -9 at any point of an ingest leaves the last good generation or the new one, never a mix."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.services.ops import doctor
from retrieval.knowledge_base import KnowledgeBase
from tests.security.crash_driver import HashEmbedder

ROOT = Path(__file__).resolve().parents[2]
POINTS = ["loading:1", "embedding:0", "indexing:0", "indexing:1", "indexing:2"]


def write_docs(folder: Path) -> tuple[Path, list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    first = folder / "kettles.md"
    first.write_text("# Kettles\n\nThe kettle switches itself off when the water boils.\n")
    more = []
    for name, text in (("lanterns.md", "# Lanterns\n\nThe lantern runs for eight hours on one charge.\n"),
                       ("tents.md", "# Tents\n\nThe tent sleeps four people and packs down to 3 kg.\n")):
        (folder / name).write_text(text)
        more.append(folder / name)
    return first, more


def run_until(data_dir: Path, point: str, sources: list[Path]) -> str:
    """Start the driver, wait for it to report `point`, SIGKILL it; returns what it printed."""
    env = {**os.environ, "RAGCORD_CRASH_AT": point, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.security.crash_driver", str(data_dir), *map(str, sources)],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr] - blocks until the stage (or exit)
        if line.startswith("AT "):
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return line.strip()


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_during_ingest_leaves_a_consistent_state(tmp_path: Path, point: str) -> None:
    embedder = HashEmbedder()
    data_dir = tmp_path / "data"
    first, more = write_docs(tmp_path / "docs")
    kb = KnowledgeBase(data_dir, "global", embedder)
    assert kb.ingest([first]).added == 1
    before = kb.catalog.index_state().generation
    first.write_text("# Kettles\n\nThe kettle switches itself off after boiling and beeps twice.\n")

    said = run_until(data_dir, point, [first, *more])
    assert said == f"AT {point}", said
    assert doctor(data_dir).ok, doctor(data_dir).as_dict()

    reopened = KnowledgeBase(data_dir, "global", embedder)
    sources = sorted(Path(d.source).name for d in reopened.list_documents())
    generation = reopened.catalog.index_state().generation
    if point == "indexing:2":  # committed before the kill: the new generation, complete
        assert sources == ["kettles.md", "lanterns.md", "tents.md"] and generation == before + 1
        assert "beeps twice" in reopened.search("kettle beeps twice", k=1)[0].text
    else:  # killed before the commit: the last good generation, untouched
        assert sources == ["kettles.md"] and generation == before
        assert "when the water boils" in reopened.search("kettle water boils", k=1)[0].text
    leftovers = sorted(p.name for p in reopened.index_dir.iterdir() if not p.name.startswith(".lock"))
    assert leftovers == [f"dense-{generation}.faiss", f"sparse-{generation}"]  # interrupted files cleaned up
    # and the next ingest after the crash works
    assert reopened.ingest([first, *more]).added + reopened.ingest([first, *more]).unchanged >= 2
    assert doctor(data_dir).ok
