"""Terminal rendering of answers and ingest reports (rich), shared by the CLI, chat and demo."""
from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bot.core import i18n
from bot.core.types import Answer, AnswerEvent, Citation, FinalEvent, TokenEvent
from model.textutil import truncate
from retrieval.types import IngestReport

QUOTE_CHARS = 300
TENTATIVE_NOTE = i18n.message("tentative_note")  # in English; shown in the question's language
APPROVED_NOTE = "✅ Answer approved by the moderators"


def source_line(c: Citation) -> str:
    where = f", p. {c.page}" if c.page else (f", § {c.heading}" if c.heading else "")
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
    out.append(answer.text + "\n")
    if answer.curated_id is not None:
        out.append(f"{APPROVED_NOTE} (curated answer #{answer.curated_id})\n", style="green")
    quote = quote_line(answer)
    if quote:
        out.append(quote + "\n", style="dim italic")
    tentative = answer.tentative and not answer.refused
    if tentative:
        out.append(i18n.for_text("tentative_note", answer.question) + "\n", style="yellow")
    label = "refused" if answer.refused else "confidence"
    style = "yellow" if answer.refused or tentative else ("green" if answer.confidence >= 0.6 else "cyan")
    out.append(f"{label}: {answer.confidence:.2f}  ({answer.backend}, {answer.latency_ms} ms)\n", style=style)
    if answer.citations:
        out.append("Sources:\n", style="bold")
        for c in answer.citations:
            out.append("  " + source_line(c) + "\n", style="dim")
    elif answer.refused and answer.closest:
        out.append("Closest sources I found:\n", style="bold")
        for c in answer.closest:
            out.append("  " + source_line(c) + "\n", style="dim")
        out.append(i18n.for_text("ask_human_cli", answer.question) + "\n", style="dim")
    if answer.error and answer.backend != "none":
        out.append(f"note: {answer.error}\n", style="yellow")
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
