"""`ragcord demo`: ingest the sample knowledge base and answer its sample questions."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from bot.core.assistant import Assistant
from bot.core.config import Settings
from bot.core.types import Question
from bot.frontends.cli.render import ingest_summary, stream_answer

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "data"


def sample_questions(folder: Path) -> list[str]:
    listed = folder / "_demo_questions.txt"
    if not listed.is_file():
        return ["What can you tell me about these documents?"]
    return [q.strip() for q in listed.read_text(encoding="utf-8").splitlines() if q.strip()]


async def run_demo(settings: Settings, path: Path | None, console: Console) -> bool:
    folder = path or SAMPLE_DIR
    if not folder.is_dir():
        console.print(f"[red]error:[/] no sample folder at {folder}; pass --path DIR")
        return False
    assistant = await Assistant.create(settings)
    try:
        console.print(Rule("ragcord demo"))
        console.print(f"Data dir: {settings.data_dir.resolve()}  ·  generator: {settings.generation.backend}")
        console.print(f"Ingesting {folder} …")
        report = await assistant.ingest("global", [str(folder)], added_by="demo")
        console.print(ingest_summary(report))
        for e in report.errors:
            console.print(f"[red]✗[/] {e['source']}: {e['error']}")
        if settings.generation.backend in ("local", "ct2", "auto", "llamacpp"):
            console.print("Loading the generator (the first run converts the model once, ~30 s) …")
        generator = await assistant.generator()
        if generator.name != settings.generation.backend:  # "auto" resolved, or a fallback
            console.print(f"Generator in use: {generator.name}")
        for question in sample_questions(folder):
            console.print(Rule(style="dim"))
            console.print(f"[bold green]Q:[/] {question}")
            await stream_answer(console, assistant.ask(Question(text=question, user="demo", scope="global")))
    finally:
        await assistant.aclose()
    console.print(Rule("next steps"))
    console.print(
        "Chat in the terminal:   .venv/bin/ragcord chat\n"
        "Ask one question:       .venv/bin/ragcord ask \"How long do refunds take?\"\n"
        "Add your documents:     .venv/bin/ragcord ingest PATH_OR_URL ...\n"
        "Run the Discord bot:    DISCORD_TOKEN=... .venv/bin/ragcord run   (see README: Discord setup)\n"
        "Moderator web console:  .venv/bin/ragcord console   then open http://127.0.0.1:8765/ (token printed once)"
    )
    return not report.errors
