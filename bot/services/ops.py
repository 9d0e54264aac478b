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

from retrieval.catalog import Catalog, list_scopes
from retrieval.dense import DenseIndex
from retrieval.knowledge_base import DB_FILENAME, safe_scope_name
from retrieval.locking import ScopeLock
from retrieval.sparse import SparseIndex

MANIFEST = "ragcord-backup.json"
BUSY_TIMEOUT_MS = 30_000


class OpsError(RuntimeError):
    """An operation cannot proceed; the message is one line for the user."""


def _index_dir(data_dir: Path, scope: str) -> Path:
    return Path(data_dir) / "indexes" / safe_scope_name(scope)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


# --- doctor ---------------------------------------------------------------------------------------
@dataclass
class ScopeCheck:
    scope: str
    generation: int = 0
    documents: int = 0
    chunks: int = 0
    dense_vectors: int = 0
    sparse_ids: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DoctorReport:
    database: list[str] = field(default_factory=list)  # problems with the DB file itself
    scopes: list[ScopeCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.database and all(s.ok for s in self.scopes)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "database": self.database,
                "scopes": [{**asdict(s), "ok": s.ok} for s in self.scopes]}


def doctor(data_dir: Path, scope: str | None = None) -> DoctorReport:
    """Check the DB (integrity, WAL) and that every scope's index generation matches its chunks."""
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


def check_scope(data_dir: Path, scope: str) -> ScopeCheck:
    catalog = Catalog(Path(data_dir) / DB_FILENAME, scope)
    check = ScopeCheck(scope)
    state = catalog.index_state()
    check.generation = state.generation
    rows = catalog.all_chunks()
    db_ids = {r.id for r in rows}
    check.documents, check.chunks = catalog.counts()
    with catalog.connection() as conn:
        stale = conn.execute(
            "SELECT d.source FROM documents d WHERE d.scope = ? AND d.chunk_count !="
            " (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id)", (scope,)
        ).fetchall()
        orphans = conn.execute(
            "SELECT COUNT(*) FROM chunks c WHERE c.scope = ? AND NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.id = c.document_id)", (scope,)
        ).fetchone()[0]
    if stale:
        check.problems.append(f"{len(stale)} document(s) whose chunk count disagrees with their chunks")
    if orphans:
        check.problems.append(f"{orphans} chunk(s) without a document")
    if state.generation == 0 or not state.dense_file or not state.sparse_dir:
        if db_ids:
            check.problems.append(f"{len(db_ids)} chunk(s) in the database but no index generation")
        return check
    folder = _index_dir(data_dir, scope)
    dense_path, sparse_path = folder / state.dense_file, folder / state.sparse_dir
    dense_ids: set[int] | None = None
    sparse_ids: set[int] | None = None
    if not dense_path.is_file():
        check.problems.append(f"dense index file missing: {dense_path.name}")
    else:
        try:
            dense_ids = {int(i) for i in DenseIndex.load(dense_path).ids()}
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
            check.problems.append(f"dense index unreadable: {type(exc).__name__}")
    if not sparse_path.is_dir():
        check.problems.append(f"sparse index missing: {sparse_path.name}")
    else:
        try:
            ids = SparseIndex.load(sparse_path).ids
            sparse_ids = {int(i) for i in (ids() if callable(ids) else ids)}
        except Exception as exc:  # noqa: BLE001
            check.problems.append(f"sparse index unreadable: {type(exc).__name__}")
    for label, ids in (("dense", dense_ids), ("sparse", sparse_ids)):
        if ids is None:
            continue
        if label == "dense":
            check.dense_vectors = len(ids)
        else:
            check.sparse_ids = len(ids)
        missing, extra = db_ids - ids, ids - db_ids
        if missing:
            check.problems.append(f"{len(missing)} chunk(s) in the database missing from the {label} index")
        if extra:
            check.problems.append(f"{len(extra)} {label} index id(s) with no chunk in the database")
    return check


# --- backup and restore -----------------------------------------------------------------------------
@dataclass
class BackupReport:
    dest: str
    scopes: dict[str, int]  # scope -> generation copied
    files: int
    bytes: int


def backup(data_dir: Path, dest: Path) -> BackupReport:
    """Copy the DB with SQLite's online backup API and each scope's current index generation.

    Every scope's writer lock is held meanwhile, so no ingest can publish (and delete) a
    generation between the DB snapshot and the copy of the files it names.
    """
    data_dir, dest = Path(data_dir), Path(dest)
    db = data_dir / DB_FILENAME
    if not db.is_file():
        raise OpsError(f"nothing to back up: no database at {db}")
    if dest.exists() and any(dest.iterdir()):
        raise OpsError(f"backup destination {dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    scopes = _scopes(db)  # read-only: a backup never waits for a writer's lock to migrate
    copied: dict[str, int] = {}
    files = size = 0
    with ExitStack() as stack:
        for scope in sorted(scopes):
            stack.enter_context(ScopeLock(_index_dir(data_dir, scope) / ".lock").hold())
        with closing(_connect(db)) as src, closing(_connect(dest / DB_FILENAME)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
        for scope in scopes:
            state = Catalog(dest / DB_FILENAME, scope).index_state()
            copied[scope] = state.generation
            if state.generation == 0:
                continue
            for name in (state.dense_file, state.sparse_dir):
                source = _index_dir(data_dir, scope) / str(name)
                target = _index_dir(dest, scope) / str(name)
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


def _scopes(db: Path) -> list[str]:
    with closing(_connect(db)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"documents", "index_state"} <= tables:
            return []
        rows = conn.execute("SELECT scope FROM documents UNION SELECT scope FROM index_state ORDER BY scope")
        return [r[0] for r in rows]


_DATA_NAMES = (DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm", "indexes")


def restore(src: Path, data_dir: Path, *, force: bool = False) -> DoctorReport:
    """Put a backup in place (stop the bot first). Refuses a non-empty data dir unless `force`."""
    src, data_dir = Path(src), Path(data_dir)
    src_db = src / DB_FILENAME
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
    for name in _DATA_NAMES:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    with closing(_connect(src_db)) as source, closing(_connect(data_dir / DB_FILENAME)) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    if (src / "indexes").is_dir():
        shutil.copytree(src / "indexes", data_dir / "indexes")
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
