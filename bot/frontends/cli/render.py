"""Terminal rendering of answers and ingest reports (rich), shared by the CLI, chat and demo."""
from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bot.core.types import Answer, AnswerEvent, Citation, FinalEvent, TokenEvent
from retrieval.types import IngestReport


def source_line(c: Citation) -> str:
    where = f", p. {c.page}" if c.page else (f", § {c.heading}" if c.heading else "")
    return f"[{c.n}] {c.title}{where} — {c.source}"


def answer_text(answer: Answer) -> Text:
    out = Text()
    if answer.error and answer.backend == "none":
        out.append(answer.text, style="yellow")
        return out
    out.append(answer.text + "\n")
    label = "refused" if answer.refused else "confidence"
    style = "yellow" if answer.refused else ("green" if answer.confidence >= 0.6 else "cyan")
    out.append(f"{label}: {answer.confidence:.2f}  ({answer.backend}, {answer.latency_ms} ms)\n", style=style)
    if answer.citations:
        out.append("Sources:\n", style="bold")
        for c in answer.citations:
            out.append("  " + source_line(c) + "\n", style="dim")
    elif answer.refused and answer.closest:
        out.append("Closest sources I found:\n", style="bold")
        for c in answer.closest:
            out.append("  " + source_line(c) + "\n", style="dim")
        out.append("A moderator can help: ask in Discord with “Ask a human”.\n", style="dim")
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
