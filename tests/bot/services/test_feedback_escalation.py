"""Feedback, reports, resolving and escalation briefs over a real (temporary) store."""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest_asyncio

from bot.services.escalation import ASKED, Case, Escalation, ModChannel, Route, StaffThread, route
from bot.services.feedback import AnswerId, Feedback, FlagId, Origin, Vote
from bot.store import AnswerData, Exchange, Store


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "db.sqlite")
    yield s
    await s.close()


async def record(store: Store, scope: str = "guild:1", conversation: str | None = "chain:9") -> AnswerId:
    data = AnswerData(text="Refunds take five days [1].", confidence=0.8, refused=False, backend="x", latency_ms=1,
                      citations=[{"source": "refunds.md", "title": "Refunds", "text": "five days"}])
    ex = Exchange(scope=scope, user="u1", channel="c1", conversation=conversation,
                  question="How long do refunds take?", answer=data)
    return AnswerId(await store.answers.record_exchange(ex))


ORIGIN = Origin("guild:1", "u2", message_id="m1", channel="c1")


async def test_votes_are_stored_and_a_downvote_raises_a_flag(store: Store) -> None:
    fb = Feedback(store.answers)
    aid = await record(store)
    up = await fb.vote(aid, Vote.UP, ORIGIN)
    assert up.flag_id is None
    down = await fb.vote(aid, Vote.DOWN, Origin("guild:1", "u3"))
    assert await store.answers.feedback_for(aid) == {"up": 1, "down": 1}
    flags = await store.answers.list_flags("guild:1")
    assert [(f.id, f.kind, f.answer_id, f.user) for f in flags] == [(down.flag_id, "downvote", aid, "u3")]


async def test_answers_of_another_scope_are_not_found(store: Store) -> None:
    fb = Feedback(store.answers)
    aid = await record(store, scope="guild:2")
    assert await fb.answer(aid, "guild:1") is None
    row = await fb.answer(aid, "guild:2")
    assert row is not None and row.id == aid
    assert await fb.answer(AnswerId(aid + 100), "guild:2") is None


async def test_report_returns_the_flag_id_and_resolve_closes_it_once(store: Store) -> None:
    fb = Feedback(store.answers)
    aid = await record(store)
    flag = await fb.report(aid, ORIGIN)
    [row] = await store.answers.list_flags("guild:1")
    assert (row.id, row.kind, row.note, row.message_id) == (flag, "reported", "asked for a human", "m1")
    assert not await fb.resolve(flag, "guild:2", "mod")  # not from that server
    assert await fb.resolve(flag, "guild:1", "mod")
    assert not await fb.resolve(flag, "guild:1", "mod")
    assert await store.answers.list_flags("guild:1") == []


class FakeSummary:
    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    async def __call__(self, texts: Sequence[str], *, max_sentences: int = 6) -> str:
        self.seen.append(list(texts))
        return f"summary of {len(texts)} ({max_sentences})"


async def test_brief_summarises_the_conversation_and_picks_the_role(store: Store) -> None:
    summary = FakeSummary()
    esc = Escalation(store.answers, store.conversations, summary, moderator_role="Staff")
    aid = await record(store)
    row = await store.answers.get(aid)
    assert row is not None
    case = Case("guild:1", FlagId(5), ASKED, row, "u1", "Ann", jump="https://x/1")
    brief = await esc.brief(case, guild_mod_role=None)
    assert brief.staff_role == "Staff" and brief.case is case
    [texts] = summary.seen
    assert "How long do refunds take?" in texts
    assert brief.summary == f"summary of {len(texts)} (3)"
    assert [s["source"] for s in brief.sources] == ["refunds.md"]
    assert (await esc.brief(case, guild_mod_role="123")).staff_role == "123"


async def test_frustrated_case_uses_the_flag_the_core_raised(store: Store) -> None:
    esc = Escalation(store.answers, store.conversations, FakeSummary())
    aid = await record(store)
    assert await esc.frustrated(aid, {}, "u1", "Ann", None) is None  # no flag: no case
    flag = await store.answers.add_flag("frustrated", "guild:1", user="u1", answer_id=aid)
    case = await esc.frustrated(aid, {"frustrated": flag}, "u1", "Ann", None)
    assert case is not None and case.flag_id == flag and case.row.id == aid and case.reason == "seems frustrated"
    assert await esc.frustrated(AnswerId(aid + 1), {"frustrated": flag}, "u1", "Ann", None) is None


def test_route_tries_a_thread_then_the_moderators_channel() -> None:
    assert route(True, "77") == Route(thread=True, mod_channel="77")
    assert route(False, "") == Route(thread=False, mod_channel=None)
    assert StaffThread("1") != ModChannel("1")
