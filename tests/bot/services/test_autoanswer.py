"""The auto-answer policy: which messages are questions for the bot, and when it stays quiet."""
from __future__ import annotations

import pytest

from bot.core.types import Answer
from bot.services.autoanswer import Incoming, auto_answers, stays_quiet

AUTO = ["10", "20"]


@pytest.mark.parametrize(("message", "expected"), [
    (Incoming("10"), True),
    (Incoming("30", parent="20"), True),  # a thread under an auto channel
    (Incoming("30"), False),
    (Incoming("30", parent="40"), False),
    (Incoming("10", is_reply=True), False),  # members talking to each other
    (Incoming("10", mentions_people=True), False),
])
def test_which_messages_are_auto_answered(message: Incoming, expected: bool) -> None:
    assert auto_answers(message, AUTO) is expected


def test_no_auto_channels_answers_nothing() -> None:
    assert auto_answers(Incoming("10"), []) is False


def answer(refused: bool, error: str | None = None) -> Answer:
    return Answer("q", "t", [], 0.2, refused, "x", 1, error=error)


@pytest.mark.parametrize(("a", "quiet", "expected"), [
    (answer(refused=True), True, True),
    (answer(refused=True), False, False),  # not an auto-answer: say "I don't know"
    (answer(refused=False), True, False),
    (answer(refused=True, error="backend down"), True, False),  # errors are always shown
])
def test_stays_quiet_only_on_a_quiet_low_confidence_refusal(a: Answer, quiet: bool, expected: bool) -> None:
    assert stays_quiet(a, quiet) is expected
