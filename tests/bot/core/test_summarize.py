import numpy as np
import pytest

from bot.core.summarize import central_sentences, summarize_turns

TEXT = (
    "Our returns window is 30 days from delivery. Items must be unused and in their original box. "
    "Refunds go back to the original payment method. The weather in our warehouse city is often rainy. "
    "Digital items cannot be returned unless they are defective. Refunds usually take 5 to 10 business days."
)


@pytest.fixture
def encode(minilm):
    return lambda texts: minilm.encode(texts, normalize_embeddings=True)


def test_central_sentences_keep_order_and_skip_off_topic(encode) -> None:
    picked = central_sentences(TEXT, encode, max_sentences=3)
    assert len(picked) == 3
    assert not any("weather" in s for s in picked)
    positions = [TEXT.index(s) for s in picked]
    assert positions == sorted(positions)


def test_budget_respected(encode) -> None:
    picked = central_sentences(TEXT, encode, max_sentences=6, max_chars=120)
    assert sum(map(len, picked)) <= 120 or len(picked) == 1


def test_summarize_turns_mentions_questions_and_answers(encode) -> None:
    turns = [("user", "Can I return a game I downloaded?"),
             ("assistant", "Digital items cannot be returned unless defective [1]. More text here."),
             ("user", "How long does a refund take?"),
             ("assistant", "Refunds take 5 to 10 business days [2].")]
    note = summarize_turns(turns, encode)
    assert note.startswith("The user asked:") and "refund" in note.lower() and "Digital items" in note
    assert "More text here" not in note
    assert len(note) <= 600


def test_degenerate_inputs() -> None:
    never = lambda texts: np.zeros((len(texts), 3))  # noqa: E731 - encode must not be needed
    assert central_sentences("", never) == []
    assert central_sentences("Only one sentence here.", never) == ["Only one sentence here."]
