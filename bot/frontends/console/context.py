"""What every console request reads: the application's `Console` (assistant, token, signer, queries)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.core.assistant import Assistant
from bot.frontends.console.auth import COOKIE, MAX_AGE_S, Principal, Session, Signer, same
from bot.services.unanswered import TopicCache
from bot.store.console_queries import ConsoleQueries


class NeedLogin(Exception):
    pass


@dataclass
class Console:
    """Everything a request needs; one per application (no module-level state)."""

    assistant: Assistant
    token: str
    signer: Signer
    queries: ConsoleQueries
    templates: Jinja2Templates
    last_ingest: dict[str, dict[str, Any]] = field(default_factory=dict)  # scope → last report
    topic_cache: TopicCache = field(default_factory=TopicCache)  # grouped unanswered topics per scope

    def session(self, request: Request) -> Session:
        return self.signer.loads(request.cookies.get(COOKIE)) or Session()

    def bearer(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        return auth.lower().startswith("bearer ") and same(auth[7:].strip(), self.token)

    def principal(self, request: Request) -> Principal:
        if self.bearer(request):
            return Principal("admin token", everything=True)
        p = self.session(request).principal
        if p is None:
            raise NeedLogin
        return p

    async def check_csrf(self, request: Request) -> None:
        if self.bearer(request):
            return  # no cookie involved: nothing to forge
        form = await request.form()
        if not same(str(form.get("csrf") or ""), self.session(request).csrf):
            raise HTTPException(403, "Missing or wrong CSRF token — reload the page and try again.")

    async def visible(self, p: Principal) -> list[str]:
        if p.everything:
            return await self.queries.scopes()
        return sorted(set(p.moderates) | set(p.administers))

    async def scopes_for(self, p: Principal, scope: str | None) -> list[str]:
        """The scopes a query covers: the one asked for if visible (else none), or all visible."""
        if scope:
            return [scope] if p.can_see(scope) else []
        return await self.visible(p)

    def render(self, request: Request, name: str, p: Principal, **ctx: Any) -> HTMLResponse:
        session = self.session(request)
        response = self.templates.TemplateResponse(
            request, name, {"who": p, "csrf": session.csrf, **ctx})
        self.set_cookie(response, session)
        return response

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(COOKIE, self.signer.dumps(session), max_age=MAX_AGE_S, httponly=True,
                            samesite="lax", path="/")


def console_of(request: Request) -> Console:
    return console_of_app(request.app)


def console_of_app(app: FastAPI) -> Console:
    return app.state.console  # type: ignore[no-any-return]
