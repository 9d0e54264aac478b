"""The console's FastAPI application: access (token, session cookie, Discord OAuth2), CSRF, routers."""
from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.core.assistant import Assistant
from bot.frontends.console import api, documents, ops, pages, review
from bot.frontends.console.auth import COOKIE, Principal, Session, Signer, discord_principal, same
from bot.frontends.console.context import Console, NeedLogin, console_of
from bot.frontends.console.roles import with_roles

HERE = Path(__file__).resolve().parent
TITLES = {400: "That did not work", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 413: "Too large",
          422: "That did not work"}


def wants_json(request: Request) -> bool:
    """Scripts (the /api/ endpoints, a Bearer token) get JSON errors; a browser gets a page."""
    return request.url.path.startswith("/api/") or request.headers.get("authorization", "").lower().startswith(
        "bearer ")


def error_page(request: Request, templates: Jinja2Templates, status: int, detail: str) -> HTMLResponse:
    """One short line in the console's layout (no traceback, no JSON) for a browser."""
    c = console_of(request)
    session = c.session(request)
    referer = request.headers.get("referer") or ""
    back = referer if referer.startswith(str(request.base_url)) else "/"  # only ever back into the console
    who = session.principal or (Principal("admin token", everything=True) if c.bearer(request) else None)
    return templates.TemplateResponse(
        request, "error.html", {"who": who, "csrf": session.csrf, "title": TITLES.get(status, "Error"),
                                "detail": detail, "back": back if who else "/login",
                                "back_label": "Back" if who else "Log in"}, status_code=status)


def create_app(assistant: Assistant, token: str) -> FastAPI:
    app = FastAPI(title="ragcord console", docs_url="/api/docs", openapi_url="/api/openapi.json")
    templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape on for .html
    app.state.console = Console(assistant, token, Signer(assistant.settings.data_dir),
                                assistant.store.console_queries, templates)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    ops.attach(app, assistant)  # /healthz, /metrics (no login), request ids

    @app.exception_handler(NeedLogin)
    async def _login(request: Request, exc: NeedLogin) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "not authenticated"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request) or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404 and detail in ("", "Not Found"):
            detail = "No such page."
        return error_page(request, templates, exc.status_code, detail or "That did not work.")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return await request_validation_exception_handler(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        where = str(first.get("loc", ["", "?"])[-1])
        return error_page(request, templates, 422, f"'{where}' is missing or not valid.")

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, error: str = "") -> HTMLResponse:
        c = console_of(request)
        session = c.session(request)
        response = templates.TemplateResponse(request, "login.html", {"csrf": session.csrf, "error": error,
                                                                      "who": None})
        c.set_cookie(response, session)
        return response

    @app.post("/login")
    async def login(request: Request, token: str = Form(""), csrf: str = Form("")) -> Response:
        c = console_of(request)
        session = c.session(request)
        if not same(csrf, session.csrf):
            raise HTTPException(403, "Missing or wrong CSRF token — reload the page and try again.")
        if not same(token.strip(), c.token):
            return RedirectResponse("/login?error=wrong+token", status_code=303)
        response = RedirectResponse("/", status_code=303)
        c.set_cookie(response, Session(principal=Principal("admin token", everything=True)))
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        c = console_of(request)
        await c.check_csrf(request)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/login/discord")
    async def login_discord(request: Request) -> Response:
        c = console_of(request)
        cfg = c.assistant.settings.console
        if not cfg.client_id:
            return RedirectResponse("/login?error=Discord+login+is+not+configured", status_code=303)
        session = c.session(request)
        session.oauth_state = secrets.token_urlsafe(16)
        query = urlencode({"client_id": cfg.client_id, "redirect_uri": cfg.redirect_url, "response_type": "code",
                           "scope": "identify guilds", "state": session.oauth_state})
        response = RedirectResponse(f"{cfg.api_base.rstrip('/')}/oauth2/authorize?{query}", status_code=303)
        c.set_cookie(response, session)
        return response

    @app.get("/callback")
    async def callback(request: Request, code: str = "", state: str = "") -> Response:
        c = console_of(request)
        cfg = c.assistant.settings.console
        session = c.session(request)
        if not code or not same(state, session.oauth_state):
            return RedirectResponse("/login?error=Discord+login+failed+(state)", status_code=303)
        base = cfg.api_base.rstrip("/")
        try:
            async with httpx.AsyncClient(timeout=15) as http:
                tok = await http.post(f"{base}/oauth2/token", data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": cfg.redirect_url,
                    "client_id": cfg.client_id or "",
                    "client_secret": cfg.client_secret.get_secret_value() if cfg.client_secret else "",
                })
                tok.raise_for_status()
                headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
                me = (await http.get(f"{base}/users/@me", headers=headers)).json()
                guilds = (await http.get(f"{base}/users/@me/guilds", headers=headers)).json()
                guilds = [g for g in guilds if isinstance(g, dict)] if isinstance(guilds, list) else []
                principal = discord_principal(me, guilds)
                bot = c.assistant.settings.discord
                if bot.token is not None and bot.token.get_secret_value().strip():
                    principal = await with_roles(
                        principal, str(me.get("id")), [str(g.get("id")) for g in guilds][:100],
                        store=c.assistant.store, http=http, api_base=cfg.api_base,
                        bot_token=bot.token.get_secret_value().strip(), global_mod=bot.moderator_role,
                        global_admin=bot.admin_role)
        except (httpx.HTTPError, KeyError, ValueError, AttributeError):
            return RedirectResponse("/login?error=Discord+login+failed", status_code=303)
        response = RedirectResponse("/", status_code=303)
        c.set_cookie(response, Session(principal=principal))
        return response

    for module in (pages, review, documents, api):
        app.include_router(module.router)
    return app
