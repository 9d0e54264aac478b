"""Documents of one knowledge base: list, upload (the normal ingest path), add a URL, delete, re-index."""
from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from bot.frontends.console.context import Console, console_of
from bot.services.ingest_jobs import ingest_now
from bot.services.resync import ResyncService, describe

router = APIRouter()


def safe_name(name: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip(" .")
    return name[:120] or "upload"


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB" if n >= 1 << 20 else f"{n:,} bytes"


async def _admin_scope(c: Console, request: Request) -> tuple[str, str]:
    p = c.principal(request)
    await c.check_csrf(request)
    scope = str((await request.form()).get("scope") or "")
    if not p.can_admin(scope):
        raise HTTPException(403, "You need Manage Server on that server.")
    return p.name, scope


@router.get("/documents", response_class=HTMLResponse)
async def documents(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    mine = [s for s in await c.visible(p) if p.can_admin(s)]
    scope = scope if scope in mine else (mine[0] if mine else "")
    docs = await c.assistant.list_documents(scope) if scope else []
    synced = await ResyncService(c.assistant).states(scope) if scope else {}
    sync_lines = {source: describe(info, time.time()) for source, info in synced.items()}  # URL documents
    warnings = [f for f in await c.queries.flags([scope], None) if f.kind == "injection"] if scope else []
    return c.render(request, "documents.html", p, docs=docs, scope=scope, scopes=mine, warnings=warnings,
                    last=c.last_ingest.get(scope), synced=sync_lines)


@router.post("/documents/upload")
async def upload(request: Request) -> Response:
    c = console_of(request)
    who, scope = await _admin_scope(c, request)
    form = await request.form()
    limit = c.assistant.settings.limits.max_file_bytes
    folder = c.assistant.settings.data_dir / "uploads" / safe_name(scope.replace(":", "_"))
    sources: list[str] = []
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        data = await item.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(413, f"{safe_name(item.filename)} is too large (limit {_mib(limit)}).")
        path = folder / safe_name(item.filename)
        await asyncio.to_thread(_write, path, data)
        sources.append(str(path))
    url = str(form.get("url") or "").strip()
    if url:
        if not re.match(r"^https?://\S+$", url):
            raise HTTPException(400, "The URL must start with http:// or https://.")
        sources.append(url)
    if not sources:
        raise HTTPException(400, "Choose a file or give a URL.")
    report = await ingest_now(c.assistant, scope, sources, who)  # a job; URLs registered for re-sync
    c.last_ingest[scope] = report.as_dict()
    if report.errors and not (report.added or report.updated or report.unchanged):
        first = report.errors[0]
        raise HTTPException(422, f"{Path(first['source']).name}: {first['error']}"[:300])
    return RedirectResponse(f"/documents?scope={scope}", status_code=303)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@router.post("/documents/{document_id}/delete")
async def delete(request: Request, document_id: int) -> Response:
    c = console_of(request)
    _, scope = await _admin_scope(c, request)
    if await c.assistant.remove_document(scope, document_id) is None:
        raise HTTPException(404, "No such document.")
    return RedirectResponse(f"/documents?scope={scope}", status_code=303)


@router.post("/documents/reindex")
async def reindex(request: Request) -> Response:
    c = console_of(request)
    _, scope = await _admin_scope(c, request)
    await asyncio.to_thread(c.assistant.kbs.get(scope).reindex)
    return RedirectResponse(f"/documents?scope={scope}", status_code=303)
