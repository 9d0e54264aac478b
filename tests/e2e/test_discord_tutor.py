"""Tutoring against the fake Discord, on the real sample course (data/course):
/explain, /quiz (buttons and the short-answer modal), /progress and its retry button."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.conftest import World
from tests.e2e.fake_discord import Call

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]
COURSE = Path(__file__).resolve().parents[2] / "data" / "course"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def course(world: World) -> str:
    scope = f"guild:{world.guild_a.id}"
    report = await world.bot.assistant.ingest(scope, [str(p) for p in sorted(COURSE.iterdir())])
    assert report.added >= 9 and not report.errors
    return scope


def buttons(call: Call, prefix: str = "rcq:") -> list[str]:
    return [i for i in call.custom_ids if i.startswith(prefix)]


async def start_quiz(world: World, user: Any, **options: Any) -> tuple[str, Call]:
    s = world.server
    token = await s.slash(world.general_a, user, "quiz", **options)
    first = await s.wait_for_interaction(token, lambda c: bool(c.custom_ids) or "Sorry" in c.content, timeout=60)
    assert s.calls_for(lambda c: c.token == token)[0].payload["type"] == 5  # deferred
    return token, first


async def test_explain_streams_a_cited_explanation(world: World, course: str) -> None:
    s = world.server
    token = await s.slash(world.general_a, world.member(), "explain", topic="tuples", level="beginner")
    final = await s.wait_for_interaction(token, lambda c: bool(c.custom_ids), timeout=60)
    assert s.calls_for(lambda c: c.token == token)[0].payload["type"] == 5
    assert "tuple" in final.content.lower() and "[1]" in final.content
    assert final.embeds[0]["title"] == "Sources" and "Lists and tuples" in final.embeds[0]["description"]


async def test_mcq_quiz_is_answered_with_buttons_and_graded(world: World, course: str) -> None:
    s = world.server
    learner, other = world.member("learner"), world.member()
    _, first = await start_quiz(world, learner, topic="tuples", count=2, kind="mcq")
    ids = buttons(first)
    assert [i.rsplit(":", 1)[1] for i in ids] == ["A", "B", "C", "D"]
    assert "question 1/2" in first.content and "**A.**" in first.content
    store = world.bot.assistant.store
    item = await store.tutoring.item(course, int(ids[0].split(":")[1]))
    assert item is not None and item.kind == "mcq"
    right = "ABCD"[item.choices.index(item.answer)]

    token = await s.click(first.message, f"rcq:{item.id}:{right}", other)  # not their quiz
    assert "someone else" in (await s.wait_for_interaction(token)).content
    token = await s.click(first.message, f"rcq:{item.id}:{right}", learner)
    graded = await s.wait_for_interaction(token, lambda c: c.kind == "followup_edit")
    assert "✅" in graded.content and "Source: Lesson 3" in graded.content and not graded.custom_ids
    second = await s.wait_for_interaction(token, lambda c: c.kind == "followup")
    assert "question 2/2" in second.content
    nxt = await store.tutoring.item(course, int(buttons(second)[0].split(":")[1]))
    assert nxt is not None
    wrong = next(L for L, c in zip("ABCD", nxt.choices) if c != nxt.answer)
    token = await s.click(second.message, f"rcq:{nxt.id}:{wrong}", learner)
    graded = await s.wait_for_interaction(token, lambda c: c.kind == "followup_edit")
    assert "❌" in graded.content and nxt.answer in graded.content
    done = await s.wait_for_interaction(token, lambda c: c.kind == "followup")
    assert "1/2" in done.content


async def test_short_answer_quiz_uses_a_modal_and_is_graded(world: World, course: str) -> None:
    s = world.server
    learner = world.member()
    _, first = await start_quiz(world, learner, topic="strings", count=1, kind="short")
    (write,) = buttons(first)
    assert write.endswith(":write")
    item = await world.bot.assistant.store.tutoring.item(course, int(write.split(":")[1]))
    assert item is not None and item.kind == "short"
    token = await s.click(first.message, write, learner)
    modal = await s.wait_for(lambda c: c.token == token and c.kind == "callback" and c.payload["type"] == 9)
    submitted = await s.submit_modal(modal, learner, [item.answer])
    graded = await s.wait_for_interaction(submitted, lambda c: c.kind == "followup_edit")
    assert "✅" in graded.content and "Source:" in graded.content and "> " in graded.content
    done = await s.wait_for_interaction(submitted, lambda c: c.kind == "followup")
    assert "1/1" in done.content


async def test_progress_shows_topics_and_retries_due_questions(world: World, course: str) -> None:
    s = world.server
    learner = world.member()
    _, first = await start_quiz(world, learner, topic="tuples", count=1, kind="mcq")
    item_id = int(buttons(first)[0].split(":")[1])
    item = await world.bot.assistant.store.tutoring.item(course, item_id)
    assert item is not None
    wrong = next(L for L, c in zip("ABCD", item.choices) if c != item.answer)
    token = await s.click(first.message, f"rcq:{item_id}:{wrong}", learner)
    await s.wait_for_interaction(token, lambda c: c.kind == "followup")

    token = await s.slash(world.general_a, learner, "progress")
    shown = await s.wait_for_interaction(token)
    assert shown.ephemeral and "tuples" in shown.text and "0/1 correct" in shown.text
    assert "Weak topics" in shown.text and "Due again (0)" in shown.text and not shown.custom_ids

    # the missed question comes due (its review time is set in the past, as if ten minutes went by)
    async with world.bot.assistant.store.db.transaction() as tx:
        await tx.execute("UPDATE quiz_reviews SET due_at = '2000-01-01T00:00:00+00:00' WHERE user = ?",
                         (str(learner.id),))
    token = await s.slash(world.general_a, learner, "progress")
    shown = await s.wait_for_interaction(token)
    assert "Due again (1)" in shown.text and len(shown.custom_ids) == 1
    token = await s.click(shown.message, shown.custom_ids[0], learner)
    retry = await s.wait_for_interaction(token)
    assert retry.ephemeral and "Review — question 1/1" in retry.content
    assert buttons(retry) and buttons(retry)[0].startswith(f"rcq:{item_id}:")
