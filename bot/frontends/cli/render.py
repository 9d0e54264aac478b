"""Terminal rendering of answers and ingest reports (rich), shared by the CLI, chat and demo.

An answer's labels are in the question's language (`bot.core.i18n`); ingest reports stay English.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bot.core import i18n
from bot.core.types import Answer, AnswerEvent, Citation, FinalEvent, TokenEvent
from model.textutil import truncate
from retrieval.textlang import detect
from retrieval.types import IngestReport

QUOTE_CHARS = 300
TENTATIVE_NOTE = i18n.message("tentative_note")  # in English; shown in the question's language
APPROVED_NOTE = i18n.message("approved")  # in English; shown in the question's language


def source_line(c: Citation, language: str = i18n.DEFAULT) -> str:
    where = i18n.message("cli_page", language).format(page=c.page) if c.page else (
        f", § {c.heading}" if c.heading else "")
    return f"[{c.n}] {c.title}{where} — {c.source}"


def trim_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` on one line in at most `limit` characters; a cut one ends with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    short = truncate(text, limit - 2)  # whole sentences, or words and "…"
    return short if short.endswith("…") else short + " …"


def quote_line(answer: Answer) -> str | None:
    """`  “…” — [n] Title`: the source sentence under a shown answer (None when there is none)."""
    if answer.refused or answer.quote is None:
        return None
    text = trim_quote(answer.quote.text)
    if not text:
        return None
    cited = next((c for c in answer.citations if c.n == answer.quote.n), None)
    title = f" {cited.title or cited.source}" if cited else ""
    return f"  “{text}” — [{answer.quote.n}]{title}"


def answer_text(answer: Answer) -> Text:
    out = Text()
    if answer.error and answer.backend == "none":
        out.append(answer.text, style="yellow")
        return out
    lang = detect(answer.question)
    say = partial(i18n.message, language=lang)
    out.append(answer.text + "\n")
    if answer.curated_id is not None:
        out.append(f"{say('approved')} {say('cli_curated').format(id=answer.curated_id)}\n", style="green")
    quote = quote_line(answer)
    if quote:
        out.append(quote + "\n", style="dim italic")
    tentative = answer.tentative and not answer.refused
    if tentative:
        out.append(say("tentative_note") + "\n", style="yellow")
    label = say("cli_refused") if answer.refused else say("cli_confidence")
    style = "yellow" if answer.refused or tentative else ("green" if answer.confidence >= 0.6 else "cyan")
    out.append(f"{label}: {answer.confidence:.2f}  ({answer.backend}, {answer.latency_ms} ms)\n", style=style)
    if answer.citations:
        out.append(say("cli_sources") + "\n", style="bold")
        for c in answer.citations:
            out.append("  " + source_line(c, lang) + "\n", style="dim")
    elif answer.refused and answer.closest:
        out.append(say("cli_closest") + "\n", style="bold")
        for c in answer.closest:
            out.append("  " + source_line(c, lang) + "\n", style="dim")
        out.append(say("ask_human_cli") + "\n", style="dim")
    if answer.error and answer.backend != "none":
        out.append(say("note").format(error=answer.error) + "\n", style="yellow")
    return out


async def stream_answer(console: Console, events: AsyncIterator[AnswerEvent]) -> Answer:
    """Show tokens live, then replace them with the final, judged answer."""
    streamed = Text()
    final: Answer | None = None
    with Live(streamed, console=console, refresh_per_second=8, transient=True) as live:
        async for event in events:
            if isinstance(event, TokenEvent):
                streamed.append(event.text)
                live.update(streamed)
            elif isinstance(event, FinalEvent):
                final = event.answer
    assert final is not None
    console.print(answer_text(final))
    return final


def ingest_summary(report: IngestReport) -> str:
    return (
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}; "
        f"embedded {report.chunks_embedded} chunks; {len(report.errors)} error(s)"
    )
