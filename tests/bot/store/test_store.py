import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import MIGRATIONS, AnswerData, Exchange, FactChange, FlagDraft, Outcome, QuizItemDraft, Store, SummaryRow

OpenStore = Callable[[], Awaitable[Store]]  # tests/bot/store/conftest.py: SQLite, then PostgreSQL


def _ex(user: str = "u1", scope: str = "guild:1", conv: str | None = "c1", sentiment: float | None = None) -> Exchange:
    return Exchange(
        scope=scope, user=user, channel="ch", conversation=conv, question="How long is shipping?",
        answer=AnswerData(text="3 days [1]", citations=[{"n": 1, "chunk_id": 5}], confidence=0.8,
                          refused=False, backend="extractive", latency_ms=12),
        sentiment=sentiment,
    )


async def _exchange(store: Store, user: str = "u1", scope: str = "guild:1", conv: str = "c1") -> int:
    return await store.answers.record_exchange(_ex(user, scope, conv))


async def test_migrations_are_idempotent_and_wal(tmp_path: Path) -> None:
    db = tmp_path / "ragcord.db"
    store = await Store.open(db)
    await store.close()
    store = await Store.open(db)  # second open must not re-apply
    await store.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM schema_migrations WHERE component='bot' ORDER BY version").fetchall() == [
        (v,) for v in range(1, len(MIGRATIONS) + 1)
    ]


async def test_exchange_memory_and_answer_roundtrip(open_store: OpenStore) -> None:
    store = await open_store()
    answer_id = await _exchange(store)
    turns = await store.conversations.recent_turns("c1", 10)
    assert [(t.role, t.content) for t in turns] == [("user", "How long is shipping?"), ("assistant", "3 days [1]")]
    row = await store.answers.get(answer_id)
    assert row is not None and row.citations == [{"n": 1, "chunk_id": 5}] and row.confidence == 0.8
    assert await store.conversations.recent_turns("other", 10) == []
    await store.close()


async def test_feedback_upserts_and_flags_are_scoped(open_store: OpenStore) -> None:
    store = await open_store()
    answer_id = await _exchange(store)
    await store.answers.add_feedback(answer_id, "u2", 1)
    await store.answers.add_feedback(answer_id, "u2", -1)  # changing one's mind replaces the vote
    assert await store.answers.feedback_for(answer_id) == {"up": 0, "down": 1}
    flag = await store.answers.add_flag("downvote", "guild:1", user="u2", answer_id=answer_id)
    assert [f.id for f in await store.answers.list_flags("guild:1")] == [flag]
    assert await store.answers.list_flags("guild:2") == []
    assert not await store.answers.resolve_flag("guild:2", flag, "mod")  # another guild cannot resolve it
    assert await store.answers.resolve_flag("guild:1", flag, "mod")
    assert await store.answers.list_flags("guild:1") == []
    assert (await store.answers.list_flags("guild:1", status="resolved"))[0].resolved_by == "mod"
    await store.close()


async def test_logs_filters_and_forget(open_store: OpenStore) -> None:
    store = await open_store()
    await _exchange(store, user="alice")
    await _exchange(store, user="bob")
    await _exchange(store, user="alice", scope="guild:2")
    assert {r.user for r in await store.conversations.logs("guild:1")} == {"alice", "bob"}
    assert len(await store.conversations.logs("guild:1", user="alice")) == 2
    assert await store.conversations.logs("guild:1", since="2999-01-01") == []
    counts = await store.forget("guild:1", "alice")
    assert counts["messages"] == 2 and counts["answers"] == 1
    assert {r.user for r in await store.conversations.logs("guild:1")} == {"bob"}
    assert len(await store.conversations.logs("guild:2")) == 2  # other guilds untouched
    await store.close()


