"""`doctor` and `backup` when `database_url` is postgresql://: the checks and the dump for PostgreSQL.

doctor: the server answers, the bot's and the retrieval's migrations are all applied (component
versions in `schema_migrations`), pgvector is installed, and every scope's documents, chunks and
vectors agree. backup: `pg_dump` (custom format) from PATH, the pgserver wheel or
/usr/lib/postgresql, the first one whose version the server accepts. Synchronous (psycopg).
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from bot.services.migrate import where
from retrieval.maintenance import ScopeCheck

DUMP_FILENAME = "ragcord.pgdump"
CONNECT_TIMEOUT_S = 10


class PgOpsError(RuntimeError):
    """One line for the user."""


def _versions() -> dict[str, int]:
    from bot.store.database import COMPONENT
    from bot.store.postgres.migrations import MIGRATIONS as BOT
    from retrieval.pg.schema import COMPONENT as KB_COMPONENT
    from retrieval.pg.schema import MIGRATIONS as KB

    return {COMPONENT: len(BOT), KB_COMPONENT: len(KB)}


def doctor_pg(url: str, scope: str | None = None) -> tuple[list[str], list[str], list[ScopeCheck]]:
    """(facts found, database problems, per-scope checks) of the PostgreSQL at `url`."""
    info: list[str] = []
    problems: list[str] = []
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
    except (psycopg.Error, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return info, [f"cannot connect to PostgreSQL {where(url)}: {first}"], []
    with conn:
        server = conn.execute("SHOW server_version").fetchone()
        info.append(f"PostgreSQL {server[0] if server else '?'} at {where(url)}")
        applied: dict[str, int] = {}
        if conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone() == (True,):
            applied = {str(c): int(v) for c, v in conn.execute(
                "SELECT component, MAX(version) FROM schema_migrations GROUP BY component")}
        for component, want in _versions().items():
            have = applied.get(component, 0)
            if have == want:
                info.append(f"{component} schema at version {have}")
            elif have < want:
                problems.append(f"{component} schema at version {have} of {want}: start the bot once, or run"
                                " `ragcord migrate`")
            else:
                problems.append(f"{component} schema at version {have}, newer than this ragcord ({want})")
        vector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        if vector:
            info.append(f"pgvector {vector[0]}")
        else:
            problems.append("the pgvector extension is not installed (CREATE EXTENSION vector)")
        checks = _scope_checks(conn, scope) if applied.get("retrieval") else []
    if scope and not any(c.scope == scope for c in checks):
        checks.append(ScopeCheck(scope, problems=[f"no knowledge base {scope!r} in PostgreSQL"]))
    return info, problems, checks


def _scope_checks(conn: psycopg.Connection, only: str | None) -> list[ScopeCheck]:
    rows = conn.execute(
        "SELECT s.scope, COALESCE(i.generation, 0), COALESCE(i.dim, 0),"
        " (SELECT COUNT(*) FROM kb_documents d WHERE d.scope = s.scope),"
        " (SELECT COALESCE(SUM(chunk_count), 0) FROM kb_documents d WHERE d.scope = s.scope),"
        " (SELECT COUNT(*) FROM kb_chunks c WHERE c.scope = s.scope),"
        " (SELECT COUNT(*) FROM kb_chunks c WHERE c.scope = s.scope AND c.dim <> COALESCE(i.dim, c.dim))"
        " FROM (SELECT scope FROM kb_documents UNION SELECT scope FROM kb_index_state) AS s"
        " LEFT JOIN kb_index_state i ON i.scope = s.scope"
        " WHERE %s::text IS NULL OR s.scope = %s ORDER BY s.scope", (only, only)).fetchall()
    checks = []
    for name, generation, dim, documents, listed, chunks, other_dim in rows:
        check = ScopeCheck(str(name), int(generation), int(documents), int(chunks), int(chunks), int(chunks))
        if int(listed) != int(chunks):
            check.problems.append(f"documents list {listed} chunks, {chunks} are stored")
        if int(other_dim):
            check.problems.append(f"{other_dim} chunks have vectors of another dimension than {dim}")
        if int(chunks) and not int(generation):
            check.problems.append("chunks are stored but the scope was never published")
        checks.append(check)
    return checks


# --- backup -----------------------------------------------------------------------------------------
def pg_dump_candidates() -> list[Path]:
    """Every pg_dump found: PATH, the pgserver wheel (pginstall/bin), /usr/lib/postgresql/*/bin."""
    found: list[Path] = []
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(Path(on_path))
    spec = importlib.util.find_spec("pgserver")  # located, not imported
    if spec is not None and spec.submodule_search_locations:
        found += [Path(p) / "pginstall" / "bin" / "pg_dump" for p in spec.submodule_search_locations]
    found += sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True)
    return [p for p in dict.fromkeys(found) if p.is_file()]


def backup_pg(url: str, dest: Path) -> tuple[int, int]:
    """Dump the database at `url` into `dest` (empty or new); (files, bytes) written."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise PgOpsError(f"backup destination {dest} is not empty")
    tools = pg_dump_candidates()
    if not tools:
        raise PgOpsError("backing up PostgreSQL needs pg_dump (install postgresql-client, or pip install pgserver)")
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / DUMP_FILENAME
    failure = ""
    for tool in tools:
        done = subprocess.run([str(tool), "--format=custom", f"--file={target}", f"--dbname={url}"],
                              capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode == 0:
            break
        failure = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        target.unlink(missing_ok=True)
    else:
        raise PgOpsError(f"pg_dump failed: {failure}")
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": where(url),
                "format": "pg_dump custom", "dump": DUMP_FILENAME,
                "restore": f"pg_restore --clean --if-exists --dbname=URL {DUMP_FILENAME}"}
    (dest / "ragcord-backup.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return 2, target.stat().st_size + (dest / "ragcord-backup.json").stat().st_size
