import pytest

from bot.core.facts import extract_facts, same_subject
from bot.core.sentiment import FrustrationPolicy, SentimentScorer, is_frustrated


@pytest.mark.parametrize(
    ("message", "facts"),
    [
        ("I'm on the Pro plan and I use Linux.", ["You are on the Pro plan", "You use Linux"]),
        ("I use Windows 11, how do I install it?", ["You use Windows 11"]),
        ("My order number is NW-12345.", ["Your order number is NW-12345"]),
        ("I live in Germany.", ["You live in Germany"]),
        ("Thanks. I am a student at MIT.", ["You are a student"]),
        ("How do I reset my password?", []),
        ("am I on the pro plan?", []),
        ("I have a problem with my order", []),
    ],
)
def test_extract_facts(message: str, facts: list[str]) -> None:
    assert extract_facts(message) == facts


def test_newer_fact_replaces_older_on_same_subject() -> None:
    assert same_subject("You are on the Free plan", "You are on the Pro plan")
    assert same_subject("Your email is a@b.c", "Your email is d@e.f")
    assert not same_subject("You use Linux", "You use Windows")
    assert not same_subject("Your email is a@b.c", "Your order number is 5")


def test_sentiment_and_frustration_run() -> None:
    scorer = SentimentScorer()
    angry = scorer.score("This is useless, I asked three times and it still does not work!!")
    calm = scorer.score("How do I change my email address?")
    assert angry < -0.3 < calm
    policy = FrustrationPolicy(negative_below=-0.3, run_length=2)
    assert is_frustrated([-0.6, -0.5, 0.2], policy)
    assert not is_frustrated([-0.6, 0.1, -0.5], policy)  # the run was broken
    assert not is_frustrated([-0.6], policy)  # not enough messages yet
    assert not is_frustrated([None, -0.9], policy)


def test_sentiment_not_supported_for_chinese_never_flags() -> None:
    from bot.core.sentiment import FrustrationPolicy, SentimentScorer, is_frustrated

    scorer = SentimentScorer()
    angry_zh = ["这太糟糕了，完全没用！bad bad 😡", "我非常生气，你们的服务太差了 terrible"]
    scores = [scorer.score(t) for t in angry_zh]
    assert scores == [None, None]
    assert not is_frustrated(scores, FrustrationPolicy())
    assert scorer.score("This is terrible, nothing works and I hate it") < -0.3  # English unchanged