async def test_guild_settings_defaults_and_updates(open_store: OpenStore) -> None:
    store = await open_store()
    s = await store.guilds.get("guild:1")
    assert s.threshold is None and s.auto_channels == []
    await store.guilds.set("guild:1", threshold=0.6, auto_channels=["42"])
    s = await store.guilds.get("guild:1")
    assert s.threshold == 0.6 and s.auto_channels == ["42"]
    assert (await store.guilds.get("guild:2")).threshold is None
    with pytest.raises(ValueError, match="colour"):
        await store.guilds.set("guild:1", colour="red")
    await store.close()


async def test_concurrent_writers_do_not_interleave_transactions(open_store: OpenStore) -> None:
    """Many answers recorded at once on the one shared connection: none lost, none mixed."""
    store = await open_store()
    writes = asyncio.gather(*(_exchange(store, user=f"u{i}", conv=f"c{i}") for i in range(25)),
                            *(store.answers.add_flag("reported", "guild:1", user=f"u{i}") for i in range(10)))
    ids = await asyncio.wait_for(writes, timeout=60)  # interleaved transactions would hang or fail
    assert len(set(ids[:25])) == 25
    for i in range(25):
        turns = await store.conversations.recent_turns(f"c{i}", 10)
        assert [t.role for t in turns] == ["user", "assistant"]
    assert len(await store.answers.list_flags("guild:1", limit=100)) == 10
    await store.close()


async def test_question_context_reads_everything_one_question_needs(open_store: OpenStore) -> None:
    store = await open_store()
    await store.answers.record_exchange(_ex(user="amy", sentiment=-0.5))
    await store.answers.record_exchange(_ex(user="amy", sentiment=0.25))
    await store.facts.add("guild:1", "amy", "You use Linux")
    await store.guilds.set("guild:1", threshold=0.7)
    await store.conversations.save_summary("c1", "guild:1", "amy", "earlier talk", 1)
    ctx = await store.question_context("guild:1", "amy", "c1", history_turns=3, sentiments=2)
    assert [t.role for t in ctx.turns] == ["assistant", "user", "assistant"]
    assert ctx.summary == SummaryRow("earlier talk", 1)
    assert ctx.facts == ["You use Linux"] and ctx.settings.threshold == 0.7
    assert ctx.sentiments == [0.25, -0.5]  # newest first
    alone = await store.question_context("guild:1", "amy", None, history_turns=3)
    assert alone.turns == [] and alone.summary is None and alone.sentiments == []
    assert alone.facts == ["You use Linux"]
    await store.close()


async def test_record_outcome_writes_all_in_one_transaction(open_store: OpenStore) -> None:
    store = await open_store()
    await store.facts.add("guild:1", "amy", "You are on the Free plan")

    def compact(saved: SummaryRow | None, pending: list) -> SummaryRow:
        assert saved is None and [m.role for m in pending] == ["user", "assistant"]
        return SummaryRow("folded", pending[0].id)

    ids = await store.record_outcome(Outcome(
        _ex(user="amy"),
        flags=[FlagDraft("low_confidence", "confidence 0.10"), FlagDraft("frustrated")],
        facts=[FactChange("You are on the Pro plan", replaces="You are on the Free plan"), FactChange("You use Linux")],
        compact=compact,
    ))
    assert ids.compacted and set(ids.flag_ids) == {"low_confidence", "frustrated"}
    flags = {f.kind: f for f in await store.answers.list_flags("guild:1")}
    assert flags["low_confidence"].id == ids.flag_ids["low_confidence"]
    assert flags["low_confidence"].answer_id == ids.answer_id and flags["low_confidence"].user == "amy"
    assert flags["low_confidence"].note == "confidence 0.10" and flags["low_confidence"].channel == "ch"
    assert await store.facts.list("guild:1", "amy") == ["You are on the Pro plan", "You use Linux"]
    summary = await store.conversations.summary("c1")
    assert summary is not None and summary.summary == "folded"
    assert (await store.answers.get(ids.answer_id)) is not None
    await store.close()


