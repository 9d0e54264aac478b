"""A throwaway PostgreSQL server for tests: initdb in a temporary directory, a free port on 127.0.0.1.

The binaries come from RAGCORD_TEST_PG_BIN if set, else the `pgserver` wheel (PostgreSQL 16.2 with
pgvector 0.6.2, a test dependency), else a PostgreSQL on the machine (/usr/lib/postgresql/*/bin, PATH). Nothing of the OS's own clusters is
used. PostgreSQL refuses to run as root, so under root the server runs as `nobody`.
"""
from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path


def find_bin_dir() -> Path | None:
    """A directory holding initdb and pg_ctl, or None."""
    chosen = os.environ.get("RAGCORD_TEST_PG_BIN")  # e.g. /usr/lib/postgresql/15/bin
    candidates: list[Path] = [Path(chosen)] if chosen else []
    spec = importlib.util.find_spec("pgserver")  # located, not imported: its import touches the user's dirs
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "pginstall" / "bin" for p in spec.submodule_search_locations]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _runner() -> tuple[Callable[[], None] | None, int | None]:
    """A preexec function dropping to `nobody` when running as root (and that user's uid)."""
    if os.geteuid() != 0:
        return None, None
    user = pwd.getpwnam("nobody")

    def drop() -> None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return drop, user.pw_uid


def _copy_install(bin_dir: Path, into: Path) -> Path:
    """Copy a server installation (pgserver's site-packages/pgserver/pginstall and the vendored
    libraries its binaries find at $ORIGIN/../../../pgserver.libs) under `into`; its new bin dir."""
    install = bin_dir.parent
    target = into / install.parent.name / install.name
    shutil.copytree(install, target, symlinks=True)
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, into / libs.name, symlinks=True)
    return target / bin_dir.name


def _others_can_reach(path: Path) -> bool:
    """Whether a user other than the owner can traverse every folder down to `path`."""
    return all(os.stat(folder).st_mode & 0o001 for folder in [path, *path.parents])


@contextlib.contextmanager
def postgres_server(timeout_s: float = 60) -> Iterator[str]:
    """Start a server, yield its DSN (database `postgres`, user `postgres`, trust auth), stop it."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL binaries (pip install pgserver, or install postgresql)")
    drop, uid = _runner()
    root = Path(tempfile.mkdtemp(prefix="ragcord-pg-"))
    data = root / "data"
    data.mkdir()
    if uid is not None:
        os.chmod(root, 0o755)
        os.chown(data, uid, -1)
        if not _others_can_reach(bin_dir):  # a clone under /root or a 0700 temp dir: copy the server over
            bin_dir = _copy_install(bin_dir, root / "pg")
    port = free_port()

    def run(*args: str) -> None:
        subprocess.run([str(bin_dir / args[0]), *args[1:]], check=True, capture_output=True, text=True,
                       preexec_fn=drop, cwd=root, timeout=timeout_s)

    try:
        run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        run("pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", str(int(timeout_s)),
            "-o", f"-h 127.0.0.1 -p {port} -k {data} -F", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")  # a start that timed out
        shutil.rmtree(root, ignore_errors=True)
        lines = str(getattr(exc, "stderr", None) or exc).strip().splitlines()
        raise RuntimeError(f"PostgreSQL did not start: {lines[-1] if lines else exc}") from exc
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


_databases = itertools.count(1)


@contextlib.asynccontextmanager
async def fresh_database(dsn: str) -> AsyncIterator[str]:
    """An empty database on the server at `dsn`, dropped afterwards; yields its URL."""
    import asyncpg

    name = f"ragcord_test_{os.getpid()}_{next(_databases)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin(f"CREATE DATABASE {name}")
    try:
        yield dsn.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin(f"DROP DATABASE {name} WITH (FORCE)")


@contextlib.contextmanager
def fresh_database_sync(dsn: str, prefix: str = "ragcord_sync") -> Iterator[str]:
    """`fresh_database` for synchronous tests (psycopg): an empty database, dropped afterwards."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield dsn.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
