"""doctor / backup / restore / prune, /forget, and the SQLite settings of both connections."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.frontends.cli.app import app
from bot.services.ops import OpsError, backup, doctor, prune, restore
from bot.store import AnswerData, Exchange, QuizItemDraft, Store
from retrieval.catalog import connect
from retrieval.knowledge_base import KnowledgeBase
from tests.security.crash_driver import HashEmbedder

runner = CliRunner()


def ans(text: str) -> AnswerData:
    return AnswerData(text=text, citations=[], confidence=0.9, refused=False, backend="test", latency_ms=1)


def build(data_dir: Path, tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase(data_dir, "guild:7", HashEmbedder())  # type: ignore[arg-type]
    for name, text in (("a.md", "# Alpha\n\nAlpha lanterns glow green."), ("b.md", "# Beta\n\nBeta tents are blue.")):
        (tmp_path / name).write_text(text)
    assert kb.ingest([tmp_path / "a.md", tmp_path / "b.md"]).added == 2
    return kb


def cli(data_dir: Path, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def test_doctor_passes_on_a_healthy_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    build(data, tmp_path)
    report = doctor(data)
    assert report.ok and report.scopes[0].chunks == report.scopes[0].dense_vectors == report.scopes[0].sparse_ids == 2
    result = cli(data, "doctor", "--scope", "guild:7")
    assert result.exit_code == 0 and "✓ guild:7: generation 1, 2 documents, 2 chunks" in result.output


def test_doctor_finds_missing_files_and_stray_ids_and_repair_fixes_them(tmp_path: Path, embedder) -> None:
    data = tmp_path / "data"
    kb = KnowledgeBase(data, "guild:7", embedder)
    (tmp_path / "a.md").write_text("# Alpha\n\nAlpha lanterns glow green.")
    (tmp_path / "b.md").write_text("# Beta\n\nBeta tents are blue.")
    kb.ingest([tmp_path / "a.md", tmp_path / "b.md"])
    with sqlite3.connect(data / "ragcord.db") as conn:  # a chunk vanishes from the DB only
        conn.execute("DELETE FROM chunks WHERE id = (SELECT MIN(id) FROM chunks)")
    problems = doctor(data).scopes[0].problems
    assert "1 dense index id(s) with no chunk in the database" in problems
    assert "1 sparse index id(s) with no chunk in the database" in problems
    assert "1 document(s) whose chunk count disagrees with their chunks" in problems

    state = kb.catalog.index_state()
    (kb.index_dir / str(state.dense_file)).unlink()
    result = cli(data, "doctor")
    assert result.exit_code == 1 and f"dense index file missing: {state.dense_file}" in result.output

    result = cli(data, "doctor", "--repair")
    assert "re-indexed guild:7 from 1 stored chunks" in result.output
    # the document row still claims 2 chunks: repair re-indexes but never invents rows
    assert doctor(data).scopes[0].problems == ["1 document(s) whose chunk count disagrees with their chunks"]
    assert KnowledgeBase(data, "guild:7", embedder).search("blue tents", k=1)[0].text.startswith("Beta")


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    data, dest, other = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    kb = build(data, tmp_path)
    result = cli(data, "backup", str(dest))
    assert result.exit_code == 0 and "Backed up 1 knowledge base(s)" in result.output
    gen = kb.catalog.index_state().generation
    assert sorted(p.name for p in (dest / "indexes" / "guild_3a7").iterdir()) == [f"dense-{gen}.faiss", f"sparse-{gen}"]

    assert cli(data, "backup", str(dest)).exit_code == 1  # never into a non-empty folder
    result = cli(other, "restore", str(dest))
    assert result.exit_code == 0 and "doctor: ok" in result.output
    restored = KnowledgeBase(other, "guild:7", HashEmbedder())  # type: ignore[arg-type]
    assert restored.search("green lanterns", k=1)[0].text.startswith("Alpha")

    result = cli(other, "restore", str(dest))
    assert result.exit_code == 1 and "is not empty; use --force" in result.output and result.output[-1] == "\n"
    assert cli(other, "restore", str(dest), "--force").exit_code == 0
    with pytest.raises(OpsError, match="not a ragcord backup"):
        restore(tmp_path / "nowhere", tmp_path / "x")


def test_backup_of_a_busy_database_is_consistent(tmp_path: Path) -> None:
    """The backup API copies a live WAL database (uncommitted writes of another connection excluded)."""
    data = tmp_path / "data"
    build(data, tmp_path)
    writer = connect(data / "ragcord.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE documents SET title = 'half-done'")
    try:
        backup(data, tmp_path / "b")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with sqlite3.connect(tmp_path / "b" / "ragcord.db") as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM documents")]
    assert "half-done" not in titles and len(titles) == 2
    assert restore(tmp_path / "b", tmp_path / "r").ok


async def test_prune_deletes_only_what_is_older_than_retention(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "ragcord.db")
    try:
        old_id = await store.answers.record_exchange(Exchange(scope="guild:1", user="u", channel="c", conversation="k",
                                                              question="old question", answer=ans("old")))
        await store.answers.add_feedback(old_id, "u", 1)
        new_id = await store.answers.record_exchange(Exchange(scope="guild:1", user="u", channel="c", conversation="k",
                                                              question="new question", answer=ans("new")))
    finally:
        await store.close()
    past = (datetime.now(timezone.utc) - timedelta(days=100)).isoformat(timespec="seconds")
    with sqlite3.connect(tmp_path / "ragcord.db") as conn:
        conn.execute("UPDATE messages SET created_at = ? WHERE answer_id = ? OR content = 'old question'", (past, old_id))
        conn.execute("UPDATE answers SET created_at = ? WHERE id = ?", (past, old_id))
        conn.execute("UPDATE feedback SET created_at = ?", (past,))
    counts = prune(tmp_path / "ragcord.db", 90)
    assert counts["messages"] == 2 and counts["answers"] == 1 and counts["feedback"] == 1
    assert prune(tmp_path / "ragcord.db", 0) == {}
    with sqlite3.connect(tmp_path / "ragcord.db") as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM answers")] == [new_id]
        assert {r[0] for r in conn.execute("SELECT content FROM messages")} == {"new question", "new"}


def test_prune_command_uses_retention_days(tmp_path: Path) -> None:
    result = cli(tmp_path, "prune", "--days", "0")
    assert result.exit_code == 0 and "Retention is off" in result.output


async def test_forget_removes_messages_memory_and_quiz_data(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "ragcord.db")
    try:
        scope, me, other = "guild:9", "user-1", "user-2"
        for user in (me, other):
            aid = await store.answers.record_exchange(Exchange(scope=scope, user=user, channel="c",
                                                               conversation=f"conv-{user}", question="q?", answer=ans("a")))
            await store.answers.add_feedback(aid, user, -1)
            await store.answers.add_flag("downvote", scope, user=user, answer_id=aid)
            await store.facts.add(scope, user, "uses the pro plan")
            await store.conversations.save_summary(f"conv-{user}", scope, user, "talked about refunds", 1)
            [item] = await store.tutoring.add_items(scope, None, [QuizItemDraft(kind="short", question="Q", answer="A")])
            await store.tutoring.record_attempt(scope, user, item, "A", 1.0, "correct", 2, "2030-01-01")
        await store.facts.add("guild:other", me, "lives elsewhere")
        counts = await store.forget(scope, me)
        assert all(counts[k] >= 1 for k in ("messages", "answers", "feedback", "flags", "facts", "summaries",
                                              "quiz_attempts", "quiz_reviews")), counts
        assert await store.conversations.logs(scope, user=me) == [] and await store.facts.list(scope, me) == []
        assert await store.conversations.logs(scope, user=other) and await store.facts.list(scope, other)  # others untouched
        assert await store.facts.list("guild:other", me) == ["lives elsewhere"]  # other guilds untouched
    finally:
        await store.close()


async def test_both_connections_use_wal_and_busy_timeouts(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "ragcord.db")
    try:
        journal = await store.db.fetchone("PRAGMA journal_mode")
        assert journal is not None and journal[0] == "wal"
        busy = await store.db.fetchone("PRAGMA busy_timeout")
        assert busy is not None and busy[0] >= 5000
    finally:
        await store.close()
    conn = connect(tmp_path / "ragcord.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    finally:
        conn.close()
