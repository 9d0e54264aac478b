"""Re-sync state in the catalogue (tables from catalog migration 2): sources and pages, per scope.

A source is a URL or a sitemap that `ragcord ingest` registered; a page is one fetched URL (a
single-URL source is its own only page). Times are UNIX seconds from the caller's clock.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog

_SOURCE_COLUMNS = ("url, kind, every_s, added_at, last_synced_at, next_sync_at, last_error, error_count, etag,"
                   " last_modified")
_PAGE_COLUMNS = ("url, origin, etag, last_modified, body_sha256, last_synced_at, next_sync_at, last_error,"
                 " error_count, gone_count")


def parse_interval(text: str | int | float | None) -> int:
    """'90s', '30m', '24h', '7d' or a number of seconds → seconds; '', 'off', '0' or None → 0."""
    if text is None:
        return 0
    if isinstance(text, (int, float)):
        seconds = int(text)
    else:
        raw = text.strip().lower()
        if raw in ("", "off", "0", "never"):
            return 0
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        number, unit = (raw[:-1], raw[-1]) if raw[-1] in units else (raw, "s")
        try:
            seconds = int(float(number) * units[unit])
        except ValueError:
            raise ValueError(f"not an interval: {text!r} (use e.g. 30m, 24h, 7d)") from None
    if seconds < 0:
        raise ValueError(f"not an interval: {text!r} (must not be negative)")
    return seconds


@dataclass(frozen=True)
class SyncSource:
    url: str
    kind: str  # "url" or "sitemap"
    every_s: int  # 0: re-synced only on demand (`ragcord resync` without --due-only)
    added_at: float
    last_synced_at: float | None = None
    next_sync_at: float | None = None
    last_error: str | None = None
    error_count: int = 0
    etag: str | None = None  # validators of a <urlset> sitemap's last fetch (None for a sitemap index)
    last_modified: str | None = None

    def due(self, now: float) -> bool:
        if self.next_sync_at is not None:
            return self.next_sync_at <= now
        return self.every_s > 0


@dataclass(frozen=True)
class SyncPage:
    url: str
    origin: str  # the source that lists it
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    last_synced_at: float | None = None
    next_sync_at: float | None = None  # set while backing off after failures
    last_error: str | None = None
    error_count: int = 0
    gone_count: int = 0  # consecutive 404/410 answers


class SyncStore:
    """Scoped reads and writes of the re-sync tables (a short-lived connection per call)."""

    def __init__(self, db_path: Path, scope: str) -> None:
        self.catalog = Catalog(db_path, scope)  # runs the migrations
        self.scope = scope

    # --- sources
    def add_source(self, url: str, kind: str, every_s: int, now: float) -> SyncSource:
        """Register (or re-register: kind and schedule replaced) a source."""
        with self.catalog.connection() as c:
            c.execute(
                "INSERT INTO sync_sources (scope, url, kind, every_s, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (scope, url) DO UPDATE SET kind = excluded.kind, every_s = excluded.every_s,"
                " next_sync_at = NULL",
                (self.scope, url, kind, int(every_s), now),
            )
        found = self.source(url)
        assert found is not None
        return found

    def source(self, url: str) -> SyncSource | None:
        with self.catalog.connection() as c:
            row = c.execute(f"SELECT {_SOURCE_COLUMNS} FROM sync_sources WHERE scope = ? AND url = ?",
                            (self.scope, url)).fetchone()
        return SyncSource(**dict(row)) if row else None

    def sources(self) -> list[SyncSource]:
        with self.catalog.connection() as c:
            rows = c.execute(f"SELECT {_SOURCE_COLUMNS} FROM sync_sources WHERE scope = ? ORDER BY url",
                             (self.scope,)).fetchall()
        return [SyncSource(**dict(r)) for r in rows]

    def source_done(self, url: str, *, now: float, next_at: float | None, error: str | None,
                    error_count: int) -> None:
        with self.catalog.connection() as c:
            c.execute(
                "UPDATE sync_sources SET last_synced_at = ?, next_sync_at = ?, last_error = ?, error_count = ?"
                " WHERE scope = ? AND url = ?", (now, next_at, error, error_count, self.scope, url))

    def source_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.catalog.connection() as c:
            c.execute("UPDATE sync_sources SET etag = ?, last_modified = ? WHERE scope = ? AND url = ?",
                      (etag, last_modified, self.scope, url))

    def remove_source(self, url: str) -> None:
        with self.catalog.transaction() as c:
            c.execute("DELETE FROM sync_pages WHERE scope = ? AND origin = ?", (self.scope, url))
            c.execute("DELETE FROM sync_sources WHERE scope = ? AND url = ?", (self.scope, url))

    # --- pages
    def pages(self, origin: str | None = None) -> list[SyncPage]:
        where, args = ("AND origin = ?", (self.scope, origin)) if origin else ("", (self.scope,))
        with self.catalog.connection() as c:
            rows = c.execute(f"SELECT {_PAGE_COLUMNS} FROM sync_pages WHERE scope = ? {where} ORDER BY url",
                             args).fetchall()
        return [SyncPage(**dict(r)) for r in rows]

    def page(self, url: str) -> SyncPage | None:
        with self.catalog.connection() as c:
            row = c.execute(f"SELECT {_PAGE_COLUMNS} FROM sync_pages WHERE scope = ? AND url = ?",
                            (self.scope, url)).fetchone()
        return SyncPage(**dict(row)) if row else None

    def save_page(self, page: SyncPage) -> None:
        with self.catalog.connection() as c:
            _upsert_page(c, self.scope, page)

    def remove_page(self, url: str) -> None:
        with self.catalog.connection() as c:
            c.execute("DELETE FROM sync_pages WHERE scope = ? AND url = ?", (self.scope, url))


def _upsert_page(conn: sqlite3.Connection, scope: str, p: SyncPage) -> None:
    conn.execute(
        f"INSERT INTO sync_pages (scope, {_PAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scope, url) DO UPDATE SET origin = excluded.origin, etag = excluded.etag,"
        " last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256,"
        " last_synced_at = excluded.last_synced_at, next_sync_at = excluded.next_sync_at,"
        " last_error = excluded.last_error, error_count = excluded.error_count, gone_count = excluded.gone_count",
        (scope, p.url, p.origin, p.etag, p.last_modified, p.body_sha256, p.last_synced_at, p.next_sync_at,
         p.last_error, p.error_count, p.gone_count),
    )


def sync_scopes(db_path: Path) -> list[str]:
    """Every scope with a registered re-sync source (empty when there is no DB yet)."""
    if not Path(db_path).exists():
        return []
    with Catalog(db_path, "global").connection() as c:  # any scope: the constructor only migrates
        return [r[0] for r in c.execute("SELECT DISTINCT scope FROM sync_sources ORDER BY scope")]
