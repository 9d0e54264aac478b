"""Typed rows that cross the store's boundary, in and out."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TurnRow:
    role: str
    content: str


@dataclass(frozen=True)
class MessageRow:
    id: int
    role: str
    content: str


@dataclass(frozen=True)
class SummaryRow:
    summary: str
    upto_message_id: int


@dataclass(frozen=True)
class LogRow:
    id: int
    scope: str
    channel: str | None
    conversation: str | None
    user: str
    role: str
    content: str
    created_at: str
    answer_id: int | None
    confidence: float | None


@dataclass(frozen=True)
class AnswerData:
    """What is stored of one answer (JSON-able citation, candidate and closest records)."""

    text: str
    citations: list[dict[str, Any]]
    confidence: float
    refused: bool
    backend: str
    latency_ms: int
    candidates: list[dict[str, Any]] = field(default_factory=list)
    closest: list[dict[str, Any]] = field(default_factory=list)
    escalated: bool = False


@dataclass(frozen=True)
class Exchange:
    """A question and its answer, recorded together."""

    scope: str
    user: str
    channel: str | None
    conversation: str | None
    question: str
    answer: AnswerData
    external_id: str | None = None
    sentiment: float | None = None


@dataclass(frozen=True)
class AnswerRow:
    id: int
    scope: str
    question: str
    text: str
    citations: list[dict[str, Any]]
    confidence: float
    refused: bool
    escalated: bool
    backend: str
    latency_ms: int
    candidates: list[dict[str, Any]]
    user: str | None
    channel: str | None
    created_at: str
    closest: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FlagRow:
    id: int
    scope: str
    kind: str
    answer_id: int | None
    message_id: str | None
    channel: str | None
    user: str | None
    note: str | None
    status: str
    resolved_by: str | None
    created_at: str


@dataclass
class GuildSettings:
    """Per-guild settings declared once with their defaults (None = use the global setting)."""

    threshold: float | None = None
    auto_channels: list[str] = field(default_factory=list)
    mod_channel: str | None = None
    mod_role: str | None = None
    admin_role: str | None = None
    auto_quiet: bool = True  # auto-answer channels: stay silent (and flag) below the threshold

    @classmethod
    def from_json(cls, raw: str) -> GuildSettings:
        data = json.loads(raw or "{}")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class FactChange:
    """A fact to remember; `replaces` is the older fact about the same subject, if any."""

    fact: str
    replaces: str | None = None


@dataclass(frozen=True)
class FlagDraft:
    """A flag on the answer being recorded (scope, user, channel and ids come from the exchange)."""

    kind: str
    note: str | None = None


@dataclass(frozen=True)
class QuestionContext:
    """Everything answering one question reads, in one call."""

    turns: list[TurnRow]
    summary: SummaryRow | None
    facts: list[str]
    settings: GuildSettings
    sentiments: list[float | None]  # the user's latest messages, newest first


@dataclass(frozen=True)
class Outcome:
    """Everything answering one question writes, in one transaction."""

    exchange: Exchange
    flags: list[FlagDraft] = field(default_factory=list)
    facts: list[FactChange] = field(default_factory=list)
    compact: Compactor | None = None


@dataclass(frozen=True)
class OutcomeIds:
    answer_id: int
    flag_ids: dict[str, int]  # by flag kind
    compacted: bool


@dataclass(frozen=True)
class QuizItemDraft:
    kind: str
    question: str
    answer: str
    topic: str = ""
    choices: list[str] = field(default_factory=list)
    explanation: str = ""
    source: str = ""
    chunk_id: int | None = None


@dataclass(frozen=True)
class QuizItemRow:
    id: int
    scope: str
    topic: str
    kind: str
    question: str
    choices: list[str]
    answer: str
    explanation: str
    source: str
    chunk_id: int | None
    created_by: str | None
    created_at: str


@dataclass(frozen=True)
class TopicProgressRow:
    topic: str
    attempts: int
    correct: int
    mean_score: float


@dataclass(frozen=True)
class DueReviewRow:
    item: QuizItemRow
    box: int
    due_at: str


# Given the saved summary and the conversation's messages past it (new exchange included),
# the summary to save, or None to leave it.
Compactor = Callable[[SummaryRow | None, list[MessageRow]], SummaryRow | None]


# --- curated answers and unanswered questions -------------------------------------------------------
@dataclass(frozen=True)
class DocRef:
    """A document an answer points to: what a moderator cites, or the closest source of a refusal."""

    title: str
    source: str = ""
    document_id: int | None = None


@dataclass(frozen=True)
class CuratedDraft:
    """What a moderator writes: the question, its other phrasings, the answer and how to match it."""

    question: str
    answer: str
    paraphrases: list[str] = field(default_factory=list)
    citations: list[DocRef] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)  # any of these words or phrases matches
    regex: str | None = None  # matched with re.search, case-insensitive
    enabled: bool = True


@dataclass(frozen=True)
class CuratedRow:
    id: int
    scope: str
    question: str
    paraphrases: list[str]
    answer: str
    citations: list[DocRef]
    keywords: list[str]
    regex: str | None
    author: str
    created_at: str
    updated_at: str
    enabled: bool
    hits: int
    last_hit_at: str | None

    @property
    def phrasings(self) -> list[str]:
        """The question and its paraphrases: what matching by meaning compares against."""
        return [self.question, *self.paraphrases]

    def draft(self) -> CuratedDraft:
        return CuratedDraft(self.question, self.answer, list(self.paraphrases), list(self.citations),
                            list(self.keywords), self.regex, self.enabled)


@dataclass(frozen=True)
class CuratedVersionRow:
    """One entry of a curated answer's history: the version before `action`, who and when."""

    id: int
    curated_id: int
    scope: str
    action: str  # "edit" | "disable" | "enable" | "delete"
    changed_by: str
    changed_at: str
    previous: CuratedDraft


@dataclass(frozen=True)
class UnansweredRow:
    """A question the bot could not answer well: refused, tentative, 👎 or sent to a human."""

    answer_id: int
    scope: str
    question: str
    created_at: str
    reasons: tuple[str, ...]  # "refused" | "tentative" | "downvoted" | "escalated"
    closest: list[DocRef]
