"""What the answer pipeline reports while it works, for whoever operates it.

The core calls an `Observer` and never imports a metrics library: operations
(`bot/services/metrics.py`) implement it with Prometheus; without one the core gets `NullObserver`.
"""
from __future__ import annotations

from typing import Protocol

from bot.core.types import Answer
from retrieval.types import IngestReport

STAGES = ("retrieve", "generate", "judge")  # the timed steps of one question


class Observer(Protocol):
    def question(self) -> None:
        """A question reached the core."""

    def stage(self, name: str, seconds: float) -> None:
        """One of `STAGES` took `seconds`."""

    def generator_failed(self, timed_out: bool) -> None:
        """The configured generator raised or ran past `generation.timeout_s`."""

    def answered(self, answer: Answer) -> None:
        """The final answer of a question (refused, erroneous or not)."""

    def ingested(self, report: IngestReport) -> None:
        """One ingest job finished."""

    def resynced(self, changed: int, unchanged: int, failed: int) -> None:
        """One re-sync pass over a scope's URL and sitemap sources finished."""


class NullObserver:
    """Observes nothing: the default when no metrics are configured."""

    def question(self) -> None:
        pass

    def stage(self, name: str, seconds: float) -> None:
        pass

    def generator_failed(self, timed_out: bool) -> None:
        pass

    def answered(self, answer: Answer) -> None:
        pass

    def ingested(self, report: IngestReport) -> None:
        pass

    def resynced(self, changed: int, unchanged: int, failed: int) -> None:
        pass
