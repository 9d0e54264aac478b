"""`ragcord chat`: a terminal conversation with memory and streamed answers."""
from __future__ import annotations

import asyncio

from rich.console import Console

from bot.core import i18n
from bot.core.assistant import Assistant
from bot.core.config import Settings
from bot.core.types import Answer, Question
from bot.frontends.cli.quiz import console_reader, explain, run_quiz, show_progress
from bot.frontends.cli.render import source_line, stream_answer
from bot.services.conversations import ConversationKey
from bot.services.requestlog import request_scope
from retrieval.textlang import detect

HELP = (
    "Type a question. Commands: /sources (passages of the last answer), /explain TOPIC "
    "[beginner|intermediate|advanced], /quiz TOPIC, /progress, /memory, /forget (clear what I "
    "remember), /help, /quit. Ctrl-D also quits."
)


async def chat_loop(settings: Settings, scope: str, console: Console) -> None:
    assistant = await Assistant.create(settings)
    conversation = ConversationKey.cli()
    user = "cli"
    last: Answer | None = None
    console.print(f"[bold]ragcord chat[/] — scope [cyan]{scope}[/]. {HELP}")
    try:
        while True:
            try:
                line = await asyncio.to_thread(console.input, "[bold green]you>[/] ")
            except EOFError:
                console.print()
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            if text == "/help":
                console.print(HELP)
            elif text == "/forget":
                counts = await assistant.forget(scope, user)
                conversation = ConversationKey.cli()
                console.print(f"Forgotten: {counts.get('messages', 0)} messages.")
            elif text.startswith("/quiz"):
                topic = text[len("/quiz"):].strip()
                await run_quiz(assistant, scope, user, topic, 3, "mixed", console, console_reader(console))
            elif text.startswith("/explain"):
                words = text[len("/explain"):].split()
                level = words.pop() if words and words[-1] in ("beginner", "intermediate", "advanced") else "beginner"
                if not words:
                    console.print("Usage: /explain TOPIC [beginner|intermediate|advanced]")
                else:
                    await explain(assistant, scope, user, " ".join(words), level, console)
            elif text == "/progress":
                await show_progress(assistant, scope, user, console)
            elif text == "/memory":
                facts = await assistant.store.facts.list(scope, user)
                console.print("I remember: " + "; ".join(facts) if facts else "I remember nothing about you.")
            elif text == "/sources":
                if last is None or not (last.citations or last.closest):
                    console.print("No sources yet.")
                lang = detect(last.question) if last else i18n.DEFAULT  # the last question's language
                for c in (last.citations or last.closest) if last else []:
                    console.print(f"[bold]{source_line(c, lang)}[/]\n{c.text}\n")
            else:
                q = Question(text=text, user=user, scope=scope, channel="cli", conversation=str(conversation))
                with request_scope():  # every log line of this question carries its id
                    last = await stream_answer(console, assistant.ask(q))
    finally:
        await assistant.aclose()
