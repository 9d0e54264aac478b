"""`ragcord migrate`: move an embedded data dir (SQLite `ragcord.db` + FAISS files) into PostgreSQL.

The bot's tables (every table bot/store/database.py creates) are copied with their ids in ONE
PostgreSQL transaction, checked there (row counts per table, a random sample of answers field by
field) and only then committed; identity sequences continue after the copied ids. The knowledge
bases follow through `retrieval.pg.transfer.import_data_dir` (one transaction per scope, vectors
copied, never re-embedded). The SQLite file is only read. Failures raise MigrateError (one line).
"""
from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.store.database import MIGRATIONS as SQLITE_MIGRATIONS

DB_FILENAME = "ragcord.db"
BATCH = 2000
SAMPLE = 20
COPY_LOCK = 0x72616763_6D67  # pg_advisory_xact_lock key held while copying ("ragcmg")

Value = int | float | str | bytes | None


class MigrateError(RuntimeError):
    """The migration cannot proceed or did not verify; one line for the user."""


@dataclass
class KbCounts:
    scopes: int = 0
    documents: int = 0
    chunks: int = 0
    vectors: int = 0
    sentence_vectors: int = 0


@dataclass
class MigrateReport:
    target: str  # host:port/database, never the password
    tables: dict[str, int] = field(default_factory=dict)  # bot table -> rows copied (= rows in both)
    sampled: int = 0  # answers compared field by field
    kb: KbCounts = field(default_factory=KbCounts)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def bot_tables() -> list[str]:
    """The bot store's tables in creation order (a referenced table before the ones referencing it)."""
    names = re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", "\n".join(SQLITE_MIGRATIONS))
    return list(dict.fromkeys(n for n in names if n != "schema_migrations"))


def where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


