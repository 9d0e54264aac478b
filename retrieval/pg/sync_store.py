"""Re-sync state in PostgreSQL (kb_sync_sources / kb_sync_pages): `sync_state.SyncStore`'s
methods over the same rows, every query filtered by scope."""
from __future__ import annotations

from ..sync_state import SyncPage, SyncSource
from .connection import Connections

_SOURCE_COLUMNS = ("url, kind, every_s, added_at, last_synced_at, next_sync_at, last_error, error_count, etag,"
                   " last_modified")
_PAGE_COLUMNS = ("url, origin, etag, last_modified, body_sha256, last_synced_at, next_sync_at, last_error,"
                 " error_count, gone_count")


class PgSyncStore:
    def __init__(self, pool: Connections, scope: str) -> None:
        self.pool = pool
        self.scope = scope

    # --- sources
    def add_source(self, url: str, kind: str, every_s: int, now: float) -> SyncSource:
        """Register (or re-register: kind and schedule replaced) a source."""
        with self.pool.connection() as c:
            c.execute(
                "INSERT INTO kb_sync_sources (scope, url, kind, every_s, added_at) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (scope, url) DO UPDATE SET kind = excluded.kind, every_s = excluded.every_s,"
                " next_sync_at = NULL", (self.scope, url, kind, int(every_s), now))
        found = self.source(url)
        assert found is not None
        return found

    def source(self, url: str) -> SyncSource | None:
        with self.pool.connection() as c:
            row = c.execute(f"SELECT {_SOURCE_COLUMNS} FROM kb_sync_sources WHERE scope = %s AND url = %s",
                            (self.scope, url)).fetchone()
        return SyncSource(*row) if row else None

    def sources(self) -> list[SyncSource]:
        with self.pool.connection() as c:
            rows = c.execute(f"SELECT {_SOURCE_COLUMNS} FROM kb_sync_sources WHERE scope = %s ORDER BY url",
                             (self.scope,)).fetchall()
        return [SyncSource(*r) for r in rows]

    def source_done(self, url: str, *, now: float, next_at: float | None, error: str | None,
                    error_count: int) -> None:
        with self.pool.connection() as c:
            c.execute("UPDATE kb_sync_sources SET last_synced_at = %s, next_sync_at = %s, last_error = %s,"
                      " error_count = %s WHERE scope = %s AND url = %s",
                      (now, next_at, error, error_count, self.scope, url))

    def source_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.pool.connection() as c:
            c.execute("UPDATE kb_sync_sources SET etag = %s, last_modified = %s WHERE scope = %s AND url = %s",
                      (etag, last_modified, self.scope, url))

    def remove_source(self, url: str) -> None:
        with self.pool.connection() as c, c.transaction():
            c.execute("DELETE FROM kb_sync_pages WHERE scope = %s AND origin = %s", (self.scope, url))
            c.execute("DELETE FROM kb_sync_sources WHERE scope = %s AND url = %s", (self.scope, url))

    # --- pages
    def pages(self, origin: str | None = None) -> list[SyncPage]:
        where, args = ("AND origin = %s", (self.scope, origin)) if origin else ("", (self.scope,))
        with self.pool.connection() as c:
            rows = c.execute(f"SELECT {_PAGE_COLUMNS} FROM kb_sync_pages WHERE scope = %s {where} ORDER BY url",
                             args).fetchall()
        return [SyncPage(*r) for r in rows]

    def page(self, url: str) -> SyncPage | None:
        with self.pool.connection() as c:
            row = c.execute(f"SELECT {_PAGE_COLUMNS} FROM kb_sync_pages WHERE scope = %s AND url = %s",
                            (self.scope, url)).fetchone()
        return SyncPage(*row) if row else None

    def save_page(self, p: SyncPage) -> None:
        with self.pool.connection() as c:
            c.execute(
                f"INSERT INTO kb_sync_pages (scope, {_PAGE_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (scope, url) DO UPDATE SET origin = excluded.origin, etag = excluded.etag,"
                " last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256,"
                " last_synced_at = excluded.last_synced_at, next_sync_at = excluded.next_sync_at,"
                " last_error = excluded.last_error, error_count = excluded.error_count,"
                " gone_count = excluded.gone_count",
                (self.scope, p.url, p.origin, p.etag, p.last_modified, p.body_sha256, p.last_synced_at,
                 p.next_sync_at, p.last_error, p.error_count, p.gone_count))

    def remove_page(self, url: str) -> None:
        with self.pool.connection() as c:
            c.execute("DELETE FROM kb_sync_pages WHERE scope = %s AND url = %s", (self.scope, url))


def pg_sync_scopes(pool: Connections) -> list[str]:
    """Every scope with a registered re-sync source."""
    with pool.connection() as c:
        return [r[0] for r in c.execute("SELECT DISTINCT scope FROM kb_sync_sources ORDER BY scope").fetchall()]
