"""`ragcord migrate`: a real SQLite + FAISS data dir (written through the Store and a KnowledgeBase)
moved into a fresh PostgreSQL database; what the bot and retrieval read back there is what they
read from SQLite. Then doctor and backup on PostgreSQL. Skips when no server can start."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.store import AnswerData, CuratedDraft, Exchange, FactChange, FlagDraft, Outcome, Store
from retrieval.embedder import Embedder
from retrieval.knowledge_base import KnowledgeBase
from tests.pg import fresh_database_sync
from tests.retrieval.pg_docs import DOCS, QUESTIONS

pytest.importorskip("asyncpg", reason="asyncpg not installed (pip install -e '.[postgres]')")
pytest.importorskip("psycopg", reason="psycopg not installed (pip install -e '.[postgres]')")

from bot.frontends.cli.app import app  # noqa: E402
from bot.services.migrate import MigrateError, bot_tables, migrate  # noqa: E402
from bot.services.ops import OpsError, backup, doctor  # noqa: E402
from retrieval.pg.knowledge_base import PgKnowledgeBase  # noqa: E402

SCOPES = ("guild:1", "guild:2")


def _exchange(i: int) -> Outcome:
    scope = SCOPES[i % 2]
    answer = AnswerData(text=f"answer {i} — é ✓", citations=[{"chunk_id": i, "source": "refunds.md"}],
                        confidence=0.1 + i / 37, refused=i % 5 == 0, backend="extractive", latency_ms=7 * i,
                        candidates=[{"chunk_id": i, "score": i / 3}], closest=[{"source": "x"}] if i % 5 == 0 else [],
                        escalated=i % 9 == 0)
    ex = Exchange(scope=scope, user=f"u{i % 4}", channel="c1", conversation=f"conv{i % 3}", question=f"question {i}?",
                  answer=answer, external_id=str(10_000 + i), sentiment=i / 10 if i % 2 else None)
    flags = [FlagDraft("escalation", f"note {i}")] if i % 7 == 0 else []
    facts = [FactChange(f"uses plan {i}")] if i % 6 == 0 else []
    return Outcome(ex, flags, facts)


async def _fill_store(db: Path) -> list[int]:
    store = await Store.open(db)
    try:
        ids = [(await store.record_outcome(_exchange(i))).answer_id for i in range(40)]
        await store.answers.add_feedback(ids[1], "u1", 1, "thanks")
        await store.answers.add_feedback(ids[2], "u2", -1)
        await store.guilds.set("guild:1", threshold=0.4, mod_channel="mods")
        await store.curated.add("guild:1", CuratedDraft("how do refunds work", "Within 30 days.",
                                                        keywords=["refund"]), "mod")
        await store.forget("guild:2", "u3")  # gaps in the ids
    finally:
        await store.close()
    return ids


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with bot rows in two scopes and two knowledge bases (read only by the tests)."""
    data = tmp_path_factory.mktemp("migrate") / "data"
    embedder = Embedder()
    KnowledgeBase(data, "guild:1", embedder).ingest_texts(DOCS[:4])
    KnowledgeBase(data, "guild:2", embedder).ingest_texts(DOCS[4:])
    asyncio.run(_fill_store(data / "ragcord.db"))
    return data




