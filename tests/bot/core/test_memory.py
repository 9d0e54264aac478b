from pathlib import Path

import pytest

from bot.core.memory import Memory
from bot.core.types import Question
from bot.store import AnswerData, Exchange, Outcome, Store


@pytest.fixture
async def memory(tmp_path: Path, minilm):
    store = await Store.open(tmp_path / "db.sqlite")
    yield Memory(lambda texts: minilm.encode(texts, normalize_embeddings=True), history_turns=2), store
    await store.close()


async def _learn(mem: Memory, store: Store, q: Question) -> list[str]:
    """What `Assistant.ask` does: read the context, learn, record the outcome."""
    read = await store.question_context(q.scope, q.user, q.conversation, mem.history_turns)
    learned = mem.learn(q, read.facts)
    ex = Exchange(q.scope, q.user, None, q.conversation, q.text,
                  AnswerData("ok", [], 0.9, False, "extractive", 1))
    await store.record_outcome(Outcome(ex, facts=learned.changes))
    return learned.facts


async def _context(mem: Memory, store: Store, q: Question):
    return mem.context(q, await store.question_context(q.scope, q.user, q.conversation, mem.history_turns))


async def test_facts_are_learned_replaced_and_scoped(memory) -> None:
    mem, store = memory
    await _learn(mem, store, Question("I'm on the Free plan and I use Linux.", user="amy", scope="guild:1"))
    seen = await _learn(mem, store, Question("I upgraded, I'm on the Pro plan now.", user="amy", scope="guild:1"))
    ctx = await _context(mem, store, Question("hi", user="amy", scope="guild:1"))
    assert ctx.facts == ["You use Linux", "You are on the Pro plan"]
    assert seen == ctx.facts  # what the question is answered with is what was stored
    assert (await _context(mem, store, Question("hi", user="amy", scope="guild:2"))).facts == []
    assert (await _context(mem, store, Question("hi", user="bob", scope="guild:1"))).facts == []


async def test_long_conversations_are_summarised(memory) -> None:
    mem, store = memory
    q = Question("x", user="amy", scope="s", conversation="c")
    topics = ["returns of shoes", "refund timing", "express shipping price", "warranty on laptops"]
    for t in topics:
        await store.answers.record_exchange(Exchange(
            scope="s", user="amy", channel=None, conversation="c", question=f"Tell me about {t}?",
            answer=AnswerData(f"Here is the policy on {t}. Second sentence.", [], 0.9, False, "extractive", 1),
        ))
    last = Exchange(
        scope="s", user="amy", channel=None, conversation="c", question="Tell me about password reset?",
        answer=AnswerData("Here is the policy on password reset. Second sentence.", [], 0.9, False, "extractive", 1),
    )
    assert (await store.record_outcome(Outcome(last, compact=mem.compaction))).compacted
    ctx = await _context(mem, store, q)
    assert ctx.summary and "The user asked" in ctx.summary and "shoes" in ctx.summary
    assert [t.content for t in ctx.history][-1] == "Here is the policy on password reset. Second sentence."
    assert len(ctx.history) == 2
    saved = await store.conversations.summary("c")
    assert saved is not None
    pending = await store.conversations.messages("c", after_id=saved.upto_message_id)
    assert mem.compaction(saved, pending) is None  # nothing new to fold
