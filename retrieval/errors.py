"""Errors raised by the retrieval package."""
from __future__ import annotations


class IngestError(ValueError):
    """A source could not be ingested; the message is one line meant for a human."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class EmbedderMismatch(IngestError):
    """An index built by one embedder was opened with another (their vectors do not compare)."""


def one_line(message: object, limit: int = 300) -> str:
    """Collapse whitespace so an error always fits on one line."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