@pytest.fixture
def pg(postgres_dsn: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (sync, as the tests drive their own loops)."""
    with fresh_database_sync(postgres_dsn, "ragcord_migrate") as url:
        yield url


def _sqlite_dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def test_migrate_copies_every_row_and_vector(source: Path, pg: str) -> None:
    db = source / "ragcord.db"
    before = _sqlite_dump(db)
    with sqlite3.connect(db) as conn:
        want = {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in bot_tables()}
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM answers ORDER BY id")]
        documents, chunks = (int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in ("documents", "chunks"))

    report = asyncio.run(migrate(source, pg, seed=3))

    assert report.tables == want and want["answers"] == len(ids) > 20 and want["flags"] > 0 and want["feedback"] == 2
    assert report.sampled == 20
    assert (report.kb.scopes, report.kb.documents, report.kb.chunks, report.kb.vectors) == (2, documents, chunks, chunks)
    assert _sqlite_dump(db) == before  # the SQLite side is only read

    async def compare() -> tuple[list[object], list[object], int, str]:
        lite, onpg = await Store.open(db), await Store.open(source / "unused.db", pg)
        try:
            mine = [await lite.answers.get(i) for i in ids]
            theirs = [await onpg.answers.get(i) for i in ids]
            settings = (await onpg.guilds.get("guild:1")).mod_channel or ""
            new = (await onpg.record_outcome(_exchange(99))).answer_id  # the identity continues after the copy
            return mine, theirs, new, settings
        finally:
            await lite.close()
            await onpg.close()

    mine, theirs, new, mod_channel = asyncio.run(compare())
    assert theirs == mine and None not in mine
    assert new > max(ids) and mod_channel == "mods"
    assert not (source / "unused.db").exists()

    embedder = Embedder()
    for scope in SCOPES:
        lite_kb, pg_kb = KnowledgeBase(source, scope, embedder), PgKnowledgeBase(pg, scope, embedder)
        assert pg_kb.list_documents() == lite_kb.list_documents()
        for question in QUESTIONS:
            assert [h.chunk_id for h in pg_kb.search(question, 1)] == [h.chunk_id for h in lite_kb.search(question, 1)]


def test_second_migrate_refuses_unless_forced(source: Path, pg: str) -> None:
    asyncio.run(migrate(source, pg))
    with pytest.raises(MigrateError, match="already holds rows .*--force"):
        asyncio.run(migrate(source, pg))
    again = asyncio.run(migrate(source, pg, force=True))  # replaces, never duplicates
    with sqlite3.connect(source / "ragcord.db") as conn:
        assert again.tables["answers"] == int(conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


@pytest.mark.parametrize(("damage", "error"), [
    ("UPDATE answers SET latency_ms = 'slow' WHERE id = (SELECT MAX(id) FROM answers)",  # text kept in INTEGER
     "answers.latency_ms: the value 'slow' does not fit"),
    ("UPDATE messages SET answer_id = 99999 WHERE id = (SELECT MAX(id) FROM messages)",  # foreign keys were off
     "PostgreSQL refused the copy .*messages_answer_id_fkey"),
])
def test_a_failed_copy_leaves_no_bot_rows(tmp_path: Path, pg: str, damage: str, error: str) -> None:
    data = tmp_path / "data"
    asyncio.run(_fill_store(data / "ragcord.db"))
    with sqlite3.connect(data / "ragcord.db") as conn:
        conn.execute(damage)
    with pytest.raises(MigrateError, match=error):
        asyncio.run(migrate(data, pg))

    async def held() -> dict[str, int]:
        import asyncpg

        conn = await asyncpg.connect(pg)
        try:
            return {t: int(await conn.fetchval(f"SELECT COUNT(*) FROM {t}")) for t in bot_tables()}
        finally:
            await conn.close()

    assert set(asyncio.run(held()).values()) == {0}


def test_cli_migrate_then_doctor_and_backup_on_postgres(source: Path, pg: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGCORD_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("RAGCORD_CONFIG", raising=False)
    monkeypatch.delenv("RAGCORD_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    done = runner.invoke(app, ["migrate", "--to", pg, "--data-dir", str(source)])
    assert done.exit_code == 0, done.output
    assert "Copied 2 knowledge base(s): 7 documents" in done.output and "20 sampled answers" in done.output
    refused = runner.invoke(app, ["migrate", "--to", pg, "--data-dir", str(source)])
    assert refused.exit_code == 1 and "use --force" in refused.output and "Traceback" not in refused.output

    monkeypatch.setenv("RAGCORD_DATABASE_URL", pg)
    checked = runner.invoke(app, ["doctor"])
    assert checked.exit_code == 0, checked.output
    assert "✓ database: pgvector" in checked.output and "✓ database: bot schema at version" in checked.output
    assert "✓ guild:1: generation 1, 4 documents" in checked.output

    report = doctor(tmp_path, database_url=pg)
    assert report.ok and [s.scope for s in report.scopes] == list(SCOPES)
    assert all(s.chunks == s.dense_vectors > 0 for s in report.scopes)

    dumped = runner.invoke(app, ["backup", str(tmp_path / "dump")])
    assert dumped.exit_code == 0, dumped.output
    assert (tmp_path / "dump" / "ragcord.pgdump").stat().st_size > 1000
    restored = runner.invoke(app, ["restore", str(tmp_path / "dump")])
    assert restored.exit_code == 1 and "pg_restore" in restored.output


def test_doctor_and_backup_say_what_is_wrong(tmp_path: Path, pg: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = doctor(tmp_path, database_url=pg)  # nothing migrated yet
    assert not fresh.ok and any("bot schema at version 0" in p for p in fresh.database)
    gone = doctor(tmp_path, database_url="postgresql://postgres@127.0.0.1:1/none")
    assert not gone.ok and gone.database[0].startswith("cannot connect to PostgreSQL 127.0.0.1:1/none")
    monkeypatch.setattr("bot.services.ops_pg.pg_dump_candidates", lambda: [])
    with pytest.raises(OpsError, match="needs pg_dump"):
        backup(tmp_path, tmp_path / "dump", database_url=pg)


def test_a_copy_that_loses_a_row_does_not_verify(tmp_path: Path, pg: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services import migrate as module

    data = tmp_path / "data"
    asyncio.run(_fill_store(data / "ragcord.db"))
    real = module._copy_table

    async def lossy(tx: object, lite: object, table: str, types: dict[str, str]) -> int:
        copied = await real(tx, lite, table, types)  # type: ignore[arg-type]
        if table == "feedback":
            await tx.execute("DELETE FROM feedback WHERE id = (SELECT MAX(id) FROM feedback)")  # type: ignore[attr-defined]
        return copied

    monkeypatch.setattr(module, "_copy_table", lossy)
    with pytest.raises(MigrateError, match="verification failed: feedback has 2 rows in SQLite, 1 in PostgreSQL"):
        asyncio.run(migrate(data, pg))
    with __import__("psycopg").connect(pg) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)
