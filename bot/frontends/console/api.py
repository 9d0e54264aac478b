"""The JSON API under /api/: the same data as the pages, as pydantic models (OpenAPI at /api/openapi.json)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from bot.frontends.console.context import console_of
from bot.frontends.console.pages import conversation_filter
from bot.frontends.console.review import topics_for
from bot.services.curated import Curation
from bot.store.console_queries import ConversationRow, FlagView

router = APIRouter(prefix="/api")


class AnswerOut(BaseModel):
    id: int
    scope: str
    question: str
    text: str
    citations: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    confidence: float
    refused: bool
    escalated: bool
    backend: str
    latency_ms: int
    created_at: str
    feedback: dict[str, int]


class TopicOut(BaseModel):
    id: int
    scope: str
    question: str
    count: int
    examples: list[str]
    first_seen: str
    last_seen: str
    reasons: dict[str, int]


class CitedOut(BaseModel):
    title: str
    source: str
    document_id: int | None


class CuratedOut(BaseModel):
    id: int
    scope: str
    question: str
    paraphrases: list[str]
    answer: str
    author: str
    enabled: bool
    hits: int
    created_at: str
    updated_at: str
    keywords: list[str] = []
    regex: str | None = None
    citations: list[CitedOut] = []


class DocumentOut(BaseModel):
    id: int
    scope: str
    title: str
    source: str
    chunk_count: int
    added_at: str


@router.get("/conversations", response_model=list[ConversationRow])  # the store's row, as it is
async def conversations(request: Request, scope: str = "") -> list[ConversationRow]:
    c = console_of(request)
    p = c.principal(request)
    rows = await c.queries.conversations(conversation_filter(request, await c.scopes_for(p, scope)))
    return rows


@router.get("/answers/{answer_id}", response_model=AnswerOut)
async def answer(request: Request, answer_id: int) -> AnswerOut:
    c = console_of(request)
    p = c.principal(request)
    row = await c.assistant.store.answers.get(answer_id)
    if row is None or not p.can_see(row.scope):
        raise HTTPException(404, "No such answer.")
    fb = await c.assistant.store.answers.feedback_for(answer_id)
    data = {k: v for k, v in vars(row).items() if k in AnswerOut.model_fields}
    return AnswerOut(**data, feedback=fb)


@router.get("/flags", response_model=list[FlagView])
async def flags(request: Request, scope: str = "", status: str = "open") -> list[FlagView]:
    c = console_of(request)
    p = c.principal(request)
    rows = await c.queries.flags(await c.scopes_for(p, scope), status if status in ("open", "resolved") else None)
    return rows


@router.get("/unanswered", response_model=list[TopicOut])
async def unanswered(request: Request, scope: str = "") -> list[TopicOut]:
    c = console_of(request)
    p = c.principal(request)
    out: list[TopicOut] = []
    for s in await c.scopes_for(p, scope):
        out += [TopicOut(id=t.id, scope=t.scope, question=t.question, count=t.count, examples=t.examples,
                         first_seen=t.first_seen, last_seen=t.last_seen, reasons=t.reasons)
                for t in await topics_for(c, s)]
    return out


@router.get("/curated", response_model=list[CuratedOut])
async def curated(request: Request, scope: str = "") -> list[CuratedOut]:
    c = console_of(request)
    p = c.principal(request)
    cur = Curation(c.assistant.store)
    return [CuratedOut(**{k: v for k, v in vars(r).items() if k in CuratedOut.model_fields and k != "citations"},
                       citations=[CitedOut(**vars(d)) for d in r.citations])
            for s in await c.scopes_for(p, scope) for r in await cur.list(s)]


@router.get("/documents", response_model=list[DocumentOut])
async def documents(request: Request, scope: str = "") -> list[DocumentOut]:
    c = console_of(request)
    p = c.principal(request)
    out: list[DocumentOut] = []
    for s in await c.scopes_for(p, scope):
        if p.can_admin(s):
            out += [DocumentOut(id=d.id, scope=d.scope, title=d.title, source=d.source, chunk_count=d.chunk_count,
                                added_at=d.added_at) for d in await c.assistant.list_documents(s)]
    return out
