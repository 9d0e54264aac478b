"""Operating a data dir: `doctor` (DB and indexes agree), `backup` / `restore`, `prune` (retention).

All synchronous and free of Discord; the CLI (`bot/cli_ops.py`) and the bot's retention task
call them (the bot through a worker thread). Failures a user can cause raise OpsError with one
line.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from retrieval.catalog import list_scopes
from retrieval.maintenance import (
    DATA_NAMES,
    DB_FILENAME,
    INDEXES,
    ScopeCheck,
    check_scope,
    index_dir,
    index_files,
    scope_lock,
    scopes_in,
)

MANIFEST = "ragcord-backup.json"
BUSY_TIMEOUT_MS = 30_000


class OpsError(RuntimeError):
    """An operation cannot proceed; the message is one line for the user."""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


# --- doctor ---------------------------------------------------------------------------------------
@dataclass
class DoctorReport:
    database: list[str] = field(default_factory=list)  # problems with the DB file itself
    scopes: list[ScopeCheck] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was found fine (PostgreSQL: server, schema, pgvector)

    @property
    def ok(self) -> bool:
        return not self.database and all(s.ok for s in self.scopes)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "database": self.database, "checked": self.checked,
                "scopes": [{**asdict(s), "ok": s.ok} for s in self.scopes]}


def doctor(data_dir: Path, scope: str | None = None, *, database_url: str | None = None) -> DoctorReport:
    """Check the DB (integrity, WAL) and that every scope's index generation matches its chunks.

    With a postgresql:// `database_url`: connectivity, applied migrations, pgvector, per-scope counts.
    """
    if database_url:
        from bot.services.ops_pg import doctor_pg

        checked, problems, checks = doctor_pg(database_url, scope)
        return DoctorReport(problems, checks, checked)
    data_dir = Path(data_dir)
    db = data_dir / DB_FILENAME
    report = DoctorReport()
    if not db.exists():
        report.database.append(f"no database at {db}")
        return report
    with closing(_connect(db)) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            report.database.append(f"integrity check failed: {integrity}")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            report.database.append(f"journal mode is {mode}, not wal")
    for name in [scope] if scope else list_scopes(db):
        report.scopes.append(check_scope(data_dir, name))
    return report


# --- backup and restore -----------------------------------------------------------------------------
@dataclass
class BackupReport:
    dest: str
    scopes: dict[str, int]  # scope -> generation copied
    files: int
    bytes: int


def backup(data_dir: Path, dest: Path, *, database_url: str | None = None) -> BackupReport:
    """Copy the DB with SQLite's online backup API and each scope's current index generation.

    Every scope's writer lock is held meanwhile, so no ingest can publish (and delete) a
    generation between the DB snapshot and the copy of the files it names. With a postgresql://
    `database_url`, one `pg_dump` of that database instead (everything lives there).
    """
    if database_url:
        from bot.services.ops_pg import PgOpsError, backup_pg

        try:
            files, size = backup_pg(database_url, Path(dest))
        except PgOpsError as exc:
            raise OpsError(str(exc)) from None
        return BackupReport(str(dest), {}, files, size)
    data_dir, dest = Path(data_dir), Path(dest)
    db = data_dir / DB_FILENAME
    if not db.is_file():
        raise OpsError(f"nothing to back up: no database at {db}")
    if dest.exists() and any(dest.iterdir()):
        raise OpsError(f"backup destination {dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    scopes = scopes_in(db)  # read-only: a backup never waits for a writer's lock to migrate
    copied: dict[str, int] = {}
    files = size = 0
    with ExitStack() as stack:
        for scope in sorted(scopes):
            stack.enter_context(scope_lock(data_dir, scope).hold())
        with closing(_connect(db)) as src, closing(_connect(dest / DB_FILENAME)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
        for scope in scopes:
            current = index_files(data_dir, scope, db_path=dest / DB_FILENAME)  # what the copied DB names
            copied[scope] = current.generation
            if current.generation == 0:
                continue
            for source in current.paths:
                name = source.name
                target = index_dir(dest, scope) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if source.is_dir():
                    shutil.copytree(source, target)
                elif source.is_file():
                    shutil.copy2(source, target)
                else:
                    raise OpsError(f"index files of {scope} are missing ({name}); run `ragcord doctor --repair` first")
    for path in dest.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "scopes": copied}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return BackupReport(str(dest), copied, files, size)


def restore(src: Path, data_dir: Path, *, force: bool = False) -> DoctorReport:
    """Put a backup in place (stop the bot first). Refuses a non-empty data dir unless `force`."""
    src, data_dir = Path(src), Path(data_dir)
    src_db = src / DB_FILENAME
    if (src / "ragcord.pgdump").is_file():
        raise OpsError(f"{src} is a PostgreSQL dump: restore it with pg_restore --dbname=URL {src / 'ragcord.pgdump'}")
    if not src_db.is_file():
        raise OpsError(f"not a ragcord backup: no {DB_FILENAME} in {src}")
    with closing(sqlite3.connect(f"file:{src_db}?mode=ro", uri=True)) as conn:
        try:
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise OpsError(f"backup database is unreadable: {exc}") from None
        if status != "ok":
            raise OpsError(f"backup database failed its integrity check: {status}")
    if data_dir.exists() and any(data_dir.iterdir()) and not force:
        raise OpsError(f"data dir {data_dir} is not empty; use --force to overwrite it")
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in DATA_NAMES:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    with closing(_connect(src_db)) as source, closing(_connect(data_dir / DB_FILENAME)) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    if (src / INDEXES).is_dir():
        shutil.copytree(src / INDEXES, data_dir / INDEXES)
    return doctor(data_dir)


# --- retention --------------------------------------------------------------------------------------
def prune(db_path: Path, days: int, now: datetime | None = None) -> dict[str, int]:
    """Delete messages, answers, feedback, summaries and resolved flags older than `days` days.

    `days <= 0` keeps everything. Returns the number of rows deleted per table.
    """
    if days <= 0 or not Path(db_path).exists():
        return {}
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=days)).isoformat(timespec="seconds")
    counts: dict[str, int] = {}
    with closing(_connect(Path(db_path))) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "messages" not in tables:
            return {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table, sql in (
                ("feedback", "DELETE FROM feedback WHERE created_at < ?1 OR answer_id IN"
                             " (SELECT id FROM answers WHERE created_at < ?1)"),
                ("messages", "DELETE FROM messages WHERE created_at < ?1"),
                ("answers", "DELETE FROM answers WHERE created_at < ?1"),
                ("flags", "DELETE FROM flags WHERE created_at < ?1 AND status = 'resolved'"),
                ("summaries", "DELETE FROM memory_summaries WHERE updated_at < ?1"),
            ):
                if table == "summaries" and "memory_summaries" not in tables:
                    continue
                counts[table] = conn.execute(sql, (cutoff,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return counts
