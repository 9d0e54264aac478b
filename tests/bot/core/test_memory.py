from pathlib import Path

import pytest

from bot.core.memory import Memory
from bot.store import Store
from bot.core.types import Question


@pytest.fixture
async def memory(tmp_path: Path, minilm):
    store = await Store.open(tmp_path / "db.sqlite")
    yield Memory(store, lambda texts: minilm.encode(texts, normalize_embeddings=True), history_turns=2), store
    await store.close()


async def test_facts_are_learned_replaced_and_scoped(memory) -> None:
    mem, store = memory
    await mem.learn(Question("I'm on the Free plan and I use Linux.", user="amy", scope="guild:1"))
    await mem.learn(Question("I upgraded, I'm on the Pro plan now.", user="amy", scope="guild:1"))
    ctx = await mem.context(Question("hi", user="amy", scope="guild:1"))
    assert ctx.facts == ["You use Linux", "You are on the Pro plan"]
    assert (await mem.context(Question("hi", user="amy", scope="guild:2"))).facts == []
    assert (await mem.context(Question("hi", user="bob", scope="guild:1"))).facts == []


async def test_long_conversations_are_summarised(memory) -> None:
    mem, store = memory
    q = Question("x", user="amy", scope="s", conversation="c")
    topics = ["returns of shoes", "refund timing", "express shipping price", "warranty on laptops", "password reset"]
    for t in topics:
        await store.record_exchange(
            scope="s", user="amy", channel=None, conversation="c", question=f"Tell me about {t}?",
            answer={"text": f"Here is the policy on {t}. Second sentence.", "citations": [], "confidence": 0.9,
                    "refused": False, "backend": "extractive", "latency_ms": 1},
        )
    assert await mem.compact(q)
    ctx = await mem.context(q)
    assert ctx.summary and "The user asked" in ctx.summary and "shoes" in ctx.summary
    assert [t.content for t in ctx.history][-1] == "Here is the policy on password reset. Second sentence."
    assert len(ctx.history) == 2
    assert not await mem.compact(q)  # nothing new to fold
