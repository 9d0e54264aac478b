from bot.core.grounding import abstains, assess, cited_numbers
from model.textutil import split_sentences, strip_citations

PASSAGES = [
    "Standard shipping takes 3 to 5 business days within the EU.",
    "Refunds are issued to the original payment method within 10 days.",
]


def test_cited_numbers_in_order_and_bounded() -> None:
    assert cited_numbers("A [2]. B [1][2]. C [9].", 2) == [2, 1]


def test_strip_citations_and_sentences() -> None:
    assert strip_citations("Ships in 3 days [1].") == "Ships in 3 days."
    assert split_sentences("One thing. Two things! Three?") == ["One thing.", "Two things!", "Three?"]


def test_supported_answer_scores_higher_than_invented_one() -> None:
    good = assess("Refunds go back to the original payment method within 10 days [2].", PASSAGES, None)
    bad = assess("We ship by pigeon to Mars every full moon.", PASSAGES, None)
    assert good.score > 0.7 > bad.score
    assert good.cited == (2,)
    assert bad.score < 0.5


def test_uncited_answer_gets_its_best_passage() -> None:
    s = assess("Shipping within the EU takes 3 to 5 business days.", PASSAGES, None)
    assert s.cited == (1,)


def test_abstention_detected() -> None:
    assert abstains("I don't know based on these passages.")
    assert abstains("The passages do not mention the price.")
    assert not abstains("Refunds take 10 days [2].")
