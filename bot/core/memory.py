"""Conversation memory: recent turns, a rolling summary of older ones, and facts about the user.

Long conversations keep their context without growing the prompt: once a conversation has
more than twice `history_turns` messages past its summary, everything but the last
`history_turns` is folded into the summary (extractively, so it never invents anything).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.facts import extract_facts, same_subject
from bot.store import Store
from bot.core.summarize import Encode, summarize_turns
from bot.core.types import Question
from model.base import Turn


@dataclass(frozen=True)
class Context:
    history: list[Turn] = field(default_factory=list)
    summary: str | None = None
    facts: list[str] = field(default_factory=list)


class Memory:
    def __init__(self, store: Store, encode: Encode, history_turns: int) -> None:
        self._store = store
        self._encode = encode
        self._turns = history_turns

    async def learn(self, question: Question) -> list[str]:
        """Remember facts the user states about themselves; newer ones replace older ones."""
        new = extract_facts(question.text)
        if not new:
            return []
        known = await self._store.facts(question.scope, question.user)
        for fact in new:
            replaced = next((old for old in known if same_subject(old, fact)), None)
            if replaced:
                await self._store.replace_fact(question.scope, question.user, replaced, fact)
            else:
                await self._store.add_fact(question.scope, question.user, fact)
        return new

    async def context(self, question: Question) -> Context:
        facts = await self._store.facts(question.scope, question.user)
        if not question.conversation:
            return Context(facts=facts)
        rows = await self._store.recent_turns(question.conversation, self._turns)
        saved = await self._store.summary(question.conversation)
        return Context([Turn(r.role, r.content) for r in rows], saved[0] if saved else None, facts)

    async def compact(self, question: Question) -> bool:
        """Fold older turns into the summary when the conversation has grown; True if it did."""
        if not question.conversation or self._turns <= 0:
            return False
        saved = await self._store.summary(question.conversation)
        upto = saved[1] if saved else 0
        pending = await self._store.conversation_messages(question.conversation, after_id=upto)
        if len(pending) <= 2 * self._turns:
            return False
        older = pending[: len(pending) - self._turns]
        turns = ([("assistant", saved[0])] if saved else []) + [(role, content) for _, role, content in older]
        note = summarize_turns(turns, self._encode)
        await self._store.save_summary(question.conversation, question.scope, question.user, note, older[-1][0])
        return True