# --- reading SQLite (read-only, one snapshot) -----------------------------------------------------
class _Lite:
    """A read-only connection to the data dir's database, inside one read transaction."""

    def __init__(self, path: Path) -> None:
        try:
            self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                                        isolation_level=None, timeout=30)
            self.conn.execute("BEGIN")
            self.tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise MigrateError(f"cannot read {path}: {exc}") from None

    def columns(self, table: str) -> list[str]:
        return [str(r[1]) for r in self.conn.execute(f'PRAGMA table_info("{table}")')]

    def count(self, table: str) -> int:
        if table not in self.tables:
            return 0
        return int(self.conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def _coercer(pg_type: str, name: str) -> Callable[[Value], Value]:
    """Turn a SQLite value into what the PostgreSQL column's binary COPY expects."""
    def coerce(v: Value) -> Value:
        if v is None:
            return None
        if pg_type in ("bigint", "integer", "smallint"):
            if isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
                return int(v)
        elif pg_type in ("double precision", "real", "numeric"):
            if isinstance(v, int | float):
                return float(v)
        elif pg_type == "bytea":
            if isinstance(v, bytes | memoryview):
                return bytes(v)
            if isinstance(v, str):
                return v.encode("utf-8")
        elif isinstance(v, str):
            return v
        elif isinstance(v, int | float):
            return str(v)
        raise MigrateError(f"{name}: the value {v!r:.40} does not fit PostgreSQL's {pg_type}")

    return coerce


# --- the copy -------------------------------------------------------------------------------------
async def migrate(data_dir: Path, url: str, *, force: bool = False, sample: int = SAMPLE,
                  seed: int | None = None) -> MigrateReport:
    """Copy `data_dir` into the PostgreSQL at `url`, verify, and return what was copied."""
    db_path = Path(data_dir) / DB_FILENAME
    if not db_path.is_file():
        raise MigrateError(f"nothing to migrate: no database at {db_path}")
    try:
        from bot.store.postgres import PgDatabase
    except ImportError as exc:
        raise MigrateError(f"migrating needs asyncpg: pip install 'ragcord[postgres]' ({exc})") from None
    report = MigrateReport(where(url))
    lite = _Lite(db_path)
    try:
        try:
            db = await PgDatabase.open(url)  # creates / migrates the bot schema, as the bot would
        except ConnectionError as exc:
            raise MigrateError(str(exc)) from None
        import asyncpg

        try:
            async with db.transaction() as tx:
                await tx.execute("SELECT pg_advisory_xact_lock($1)", COPY_LOCK)
                types = await _pg_columns(tx)
                tables = [t for t in bot_tables() if t in types]
                await _refuse_or_clear(tx, tables, force)
                for table in tables:
                    report.tables[table] = await _copy_table(tx, lite, table, types[table])
                    if "id" in types[table]:
                        await _fix_identity(tx, table)
                report.sampled = await _verify(tx, lite, tables, types, sample, seed)
        except asyncpg.PostgresError as exc:  # e.g. a row SQLite kept that PostgreSQL's constraints refuse
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise MigrateError(f"PostgreSQL refused the copy (nothing was written): {first}") from None
        finally:
            await db.close()
        lite_kb = _lite_kb_counts(lite)
    finally:
        lite.close()
    report.kb = await _import_knowledge(Path(data_dir), url, lite_kb)
    return report


async def _pg_columns(tx: Any) -> dict[str, dict[str, str]]:
    rows = await tx.fetch("SELECT table_name, column_name, data_type FROM information_schema.columns"
                          " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    types: dict[str, dict[str, str]] = {}
    for r in rows:
        types.setdefault(str(r["table_name"]), {})[str(r["column_name"])] = str(r["data_type"])
    return types


async def _refuse_or_clear(tx: Any, tables: Sequence[str], force: bool) -> None:
    held = {t: int(await tx.fetchval(f'SELECT COUNT(*) FROM (SELECT 1 FROM "{t}" LIMIT 1) AS one')) for t in tables}
    if await tx.fetchval("SELECT to_regclass('kb_documents') IS NOT NULL"):
        held["kb_documents"] = int(await tx.fetchval("SELECT COUNT(*) FROM (SELECT 1 FROM kb_documents LIMIT 1) AS o"))
    full = [t for t, n in held.items() if n]
    if full and not force:
        named = ", ".join(full[:3]) + (f" and {len(full) - 3} more tables" if len(full) > 3 else "")
        raise MigrateError(f"the PostgreSQL database already holds rows ({named}); use --force to replace them")
    if full and tables:
        await tx.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


async def _copy_table(tx: Any, lite: _Lite, table: str, pg_types: dict[str, str]) -> int:
    if table not in lite.tables:
        return 0  # an older data dir without this table: nothing to copy
    columns = [c for c in lite.columns(table) if c in pg_types]
    coerce = [_coercer(pg_types[c], f"{table}.{c}") for c in columns]
    cursor = lite.conn.execute(f"SELECT {', '.join(_q(c) for c in columns)} FROM \"{table}\" ORDER BY rowid")
    copied = 0
    while True:
        batch = await asyncio.to_thread(cursor.fetchmany, BATCH)
        if not batch:
            return copied
        records = [tuple(f(v) for f, v in zip(coerce, row, strict=True)) for row in batch]
        await tx.copy_records_to_table(table, records=records, columns=columns)
        copied += len(records)


async def _fix_identity(tx: Any, table: str) -> None:
    sequence = await tx.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
    if sequence:
        await tx.execute(f"SELECT setval($1, GREATEST(m, 1), m > 0) FROM (SELECT COALESCE(MAX(id), 0) AS m"
                         f' FROM "{table}") AS top', sequence)


async def _verify(tx: Any, lite: _Lite, tables: Sequence[str], types: dict[str, dict[str, str]], sample: int,
                  seed: int | None) -> int:
    """Row counts equal in every table, and `sample` random answers equal field by field."""
    for table in tables:
        want, got = lite.count(table), int(await tx.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
        if want != got:
            raise MigrateError(f"verification failed: {table} has {want} rows in SQLite, {got} in PostgreSQL")
    if "answers" not in lite.tables or "answers" not in types:
        return 0
    ids = [int(r[0]) for r in lite.conn.execute("SELECT id FROM answers")]
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    columns = [c for c in lite.columns("answers") if c in types["answers"]]
    coerce = [_coercer(types["answers"][c], f"answers.{c}") for c in columns]
    listed = ", ".join(_q(c) for c in columns)
    for answer_id in chosen:
        row = lite.conn.execute(f"SELECT {listed} FROM answers WHERE id = ?", (answer_id,)).fetchone()
        theirs = await tx.fetchrow(f"SELECT {listed} FROM answers WHERE id = $1", answer_id)
        for name, f, mine in zip(columns, coerce, row, strict=True):
            if theirs is None or f(mine) != theirs[name]:
                raise MigrateError(f"verification failed: answer {answer_id} differs in {name}")
    return len(chosen)


def _q(column: str) -> str:
    return f'"{column}"'


# --- knowledge bases ------------------------------------------------------------------------------
def _lite_kb_counts(lite: _Lite) -> KbCounts:
    scopes = set()
    if "documents" in lite.tables:
        scopes = {str(r[0]) for r in lite.conn.execute("SELECT DISTINCT scope FROM documents")}
    return KbCounts(scopes=len(scopes), documents=lite.count("documents"), chunks=lite.count("chunks"))


async def _import_knowledge(data_dir: Path, url: str, expected: KbCounts) -> KbCounts:
    import psycopg

    from retrieval.pg.transfer import TransferError, import_data_dir

    try:
        copied = await asyncio.to_thread(import_data_dir, data_dir, url)
    except (TransferError, psycopg.Error, sqlite3.Error, OSError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise MigrateError(f"the bot's tables were copied, the knowledge bases were not: {first}"
                           " (fix it, then rerun with --force)") from None
    got = KbCounts(scopes=len(copied.scopes), documents=copied.documents, chunks=copied.chunks,
                   vectors=copied.vectors, sentence_vectors=copied.sentence_vectors)
    held = await asyncio.to_thread(_pg_kb_counts, url, sorted(copied.scopes))
    if held != (got.documents, got.chunks, got.vectors):
        raise MigrateError(f"verification failed: PostgreSQL holds {held[0]} documents, {held[1]} chunks and"
                           f" {held[2]} vectors of the copied scopes, {got.documents}, {got.chunks}, {got.vectors}"
                           " were sent")
    if (got.documents, got.chunks) != (expected.documents, expected.chunks) or got.vectors != got.chunks:
        raise MigrateError(f"verification failed: SQLite holds {expected.documents} documents and {expected.chunks}"
                           f" chunks, PostgreSQL received {got.documents}, {got.chunks} and {got.vectors} vectors")
    return got


def _pg_kb_counts(url: str, scopes: list[str]) -> tuple[int, int, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT COUNT(*) FROM kb_documents WHERE scope = ANY(%s)),"
            " (SELECT COUNT(*) FROM kb_chunks WHERE scope = ANY(%s)),"
            " (SELECT COUNT(*) FROM kb_chunks WHERE scope = ANY(%s) AND embedding IS NOT NULL)",
            (scopes, scopes, scopes)).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
