"""What operations need from retrieval: scopes, index files, writer locks and a consistency check.

The bot's `doctor`, `backup` and `restore` use these instead of knowing retrieval's
tables or file layout. Repair is `KnowledgeBase.reindex()` (it needs an embedder).
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog
from .dense import DenseIndex
from .layout import DB_FILENAME, INDEXES, index_dir, lock_path
from .locking import ScopeLock
from .sparse import SparseIndex

__all__ = ["DATA_NAMES", "DB_FILENAME", "INDEXES", "IndexFiles", "ScopeCheck", "check_scope", "index_dir",
           "index_files", "scope_lock", "scopes_in"]

# everything of retrieval's in a data dir: the DB (with SQLite's WAL and shared-memory files) and the indexes
DATA_NAMES = (DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm", INDEXES)


@dataclass(frozen=True)
class IndexFiles:
    """The index generation a scope's catalogue names, and where its files are (None: none named)."""

    scope: str
    generation: int
    dense: Path | None
    sparse: Path | None

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.dense, self.sparse) if p is not None]


@dataclass
class ScopeCheck:
    """One scope's catalogue counts and every disagreement between its rows and index files."""

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


def scopes_in(db_path: Path) -> list[str]:
    """Scopes with documents or an index in the DB, read without migrating (empty when it has no such tables)."""
    with closing(sqlite3.connect(str(db_path), timeout=30.0)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"documents", "index_state"} <= tables:
            return []
        rows = conn.execute("SELECT scope FROM documents UNION SELECT scope FROM index_state ORDER BY scope")
        return [r[0] for r in rows]


def index_files(data_dir: Path, scope: str, *, db_path: Path | None = None) -> IndexFiles:
    """The current generation's files of `scope` under `data_dir`, as named by `db_path` (default: its DB)."""
    state = Catalog(Path(db_path) if db_path else Path(data_dir) / DB_FILENAME, scope).index_state()
    folder = index_dir(data_dir, scope)
    return IndexFiles(scope, state.generation,
                      folder / state.dense_file if state.generation and state.dense_file else None,
                      folder / state.sparse_dir if state.generation and state.sparse_dir else None)


def scope_lock(data_dir: Path, scope: str) -> ScopeLock:
    """The scope's writer lock: while held, no ingest can publish (or delete) a generation."""
    return ScopeLock(lock_path(data_dir, scope))


def check_scope(data_dir: Path, scope: str) -> ScopeCheck:
    """Whether the catalogue's rows agree with each other and with the index generation it names."""
    catalog = Catalog(Path(data_dir) / DB_FILENAME, scope)
    check = ScopeCheck(scope)
    files = index_files(data_dir, scope)
    check.generation = files.generation
    db_ids = {r.id for r in catalog.all_chunks()}
    check.documents, check.chunks = catalog.counts()
    with catalog.connection() as conn:
        check.problems.extend(_row_problems(conn, scope))
    if files.dense is None or files.sparse is None:
        if db_ids:
            check.problems.append(f"{len(db_ids)} chunk(s) in the database but no index generation")
        return check
    dense_ids = _dense_ids(files.dense, check.problems)
    sparse_ids = _sparse_ids(files.sparse, check.problems)
    if dense_ids is not None:
        check.dense_vectors = len(dense_ids)
    if sparse_ids is not None:
        check.sparse_ids = len(sparse_ids)
    for label, ids in (("dense", dense_ids), ("sparse", sparse_ids)):
        if ids is None:
            continue
        missing, extra = db_ids - ids, ids - db_ids
        if missing:
            check.problems.append(f"{len(missing)} chunk(s) in the database missing from the {label} index")
        if extra:
            check.problems.append(f"{len(extra)} {label} index id(s) with no chunk in the database")
    return check


def _row_problems(conn: sqlite3.Connection, scope: str) -> list[str]:
    stale = conn.execute(
        "SELECT d.source FROM documents d WHERE d.scope = ? AND d.chunk_count !="
        " (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id)", (scope,)
    ).fetchall()
    orphans = conn.execute(
        "SELECT COUNT(*) FROM chunks c WHERE c.scope = ? AND NOT EXISTS"
        " (SELECT 1 FROM documents d WHERE d.id = c.document_id)", (scope,)
    ).fetchone()[0]
    problems = []
    if stale:
        problems.append(f"{len(stale)} document(s) whose chunk count disagrees with their chunks")
    if orphans:
        problems.append(f"{orphans} chunk(s) without a document")
    return problems


def _dense_ids(path: Path, problems: list[str]) -> set[int] | None:
    if not path.is_file():
        problems.append(f"dense index file missing: {path.name}")
        return None
    try:
        return {int(i) for i in DenseIndex.load(path).ids()}
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
        problems.append(f"dense index unreadable: {type(exc).__name__}")
        return None


def _sparse_ids(path: Path, problems: list[str]) -> set[int] | None:
    if not path.is_dir():
        problems.append(f"sparse index missing: {path.name}")
        return None
    try:
        return {int(i) for i in SparseIndex.load(path).ids}
    except Exception as exc:  # noqa: BLE001
        problems.append(f"sparse index unreadable: {type(exc).__name__}")
        return None
