"""Migration 6: the console's hot queries search indexes instead of scanning tables."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store import Store

OPEN_QUESTIONS = (  # the shape of SqliteUnanswered.open_questions' subqueries
    "SELECT a.id, EXISTS (SELECT 1 FROM flags g WHERE g.answer_id = a.id AND g.kind IN ('escalated')) AS asked,"
    " EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.value = -1) AS down"
    " FROM answers a WHERE a.scope = 'guild:1' ORDER BY a.id DESC LIMIT 1000"
)
DASHBOARD = "SELECT substr(created_at, 1, 10), COUNT(*) FROM answers WHERE scope IN ('guild:1') AND created_at >= '2026'"


def plan(path: Path, sql: str) -> list[str]:
    with sqlite3.connect(path) as con:
        return [str(r[3]) for r in con.execute("EXPLAIN QUERY PLAN " + sql)]


async def test_unanswered_and_dashboard_queries_use_indexes(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    await store.close()
    steps = plan(tmp_path / "db.sqlite", OPEN_QUESTIONS)
    assert not any(s.startswith("SCAN") for s in steps), steps  # neither answers nor flags per answer
    assert any("flags_answer" in s for s in steps) and any("answers_scope_id" in s for s in steps), steps
    assert any("answers_scope_time" in s for s in plan(tmp_path / "db.sqlite", DASHBOARD))


async def test_conversations_count_votes_and_filter_on_them(open_store) -> None:  # SQLite and PostgreSQL
    from bot.store import AnswerData, Exchange
    from bot.store.console_queries import ConversationFilter

    store = await open_store()
    try:
        ids = []
        for q in ("liked", "disliked", "mixed", "silent"):
            data = AnswerData(text="a", citations=[], confidence=0.9, refused=False, backend="extractive", latency_ms=1)
            ids.append(await store.answers.record_exchange(Exchange("guild:1", "u", "c", None, q, data)))
        for aid, votes in zip(ids, ((1, 1), (-1,), (1, -1), ())):
            for n, v in enumerate(votes):
                await store.answers.add_feedback(aid, f"voter{n}", v)
        q = store.console_queries

        async def shown(feedback: str | None) -> list[tuple[str, int, int]]:
            rows = await q.conversations(ConversationFilter(scopes=["guild:1"], feedback=feedback))
            return [(r.question, r.up, r.down) for r in rows]

        assert await shown(None) == [("silent", 0, 0), ("mixed", 1, 1), ("disliked", 0, 1), ("liked", 2, 0)]
        assert [r[0] for r in await shown("up")] == ["mixed", "liked"]
        assert [r[0] for r in await shown("down")] == ["mixed", "disliked"]
        assert [r[0] for r in await shown("none")] == ["silent"]
        assert await q.conversations(ConversationFilter(scopes=["guild:2"])) == []
    finally:
        await store.close()


async def test_dashboard_median_sources_and_shares(open_store) -> None:  # SQLite and PostgreSQL
    from bot.store import AnswerData, Exchange
    store = await open_store()
    try:
        rows = [(100, ["Guide", "FAQ"], False), (300, ["Guide"], False), (900, [], True), (200, ["", "FAQ"], False),
                (50, ["Guide"], False)]
        for latency, titles, refused in rows:
            cites = [{"title": t, "source": f"{t or 'nameless'}.md"} for t in titles]
            data = AnswerData(text="a", citations=cites, confidence=0.9, refused=refused, backend="extractive",
                              latency_ms=latency)
            aid = await store.answers.record_exchange(Exchange("guild:1", "u", "c", None, "q", data))
        await store.answers.add_feedback(aid, "v", -1)
        other = AnswerData(text="a", citations=[{"title": "Other"}], confidence=0.9, refused=False,
                           backend="extractive", latency_ms=5000)
        await store.answers.record_exchange(Exchange("guild:2", "u", "c", None, "q", other))
        d = await store.console_queries.dashboard(["guild:1"], "2000-01-01")
        assert (d.answered, d.refused, d.up, d.down) == (4, 1, 0, 1)
        assert d.median_latency_ms == 200  # of 50, 100, 200, 300, 900
        assert d.top_sources == [("Guide", 3), ("FAQ", 2), ("nameless.md", 1)]  # no title: the source
        assert sum(n for _, n in d.per_day) == 5
        assert (await store.console_queries.dashboard([], "2000-01-01")).answered == 0
    finally:
        await store.close()
