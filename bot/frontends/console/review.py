"""Unanswered topics ("Write the answer", "Dismiss") and curated answers (create, edit, disable, delete)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.frontends.console.context import Console, console_of
from bot.services.curated import CuratedError, Curation
from bot.services.unanswered import Topic, unanswered_for

router = APIRouter()


async def topics_for(c: Console, scope: str) -> list[Topic]:
    return await unanswered_for(c.assistant).topics(scope)


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip()]


@router.get("/unanswered", response_class=HTMLResponse)
async def unanswered(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    topics: list[Topic] = []
    for s in await c.scopes_for(p, scope):
        topics += await topics_for(c, s)
    return c.render(request, "unanswered.html", p, topics=topics, scope=scope, scopes=await c.visible(p))


async def _form(c: Console, request: Request) -> tuple[str, dict[str, str]]:
    p = c.principal(request)
    await c.check_csrf(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    scope = form.get("scope", "")
    if not p.can_see(scope):
        raise HTTPException(404, "No such server.")
    return p.name, form


@router.post("/unanswered/{topic_id}/answer")
async def write_answer(request: Request, topic_id: int) -> Response:
    c = console_of(request)
    who, form = await _form(c, request)
    try:
        row = await unanswered_for(c.assistant).resolve(form["scope"], topic_id, form.get("answer", ""), who,
                                                        question=form.get("question") or None)
    except CuratedError as exc:
        raise HTTPException(400, str(exc)) from None
    if row is None:
        raise HTTPException(404, "That topic is no longer open.")
    return RedirectResponse("/curated", status_code=303)


@router.post("/unanswered/{topic_id}/dismiss")
async def dismiss(request: Request, topic_id: int) -> Response:
    c = console_of(request)
    who, form = await _form(c, request)
    await unanswered_for(c.assistant).dismiss(form["scope"], topic_id, who)
    return RedirectResponse("/unanswered", status_code=303)


@router.get("/curated", response_class=HTMLResponse)
async def curated(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    cur = Curation(c.assistant.store)
    rows = [row for s in await c.scopes_for(p, scope) for row in await cur.list(s)]
    return c.render(request, "curated.html", p, rows=rows, scope=scope, scopes=await c.visible(p))


@router.post("/curated")
async def create_curated(request: Request) -> Response:
    c = console_of(request)
    who, form = await _form(c, request)
    try:
        await Curation(c.assistant.store).add(form["scope"], form.get("question", ""), form.get("answer", ""), who,
                                              paraphrases=_lines(form.get("paraphrases", "")))
    except CuratedError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/curated", status_code=303)


@router.post("/curated/{curated_id}/{action}")
async def change_curated(request: Request, curated_id: int, action: str) -> Response:
    c = console_of(request)
    who, form = await _form(c, request)
    cur, scope = Curation(c.assistant.store), form["scope"]
    try:
        if action == "edit":
            found = await cur.edit(scope, curated_id, who, question=form.get("question"), answer=form.get("answer"),
                                   paraphrases=_lines(form.get("paraphrases", "")))
        elif action in ("disable", "enable"):
            found = await cur.set_enabled(scope, curated_id, action == "enable", who)
        elif action == "delete":
            found = await cur.remove(scope, curated_id, who) or None
        else:
            raise HTTPException(404, "Unknown action.")
    except CuratedError as exc:
        raise HTTPException(400, str(exc)) from None
    if not found:
        raise HTTPException(404, "No such curated answer.")
    return RedirectResponse("/curated", status_code=303)
