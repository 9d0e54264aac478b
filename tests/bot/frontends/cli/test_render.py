"""Terminal rendering of an answer: the supporting quote, the "not sure" warning, refusals unchanged."""
from __future__ import annotations

from rich.text import Text

from bot.core.types import Answer, Citation, Quote
from bot.frontends.cli import render

SENTENCE = "Physical items can be returned within 30 days of delivery."


def cite(n: int, **kw: object) -> Citation:
    base: dict[str, object] = dict(n=n, chunk_id=n, document_id=1, title="Returns", source="/docs/returns.md")
    base.update(kw)
    return Citation(**base)  # type: ignore[arg-type]


def answer(**kw: object) -> Answer:
    base: dict[str, object] = dict(question="q", text="Within 30 days [1].", citations=[cite(1), cite(2, title="FAQ")],
                                   confidence=0.81, refused=False, backend="extractive", latency_ms=5, answer_id=7,
                                   quote=Quote(1, SENTENCE))
    base.update(kw)
    return Answer(**base)  # type: ignore[arg-type]


def style_of(out: Text, part: str) -> str:
    """The style of the span that holds `part` (one span per appended piece)."""
    at = out.plain.index(part)
    return " ".join(str(s.style) for s in out.spans if s.start <= at < s.end)


def line_of(out: Text, part: str) -> str:
    return next(line for line in out.plain.splitlines() if part in line)


def test_a_shown_answer_has_its_quote_under_it_dim_and_italic() -> None:
    out = render.answer_text(answer())
    lines = out.plain.splitlines()
    assert lines[0] == "Within 30 days [1]."
    assert lines[1] == f"  “{SENTENCE}” — [1] Returns"
    assert style_of(out, SENTENCE) == "dim italic"
    assert render.TENTATIVE_NOTE not in out.plain
    assert style_of(out, "confidence: 0.81") == "green"
    assert "  [2] FAQ — /docs/returns.md" in out.plain  # the sources block is still there


def test_the_quote_names_the_citation_it_comes_from() -> None:
    out = render.answer_text(answer(quote=Quote(2, "Refunds go to the original card.")))
    assert line_of(out, "Refunds") == "  “Refunds go to the original card.” — [2] FAQ"
    untitled = render.answer_text(answer(citations=[cite(1, title="")]))
    assert line_of(untitled, SENTENCE).endswith("— [1] /docs/returns.md")


def test_a_tentative_answer_warns_in_yellow() -> None:
    out = render.answer_text(answer(tentative=True, confidence=0.58))
    lines = out.plain.splitlines()
    assert lines[1].startswith("  “Physical items")
    assert lines[2] == "Not sure — check the quote and the source before relying on this."
    assert style_of(out, "Not sure") == "yellow"
    assert style_of(out, "confidence: 0.58") == "yellow"


def test_a_long_quote_is_cut_at_a_word_with_an_ellipsis() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    line = line_of(render.answer_text(answer(quote=Quote(1, words))), "word0")
    quoted = line.removeprefix("  “").removesuffix("” — [1] Returns")
    assert len(quoted) <= render.QUOTE_CHARS and quoted.endswith("…")
    assert words.startswith(quoted.removesuffix("…"))
    assert quoted.removesuffix("…").split()[-1] in words.split()  # no word cut in half


def test_a_quote_is_one_line_and_markup_is_shown_as_typed() -> None:
    out = render.answer_text(answer(quote=Quote(1, "Use [bold]x[/bold]\n\nand  *y*.")))
    assert "  “Use [bold]x[/bold] and *y*.” — [1] Returns" in out.plain.splitlines()


def test_refusals_and_input_errors_show_no_quote_and_no_warning() -> None:
    refused = answer(text="I don't know.", citations=[], refused=True, confidence=0.2, tentative=True,
                     closest=[cite(1)])
    out = render.answer_text(refused)
    assert SENTENCE not in out.plain and render.TENTATIVE_NOTE not in out.plain
    assert out.plain.splitlines()[1].startswith("refused: 0.20")
    assert style_of(out, "refused: 0.20") == "yellow"
    bad = answer(text="That question is too long.", citations=[], refused=True, backend="none",
                 error="That question is too long.", answer_id=None, tentative=True)
    assert render.answer_text(bad).plain == "That question is too long."


def test_no_quote_leaves_the_answer_as_before() -> None:
    out = render.answer_text(answer(quote=None))
    assert out.plain.splitlines()[:2] == ["Within 30 days [1].", "confidence: 0.81  (extractive, 5 ms)"]


def test_json_carries_the_quote_and_the_tentative_flag() -> None:
    data = answer(tentative=True).as_dict()
    assert data["quote"] == {"n": 1, "text": SENTENCE} and data["tentative"] is True
    plain = answer(quote=None).as_dict()
    assert plain["quote"] is None and plain["tentative"] is False
