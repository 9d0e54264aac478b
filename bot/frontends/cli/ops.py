"""`ragcord doctor | backup | restore | prune`: the operator's commands (registered in bot/cli.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.core.config import Settings
from bot.services.ops import OpsError, backup, doctor, prune, restore

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def doctor_cmd(
    ctx: typer.Context,
    scope: Annotated[str | None, typer.Option("--scope", "-s", help="check one knowledge base only")] = None,
    repair: Annotated[bool, typer.Option("--repair", help="re-index broken scopes from the stored chunks")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check that the database and the indexes agree; exit code 1 when they do not."""
    settings: Settings = ctx.obj
    url = settings.database_url
    report = doctor(settings.data_dir, scope, database_url=url)
    repaired: dict[str, int] = {}
    if repair and not report.ok:
        broken = [s.scope for s in report.scopes if not s.ok]
        if broken:
            from bot.core.embedding import embedder_pool
            from retrieval.knowledge_base import KnowledgeBase
            from retrieval.knowledge_bases import KnowledgeBases

            embedder = embedder_pool(settings)  # each scope's own
            config = settings.retrieval
            kbs = KnowledgeBases(settings.data_dir, embedder, config, database_url=url) if url else None
            for name in broken:
                kb = kbs.get(name) if kbs else KnowledgeBase(settings.data_dir, name, embedder, config)
                repaired[name] = kb.reindex()
            report = doctor(settings.data_dir, scope, database_url=url)
    if as_json:
        print(json.dumps({**report.as_dict(), "repaired": repaired}))
    else:
        for fact in report.checked:
            out.print(f"✓ database: {fact}", markup=False)
        for problem in report.database:
            out.print(f"✗ database: {problem}", markup=False)
        for s in report.scopes:
            mark = "✓" if s.ok else "✗"
            out.print(f"{mark} {s.scope}: generation {s.generation}, {s.documents} documents, {s.chunks} chunks, "
                      f"{s.dense_vectors} vectors, {s.sparse_ids} BM25 entries", markup=False)
            for problem in s.problems:
                out.print(f"    {problem}", markup=False)
        for name, n in repaired.items():
            out.print(f"re-indexed {name} from {n} stored chunks", markup=False)
        if not report.scopes and not report.database:
            out.print("✓ database ok; no knowledge bases yet", markup=False)
    if not report.ok:
        raise typer.Exit(1)


def backup_cmd(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="an empty or new folder")],
) -> None:
    """Back up the database (online, consistent) and the current index generation of every scope."""
    settings: Settings = ctx.obj
    try:
        done = backup(settings.data_dir, dest, database_url=settings.database_url)
    except (OpsError, OSError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    if settings.database_url:
        out.print(f"Dumped the PostgreSQL database with pg_dump: {done.files} files ({done.bytes:,} bytes) in {dest}",
                  markup=False)
        return
    out.print(f"Backed up {len(done.scopes)} knowledge base(s), {done.files} files ({done.bytes:,} bytes) to {dest}",
              markup=False)


def migrate_cmd(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="postgresql://user@host:port/database")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="the data dir to copy (default: the configured one)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace what the PostgreSQL database already holds")] = False,
) -> None:
    """Copy a SQLite + FAISS data dir into PostgreSQL (stop the bot first), then verify the copy."""
    import asyncio

    from bot.services.migrate import MigrateError, migrate

    settings: Settings = ctx.obj
    if not to.startswith(("postgresql://", "postgres://")):
        raise _fail("--to must be a postgresql:// URL")
    source = data_dir or settings.data_dir
    try:
        report = asyncio.run(migrate(source, to, force=force))
    except MigrateError as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    kb = report.kb
    detail = ", ".join(f"{t} {n}" for t, n in report.tables.items() if n) or "no rows"
    out.print(f"Copied {len(report.tables)} tables, {report.rows} rows into {report.target} ({detail})",
              markup=False)
    out.print(f"Copied {kb.scopes} knowledge base(s): {kb.documents} documents, {kb.chunks} chunks, {kb.vectors}"
              f" vectors, {kb.sentence_vectors} sentence vectors", markup=False)
    out.print(f"Verified: row counts equal in every table, {report.sampled} sampled answers equal field by field",
              markup=False)
    out.print('Next: set database_url = "postgresql://…" (or RAGCORD_DATABASE_URL) and start the bot', markup=False)


def restore_cmd(
    ctx: typer.Context,
    src: Annotated[Path, typer.Argument(help="a folder written by `ragcord backup`")],
    force: Annotated[bool, typer.Option("--force", help="overwrite a data dir that is not empty")] = False,
) -> None:
    """Restore a backup into the data dir (stop the bot first)."""
    settings: Settings = ctx.obj
    try:
        report = restore(src, settings.data_dir, force=force)
    except (OpsError, OSError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    status = "doctor: ok" if report.ok else "doctor found problems — run `ragcord doctor`"
    out.print(f"Restored {src} into {settings.data_dir} ({status})", markup=False)
    if not report.ok:
        raise typer.Exit(1)


def prune_cmd(
    ctx: typer.Context,
    days: Annotated[int | None, typer.Option(help="keep this many days (default: retention.days)")] = None,
) -> None:
    """Delete logs (messages, answers, feedback, summaries, resolved flags) older than the retention period."""
    settings: Settings = ctx.obj
    keep = settings.retention.days if days is None else days
    if keep <= 0:
        out.print("Retention is off (retention.days = 0): nothing deleted.", markup=False)
        return
    counts = prune(settings.db_path, keep)
    total = sum(counts.values())
    detail = ", ".join(f"{n} {t}" for t, n in counts.items() if n) or "nothing"
    out.print(f"Deleted {total} row(s) older than {keep} days: {detail}", markup=False)


def reindex_cmd(
    ctx: typer.Context,
    scope: Annotated[str, typer.Option("--scope", "-s", help="knowledge base: global, guild:<id>, ...")] = "global",
    embedder: Annotated[str | None, typer.Option(
        "--embedder", help="minilm | multilingual (default: the one the scope uses)")] = None,
) -> None:
    """Re-embed a knowledge base from its stored chunks, optionally with another embedder."""
    from bot.core.embedding import embedder_pool
    from retrieval.embedder_record import name_of
    from retrieval.embedders import kind_of
    from retrieval.knowledge_bases import KnowledgeBases

    settings: Settings = ctx.obj
    pool = embedder_pool(settings)
    kind = kind_of(embedder) if embedder else None
    if embedder and kind is None:
        raise _fail(f"unknown embedder {embedder!r}: minilm or multilingual")
    if kind and pool.forced and kind_of(pool.model) != kind:
        raise _fail(f"[embedder] model = {pool.model!r} is set for every scope: unset it to choose per scope")
    kbs = KnowledgeBases(settings.data_dir, pool, settings.retrieval, database_url=settings.database_url)
    if scope not in kbs.scopes():
        raise _fail(f"no knowledge base {scope!r}")
    kb = kbs.get(scope)
    target = pool.get(kind) if kind else kb.embedder
    chunks = kb.reindex(target)
    out.print(f"re-embedded {chunks} chunks of {scope} with {kind_of(name_of(target)) or name_of(target)}",
              markup=False)
