"""The curated-answers service over real SQLite: edits keep history, "Save as answer" from an escalation."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.curated import CuratedError, Curation
from bot.store import AnswerData, DocRef, Exchange, Outcome, Store


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "db.sqlite")
    yield s
    await s.close()


async def test_add_edit_disable_remove(store: Store) -> None:
    curation = Curation(store)
    row = await curation.add("guild:1", "Refund policy?", "30 days.", "mod", paraphrases=["Can I get a refund?"],
                             keywords=["refund"], regex=r"money\s+back")
    edited = await curation.edit("guild:1", row.id, "mod2", answer="45 days.", regex="")
    assert edited is not None and edited.answer == "45 days." and edited.regex is None
    assert edited.paraphrases == ["Can I get a refund?"] and edited.keywords == ["refund"]  # kept
    assert await curation.edit("guild:2", row.id, "mod2", answer="x") is None
    off = await curation.set_enabled("guild:1", row.id, False, "mod")
    assert off is not None and not off.enabled and await curation.list("guild:1", enabled_only=True) == []
    assert await curation.remove("guild:1", row.id, "mod")
    assert [h.action for h in await curation.history("guild:1", row.id)] == ["delete", "disable", "edit"]
    with pytest.raises(CuratedError):
        await curation.add("guild:1", "Q?", "   ", "mod")


async def test_save_as_answer_uses_the_escalated_question_and_closes_it(store: Store) -> None:
    cited = [{"n": 1, "title": "Returns", "source": "returns.md", "document_id": 4, "chunk_id": 2}]
    ex = Exchange(scope="guild:1", user="u1", channel="c", conversation=None, question="Can I return a gift?",
                  answer=AnswerData(text="Maybe.", citations=cited, confidence=0.5, refused=False,
                                    backend="extractive", latency_ms=1))
    answer_id = (await store.record_outcome(Outcome(ex))).answer_id
    flag = await store.answers.add_flag("reported", "guild:1", user="u1", answer_id=answer_id)
    curation = Curation(store)
    assert await curation.from_escalation("guild:2", flag, "Yes, within 30 days.", "staff") is None
    row = await curation.from_escalation("guild:1", flag, "Yes, within 30 days.", "staff")
    assert row is not None and row.question == "Can I return a gift?" and row.answer == "Yes, within 30 days."
    assert row.citations == [DocRef("Returns", "returns.md", 4)] and row.author == "staff"
    assert await store.unanswered.open_questions("guild:1", sure=0.7) == []
