from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.services.tutoring import QuizError, Tutor, build_tutor
from bot.store import Store
from retrieval.types import Hit

TEXTS = [
    ("Lists", "A list is an ordered, mutable collection of items."),
    ("Tuples", "A tuple is an ordered, immutable sequence of values."),
    ("Dicts", "A dictionary is a mapping from unique keys to values."),
    ("Sets", "A set is an unordered collection of unique elements."),
]


async def search(scope: str, query: str, k: int) -> list[Hit]:
    """Stand-in retriever for unit tests; the real KnowledgeBase path is in test_assistant."""
    if scope != "course":
        return []
    return [Hit(chunk_id=i + 1, document_id=i + 1, text=t, title=title, source=f"{title}.md", fused=1.0)
            for i, (title, t) in enumerate(TEXTS)][:k]


@pytest.fixture
async def tutor(tmp_path: Path):
    store = await Store.open(tmp_path / "db.sqlite")
    yield build_tutor(store, search, None)
    await store.close()


async def test_quiz_is_stored_and_graded(tutor: Tutor) -> None:
    quiz = await tutor.make_quiz("course", "collections", count=2, kind="mcq", user="amy", seed=1)
    assert len(quiz) == 2
    first = quiz[0]
    g = await tutor.submit("course", "amy", first.id, first.question.answer)
    assert g.correct
    wrong = next(c for c in first.question.choices if c != first.question.answer)
    assert not (await tutor.submit("course", "amy", quiz[1].id, wrong)).correct


async def test_missed_questions_come_back_and_progress(tutor: Tutor) -> None:
    quiz = await tutor.make_quiz("course", "collections", count=2, kind="mcq", user="amy", seed=2)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    await tutor.submit("course", "amy", quiz[0].id, quiz[0].question.answer, now=now)
    miss = next(c for c in quiz[1].question.choices if c != quiz[1].question.answer)
    await tutor.submit("course", "amy", quiz[1].id, miss, now=now)
    soon = await tutor.progress("course", "amy", now=now + timedelta(hours=1))
    assert [d.item.id for d in soon.due] == [quiz[1].id]  # the missed one is due again first
    later = await tutor.progress("course", "amy", now=now + timedelta(days=2))
    assert {d.item.id for d in later.due} == {quiz[0].id, quiz[1].id}
    (topic,) = later.topics
    assert topic.attempts == 2 and topic.correct == 1 and topic.mean_score == 0.5
    assert later.weak == ["collections"]
    assert (await tutor.progress("course", "bob")).topics == []  # per learner


async def test_bad_requests_are_clear(tutor: Tutor) -> None:
    with pytest.raises(QuizError, match="no course material"):
        await tutor.make_quiz("empty", "x")
    with pytest.raises(QuizError, match="between 1 and 20"):
        await tutor.make_quiz("course", "x", count=0)
    with pytest.raises(QuizError, match="no question #999"):
        await tutor.submit("course", "amy", 999, "a")
    quiz = await tutor.make_quiz("course", "x", count=1, seed=1)
    with pytest.raises(QuizError):
        await tutor.submit("other-guild", "amy", quiz[0].id, "a")  # items are scoped


async def test_a_refused_quiz_is_explained_in_the_learners_language(tutor: Tutor) -> None:
    with pytest.raises(QuizError) as empty:
        await tutor.make_quiz("empty", "列表")
    assert empty.value.sorry("zh") == "抱歉——这个知识库里还没有课程材料。"
    assert empty.value.sorry("en") == "Sorry — there is no course material in this knowledge base yet."
    with pytest.raises(QuizError) as missing:
        await tutor.submit("course", "amy", 999, "a")
    assert missing.value.say("zh") == "这里没有第 999 题" and str(missing.value) == "there is no question #999 here"
