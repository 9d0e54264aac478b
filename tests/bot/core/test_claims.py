"""Claim-level verification: facts, polarity and direction words must come from the cited passage."""
import pytest

from bot.core.claims import adds_nothing, contradicts, unsupported_facts
from bot.core.grounding import abstains, assess

PASSAGE = (
    "gc.pruneExpire: Loose objects older than 2 weeks are pruned. The default threshold is 6700 "
    "loose objects. Use `--aggressive` to optimise harder. A function without a return statement "
    "returns the special value None."
)


@pytest.mark.parametrize("answer, missing", [
    ("Loose objects older than 2 weeks are pruned [1].", []),
    ("Loose objects older than 3 weeks are pruned [1].", ["3 weeks"]),
    ("The threshold is 6700 objects [1].", []),
    ("The threshold is 670 objects [1].", ["670"]),  # a number must be whole, not a substring
    ("Set gc.pruneExpire [1].", []),
    ("Set gc.reflogExpire [1].", ["gc.reflogExpire"]),
    ("Use --aggressive [1].", []),
    ("Use --force [1].", ["--force"]),
])
def test_every_fact_must_be_in_the_cited_passage(answer: str, missing: list[str]) -> None:
    assert unsupported_facts(answer, "What happens to loose objects?", [PASSAGE]) == missing


def test_facts_copied_from_the_question_are_exempt() -> None:
    assert unsupported_facts("Yes, --force does that [1].", "Does --force remove files?", [PASSAGE]) == []


def test_markdown_escapes_in_passages_do_not_hide_a_fact() -> None:
    assert unsupported_facts("Use --expire=<time> [1].", "q", ["- --expire=\\<time> - Prune entries."]) == []


def test_inverted_claims_are_caught() -> None:
    source = "Entries are pruned after the grace period."
    assert contradicts("Entries are pruned before the grace period.", source) is not None
    assert contradicts("Entries are not pruned after the grace period.", source) is not None
    assert contradicts("Entries are pruned after the grace period.", source) is None


def test_an_answer_made_of_the_question_says_nothing() -> None:
    question = "What is the maintainer of Git called?"
    assert adds_nothing("The maintainer of Git [1].", question)
    assert not adds_nothing("Junio Hamano maintains Git [1].", question)


def test_assess_flags_a_string_where_the_passage_says_none() -> None:
    question = "What does a Python function return if it has no return statement?"
    good = assess("It returns the special value None [1].", [PASSAGE], None, question)
    bad = assess("A Python function returns a string that is the return value [1].", [PASSAGE], None, question)
    assert good.verified and good.quote is not None and "None" in good.quote[1]
    assert "not in the source: string" not in bad.problems or not bad.verified
    invented = assess("It returns the value Nothing, as in Visual Basic [1].", [PASSAGE], None, question)
    assert not invented.verified
    assert any("Visual Basic" in p for p in invented.problems)


def test_quote_is_the_source_sentence_of_the_first_claim() -> None:
    s = assess("Objects older than 2 weeks are pruned [1].", [PASSAGE], None, "How old?")
    assert s.quote == (1, "gc.pruneExpire: Loose objects older than 2 weeks are pruned.")


def test_documentation_wording_is_not_an_abstention() -> None:
    assert not abstains("If this option is not specified, the expiration time defaults to 90 days.")
    assert abstains("This is not mentioned in the passages.")


def test_an_answer_whose_new_words_are_not_in_the_source_is_not_verified() -> None:
    question = "Do you offer gift wrapping for orders?"
    passage = "Free shipping applies above 50 euros. The threshold does not count gift cards."
    invented = assess("We do not offer gift wrapping; we only offer a limited range of services [1].",
                      [passage], None, question)
    assert not invented.verified
    assert any("source does not" in p for p in invented.problems)
