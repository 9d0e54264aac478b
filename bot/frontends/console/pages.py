"""HTML pages: dashboard, conversations, one answer, flags, per-server settings, tutoring."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.frontends.console import charts
from bot.frontends.console.context import console_of
from bot.store.console_queries import ConversationFilter

router = APIRouter()


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        return None


def conversation_filter(request: Request, scopes: list[str]) -> ConversationFilter:
    q = request.query_params
    refused = {"yes": True, "no": False}.get(q.get("refused", ""))
    page = int(q["page"]) if q.get("page", "").isdigit() else 1
    return ConversationFilter(
        scopes=scopes, channel=q.get("channel") or None, user=q.get("user") or None,
        since=q.get("since") or None, until=q.get("until") or None,
        min_confidence=_float(q.get("min_confidence")), max_confidence=_float(q.get("max_confidence")),
        refused=refused, feedback=q.get("feedback") or None, search=q.get("q") or None, page=page,
    )


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, scope: str = "", days: int = 30) -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    scopes = await c.scopes_for(p, scope)
    since = (datetime.now(timezone.utc) - timedelta(days=max(1, min(days, 365)))).isoformat(timespec="seconds")
    d = await c.queries.dashboard(scopes, since)
    topics = []
    from bot.frontends.console.review import topics_for
    for s in scopes[:20]:
        topics += await topics_for(c, s)
    top_topics = sorted(((t.question, t.count) for t in topics), key=lambda kv: -kv[1])[:8]
    svgs = {
        "per_day": charts.bars(d.per_day, title="questions per day"),
        "answered": charts.share([("answered", d.answered, "#3ba55d"), ("refused", d.refused, "#ed4245")],
                                 title="answered / refused"),
        "feedback": charts.share([("👍", d.up, "#3ba55d"), ("👎", d.down, "#ed4245")], title="feedback"),
        "sources": charts.hbars(d.top_sources, title="top sources"),
        "topics": charts.hbars(top_topics, title="top unanswered topics"),
    }
    return c.render(request, "dashboard.html", p, d=d, svgs=svgs, scopes=await c.visible(p), scope=scope)


@router.get("/conversations", response_class=HTMLResponse)
async def conversations(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    f = conversation_filter(request, await c.scopes_for(p, scope))
    rows = await c.queries.conversations(f)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    return c.render(request, "conversations.html", p, rows=rows, f=f, scope=scope, scopes=await c.visible(p),
                    params=params)


@router.get("/answers/{answer_id}", response_class=HTMLResponse)
async def answer(request: Request, answer_id: int) -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    row = await c.assistant.store.answers.get(answer_id)
    if row is None or not p.can_see(row.scope):
        raise HTTPException(404, "No such answer.")
    feedback = await c.assistant.store.answers.feedback_for(answer_id)
    flags = await c.queries.flags_for_answer(answer_id)
    return c.render(request, "answer.html", p, a=row, feedback=feedback, flags=flags)


@router.get("/flags", response_class=HTMLResponse)
async def flags(request: Request, scope: str = "", status: str = "open") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    rows = await c.queries.flags(await c.scopes_for(p, scope), status if status in ("open", "resolved") else None)
    return c.render(request, "flags.html", p, rows=rows, status=status, scope=scope, scopes=await c.visible(p))


@router.post("/flags/{flag_id}/resolve")
async def resolve_flag(request: Request, flag_id: int) -> Response:
    c = console_of(request)
    p = c.principal(request)
    await c.check_csrf(request)
    scope = await c.queries.flag_scope(flag_id)
    if scope is None or not p.can_see(scope):
        raise HTTPException(404, "No such flag.")
    await c.assistant.store.answers.resolve_flag(scope, flag_id, p.name)
    return RedirectResponse("/flags", status_code=303)


def _admin_scope(p_scopes: list[str], scope: str) -> str:
    return scope if scope in p_scopes else (p_scopes[0] if p_scopes else "")


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    mine = [s for s in await c.visible(p) if p.can_admin(s)]
    scope = _admin_scope(mine, scope)
    current = await c.assistant.store.guilds.get(scope) if scope else None
    return c.render(request, "settings.html", p, scope=scope, scopes=mine, s=current)


@router.post("/settings")
async def save_settings(request: Request) -> Response:
    c = console_of(request)
    p = c.principal(request)
    await c.check_csrf(request)
    form = await request.form()
    scope = str(form.get("scope") or "")
    if not p.can_admin(scope):
        raise HTTPException(403, "You need Manage Server on that server.")
    threshold = _float(str(form.get("threshold") or ""))
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise HTTPException(400, "The threshold must be between 0 and 1.")
    channels = [x.strip() for x in str(form.get("auto_channels") or "").split(",") if x.strip()]
    await c.assistant.store.guilds.set(
        scope, threshold=threshold, auto_channels=channels, mod_channel=str(form.get("mod_channel") or "") or None,
        mod_role=str(form.get("mod_role") or "") or None, admin_role=str(form.get("admin_role") or "") or None,
        auto_quiet=form.get("auto_quiet") == "on",
    )
    return RedirectResponse(f"/settings?scope={scope}", status_code=303)


@router.get("/tutoring", response_class=HTMLResponse)
async def tutoring(request: Request, scope: str = "") -> HTMLResponse:
    c = console_of(request)
    p = c.principal(request)
    rows = await c.queries.learners(await c.scopes_for(p, scope))
    return c.render(request, "tutoring.html", p, rows=rows, scope=scope, scopes=await c.visible(p))
