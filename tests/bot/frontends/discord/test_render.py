"""Unit tests for bot/discord/render.py and the fairness helpers (no network, no client)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import discord
import pytest

from bot.core.types import Answer, Citation, Quote
from bot.frontends.discord import render
from bot.frontends.discord.moderation import parse_when
from bot.services.queue import FairQueue, QueueFull, RateLimiter

ZW = render.ZWSP


def cite(n: int, **kw: object) -> Citation:
    base: dict[str, object] = dict(n=n, chunk_id=n, document_id=1, title="Handbook", source="/data/handbook.pdf")
    base.update(kw)
    return Citation(**base)  # type: ignore[arg-type]


def answer(**kw: object) -> Answer:
    base: dict[str, object] = dict(question="q", text="Refunds take 30 days [1].", citations=[cite(1, page=3)],
                                   confidence=0.81, refused=False, backend="extractive", latency_ms=5, answer_id=7)
    base.update(kw)
    return Answer(**base)  # type: ignore[arg-type]


# --- mentions --------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, inert", [
    ("@everyone look", f"@{ZW}everyone look"),
    ("hi @here!", f"hi @{ZW}here!"),
    ("@EveryOne", f"@{ZW}EveryOne"),
    ("<@123> and <@!456>", f"<@{ZW}123> and <@{ZW}!456>"),
    ("<@&789>", f"<@{ZW}&789>"),
    ("mail me at a@b.com, see <#123>", f"mail me at a@b.com, see <#{ZW}123>"),
])
def test_neutralize(raw: str, inert: str) -> None:
    assert render.neutralize(raw) == inert
    assert render.neutralize(render.neutralize(raw)) == inert  # idempotent


def test_answer_text_and_sources_are_neutralized() -> None:
    a = answer(text="Ping @everyone and <@&1> [1].", citations=[cite(1, title="@here notes")])
    assert "@everyone" not in render.answer_text(a)
    embed = render.answer_embed(a)
    assert embed is not None and "@here" not in (embed.description or "")


# --- splitting -------------------------------------------------------------------------------------
def test_short_text_is_one_piece() -> None:
    assert render.split_message("  hello  ") == ["hello"]
    assert render.split_message("") == []


def test_split_prefers_paragraphs_then_sentences() -> None:
    para = "word " * 300  # 1500 chars
    text = para.strip() + "\n\n" + para.strip()
    pieces = render.split_message(text)
    assert len(pieces) == 2 and all(len(p) <= 2000 for p in pieces)
    assert pieces[0] == para.strip()

    sentences = " ".join(f"Sentence number {i} ends here." for i in range(120))
    pieces = render.split_message(sentences)
    assert all(len(p) <= 2000 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == sentences


def test_split_hard_cuts_a_giant_word_and_keeps_every_character() -> None:
    blob = "x" * 5000
    pieces = render.split_message(blob)
    assert all(len(p) <= 2000 for p in pieces)
    assert "".join(pieces) == blob


def test_split_reopens_code_fences() -> None:
    code = "```python\n" + "\n".join(f"print({i})  # a line of code" for i in range(150)) + "\n```"
    pieces = render.split_message("Here:\n" + code)
    assert len(pieces) >= 2 and all(len(p) <= 2000 for p in pieces)
    for p in pieces:
        assert p.count("```") % 2 == 0
    assert pieces[1].startswith("```python\n")


@pytest.mark.parametrize("size", [1999, 2000, 2001, 4000, 10_000])
def test_split_bounds(size: int) -> None:
    text = ("abc def. " * (size // 9 + 1))[:size]
    assert all(len(p) <= 2000 for p in render.split_message(text))


def test_streaming_preview_fits_and_shows_a_cursor() -> None:
    p = render.streaming_preview("a " * 3000)
    assert len(p) <= 2000 and p.endswith(render.STREAM_CURSOR)
    assert render.streaming_preview("hi @everyone").startswith(f"hi @{ZW}everyone")


# --- citations -------------------------------------------------------------------------------------
def test_source_line_with_page_section_and_link() -> None:
    assert render.source_line(cite(1, page=3)) == "**[1]** Handbook — p. 3"
    assert render.source_line(cite(2, heading="Refunds")) == "**[2]** Handbook — § Refunds"
    web = render.source_line(cite(3, title="", source="https://example.com/faq"))
    assert web == "**[3]** example.com · [link](<https://example.com/faq>)"
    assert render.source_line(cite(4, title="", source="/x/notes.md")) == "**[4]** notes.md"
    # stored citations are dicts (Citation.as_dict)
    assert render.source_line({"n": 5, "title": "T", "source": "s", "page": 2}) == "**[5]** T — p. 2"
    assert render.source_line(cite(6, title="a*b_c")) == r"**[6]** a\*b\_c"


def test_answer_embed_lists_sources_and_confidence() -> None:
    embed = render.answer_embed(answer())
    assert embed is not None
    assert embed.title == "Sources"
    assert "**[1]** Handbook — p. 3" in (embed.description or "")
    assert embed.footer.text == "High confidence (0.81) · answer #7"


def test_the_quote_comes_first_as_a_block_quote_then_the_sources() -> None:
    embed = render.answer_embed(answer(quote=Quote(1, "Refunds are paid within 30 days.")))
    assert embed is not None and embed.colour == discord.Colour.blurple()
    quote, sources = (embed.description or "").split("\n\n")
    assert quote == "> “Refunds are paid within 30 days.” — **[1]**"
    assert sources == "**[1]** Handbook — p. 3"
    assert embed.footer.text == "High confidence (0.81) · answer #7"
    assert render.answer_text(answer(quote=Quote(1, "Refunds are paid within 30 days."))) == "Refunds take 30 days [1]."


def test_a_quote_cannot_ping_or_format() -> None:
    raw = "Ask @everyone or <@123> or <@&9> about *bold* _it_ `code` ~~x~~ ||spoiler|| [a](http://x) > no"
    embed = render.answer_embed(answer(quote=Quote(1, raw)))
    assert embed is not None
    quote = (embed.description or "").split("\n\n")[0]
    assert "@everyone" not in quote and f"@{ZW}everyone" in quote
    assert "<@123>" not in quote and f"<@{ZW}123" in quote and f"<@{ZW}&9" in quote
    for md in (r"\*bold\*", r"\_it\_", r"\`code\`", r"\~\~x\~\~", r"\|\|spoiler\|\|", r"\[a\](http://x)", r"\> no"):
        assert md in quote
    assert quote.startswith("> “") and "\n" not in quote


def test_a_long_quote_is_trimmed_and_the_embed_stays_in_bounds() -> None:
    words = " ".join(f"w{i}" for i in range(400))
    many = [cite(i, title="T" * 200, page=i) for i in range(1, 40)]
    embed = render.answer_embed(answer(quote=Quote(1, words + " \n\n" + "*" * 3000), citations=many))
    assert embed is not None
    desc = embed.description or ""
    assert len(desc) <= render.EMBED_LIMIT and len(embed) <= 6000
    quote = desc.split("\n\n")[0]
    shown = quote.removeprefix("> “").removesuffix("” — **[1]**")
    assert shown.endswith("…") and len(shown) <= render.QUOTE_CHARS
    assert words.startswith(shown.removesuffix("…")) and shown.removesuffix("…").split()[-1] in words.split()
    assert "**[1]** " + "T" * 200 in desc and "more" in desc.splitlines()[-1]


def test_a_quote_of_only_mentions_and_markdown_stays_in_bounds() -> None:
    embed = render.answer_embed(answer(quote=Quote(1, "<@1234567890> *_`|" * 400)))
    assert embed is not None and len(embed.description or "") <= render.EMBED_LIMIT
    assert "<@1234567890>" not in (embed.description or "")


@pytest.mark.parametrize("quote, check", [(Quote(1, "Refunds are paid within 30 days."), "the quote"),
                                          (None, "the sources")])
def test_a_tentative_answer_says_so_in_subtext_footer_and_colour(quote: Quote | None, check: str) -> None:
    a = answer(tentative=True, confidence=0.58, quote=quote, text="Ping @here: 30 days [1].")
    assert render.answer_text(a) == f"-# Not sure — check {check} below.\nPing @{ZW}here: 30 days [1]."
    assert render.answer_pieces(a)[0].startswith("-# Not sure")
    embed = render.answer_embed(a)
    assert embed is not None and embed.colour == discord.Colour.orange()
    assert embed.footer.text == "Tentative · confidence 0.58 · answer #7"
    assert (embed.description or "").startswith("> “") == (quote is not None)


def test_a_refusal_shows_no_quote_and_no_tentative_warning() -> None:
    a = answer(text="I don't know.", citations=[], refused=True, confidence=0.2, closest=[cite(1, page=1)],
               quote=Quote(1, "Refunds are paid within 30 days."), tentative=True)
    assert render.answer_text(a) == "I don't know."
    embed = render.answer_embed(a)
    assert embed is not None and embed.colour == discord.Colour.gold()
    assert "Refunds are paid" not in (embed.description or "")
    assert embed.footer.text == "Uncertain confidence (0.20) · answer #7"


def test_refusal_shows_closest_sources_and_the_offer_of_a_human() -> None:
    a = answer(text="I don't know — the documents I have do not answer that.", citations=[], refused=True,
               confidence=0.2, closest=[cite(1, page=1), cite(2, source="https://x.org/a", title="A")])
    assert render.answer_text(a).startswith("I don't know")
    embed = render.answer_embed(a)
    assert embed is not None and embed.title == "Closest sources I found"
    assert "[link](<https://x.org/a>)" in (embed.description or "")
    assert "Ask a human" in (embed.description or "")
    assert "Uncertain" in embed.footer.text  # type: ignore[operator]


def test_input_errors_have_no_embed() -> None:
    a = answer(text="That question is too long.", citations=[], refused=True, backend="none",
               error="That question is too long.", answer_id=None)
    assert render.answer_embed(a) is None


def test_passages_text_fits_an_embed() -> None:
    many = [cite(i, text="lorem ipsum " * 400) for i in range(1, 6)]
    out = render.passages_text(many)
    assert len(out) <= render.EMBED_LIMIT
    assert out.count("**[") == 5
    assert render.passages_text([]) == "This answer cites no sources."


def test_ingest_summary() -> None:
    text = render.ingest_summary({"added": 1, "updated": 0, "unchanged": 2, "chunks_embedded": 9,
                                  "errors": [{"source": "/tmp/x/bad.pdf", "error": "not a PDF"}]})
    assert "Added **1**" in text and "unchanged **2**" in text and "bad.pdf: not a PDF" in text


# --- fairness --------------------------------------------------------------------------------------
def test_rate_limiter_sliding_window() -> None:
    now = [0.0]
    rl = RateLimiter(2, clock=lambda: now[0])
    assert rl.retry_after("u") == 0 and rl.retry_after("u") == 0
    assert rl.retry_after("u") == pytest.approx(60.0)
    assert rl.retry_after("v") == 0
    now[0] = 60.0
    assert rl.retry_after("u") == 0


async def test_fair_queue_round_robin_and_bound() -> None:
    q: FairQueue[str] = FairQueue(5)
    for item in ("a1", "a2", "a3"):
        q.put_nowait("a", item)
    q.put_nowait("b", "b1")
    q.put_nowait("c", "c1")
    with pytest.raises(QueueFull):
        q.put_nowait("d", "d1")
    got = [await asyncio.wait_for(q.get(), 1) for _ in range(5)]
    assert got == ["a1", "b1", "c1", "a2", "a3"]
    assert len(q) == 0


def test_parse_when() -> None:
    now = datetime(2024, 5, 2, 12, 0, tzinfo=timezone.utc)
    assert parse_when("2h", now) == "2024-05-02T10:00:00+00:00"
    assert parse_when("7d", now) == "2024-04-25T12:00:00+00:00"
    assert parse_when("2024-05-01", now) == "2024-05-01T00:00:00+00:00"
    assert parse_when(None) is None
    with pytest.raises(Exception, match="Can't read the time"):
        parse_when("yesterday-ish", now)
