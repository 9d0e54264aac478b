"""The PostgreSQL store against a real server (tests/pg.py): schema, migrations, scoping, forget."""
from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_settings
from bot.store import (
    MIGRATIONS,
    AnswerData,
    CuratedDraft,
    Exchange,
    FactChange,
    FlagDraft,
    Outcome,
    QuizItemDraft,
    Store,
    SummaryRow,
)

A, B = "guild:A", "guild:B"


@pytest.fixture
async def pg(open_pg) -> AsyncIterator[Store]:
    store = await open_pg()
    yield store
    await store.close()


def _ex(scope: str, user: str = "amy", conv: str = "c", refused: bool = True) -> Exchange:
    data = AnswerData(text="no idea", citations=[{"n": 1}], confidence=0.1, refused=refused, backend="extractive",
                      latency_ms=3)
    return Exchange(scope, user, "ch", f"{scope}:{conv}", f"question of {scope}?", data, sentiment=-0.5)


def _undated(rows: list) -> list:
    """Rows with their timestamps blanked (two stores write them a moment apart)."""
    return [replace(r, created_at="") if hasattr(r, "created_at") else r for r in rows]


async def _fill(store: Store, scope: str) -> dict[str, int]:
    """One of everything in `scope`: exchange with flag, fact and summary; feedback; curated; quiz."""
    ids = await store.record_outcome(Outcome(
        _ex(scope), flags=[FlagDraft("frustrated")], facts=[FactChange(f"lives in {scope}")],
        compact=lambda saved, pending: SummaryRow(f"summary {scope}", pending[-1].id),
    ))
    await store.answers.add_feedback(ids.answer_id, "amy", -1)
    await store.guilds.set(scope, threshold=0.5 if scope == A else 0.9)
    curated = await store.curated.add(scope, CuratedDraft(f"reset in {scope}?", "Settings."), "mod")
    [item] = await store.tutoring.add_items(scope, "mod", [QuizItemDraft(kind="short", question="Q", answer="A")])
    await store.tutoring.record_attempt(scope, "amy", item, "A", 1.0, "correct", 1, "2000-01-01")
    await store.unanswered.save_vectors("m", {ids.answer_id: b"\x00\x01"})
    assert await store.coordination.claim(f"message-in-{scope}", scope, "amy", "test-process")
    assert await store.coordination.rate_hit("amy", 100) == 0.0
    return {"answer": ids.answer_id, "flag": ids.flag_ids["frustrated"], "curated": curated.id, "item": item}


async def test_migrations_are_recorded_and_idempotent(open_pg, pg: Store) -> None:
    again = await open_pg()  # a second process opening the same database applies nothing
    await again.close()
    rows = await pg.db.fetchall("SELECT version FROM schema_migrations WHERE component = 'bot' ORDER BY version")
    assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))


async def test_tables_and_columns_match_the_sqlite_store(pg: Store, tmp_path: Path) -> None:
    await (await Store.open(tmp_path / "lite.db")).close()
    con = sqlite3.connect(tmp_path / "lite.db")
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not t.startswith("sqlite_")]
    lite = {t: [c[1] for c in con.execute(f"PRAGMA table_info({t})")] for t in tables}
    con.close()
    rows = await pg.db.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " ORDER BY table_name, ordinal_position"
    )
    postgres: dict[str, list[str]] = {}
    for r in rows:
        postgres.setdefault(r[0], []).append(r[1])
    assert postgres == lite


async def test_rows_read_back_as_sqlite_reads_them(pg: Store, tmp_path: Path) -> None:
    lite = await Store.open(tmp_path / "lite.db")
    try:
        for store in (pg, lite):
            await _fill(store, A)
        got = [await s.answers.get(1) for s in (pg, lite)]
        assert got[0] is not None and got[1] is not None
        assert replace(got[0], created_at="") == replace(got[1], created_at="")
        assert len(got[0].created_at) == len(got[1].created_at)  # the same ISO text
        for read in (lambda s: s.conversations.logs(A), lambda s: s.answers.list_flags(A),
                     lambda s: s.unanswered.open_questions(A, 0.7), lambda s: s.tutoring.progress_by_topic(A, "amy")):
            pg_rows, lite_rows = await read(pg), await read(lite)
            assert pg_rows and _undated(pg_rows) == _undated(lite_rows)
        assert await pg.unanswered.open_key(A, 0.7) == await lite.unanswered.open_key(A, 0.7)
    finally:
        await lite.close()


