"""Ingest jobs' rows and their retry rule, shared by the SQLite and PostgreSQL repositories."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

KINDS = ("file", "url", "sitemap", "upload")
STATUSES = ("queued", "running", "done", "failed")
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 3600.0


class JobPayload(BaseModel):
    """What one ingest job reads: its sources (paths, URLs or uploaded files under the data dir)."""

    sources: list[str]
    every_s: int | None = None  # re-sync interval for URL sources (None: the configured default)
    sitemap: bool = False


@dataclass(frozen=True)
class JobRow:
    id: int
    scope: str
    kind: str
    payload: JobPayload
    status: str
    done: int
    total: int
    attempts: int
    max_attempts: int
    next_attempt_at: float
    lease_until: float | None
    owner: str | None
    error: str | None
    created_by: str
    created_at: float
    finished_at: float | None


def backoff_s(attempts: int, base_s: float = BACKOFF_BASE_S, cap_s: float = BACKOFF_CAP_S) -> float:
    """Wait before the next try after `attempts` failed ones: base, 2×base, 4×base … at most cap."""
    return min(cap_s, base_s * 2 ** max(attempts - 1, 0))


def job_row(r: object) -> JobRow:
    """A database row (sqlite Row or asyncpg Record, both indexable by name) as a JobRow."""
    g = r.__getitem__  # type: ignore[attr-defined]
    return JobRow(int(g("id")), g("scope"), g("kind"), JobPayload.model_validate_json(g("payload")), g("status"),
                  int(g("done")), int(g("total")), int(g("attempts")), int(g("max_attempts")),
                  float(g("next_attempt_at")), g("lease_until"), g("owner"), g("error"), g("created_by"),
                  float(g("created_at")), g("finished_at"))
