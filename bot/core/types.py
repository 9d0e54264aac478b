"""What flows between front ends and the assistant core. Knows nothing about Discord."""
from __future__ import annotations

from dataclasses import dataclass, field

from model.calibration import Signals


@dataclass(frozen=True)
class Question:
    text: str
    user: str  # stable user id ("cli", a Discord user id, ...)
    scope: str = "global"  # knowledge base scope: "global" | "guild:<id>" | ...
    channel: str | None = None
    conversation: str | None = None  # history key: thread id, DM channel, reply chain root
    user_name: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: int
    document_id: int
    title: str
    source: str
    page: int | None = None
    heading: str | None = None
    text: str = ""  # the passage, for a "Sources" view

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "title": self.title,
            "source": self.source,
            "page": self.page,
            "chunk_id": self.chunk_id,
        }

    def record(self) -> dict[str, object]:
        """What the store keeps: enough to show the passage again after a restart."""
        return {**self.as_dict(), "document_id": self.document_id, "heading": self.heading, "text": self.text}


@dataclass(frozen=True)
class Quote:
    """The source sentence that supports an answer: what a person checks in one glance."""

    n: int  # the citation number it comes from
    text: str


@dataclass(frozen=True)
class Candidate:
    text: str
    confidence: float
    support: float
    mean_logprob: float | None
    backend: str
    signals: Signals | None = None  # what the judge measured (model.calibration)
    dropped: str | None = None  # why it could not be shown though judged (e.g. "answered in en, asked in zh")


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: list[Citation]
    confidence: float
    refused: bool
    backend: str
    latency_ms: int
    answer_id: int | None = None
    closest: list[Citation] = field(default_factory=list)  # shown when refused
    candidates: list[Candidate] = field(default_factory=list)
    escalated: bool = False
    error: str | None = None  # a one-line user-facing error (bad input, backend down)
    flag_ids: dict[str, int] = field(default_factory=dict)  # flags raised on this answer, by kind
    quote: Quote | None = None  # the supporting sentence from the cited source
    tentative: bool = False  # shown, but with a warning to check the source (confidence below `sure`)
    curated_id: int | None = None  # the moderator-approved curated answer given instead of a generated one

    def as_dict(self) -> dict[str, object]:
        return {
            "answer": self.text,
            "citations": [c.as_dict() for c in self.citations],
            "confidence": round(self.confidence, 4),
            "refused": self.refused,
            "answer_id": self.answer_id,
            "backend": self.backend,
            "latency_ms": self.latency_ms,
            "quote": {"n": self.quote.n, "text": self.quote.text} if self.quote else None,
            "tentative": self.tentative,
            "curated_id": self.curated_id,  # set when a moderator-approved curated answer answered
            **({"error": self.error} if self.error else {}),
        }


@dataclass(frozen=True)
class TokenEvent:
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True)
class StatusEvent:
    """A stage change the front end may show ("retrieving", "generating")."""

    stage: str


@dataclass(frozen=True)
class FinalEvent:
    answer: Answer


AnswerEvent = TokenEvent | StatusEvent | FinalEvent
