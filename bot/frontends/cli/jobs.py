"""`ragcord jobs`: recent ingest jobs (bot/services/ingest_jobs.py) — registered in app.py."""
from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.core.config import Settings
from bot.frontends.cli.stores import opened_store
from bot.store.job_rows import JobRow
from retrieval.errors import one_line

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


async def _recent(settings: Settings, limit: int, scope: str | None) -> list[JobRow]:
    async with opened_store(settings) as store:
        return await store.jobs.recent(limit, scope)


def jobs_cmd(
    ctx: typer.Context,
    scope: Annotated[str | None, typer.Option("--scope", "-s", help="one knowledge base (default: all)")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="how many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """List recent ingest jobs: status, progress, tries and the last error."""
    settings: Settings = ctx.obj
    try:
        rows = asyncio.run(_recent(settings, limit, scope))
    except (OSError, RuntimeError) as exc:
        err.print(f"[red]error:[/] {one_line(exc, 200)}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps({"jobs": [{**asdict(r), "payload": r.payload.model_dump()} for r in rows]}))
        return
    if not rows:
        out.print("No ingest jobs yet. Queue one with: ragcord ingest <files or URLs> --queue", markup=False)
        return
    table = Table("id", "scope", "kind", "status", "progress", "tries", "error")
    for r in rows:
        table.add_row(str(r.id), r.scope, r.kind, r.status, f"{r.done}/{r.total}", f"{r.attempts}/{r.max_attempts}",
                      one_line(r.error, 60) if r.error else "")
    out.print(table)
