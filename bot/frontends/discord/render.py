"""Pure rendering of answers for Discord: mention-safe text, 2000-character pieces, citations.

No I/O and no client state: everything here is a function of its arguments, unit-tested in
tests/bot/frontends/discord/test_render.py. `discord.Embed` objects are plain data. What a member
reads is worded in the question's language (`bot.core.i18n`; `language` parameters default to English).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import PurePath
from typing import Any
from urllib.parse import urlparse

import discord

from bot.core import i18n
from bot.core.safety import strip_foreign_links
from bot.core.types import Answer, Citation, Quote
from model.textutil import truncate
from retrieval.textlang import detect

MESSAGE_LIMIT = 2000
EMBED_LIMIT = 4096
ZWSP = "\u200b"
STREAM_CURSOR = " ▌"
QUOTE_CHARS = 300  # of the quote's own text, before escaping
APPROVED = i18n.message("approved")  # in English; shown in the question's language

_MASS = re.compile(r"@(everyone|here)", re.IGNORECASE)
_TARGETED = re.compile(r"<([@#])([!&]?\d+)>")


def neutralize(text: str) -> str:
    """Make mentions inert: `@everyone`, `@here`, `<@id>`, `<@!id>`, `<@&id>`, `<#id>` get a zero-width space.

    The one Discord mention neutraliser: the core's answer filter knows no platform syntax.

    AllowedMentions.none() already stops pings; this also keeps the text from *looking* like a
    live mention (and from pinging if a payload ever went out without allowed_mentions).
    """
    text = _MASS.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    return _TARGETED.sub(lambda m: f"<{m.group(1)}{ZWSP}{m.group(2)}>", text)


# --- splitting -------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _cut_point(text: str, limit: int) -> int:
    """Where to cut `text` (len > limit): the last paragraph, line, sentence or word boundary."""
    window = text[:limit]
    for sep in ("\n\n", "\n"):
        i = window.rfind(sep)
        if i >= limit // 3:
            return i + len(sep)
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] >= limit // 3:
        return ends[-1]
    i = window.rfind(" ")
    if i >= limit // 3:
        return i + 1
    return limit


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split `text` into pieces of at most `limit` characters at the cleanest boundary.

    Paragraphs first, then lines, sentences, words; a word longer than the limit is cut hard.
    An open ``` code fence is closed at the end of a piece and reopened in the next.
    """
    if limit < 16:
        raise ValueError("limit too small")
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    fence_reopen = ""
    while text:
        text = fence_reopen + text
        if len(text) <= limit:
            pieces.append(text)
            break
        budget = limit - 4  # room to close a code fence
        cut = _cut_point(text, budget)
        piece, text = text[:cut].rstrip(), text[cut:].lstrip("\n ")
        fence_reopen = ""
        fences = re.findall(r"^```(\S*)", piece, re.MULTILINE)
        if len(fences) % 2 == 1:  # inside a code block: close here, reopen after
            piece += "\n```"
            fence_reopen = f"```{fences[-1]}\n"
        if piece.strip():
            pieces.append(piece)
    return pieces


