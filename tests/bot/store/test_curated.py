"""Curated answers in real SQLite and PostgreSQL: CRUD, scoping, history, hits, revisions; unanswered questions."""
from __future__ import annotations

import pytest

from bot.store import AnswerData, CuratedDraft, CuratedError, DocRef, Exchange, Outcome, Store


def _draft(**kw: object) -> CuratedDraft:
    base: dict[str, object] = dict(question="How do I reset my password?", answer="Settings → Security → Reset.",
                                   paraphrases=["forgot my password", "  forgot   my password ", ""],
                                   citations=[DocRef("Accounts", "accounts.md", 3)], keywords=["Reset Link"])
    base.update(kw)
    return CuratedDraft(**base)  # type: ignore[arg-type]


@pytest.fixture
async def store(open_store):  # SQLite and PostgreSQL (tests/bot/store/conftest.py)
    s = await open_store()
    yield s
    await s.close()


async def test_add_get_list_roundtrip_and_cleaning(store: Store) -> None:
    row = await store.curated.add("guild:1", _draft(), "mod1")
    assert row.id > 0 and row.scope == "guild:1" and row.author == "mod1" and row.enabled
    assert row.paraphrases == ["forgot my password"]  # blanks and repeats dropped
    assert row.keywords == ["reset link"] and row.citations == [DocRef("Accounts", "accounts.md", 3)]
    assert row.hits == 0 and row.last_hit_at is None and row.created_at == row.updated_at
    assert row.phrasings == ["How do I reset my password?", "forgot my password"]
    assert await store.curated.get("guild:1", row.id) == row
    assert [r.id for r in await store.curated.list("guild:1")] == [row.id]


async def test_a_guild_never_reads_or_changes_another_guilds_answers(store: Store) -> None:
    mine = await store.curated.add("guild:1", _draft(), "mod1")
    await store.curated.add("guild:2", _draft(answer="other"), "mod2")
    assert await store.curated.get("guild:2", mine.id) is None
    assert [r.answer for r in await store.curated.list("guild:2")] == ["other"]
    assert await store.curated.update("guild:2", mine.id, _draft(answer="hijack"), "mod2") is None
    assert await store.curated.set_enabled("guild:2", mine.id, False, "mod2") is None
    assert not await store.curated.delete("guild:2", mine.id, "mod2")
    await store.curated.record_hit("guild:2", mine.id)
    again = await store.curated.get("guild:1", mine.id)
    assert again is not None and again.answer == mine.answer and again.enabled and again.hits == 0
    assert await store.curated.history("guild:2", mine.id) == []


async def test_every_change_keeps_the_previous_version(store: Store) -> None:
    row = await store.curated.add("guild:1", _draft(), "mod1")
    edited = await store.curated.update("guild:1", row.id, _draft(answer="New text."), "mod2")
    assert edited is not None and edited.answer == "New text." and edited.author == "mod1"
    off = await store.curated.set_enabled("guild:1", row.id, False, "mod3")
    assert off is not None and not off.enabled
    assert await store.curated.list("guild:1", enabled_only=True) == []
    assert await store.curated.delete("guild:1", row.id, "mod4")
    assert await store.curated.get("guild:1", row.id) is None
    history = await store.curated.history("guild:1", row.id)
    assert [(h.action, h.changed_by) for h in history] == [("delete", "mod4"), ("disable", "mod3"), ("edit", "mod2")]
    assert history[-1].previous.answer == "Settings → Security → Reset."  # before the edit
    assert history[0].previous.answer == "New text." and not history[0].previous.enabled
    assert history[0].previous.citations == [DocRef("Accounts", "accounts.md", 3)]


async def test_hits_count_and_revisions_change_only_with_content(store: Store) -> None:
    assert await store.curated.revision("guild:1") == 0
    row = await store.curated.add("guild:1", _draft(), "mod1")
    after_add = await store.curated.revision("guild:1")
    await store.curated.record_hit("guild:1", row.id)
    await store.curated.record_hit("guild:1", row.id)
    hit = await store.curated.get("guild:1", row.id)
    assert hit is not None and hit.hits == 2 and hit.last_hit_at is not None
    assert await store.curated.revision("guild:1") == after_add  # hits keep cached embeddings valid
    await store.curated.update("guild:1", row.id, _draft(question="Reset password?"), "mod1")
    assert await store.curated.revision("guild:1") > after_add
    assert await store.curated.revision("guild:2") == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("question", "   ", "needs a question"), ("answer", "", "needs an answer"), ("regex", "(unclosed", "not valid"),
])
async def test_unusable_drafts_are_refused_in_one_line(store: Store, field: str, value: str, message: str) -> None:
    with pytest.raises(CuratedError, match=message) as info:
        await store.curated.add("guild:1", _draft(**{field: value}), "mod1")
    assert "\n" not in str(info.value)
    assert await store.curated.list("guild:1") == []


def _exchange(question: str, scope: str = "guild:1", *, refused: bool = False, confidence: float = 0.9,
              backend: str = "extractive") -> Exchange:
    closest = [{"n": 1, "title": "Shipping", "source": "shipping.md", "document_id": 7, "chunk_id": 1}]
    return Exchange(scope=scope, user="u1", channel="c", conversation=None, question=question,
                    answer=AnswerData(text="…", citations=[] if refused else closest, confidence=confidence,
                                      refused=refused, backend=backend, latency_ms=1,
                                      closest=closest if refused else []))


async def test_unanswered_questions_are_refused_tentative_downvoted_or_escalated(store: Store) -> None:
    refused = (await store.record_outcome(Outcome(_exchange("Q refused", refused=True, confidence=0.2)))).answer_id
    tentative = (await store.record_outcome(Outcome(_exchange("Q tentative", confidence=0.5)))).answer_id
    good = (await store.record_outcome(Outcome(_exchange("Q good")))).answer_id
    down = (await store.record_outcome(Outcome(_exchange("Q down")))).answer_id
    asked = (await store.record_outcome(Outcome(_exchange("Q asked")))).answer_id
    await store.record_outcome(Outcome(_exchange("Q curated", backend="curated", confidence=0.1)))
    await store.record_outcome(Outcome(_exchange("Q elsewhere", scope="guild:2", refused=True)))
    await store.answers.add_feedback(down, "u2", -1)
    await store.answers.add_feedback(good, "u2", 1)
    flag = await store.answers.add_flag("reported", "guild:1", user="u1", answer_id=asked)
    rows = await store.unanswered.open_questions("guild:1", sure=0.7)
    assert [(r.answer_id, r.reasons) for r in rows] == [
        (refused, ("refused",)), (tentative, ("tentative",)), (down, ("downvoted",)), (asked, ("escalated",)),
    ]
    assert rows[0].closest == [DocRef("Shipping", "shipping.md", 7)]
    assert await store.unanswered.answer_for_flag("guild:1", flag) == asked
    assert await store.unanswered.answer_for_flag("guild:2", flag) is None
    # closing: another scope cannot, this one can; closed questions stop showing
    assert await store.unanswered.close("guild:2", [refused], "dismissed", "mod") == 0
    assert await store.unanswered.close("guild:1", [refused, tentative], "dismissed", "mod") == 2
    assert [r.answer_id for r in await store.unanswered.open_questions("guild:1", sure=0.7)] == [down, asked]
    resolved = await store.resolve_unanswered("guild:1", [down], CuratedDraft("Q down", "A."), "mod")
    assert resolved.scope == "guild:1" and resolved.author == "mod"
    assert [r.answer_id for r in await store.unanswered.open_questions("guild:1", sure=0.7)] == [asked]
