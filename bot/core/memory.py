"""Conversation memory: recent turns, a rolling summary of older ones, and facts about the user.

Long conversations keep their context without growing the prompt: once a conversation has
more than twice `history_turns` messages past its summary, everything but the last
`history_turns` is folded into the summary (extractively, so it never invents anything).
Memory decides; the store reads it all in `question_context` and writes it in `record_outcome`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.facts import extract_facts, same_subject
from bot.core.summarize import Encode, summarize_turns
from bot.core.types import Question
from bot.store import FactChange, MessageRow, QuestionContext, SummaryRow
from model.base import Turn
from model.textutil import content_words
from retrieval.types import Hit


@dataclass(frozen=True)
class Context:
    history: list[Turn] = field(default_factory=list)
    summary: str | None = None
    facts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Learned:
    """Facts stated in a question: the changes to store, and the user's facts once applied."""

    changes: list[FactChange]
    facts: list[str]


class Memory:
    def __init__(self, encode: Encode, history_turns: int) -> None:
        self._encode = encode
        self.history_turns = history_turns

    @staticmethod
    def learn(question: Question, known: list[str]) -> Learned:
        """Facts the user states about themselves; newer ones replace older ones on the same subject."""
        changes: list[FactChange] = []
        facts = list(known)
        for fact in extract_facts(question.text):
            replaced = next((old for old in known if same_subject(old, fact)), None)
            changes.append(FactChange(fact, replaces=replaced))
            if replaced in facts:
                facts.remove(replaced)
            if fact not in facts:
                facts.append(fact)
        return Learned(changes, facts)

    def context(self, question: Question, read: QuestionContext, facts: list[str] | None = None) -> Context:
        """The prompt's memory from what the store read (`facts`: as updated by `learn`)."""
        known = read.facts if facts is None else facts
        if not question.conversation:
            return Context(facts=known)
        history = [Turn(r.role, r.content) for r in read.turns]
        return Context(history, read.summary.summary if read.summary else None, known)

    def compaction(self, saved: SummaryRow | None, pending: list[MessageRow]) -> SummaryRow | None:
        """The new summary when the conversation has grown past twice `history_turns`, else None."""
        if self.history_turns <= 0 or len(pending) <= 2 * self.history_turns:
            return None
        older = pending[: len(pending) - self.history_turns]
        turns = ([("assistant", saved.summary)] if saved else []) + [(m.role, m.content) for m in older]
        return SummaryRow(summarize_turns(turns, self._encode), older[-1].id)


def personalise(hits: list[Hit], facts: list[str]) -> list[Hit]:
    """Prefer passages that mention what the user told us about themselves (plan, OS, ...)."""
    terms = set().union(*(content_words(f) for f in facts)) - {"you", "use", "plan", "are"} if facts else set()
    if not terms:
        return hits

    def boosted(item: tuple[int, Hit]) -> float:
        rank, hit = item
        mentions = len(terms & content_words(hit.text))
        return (1.0 / (rank + 2)) * (1.0 + 0.5 * min(2, mentions))

    return [h for _, h in sorted(enumerate(hits), key=boosted, reverse=True)]


def prompt_memory(context: Context) -> dict[str, object]:
    """Prompt fields carrying the conversation summary and the user's stated facts."""
    return {"memory": context.summary, "profile": tuple(context.facts)}
