"""Quiz buttons and the short-answer modal.

A quiz is a `QuizSession` (its owner, scope and questions); each question is one message with a
`QuestionView`: A–D buttons for multiple choice, an "Answer" button opening a modal for short
answers. Only the owner may answer. Answering grades through the bot's tutor, edits the
question message with the feedback (explanation and source) and posts the next question.
Views live in memory (30 minutes): after a restart, `/progress` → "Retry due questions" resumes.
The bot's own words (headings, buttons, replies) are in the language of the quiz's topic, or of
its questions when there is no topic (a review).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import discord

from bot.core import i18n
from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, one_line, reply
from bot.frontends.discord.host import host
from bot.services.tutoring import QuizCard, QuizError
from retrieval.textlang import detect

log = logging.getLogger("ragcord.discord")
LETTERS = "ABCD"
QUIZ_TIMEOUT = 1800.0
_VERDICT = {"correct": "✅", "partial": "🟡", "wrong": "❌"}


@dataclass
class QuizSession:
    owner: int
    scope: str
    items: list[QuizCard]
    title: str
    ephemeral: bool = False
    correct: int = 0
    answered: int = 0
    language: str = i18n.DEFAULT

    @classmethod
    def about(cls, owner: int, scope: str, items: list[QuizCard], topic: str) -> QuizSession:
        """A quiz on `topic`, worded in the topic's language."""
        lang = detect(topic)
        return cls(owner, scope, items, i18n.message("quiz_title", lang).format(topic=topic), language=lang)

    @classmethod
    def review(cls, owner: int, scope: str, items: list[QuizCard]) -> QuizSession:
        """The questions due again, worded in their language."""
        lang = detect(" ".join(item.question for item in items))
        return cls(owner, scope, items, i18n.message("quiz_review", lang), ephemeral=True, language=lang)

    def say(self, key: str) -> str:
        return i18n.message(key, self.language)

    def question_text(self, i: int) -> str:
        item = self.items[i]
        lines = [self.say("quiz_heading").format(title=render.neutralize(self.title), i=i + 1, n=len(self.items)),
                 render.neutralize(item.question)]
        if item.kind == "mcq":
            lines += [f"**{LETTERS[n]}.** {render.neutralize(c)}" for n, c in enumerate(item.choices[:4])]
        else:
            lines.append(self.say("quiz_press_answer"))
        return "\n".join(lines)[:2000]

    def first(self) -> tuple[str, QuestionView]:
        return self.question_text(0), QuestionView(self, 0)


def feedback_text(item: QuizCard, response: str, verdict: str, feedback: str, language: str = i18n.DEFAULT) -> str:
    shown = render.neutralize(" ".join(response.split())[:300]) or i18n.message("empty", language)
    lines = [
        f"{_VERDICT.get(verdict, '')} {render.neutralize(feedback)}",
        i18n.message("quiz_your_answer", language).format(answer=shown),
    ]
    if item.explanation:
        lines.append("> " + render.neutralize(" ".join(item.explanation.split())[:600]))
    if item.source:
        lines.append(i18n.message("quiz_source", language).format(source=render.neutralize(item.source)))
    return "\n".join(lines)


class QuestionView(discord.ui.View):
    def __init__(self, session: QuizSession, index: int) -> None:
        super().__init__(timeout=QUIZ_TIMEOUT)
        self.session = session
        self.index = index
        self.item = session.items[index]
        item_id = self.item.id
        if self.item.kind == "mcq":
            for n, _ in enumerate(self.item.choices[:4]):
                button: discord.ui.Button[QuestionView] = discord.ui.Button(
                    label=LETTERS[n], style=discord.ButtonStyle.secondary, custom_id=f"rcq:{item_id}:{LETTERS[n]}"
                )
                button.callback = self._choice(LETTERS[n])  # type: ignore[method-assign]
                self.add_item(button)
        else:
            button = discord.ui.Button(label=session.say("button_answer"), emoji="✍️",
                                       style=discord.ButtonStyle.primary, custom_id=f"rcq:{item_id}:write")
            button.callback = self._write  # type: ignore[method-assign]
            self.add_item(button)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.session.owner:
            await reply(interaction, self.session.say("quiz_not_yours"))
            return False
        return True

    def _choice(self, letter: str) -> Any:
        async def callback(interaction: discord.Interaction[Any]) -> None:
            await self.answer(interaction, letter)
        return callback

    async def _write(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(AnswerModal(self))

    async def answer(self, interaction: discord.Interaction[Any], response: str) -> None:
        """Grade `response`, show the feedback on this question, then post the next one."""
        if self.is_finished():
            await reply(interaction, self.session.say("quiz_answered"))
            return
        await interaction.response.defer()  # grading may embed the answer: acknowledge first
        bot = host(interaction.client)
        session = self.session
        try:
            result = await bot.tutor.submit(session.scope, str(session.owner), self.item.id, response)
        except QuizError as exc:
            await reply(interaction, one_line(exc.say(session.language)))
            return
        self.stop()
        session.answered += 1
        session.correct += result.verdict == "correct"
        shown = response
        if self.item.kind == "mcq" and len(response) == 1 and response in LETTERS[: len(self.item.choices)]:
            shown = f"{response}. {self.item.choices[LETTERS.index(response)]}"
        text = session.question_text(self.index) + "\n\n" + feedback_text(
            self.item, shown, result.verdict, result.feedback, session.language)
        await interaction.edit_original_response(content=text[:2000], view=None, allowed_mentions=NONE)
        nxt = self.index + 1
        if nxt < len(session.items):
            await interaction.followup.send(
                session.question_text(nxt), view=QuestionView(session, nxt), ephemeral=session.ephemeral,
                allowed_mentions=NONE, wait=True,
            )
        else:
            await interaction.followup.send(
                session.say("quiz_finished").format(correct=session.correct, total=len(session.items)),
                ephemeral=session.ephemeral, allowed_mentions=NONE,
            )


class AnswerModal(discord.ui.Modal):
    def __init__(self, view: QuestionView) -> None:
        say = view.session.say
        super().__init__(title=say("quiz_modal_title").format(n=view.index + 1), timeout=QUIZ_TIMEOUT,
                         custom_id=f"rcq:modal:{view.item.id}")
        self.view = view
        self.text: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label=say("quiz_modal_label"), style=discord.TextStyle.paragraph, max_length=500,
            custom_id=f"rcq:text:{view.item.id}",
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.view.answer(interaction, self.text.value)


class RetryView(discord.ui.View):
    """Under `/progress`: quiz the caller again on the questions that are due."""

    def __init__(self, owner: int, scope: str, due: list[QuizCard]) -> None:
        super().__init__(timeout=600)
        self.session = QuizSession.review(owner, scope, due)
        self.retry.label = self.session.say("quiz_retry").format(n=len(due))

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.session.owner:
            await reply(interaction, self.session.say("quiz_retry_not_yours"))
            return False
        return True

    @discord.ui.button(label="Retry due questions", emoji="🔁", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        text, view = self.session.first()
        await interaction.response.send_message(text, view=view, ephemeral=True, allowed_mentions=NONE)
