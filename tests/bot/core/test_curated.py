"""Curated answers in the core: matching by meaning, keyword and regex; the cache; the Assistant path."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.curated import CuratedMatcher, keyword_hit
from bot.core.types import FinalEvent, Question, TokenEvent
from bot.store import CuratedDraft, DocRef, Store

RESET = CuratedDraft("How do I reset my password?", "Open Settings → Security → Reset password.",
                     paraphrases=["I forgot my password"], citations=[DocRef("Accounts", "accounts.md", 1)])


class CountingEncoder:
    """The real MiniLM, counting the texts it is asked to encode."""

    def __init__(self, model) -> None:  # noqa: ANN001
        self.model = model
        self.texts: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        return np.asarray(self.model.encode(list(texts), normalize_embeddings=True), dtype=np.float32)


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "db.sqlite")
    yield s
    await s.close()


async def test_a_paraphrase_matches_by_meaning_and_an_unrelated_question_does_not(store: Store, minilm) -> None:
    row = await store.curated.add("guild:1", RESET, "mod")
    matcher = CuratedMatcher(store.curated, CountingEncoder(minilm), threshold=0.8)
    found = await matcher.match("guild:1", "I forgot my password, how can I change it?")
    assert found is not None and found.row.id == row.id and found.how == "meaning"
    assert 0.8 <= found.similarity <= 1.0
    assert await matcher.match("guild:1", "Do you ship to Canada?") is None
    assert await matcher.match("guild:1", "How do I delete my account?") is None  # related, not the same


async def test_never_across_scopes(store: Store, minilm) -> None:
    await store.curated.add("guild:1", RESET, "mod")
    matcher = CuratedMatcher(store.curated, CountingEncoder(minilm), threshold=0.8)
    assert await matcher.match("guild:2", RESET.question) is None
    assert await matcher.match("global", RESET.question) is None


async def test_embeddings_are_cached_per_scope_and_reloaded_after_a_change(store: Store, minilm) -> None:
    row = await store.curated.add("guild:1", RESET, "mod")
    enc = CountingEncoder(minilm)
    matcher = CuratedMatcher(store.curated, enc, threshold=0.8)
    for q in ("How can I reset my password?", "forgot my password", "reset my password please"):
        assert await matcher.match("guild:1", q) is not None
    assert enc.texts.count("I forgot my password") == 1  # the phrasings are encoded once, not per question
    await store.curated.set_enabled("guild:1", row.id, False, "mod")  # another writer: the revision changed
    assert await matcher.match("guild:1", "How can I reset my password?") is None
    await store.curated.set_enabled("guild:1", row.id, True, "mod")
    assert await matcher.match("guild:1", "How can I reset my password?") is not None
    assert enc.texts.count("I forgot my password") == 2  # reloaded once after the change back


async def test_keyword_and_regex_rules_match_whole_words(store: Store, minilm) -> None:
    kw = await store.curated.add("guild:1", CuratedDraft("Opening hours?", "9 to 5.", keywords=["opening hours"]),
                                 "mod")
    rx = await store.curated.add("guild:1", CuratedDraft("Error codes", "See the table.", regex=r"\bE\d{3}\b"), "mod")
    matcher = CuratedMatcher(store.curated, CountingEncoder(minilm), threshold=0.99)
    by_kw = await matcher.match("guild:1", "what are your Opening Hours on sunday")
    by_rx = await matcher.match("guild:1", "I get e404 when I log in")
    assert by_kw is not None and by_kw.row.id == kw.id and by_kw.how == "keyword" and by_kw.similarity == 1.0
    assert by_rx is not None and by_rx.row.id == rx.id and by_rx.how == "regex"
    assert keyword_hit("reopening hours", ["opening hours"]) is None
    assert await matcher.match("guild:1", "I get E4040 when I log in") is None


async def test_the_assistant_answers_a_curated_question_before_retrieval(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", generator="extractive")
    assistant = await Assistant.create(settings)
    try:
        row = await assistant.store.curated.add("guild:1", RESET, "mod")
        q = Question("I forgot my password — how do I change it?", user="u1", scope="guild:1", conversation="c1")
        events = [e async for e in assistant.ask(q)]
        final = events[-1]
        assert isinstance(final, FinalEvent) and not any(isinstance(e, TokenEvent) for e in events)
        a = final.answer
        assert a.backend == "curated" and a.curated_id == row.id and a.confidence == 1.0 and not a.refused
        assert a.text == RESET.answer and [c.title for c in a.citations] == ["Accounts"]
        assert a.as_dict()["curated_id"] == row.id and a.as_dict()["backend"] == "curated"
        stored = await assistant.store.answers.get(a.answer_id or 0)
        assert stored is not None and stored.backend == "curated" and stored.text == RESET.answer
        assert [t.content for t in await assistant.store.conversations.recent_turns("c1", 5)] == [q.text, RESET.answer]
        hit = await assistant.store.curated.get("guild:1", row.id)
        assert hit is not None and hit.hits == 1
        # another guild asks the same: no curated answer (and nothing ingested there: refused)
        other = await assistant.answer(Question(q.text, user="u1", scope="guild:2"))
        assert other.backend != "curated" and other.curated_id is None and other.refused
    finally:
        await assistant.aclose()
