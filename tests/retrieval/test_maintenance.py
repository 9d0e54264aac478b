"""The API operations use: scopes, index files, the writer lock, the consistency check."""
from __future__ import annotations

import ast
from pathlib import Path

from retrieval import dense as dense_module
from retrieval.knowledge_base import KnowledgeBase
from retrieval.maintenance import (
    DATA_NAMES,
    DB_FILENAME,
    INDEXES,
    check_scope,
    index_dir,
    index_files,
    scope_lock,
    scopes_in,
)
from tests.security.crash_driver import HashEmbedder


def build(data: Path, tmp_path: Path, scope: str = "guild:7") -> KnowledgeBase:
    kb = KnowledgeBase(data, scope, HashEmbedder())  # type: ignore[arg-type]
    for name, text in (("a.md", "# Alpha\n\nAlpha lanterns glow green."), ("b.md", "# Beta\n\nBeta tents are blue.")):
        (tmp_path / name).write_text(text)
    assert kb.ingest([tmp_path / "a.md", tmp_path / "b.md"]).added == 2
    return kb


def test_index_files_name_the_current_generation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    kb = build(data, tmp_path)
    files = index_files(data, "guild:7")
    assert files.generation == kb.catalog.index_state().generation >= 1
    assert files.dense is not None and files.dense.is_file() and files.dense.parent == index_dir(data, "guild:7")
    assert files.sparse is not None and files.sparse.is_dir() and files.paths == [files.dense, files.sparse]
    assert index_dir(data, "guild:7") == kb.index_dir == data / INDEXES / "guild_3a7"
    empty = index_files(data, "guild:8")
    assert (empty.generation, empty.dense, empty.sparse, empty.paths) == (0, None, None, [])
    assert set(DATA_NAMES) == {DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm", INDEXES}


def test_scopes_in_reads_without_creating_tables(tmp_path: Path) -> None:
    data = tmp_path / "data"
    build(data, tmp_path, "guild:7")
    build(data, tmp_path, "dm:1")
    assert scopes_in(data / DB_FILENAME) == ["dm:1", "guild:7"]
    bare = tmp_path / "bare.db"
    assert scopes_in(bare) == []


def test_check_scope_counts_and_finds_disagreements(tmp_path: Path) -> None:
    data = tmp_path / "data"
    kb = build(data, tmp_path)
    healthy = check_scope(data, "guild:7")
    assert healthy.ok and (healthy.documents, healthy.chunks, healthy.dense_vectors, healthy.sparse_ids) == (2, 2, 2, 2)
    files = index_files(data, "guild:7")
    dense = dense_module.DenseIndex.load(files.dense)
    dense.remove(dense.ids()[:1])
    dense.save(files.dense)
    one_missing = check_scope(data, "guild:7")
    assert one_missing.dense_vectors == 1
    assert one_missing.problems == ["1 chunk(s) in the database missing from the dense index"]
    files.dense.write_bytes(b"garbage")
    assert "dense index unreadable" in " ".join(check_scope(data, "guild:7").problems)
    files.dense.unlink()
    assert check_scope(data, "guild:7").problems == [f"dense index file missing: {files.dense.name}"]
    assert kb.reindex() == 2 and check_scope(data, "guild:7").ok  # repair


def test_scope_lock_is_the_knowledge_base_writer_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    kb = build(data, tmp_path)
    with scope_lock(data, "guild:7").hold() as held:
        assert held
        with kb._lock.hold(blocking=False) as also:
            assert not also  # an ingest could not publish now


def test_sentences_and_vectors_do_not_import_dense() -> None:
    folder = Path(dense_module.__file__).parent
    for name in ("vectors.py", "sentences.py"):
        tree = ast.parse((folder / name).read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert "dense" not in imported, name