async def test_record_outcome_failing_midway_leaves_nothing_written(open_store: OpenStore) -> None:
    store = await open_store()

    def broken(saved: SummaryRow | None, pending: list) -> SummaryRow:
        raise RuntimeError("summariser failed")

    with pytest.raises(RuntimeError, match="summariser failed"):
        await store.record_outcome(Outcome(
            _ex(user="amy"), flags=[FlagDraft("frustrated")], facts=[FactChange("You use Linux")], compact=broken,
        ))
    assert await store.conversations.logs("guild:1") == []
    assert await store.answers.list_flags("guild:1", status=None) == []
    assert await store.facts.list("guild:1", "amy") == []
    assert await store.answers.get(1) is None
    assert (await store.record_outcome(Outcome(_ex(user="amy")))).answer_id > 0  # the store still works
    await store.close()


async def _user_tables(store: Store) -> list[str]:
    tables = [r["name"] for r in await store.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return [t for t in tables if any(c["name"] == "user" for c in await store.db.fetchall(f"PRAGMA table_info({t})"))]


async def test_forget_covers_every_table_with_a_user_column(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    tables = await _user_tables(store)
    assert {"messages", "answers", "feedback", "flags", "user_facts", "quiz_attempts"} <= set(tables)
    missing = set(tables) - store.forgotten_tables
    assert not missing, f"no repository forgets a user in: {sorted(missing)}"
    # and each really is emptied of the user: fill every one, forget, look again
    scope, me = "guild:1", "amy"
    ids = await store.record_outcome(Outcome(_ex(user=me), flags=[FlagDraft("frustrated")],
                                             facts=[FactChange("You use Linux")],
                                             compact=lambda saved, pending: SummaryRow("s", pending[0].id)))
    await store.answers.add_feedback(ids.answer_id, me, 1)
    [item] = await store.tutoring.add_items(scope, None, [QuizItemDraft(kind="short", question="Q", answer="A")])
    await store.tutoring.record_attempt(scope, me, item, "A", 1.0, "correct", 2, "2030-01-01")
    assert await store.coordination.claim("message-1", scope, me, "test-process")
    assert await store.coordination.rate_hit(me, 100) == 0.0
    for t in tables:
        row = await store.db.fetchone(f"SELECT COUNT(*) FROM {t} WHERE user = ?", (me,))
        assert row is not None and row[0] > 0, t
    await store.forget(scope, me)
    for t in tables:
        row = await store.db.fetchone(f"SELECT COUNT(*) FROM {t} WHERE user = ?", (me,))
        assert row is not None and row[0] == 0, t
    await store.close()


async def test_tutoring_rows_are_typed(open_store: OpenStore) -> None:
    store = await open_store()
    ids = await store.tutoring.add_items("course", "amy", [
        QuizItemDraft(kind="mcq", question="Which?", answer="b", topic="lists", choices=["a", "b"], chunk_id=3),
        QuizItemDraft(kind="short", question="Why?", answer="because", topic="loops"),
    ])
    item = await store.tutoring.item("course", ids[0])
    assert item is not None and item.choices == ["a", "b"] and item.kind == "mcq" and item.chunk_id == 3
    assert item.created_by == "amy" and item.topic == "lists"
    assert await store.tutoring.item("other", ids[0]) is None  # scoped
    assert await store.tutoring.review_box("course", "amy", ids[0]) is None
    await store.tutoring.record_attempt("course", "amy", ids[0], "b", 1.0, "correct", 1, "2030-01-01T00:00:00+00:00")
    await store.tutoring.record_attempt("course", "amy", ids[1], "no", 0.0, "wrong", 0, "2020-01-01T00:00:00+00:00")
    assert await store.tutoring.review_box("course", "amy", ids[0]) == 1
    progress = await store.tutoring.progress_by_topic("course", "amy")
    assert [(p.topic, p.attempts, p.correct, p.mean_score) for p in progress] == [
        ("loops", 1, 0, 0.0), ("lists", 1, 1, 1.0),
    ]
    [due] = await store.tutoring.due_reviews("course", "amy", "2025-01-01T00:00:00+00:00")
    assert due.item.id == ids[1] and due.item.choices == [] and due.box == 0
    await store.close()
