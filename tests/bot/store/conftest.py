"""Store fixtures: `open_store` runs a test on SQLite and on PostgreSQL, `open_pg` on PostgreSQL only.

PostgreSQL is the session's throwaway server (tests/pg.py, fixture `postgres_dsn`), a fresh database
per test; without asyncpg or a server those runs skip saying why.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import Store
from tests.pg import fresh_database

Opener = Callable[[], Awaitable[Store]]


def _opener(path: Path, url: str | None) -> Opener:
    async def open_() -> Store:  # the test closes each store it opens; opening again = the same database
        return await Store.open(path, url)

    return open_


@pytest.fixture
async def open_pg(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    pytest.importorskip("asyncpg", reason="asyncpg not installed (pip install -e '.[postgres]')")
    async with fresh_database(request.getfixturevalue("postgres_dsn")) as url:
        yield _opener(tmp_path / "unused.db", url)


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    if request.param == "sqlite":
        yield _opener(tmp_path / "db.sqlite", None)
        return
    pytest.importorskip("asyncpg", reason="asyncpg not installed (pip install -e '.[postgres]')")
    async with fresh_database(request.getfixturevalue("postgres_dsn")) as url:
        yield _opener(tmp_path / "db.sqlite", url)
