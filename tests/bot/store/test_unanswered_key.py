"""open_key: the fingerprint of the open questions moves with every change topics could see."""
from __future__ import annotations

from bot.store import AnswerData, Exchange, Store


async def _ask(store: Store, question: str, confidence: float, refused: bool = False) -> int:
    data = AnswerData(text="…", citations=[], confidence=confidence, refused=refused, backend="extractive",
                      latency_ms=1)
    return await store.answers.record_exchange(Exchange("guild:1", "u", "c", None, question, data))


async def test_the_key_changes_exactly_when_the_open_questions_do(open_store) -> None:
    store = await open_store()
    try:
        key = lambda: store.unanswered.open_key("guild:1", 0.7)  # noqa: E731
        empty = await key()
        assert empty == (0, 0, 0, 0)
        refused = await _ask(store, "a", 0.1, refused=True)
        one = await key()
        assert one != empty and one == await key()  # stable while nothing changes
        fine = await _ask(store, "b", 0.9)
        assert await key() == one  # a sure answer is not an open question
        await store.answers.add_feedback(fine, "v", -1)
        downvoted = await key()
        assert downvoted != one
        await store.answers.add_flag("escalated", "guild:1", answer_id=fine)
        escalated = await key()
        assert escalated != downvoted  # same questions, another reason
        await store.unanswered.close("guild:1", [refused], "dismissed", "mod")
        assert await key() not in (one, downvoted, escalated)
        assert await store.unanswered.open_key("guild:2", 0.7) == empty  # per scope
    finally:
        await store.close()
