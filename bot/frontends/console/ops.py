"""Operations routes of the console: `/healthz` and Prometheus `/metrics`, both without login
(a scraper or a load balancer has no session), and a request id on every request's log lines."""
from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.assistant import Assistant
from bot.services.metrics import Metrics
from bot.services.metrics_server import database_check, run_checks
from bot.services.requestlog import request_scope

router = APIRouter()
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # an incoming X-Request-ID is kept only if it is this plain


def attach(app: FastAPI, assistant: Assistant) -> Metrics:
    """This app's own registry, observing `assistant`; the routes and the request-id middleware."""
    metrics = Metrics()
    assistant.observer = metrics
    app.state.metrics = metrics
    app.include_router(router)
    app.add_middleware(RequestIds)
    return metrics


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    assistant: Assistant = request.app.state.console.assistant
    health = await run_checks({"database": database_check(assistant.store.db.fetchone)})
    return JSONResponse(health.as_dict(), status_code=health.status)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    scrape = request.app.state.metrics.render()
    return Response(scrape.body, headers={"Content-Type": scrape.content_type})


class RequestIds:
    """Plain ASGI middleware: each HTTP request runs in its own `request_scope`, echoed as X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        with request_scope(given if _SAFE_ID.fullmatch(given) else None) as request_id:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                await send(message)

            await self.app(scope, receive, send_with_id)
