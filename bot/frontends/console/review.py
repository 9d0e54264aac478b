"""Unanswered topics ("Write the answer", "Dismiss") and curated answers (create, edit, disable, delete)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.frontends.console.context import Console, console_of
from bot.services.curated import CuratedError, Curation
from bot.services.unanswered import Topic, unanswered_for
from bot.store import DocRef

router = APIRouter()


async def topics_for(c: Console, scope: str) -> list[Topic]:
    return await unanswered_for(c.assistant, c.topic_cache).topics(scope)


async def warm_topics(c: Console) -> int:
    """Group every scope's unanswered questions once (encoding and storing any vectors not stored
    yet, filling the topic cache), so the first dashboard after a start does not load the model;
    how many scopes. Meant for a background task at startup."""
    scopes = await c.queries.scopes()
    for scope in scopes:
        await topics_for(c, scope)
    return len(scopes)


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip()]


def _keywords(text: str) -> list[str]:
    """Keywords from one field: separated by commas or lines."""
    return [x.strip() for x in text.replace("\n", ",").split(",") if x.strip()]


def _citations(text: str) -> list[DocRef]:
    """Citations, one a line: `title | source` (the source may be left out)."""
    out = []
    for line in _lines(text):
        title, _, source = (part.strip() for part in line.partition("|"))
        if title or source:
            out.append(DocRef(title or source, source))
    return out


def citations_text(refs: list[DocRef]) -> str:
    return "\n".join(f"{r.title} | {r.source}" if r.source and r.source != r.title else r.title for r in refs)


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
        row = await unanswered_for(c.assistant, c.topic_cache).resolve(
            form["scope"], topic_id, form.get("answer", ""), who, question=form.get("question") or None)
    except CuratedError as exc:
        raise HTTPException(400, str(exc)) from None
    if row is None:
        raise HTTPException(404, "That topic is no longer open.")
    return RedirectResponse("/curated", status_code=303)


@router.post("/unanswered/{topic_id}/dismiss")
async def dismiss(request: Request, topic_id: int) -> Response:
    c = console_of(request)
    who, form = await _form(c, request)
    await unanswered_for(c.assistant, c.topic_cache).dismiss(form["scope"], topic_id, who)
    return RedirectResponse("/unanswered", status_code=303)


@router.get("/curated", response_class=HTMLResponse)
async def curated(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    cur = Curation(c.assistant.store)
    rows = [row for s in await c.scopes_for(p, scope) for row in await cur.list(s)]
    history = {row.id: await cur.history(row.scope, row.id) for row in rows}
    return c.render(request, "curated.html", p, rows=rows, scope=scope, scopes=await c.visible(p), history=history,
                    citations_text=citations_text)


@router.post("/curated")
async def create_curated(request: Request) -> Response:
    c = console_of(request)
    who, form = await _form(c, request)
    try:
        await Curation(c.assistant.store).add(
            form["scope"], form.get("question", ""), form.get("answer", ""), who,
            paraphrases=_lines(form.get("paraphrases", "")), keywords=_keywords(form.get("keywords", "")),
            citations=_citations(form.get("citations", "")), regex=form.get("regex", "").strip() or None)
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
            found = await cur.edit(
                scope, curated_id, who, question=form.get("question"), answer=form.get("answer"),
                paraphrases=_lines(form.get("paraphrases", "")),
                keywords=_keywords(form["keywords"]) if "keywords" in form else None,
                citations=_citations(form["citations"]) if "citations" in form else None,
                regex=form["regex"].strip() if "regex" in form else None)
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
