"""kill -9 at any point of an ingest leaves the last good generation or the new one, never a mix."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class AfterKill:
    """What the data dir must hold after the kill at one point."""

    point: str
    sources: tuple[str, ...]
    generations_added: int  # 1: the kill came after the commit; 0: the last good generation stands
    query: str
    passage: str
    next_ingest: tuple[int, int]  # (added, updated) when the same sources are ingested again


OLD = ("kettles.md",)
NEW = ("kettles.md", "lanterns.md", "tents.md")
CASES = [
    *(AfterKill(p, OLD, 0, "kettle water boils", "when the water boils", (2, 1)) for p in POINTS if p != "indexing:2"),
    AfterKill("indexing:2", NEW, 1, "kettle beeps twice", "beeps twice", (0, 0)),
]


def assert_consistent(data_dir: Path, kb: KnowledgeBase, sources: tuple[str, ...], query: str, passage: str) -> None:
    """Doctor clean, exactly `sources` catalogued with one chunk each, and `query` finds `passage` first."""
    report = doctor(data_dir)
    assert report.ok, report.as_dict()
    assert sorted(Path(d.source).name for d in kb.list_documents()) == sorted(sources)
    assert kb.catalog.counts() == (len(sources), len(sources))
    (scope,) = report.scopes
    assert (scope.documents, scope.chunks, scope.dense_vectors) == (len(sources),) * 3
    hits = kb.search(query, k=1)
    assert hits and passage in hits[0].text, [h.text for h in hits]


def test_cases_cover_every_point() -> None:
    assert [c.point for c in CASES] == POINTS


@pytest.mark.parametrize("case", CASES, ids=[c.point for c in CASES])
def test_sigkill_during_ingest_leaves_a_consistent_state(tmp_path: Path, case: AfterKill) -> None:
    embedder = HashEmbedder()
    data_dir = tmp_path / "data"
    first, more = write_docs(tmp_path / "docs")
    kb = KnowledgeBase(data_dir, "global", embedder)
    assert kb.ingest([first]).added == 1
    before = kb.catalog.index_state().generation
    first.write_text("# Kettles\n\nThe kettle switches itself off after boiling and beeps twice.\n")

    said = run_until(data_dir, case.point, [first, *more])
    assert said == f"AT {case.point}", said

    reopened = KnowledgeBase(data_dir, "global", embedder)
    generation = reopened.catalog.index_state().generation
    assert generation == before + case.generations_added
    assert_consistent(data_dir, reopened, case.sources, case.query, case.passage)
    leftovers = sorted(p.name for p in reopened.index_dir.iterdir() if not p.name.startswith(".lock"))
    # interrupted files cleaned up; the record of which embedder built the index stays
    assert leftovers == [".embedder", f"dense-{generation}.faiss", f"sparse-{generation}"]

    # the next ingest after the crash brings in exactly what the killed one did not, then nothing more
    report = reopened.ingest([first, *more])
    assert (report.added, report.updated, report.errors) == (*case.next_ingest, [])
    assert reopened.ingest([first, *more]).unchanged == 3
    after = KnowledgeBase(data_dir, "global", embedder)
    assert_consistent(data_dir, after, NEW, "kettle beeps twice", "beeps twice")
    assert_consistent(data_dir, after, NEW, "lantern eight hours charge", "eight hours on one charge")
