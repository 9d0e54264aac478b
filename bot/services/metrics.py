"""Prometheus metrics for one process: a `CollectorRegistry` of its own, no module-level state.

`Metrics` implements the core's `Observer` (bot/core/observe.py), so the assistant reports
questions, answers, stage latencies, generator failures and ingest jobs without importing
Prometheus. Front ends add what only they know (the Discord queue's depth) and serve `render()`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.observe import STAGES
from bot.core.types import Answer
from retrieval.types import IngestReport

PREFIX = "ragcord"
# seconds: an extractive answer takes tens of milliseconds, a CPU model tens of seconds
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0)
INGEST_RESULTS = ("added", "updated", "unchanged", "failed")
RESYNC_RESULTS = ("changed", "unchanged", "failed")
BACKENDS = ("extractive", "local", "ct2", "openai", "llamacpp", "curated", "none")


@dataclass(frozen=True)
class Scrape:
    """What a /metrics response carries."""

    body: bytes
    content_type: str


class Metrics:
    """The ragcord_* metrics of one process; every label value in use is shown from the start (at 0)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.questions = Counter(f"{PREFIX}_questions", "Questions that reached the assistant core", registry=r)
        self.answers = Counter(f"{PREFIX}_answers", "Final answers, by the backend that produced them",
                               ["backend"], registry=r)
        self.refusals = Counter(f"{PREFIX}_refusals", "Answers refused as below the confidence threshold",
                                registry=r)
        self.question_errors = Counter(f"{PREFIX}_question_errors",
                                       "Questions answered with a one-line error (bad input, index trouble)",
                                       registry=r)
        self.stage_seconds = Histogram(f"{PREFIX}_stage_seconds", "Time spent per pipeline stage", ["stage"],
                                       buckets=STAGE_BUCKETS, registry=r)
        self.answer_seconds = Histogram(f"{PREFIX}_answer_seconds", "Time from question to final answer",
                                        buckets=STAGE_BUCKETS, registry=r)
        self.generator_errors = Counter(f"{PREFIX}_generator_errors", "Generator failures, by kind",
                                        ["kind"], registry=r)
        self.queue_depth = Gauge(f"{PREFIX}_queue_depth", "Questions waiting for an answer worker", registry=r)
        self.ingest_jobs = Counter(f"{PREFIX}_ingest_jobs", "Ingest jobs finished", registry=r)
        self.ingest_documents = Counter(f"{PREFIX}_ingest_documents", "Documents seen by ingest jobs, by result",
                                        ["result"], registry=r)
        self.resync = Counter(f"{PREFIX}_resync_documents", "Documents re-checked by re-sync, by result",
                              ["result"], registry=r)
        for backend in BACKENDS:
            self.answers.labels(backend=backend)
        for stage in STAGES:
            self.stage_seconds.labels(stage=stage)
        for kind in ("error", "timeout"):
            self.generator_errors.labels(kind=kind)
        for result in INGEST_RESULTS:
            self.ingest_documents.labels(result=result)
        for result in RESYNC_RESULTS:
            self.resync.labels(result=result)

    # --- the core's Observer ------------------------------------------------------------------------
    def question(self) -> None:
        self.questions.inc()

    def stage(self, name: str, seconds: float) -> None:
        self.stage_seconds.labels(stage=name).observe(max(0.0, seconds))

    def generator_failed(self, timed_out: bool) -> None:
        self.generator_errors.labels(kind="timeout" if timed_out else "error").inc()

    def answered(self, answer: Answer) -> None:
        self.answers.labels(backend=answer.backend).inc()
        self.answer_seconds.observe(answer.latency_ms / 1000)
        if answer.error and answer.backend == "none":
            self.question_errors.inc()
        elif answer.refused:
            self.refusals.inc()

    def ingested(self, report: IngestReport) -> None:
        self.ingest_jobs.inc()
        for result, n in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged),
                          ("failed", len(report.errors))):
            self.ingest_documents.labels(result=result).inc(n)

    # --- what front ends and jobs add ---------------------------------------------------------------
    def watch_queue(self, depth: Callable[[], int]) -> None:
        """Report `depth()` as the queue depth at every scrape."""
        self.queue_depth.set_function(lambda: float(depth()))

    def resynced(self, changed: int, unchanged: int, failed: int) -> None:
        """One re-sync pass over a scope's sources."""
        for result, n in (("changed", changed), ("unchanged", unchanged), ("failed", failed)):
            self.resync.labels(result=result).inc(n)

    def render(self) -> Scrape:
        return Scrape(generate_latest(self.registry), CONTENT_TYPE_LATEST)
