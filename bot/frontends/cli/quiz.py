"""Tutoring in the terminal: an interactive quiz, explanations and progress (used by chat and quiz)."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rich.console import Console
from rich.markup import escape

from bot.core.assistant import Assistant
from bot.core.types import Question
from bot.frontends.cli.render import stream_answer
from bot.services.tutoring import QuizError, StoredQuestion, tutor_for
from retrieval.textlang import detect

ReadLine = Callable[[str], Awaitable[str]]


def show_question(console: Console, n: int, item: StoredQuestion) -> None:
    q = item.question
    console.print(f"\n[bold]Q{n}.[/] {q.question}")
    for letter, choice in zip("ABCD", q.choices):
        console.print(f"   {letter}) {choice}")


async def run_quiz(
    assistant: Assistant, scope: str, user: str, topic: str, count: int, kind: str,
    console: Console, read_line: ReadLine,
) -> None:
    try:
        tutor = tutor_for(assistant)
        items = await tutor.make_quiz(scope, topic, count=count, kind=kind, user=user)
    except QuizError as exc:
        console.print(f"[yellow]{escape(exc.say(detect(topic)))}[/]")
        return
    total = 0.0
    for n, item in enumerate(items, 1):
        show_question(console, n, item)
        try:
            response = await read_line("your answer> ")
        except EOFError:
            console.print("\nQuiz stopped.")
            return
        grade = await tutor.submit(scope, user, item.id, response)
        total += grade.score
        style = {"correct": "green", "partial": "yellow"}.get(grade.verdict, "red")
        console.print(f"[{style}]{grade.verdict} ({grade.score:.0%})[/] {grade.feedback}")
        console.print(f"[dim]{item.question.explanation}[/]")
    console.print(f"\nScore: {total:.1f} / {len(items)}. See /progress for your topics and reviews.")


async def show_progress(assistant: Assistant, scope: str, user: str, console: Console) -> None:
    progress = await tutor_for(assistant).progress(scope, user)
    if not progress.topics:
        console.print("No quiz answers yet — try /quiz TOPIC.")
        return
    for t in progress.topics:
        console.print(f"  {t.topic}: {t.correct}/{t.attempts} correct, mean {t.mean_score:.0%}")
    if progress.weak:
        console.print(f"Weak topics: {', '.join(progress.weak)}")
    if progress.due:
        console.print(f"{len(progress.due)} question(s) due for review now.")


async def explain(assistant: Assistant, scope: str, user: str, topic: str, level: str, console: Console) -> None:
    await stream_answer(console, assistant.explain(topic, level, Question(topic, user=user, scope=scope)))


def console_reader(console: Console) -> ReadLine:
    async def read(prompt: str) -> str:
        return await asyncio.to_thread(console.input, prompt)

    return read