async def test_guild_a_cannot_read_or_change_guild_b(pg: Store) -> None:
    a, b = await _fill(pg, A), await _fill(pg, B)
    assert {r.scope for r in await pg.conversations.logs(A)} == {A}
    assert [f.id for f in await pg.answers.list_flags(A)] == [a["flag"]]
    assert not await pg.answers.resolve_flag(A, b["flag"], "mod")  # B's flag is out of A's reach
    assert await pg.facts.list(A, "amy") == [f"lives in {A}"]
    assert (await pg.guilds.get(A)).threshold == 0.5 and (await pg.guilds.get(B)).threshold == 0.9
    assert [c.id for c in await pg.curated.list(A)] == [a["curated"]]
    assert await pg.curated.get(A, b["curated"]) is None
    assert await pg.curated.update(A, b["curated"], CuratedDraft("x?", "y"), "mod") is None
    assert not await pg.curated.delete(A, b["curated"], "mod")
    assert await pg.curated.history(A, b["curated"]) == []
    assert await pg.tutoring.item(A, b["item"]) is None
    assert [d.item.id for d in await pg.tutoring.due_reviews(A, "amy", "2999")] == [a["item"]]
    assert [q.answer_id for q in await pg.unanswered.open_questions(A, 0.7)] == [a["answer"]]
    assert await pg.unanswered.answer_for_flag(A, b["flag"]) is None
    assert await pg.unanswered.close(A, [b["answer"]], "dismissed", "mod") == 0
    counts = await pg.forget(A, "amy")
    assert counts["messages"] == 2 and counts["answers"] == 1 and counts["facts"] == 1
    assert await pg.facts.list(B, "amy") == [f"lives in {B}"]  # B keeps amy's rows
    assert len(await pg.conversations.logs(B)) == 2
    assert [q.answer_id for q in await pg.unanswered.open_questions(B, 0.7)] == [b["answer"]]


async def test_the_console_of_guild_a_sees_nothing_of_guild_b(pg: Store) -> None:
    from bot.store.console_queries import ConversationFilter

    a, b = await _fill(pg, A), await _fill(pg, B)
    q = pg.console_queries
    assert await q.scopes() == [A, B]
    shown = await q.conversations(ConversationFilter(scopes=[A], search="QUESTION OF"))  # case-insensitive
    assert [r.id for r in shown] == [a["answer"]]
    assert await q.conversations(ConversationFilter(scopes=[A], search="guild:B")) == []
    assert [f.id for f in await q.flags([A])] == [a["flag"]]
    assert [(row.scope, row.user) for row in await q.learners([A])] == [(A, "amy")]
    assert (await q.dashboard([A], "2000")).refused == 1 and (await q.dashboard([], "2000")).refused == 0
    assert await q.flag_scope(b["flag"]) == B  # the caller checks the scope it is given


async def test_forget_empties_every_table_with_a_user_column(pg: Store) -> None:
    await _fill(pg, A)
    rows = await pg.db.fetchall(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'user'"
    )
    tables = sorted(r[0] for r in rows)
    assert {"messages", "answers", "feedback", "flags", "user_facts", "quiz_attempts"} <= set(tables)
    assert not set(tables) - pg.forgotten_tables
    for t in tables:
        row = await pg.db.fetchone(f'SELECT COUNT(*) FROM {t} WHERE "user" = $1', ("amy",))
        assert row is not None and row[0] > 0, t
    await pg.forget(A, "amy")
    for t in tables:
        row = await pg.db.fetchone(f'SELECT COUNT(*) FROM {t} WHERE "user" = $1', ("amy",))
        assert row is not None and row[0] == 0, t
    vectors = await pg.db.fetchone("SELECT COUNT(*) FROM unanswered_vectors")
    assert vectors is not None and vectors[0] == 0


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    pytest.importorskip("asyncpg")
    from tests.pg import free_port

    url = f"postgresql://bot:s3cret@127.0.0.1:{free_port()}/ragcord"  # nothing listens there
    with pytest.raises(ConnectionError, match=r"^cannot open the PostgreSQL database 127\.0\.0\.1:\d+/ragcord: ") as exc:
        await Store.open(Path("unused.db"), url)
    assert "s3cret" not in str(exc.value) and "\n" not in str(exc.value)


def test_database_url_selects_postgres_and_refuses_other_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGCORD_DATABASE_URL", raising=False)
    assert load_settings().database_url is None
    assert load_settings(database_url="postgresql://u@h:5432/d").database_url == "postgresql://u@h:5432/d"
    with pytest.raises(ConfigError, match="postgresql://"):
        load_settings(database_url="mysql://u@h/d")
