"""How the reader completes the sentence it chose (model/completion.py), through the extractive
generator with a similarity that makes one sentence the best match."""
from __future__ import annotations

from model.base import Passage, Prompt
from model.extractive import ExtractiveGenerator


def preferring(*marks: str):
    def similarity(query: str, texts: list[str]) -> list[float]:
        return [0.9 if any(m in t for m in marks) else 0.3 for t in texts]
    return similarity


async def answer(question: str, text: str, *marks: str) -> str:
    gen = await ExtractiveGenerator(similarity=preferring(*marks)).generate(Prompt(question, [Passage(1, "Manual", text)]))
    return gen.text


OPTIONS = (
    "- `--track-origins=<yes|no> [default: no]`: Controls whether the checker tracks the origin of "
    "uninitialised values. By default, it does not, so it cannot tell you where an uninitialised value "
    "came from.\n"
    "- `--leak-check=<no|summary|full>`: Searches for memory leaks when the client program finishes."
)


async def test_a_which_option_question_gets_the_option_whose_description_answers_it() -> None:
    text = await answer("Which flag shows where an uninitialised value came from?", OPTIONS, "By default, it does not")
    assert text.startswith("`--track-origins=<yes|no> [default: no]`: Controls whether")
    assert "cannot tell you where" in text and "--leak-check" not in text


async def test_advice_against_something_is_read_with_what_to_do_instead() -> None:
    text = await answer(
        "Should I size my worker pool with os.cpus().length?",
        "`os.cpus().length` should not be used to calculate the amount of parallelism available to an "
        "application. Use `os.availableParallelism()` for this purpose. The `model` field names the CPU.",
        "should not be used",
    )
    assert "Use `os.availableParallelism()` for this purpose. [1]" in text and "model" not in text


async def test_a_how_question_is_read_with_the_way_that_follows_the_goal() -> None:
    text = await answer(
        "What's the easiest way to go through a big text file one line at a time?",
        "A common use case for readline is to consume an input file one line at a time. The easiest way to "
        "do so is a for await loop over the interface. The interface also emits a close event.",
        "common use case",
    )
    assert "The easiest way to do so is a for await loop over the interface. [1]" in text
    assert "close event" not in text


async def test_a_plain_statement_is_not_padded() -> None:
    text = await answer(
        "Does the checker track origins?",
        "The checker does not track origins unless asked. Origins cost memory. Run the suite nightly.",
        "does not track",
    )
    assert text == "The checker does not track origins unless asked. [1]"