def streaming_preview(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """What a message shows while tokens arrive: the text so far (tail-trimmed) and a cursor."""
    text = neutralize(strip_foreign_links(text.strip(), set()))  # links return with the checked final answer
    room = limit - len(STREAM_CURSOR) - 1
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return text + STREAM_CURSOR


# --- citations ---------------------------------------------------------------------------------------
def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def _display_title(title: str, source: str) -> str:
    title = (title or "").strip()
    if title:
        return title
    if is_url(source):
        return urlparse(source).netloc or source
    return PurePath(source).name or source or "untitled"


def _escape_md(text: str) -> str:
    return re.sub(r"([\\*_`~|\[\]>])", r"\\\1", text)


def source_line(c: Citation | Mapping[str, Any], language: str = i18n.DEFAULT) -> str:
    """`**[1]** Title — p. 3 · <link>`: numbered, with page or section, linked when it is a URL."""
    get = c.get if isinstance(c, Mapping) else (lambda k, d=None: getattr(c, k, d))
    n, source = get("n", 0), str(get("source", "") or "")
    title = neutralize(_escape_md(_display_title(str(get("title", "") or ""), source)))
    where = ""
    if get("page"):
        where = i18n.message("page", language).format(page=get("page"))
    elif get("heading"):
        where = f" — § {neutralize(_escape_md(str(get('heading'))))}"
    line = f"**[{n}]** {title}{where}"
    if is_url(source):
        line += f" · [{i18n.message('link', language)}](<{source}>)"
    return line


def confidence_label(
    confidence: float, refused: bool = False, tentative: bool = False, language: str = i18n.DEFAULT
) -> str:
    shown = f"{confidence:.2f}"
    if tentative and not refused:
        return i18n.message("confidence_tentative", language).format(confidence=shown)
    if refused:
        level = "level_uncertain"
    elif confidence >= 0.7:
        level = "level_high"
    elif confidence >= 0.45:
        level = "level_medium"
    else:
        level = "level_low"
    return i18n.message("confidence_level", language).format(level=i18n.message(level, language), confidence=shown)


def _sources_block(citations: Sequence[Citation], limit: int, language: str = i18n.DEFAULT) -> str:
    lines: list[str] = []
    used = 0
    for c in citations:
        line = source_line(c, language)
        if used + len(line) + 1 > limit:
            lines.append(i18n.message("more_sources", language).format(n=len(citations) - len(lines)))
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def quote_block(quote: Quote, limit: int = QUOTE_CHARS) -> str:
    """`> “…” — **[n]**`: the supporting sentence as one block-quote line, escaped and mention-safe."""
    text = " ".join(quote.text.split())
    if len(text) > limit:
        short = truncate(text, limit - 2)  # whole sentences, or words and "…"
        text = short if short.endswith("…") else short + " …"
    if not text:
        return ""
    return f"> “{_escape_md(neutralize(text))}” — **[{quote.n}]**"


def answer_embed(answer: Answer) -> discord.Embed | None:
    """The sources and confidence under an answer (None for input errors, which have neither)."""
    if answer.error and answer.backend == "none":
        return None
    lang = detect(answer.question)
    say = partial(i18n.message, language=lang)
    if answer.refused:
        embed = discord.Embed(title=say("closest_sources"), colour=discord.Colour.gold())
        block = _sources_block(answer.closest, EMBED_LIMIT - 200, lang)
        embed.description = (block if block else say("nothing_close")) + "\n\n" + say("ask_human")
    else:
        colour = discord.Colour.orange() if answer.tentative else discord.Colour.blurple()
        embed = discord.Embed(title=say("sources"), colour=colour)
        quote = quote_block(answer.quote) if answer.quote else ""
        head = quote + "\n\n" if quote else ""
        embed.description = head + (_sources_block(answer.citations, EMBED_LIMIT - 100 - len(head), lang)
                                    or say("no_sources_cited"))
    footer = confidence_label(answer.confidence, answer.refused, answer.tentative, lang)
    if answer.curated_id is not None:
        embed.colour = discord.Colour.green()
        footer = f"{say('approved')} · {say('curated_number').format(id=answer.curated_id)}"
    if answer.answer_id is not None:
        footer += f" · {say('answer_number').format(id=answer.answer_id)}"
    embed.set_footer(text=footer)
    return embed


def _says_dont_know(text: str, lead: str) -> bool:
    """Whether a refusal already opens with "I don't know" (in English, or as `lead` words it)."""
    return text.lower().startswith("i don") or text.startswith(lead.strip().rstrip("。.").strip())


def answer_text(answer: Answer) -> str:
    """The answer body, mention-safe; refusals lead with "I don't know"."""
    lang = detect(answer.question)
    lead = i18n.message("dont_know", lang)
    text = answer.text.strip() or lead.strip()
    if answer.refused and not answer.error and not _says_dont_know(text, lead):
        text = lead + text
    if answer.error and answer.backend != "none":
        text += "\n-# " + i18n.message("note", lang).format(error=answer.error)
    if answer.tentative and not answer.refused and not (answer.error and answer.backend == "none"):
        key = "tentative_quote" if answer.quote and answer.quote.text.strip() else "tentative_sources"
        text = f"-# {i18n.message(key, lang)}\n{text}"
    if answer.curated_id is not None:
        text += f"\n-# {i18n.message('approved', lang)}"
    return neutralize(text)


def answer_pieces(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    return split_message(answer_text(answer), limit) or [i18n.for_text("dont_know", answer.question).strip()]


def passages_text(
    citations: Iterable[Citation | Mapping[str, Any]], limit: int = EMBED_LIMIT, language: str = i18n.DEFAULT
) -> str:
    """The cited passages for the "Sources" button, quoted, trimmed to fit one embed."""
    items = list(citations)
    if not items:
        return i18n.message("no_cited_passages", language)
    per = max(200, (limit - 50) // len(items) - 120)
    blocks = []
    for c in items:
        text = (c.get("text") if isinstance(c, Mapping) else c.text) or ""
        text = " ".join(str(text).split())
        if len(text) > per:
            text = text[: per - 1].rstrip() + "…"
        quoted = "> " + (neutralize(text) if text else i18n.message("passage_not_stored", language))
        blocks.append(f"{source_line(c, language)}\n{quoted}")
    out = "\n\n".join(blocks)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def ingest_summary(report: Mapping[str, Any]) -> str:
    """One paragraph for an ingest report dict (added/updated/unchanged/chunks_embedded/errors)."""
    errors = list(report.get("errors") or [])
    line = (
        f"Added **{report.get('added', 0)}**, updated **{report.get('updated', 0)}**, "
        f"unchanged **{report.get('unchanged', 0)}** document(s); "
        f"embedded {report.get('chunks_embedded', 0)} chunk(s)."
    )
    if errors:
        shown = []
        for e in errors[:10]:
            src = PurePath(str(e.get("source", "?"))).name if not is_url(str(e.get("source", ""))) \
                else str(e.get("source"))
            shown.append(f"• {neutralize(src)}: {neutralize(str(e.get('error', e.get('message', 'failed'))))}")
        more = f"\n… and {len(errors) - 10} more" if len(errors) > 10 else ""
        line += f"\n{len(errors)} error(s):\n" + "\n".join(shown) + more
    for note in list(report.get("notes") or [])[:3]:  # e.g. the reindex hint for non-English text
        line += f"\nNote: {neutralize(str(note))}"
    return line


def candidates_text(
    candidates: Sequence[Mapping[str, Any]], limit: int = EMBED_LIMIT, language: str = i18n.DEFAULT
) -> str:
    """Every candidate answer with its confidence, best first (for the "Other answers" button);
    one that was judged but not shown (e.g. written in another language) says why."""
    say = partial(i18n.message, language=language)
    if not candidates:
        return say("no_candidates")
    best = " ".join(str(candidates[0].get("text", "")).split())
    per = max(200, (limit - 50) // len(candidates) - 60)
    blocks = []
    for i, c in enumerate(candidates):
        text = " ".join(str(c.get("text", "")).split())
        same = say("candidate_same") if i and text == best else ""
        if c.get("dropped"):
            same += say("candidate_dropped").format(why=neutralize(str(c["dropped"])))
        which = say("candidate_best") if i == 0 else f"#{i + 1}"
        head = say("candidate_head").format(which=which, confidence=f"{float(c.get('confidence') or 0):.2f}", same=same)
        if len(text) > per:
            text = text[: per - 1].rstrip() + "…"
        blocks.append(f"{head}\n> {neutralize(text) or say('empty')}")
    out = "\n\n".join(blocks)
    return out if len(out) <= limit else out[: limit - 1] + "…"
