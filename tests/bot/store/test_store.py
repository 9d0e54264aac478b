import sqlite3
from pathlib import Path

from bot.store import Store


async def _exchange(store: Store, user: str = "u1", scope: str = "guild:1", conv: str = "c1") -> int:
    return await store.record_exchange(
        scope=scope, user=user, channel="ch", conversation=conv, question="How long is shipping?",
        answer={"text": "3 days [1]", "citations": [{"n": 1, "chunk_id": 5}], "confidence": 0.8,
                "refused": False, "backend": "extractive", "latency_ms": 12},
    )


async def test_migrations_are_idempotent_and_wal(tmp_path: Path) -> None:
    db = tmp_path / "ragcord.db"
    store = await Store.open(db)
    await store.close()
    store = await Store.open(db)  # second open must not re-apply
    await store.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM schema_migrations WHERE component='bot' ORDER BY version").fetchall() == [(1,), (2,), (3,)]


async def test_exchange_memory_and_answer_roundtrip(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    answer_id = await _exchange(store)
    turns = await store.recent_turns("c1", 10)
    assert [(t.role, t.content) for t in turns] == [("user", "How long is shipping?"), ("assistant", "3 days [1]")]
    row = await store.get_answer(answer_id)
    assert row is not None and row.citations == [{"n": 1, "chunk_id": 5}] and row.confidence == 0.8
    assert await store.recent_turns("other", 10) == []
    await store.close()


async def test_feedback_upserts_and_flags_are_scoped(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    answer_id = await _exchange(store)
    await store.add_feedback(answer_id, "u2", 1)
    await store.add_feedback(answer_id, "u2", -1)  # changing one's mind replaces the vote
    assert await store.feedback_for(answer_id) == {"up": 0, "down": 1}
    flag = await store.add_flag("downvote", "guild:1", user="u2", answer_id=answer_id)
    assert [f.id for f in await store.list_flags("guild:1")] == [flag]
    assert await store.list_flags("guild:2") == []
    assert not await store.resolve_flag("guild:2", flag, "mod")  # another guild cannot resolve it
    assert await store.resolve_flag("guild:1", flag, "mod")
    assert await store.list_flags("guild:1") == []
    assert (await store.list_flags("guild:1", status="resolved"))[0].resolved_by == "mod"
    await store.close()


async def test_logs_filters_and_forget(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    await _exchange(store, user="alice")
    await _exchange(store, user="bob")
    await _exchange(store, user="alice", scope="guild:2")
    assert {r.user for r in await store.logs("guild:1")} == {"alice", "bob"}
    assert len(await store.logs("guild:1", user="alice")) == 2
    assert await store.logs("guild:1", since="2999-01-01") == []
    counts = await store.forget_user("guild:1", "alice")
    assert counts["messages"] == 2 and counts["answers"] == 1
    assert {r.user for r in await store.logs("guild:1")} == {"bob"}
    assert len(await store.logs("guild:2")) == 2  # other guilds untouched
    await store.close()


async def test_guild_settings_defaults_and_updates(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    s = await store.get_guild_settings("guild:1")
    assert s.threshold is None and s.auto_channels == []
    await store.set_guild_settings("guild:1", threshold=0.6, auto_channels=["42"])
    s = await store.get_guild_settings("guild:1")
    assert s.threshold == 0.6 and s.auto_channels == ["42"]
    assert (await store.get_guild_settings("guild:2")).threshold is None
    try:
        await store.set_guild_settings("guild:1", colour="red")
    except ValueError as exc:
        assert "colour" in str(exc)
    else:
        raise AssertionError("unknown setting accepted")
    await store.close()


async def test_concurrent_writers_do_not_interleave_transactions(tmp_path: Path) -> None:
    """Many answers recorded at once on the one shared connection: none lost, none mixed."""
    import asyncio

    store = await Store.open(tmp_path / "db.sqlite")
    writes = asyncio.gather(*(_exchange(store, user=f"u{i}", conv=f"c{i}") for i in range(25)),
                            *(store.add_flag("reported", "guild:1", user=f"u{i}") for i in range(10)))
    ids = await asyncio.wait_for(writes, timeout=60)  # interleaved transactions would hang or fail
    assert len(set(ids[:25])) == 25
    for i in range(25):
        turns = await store.recent_turns(f"c{i}", 10)
        assert [t.role for t in turns] == ["user", "assistant"]
    assert len(await store.list_flags("guild:1", limit=100)) == 10
    await store.close()
