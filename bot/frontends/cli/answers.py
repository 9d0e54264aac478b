"""`ragcord answers add|list|edit|disable|enable|rm|history` and `ragcord unanswered [list|dismiss|resolve]`
(registered in app.py).

Curated answers are moderator-approved answers the bot gives instead of generating one when a
question matches them (`curated.threshold`). These commands only open the database; `unanswered`
also loads the embedder to group questions by meaning, when some question has no stored vector yet.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bot.core.config import Settings
from bot.frontends.cli.stores import opened_store
from bot.services.curated import CuratedError, Curation
from bot.services.unanswered import Encode, Topic, UnansweredTopics
from bot.store import CuratedRow, DocRef, Store

T = TypeVar("T")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

answers_app = typer.Typer(help="Curated answers: moderator-approved answers that win over generation.",
                          no_args_is_help=True)
ScopeOpt = Annotated[str, typer.Option("--scope", "-s", help="knowledge base: global, guild:<id>, ...")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
AuthorOpt = Annotated[str, typer.Option("--author", help="who is making the change (kept in the history)")]
ParaOpt = Annotated[list[str] | None, typer.Option("--paraphrase", "-p", help="another phrasing (repeatable)")]
KeywordOpt = Annotated[list[str] | None, typer.Option("--keyword", "-k", help="a word or phrase that matches (repeatable)")]
RegexOpt = Annotated[str | None, typer.Option("--regex", "-r", help="a regular expression that matches")]
CiteOpt = Annotated[list[str] | None, typer.Option("--cite", help="a source to cite: TITLE or TITLE=PATH_OR_URL")]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(1)


def _with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    async def go() -> T:
        async with opened_store(settings) as store:
            return await work(store)

    try:
        return asyncio.run(go())
    except CuratedError as exc:
        raise _fail(str(exc)) from None


def _cites(values: list[str] | None) -> list[DocRef]:
    refs = []
    for v in values or []:
        title, _, source = v.partition("=")
        refs.append(DocRef(title.strip(), source.strip()))
    return refs


def row_json(row: CuratedRow) -> dict[str, object]:
    return {**asdict(row), "citations": [asdict(c) for c in row.citations]}


# --- commands -----------------------------------------------------------------------------------------
@answers_app.command("add")
def add_cmd(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="the question, in quotes")],
    answer: Annotated[str, typer.Argument(help="the approved answer, in quotes")],
    scope: ScopeOpt = "global", paraphrase: ParaOpt = None, keyword: KeywordOpt = None, regex: RegexOpt = None,
    cite: CiteOpt = None, author: AuthorOpt = "cli", as_json: JsonOpt = False,
) -> None:
    """Add a curated answer; questions that mean the same get it instead of a generated one."""
    row = _with_store(ctx.obj, lambda store: Curation(store).add(
        scope, question, answer, author, paraphrases=paraphrase or [], citations=_cites(cite),
        keywords=keyword or [], regex=regex,
    ))
    if as_json:
        print(json.dumps(row_json(row), ensure_ascii=False))
    else:
        out.print(f"Added curated answer #{row.id} in {scope} ({len(row.phrasings)} phrasing(s)).", markup=False)


@answers_app.command("list")
def list_cmd(ctx: typer.Context, scope: ScopeOpt = "global", as_json: JsonOpt = False) -> None:
    """List the curated answers of a scope, with their hit counts."""
    rows = _with_store(ctx.obj, lambda store: Curation(store).list(scope))
    if as_json:
        print(json.dumps([row_json(r) for r in rows], ensure_ascii=False))
        return
    if not rows:
        out.print(f"No curated answers in {scope}. Add one with: ragcord answers add --scope {scope} \"Q\" \"A\"",
                  markup=False)
        return
    table = Table("id", "question", "answer", "phrasings", "hits", "on", "updated")
    for r in rows:
        table.add_row(str(r.id), r.question, r.answer[:60], str(len(r.phrasings)), str(r.hits),
                      "yes" if r.enabled else "no", r.updated_at[:16])
    out.print(table)


@answers_app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    curated_id: Annotated[int, typer.Argument(metavar="ID", help="the curated answer's id (answers list)")],
    scope: ScopeOpt = "global",
    question: Annotated[str | None, typer.Option(help="new question")] = None,
    answer: Annotated[str | None, typer.Option(help="new answer text")] = None,
    paraphrase: ParaOpt = None, keyword: KeywordOpt = None, regex: RegexOpt = None, cite: CiteOpt = None,
    author: AuthorOpt = "cli",
) -> None:
    """Change a curated answer (the previous version is kept in its history)."""
    row = _with_store(ctx.obj, lambda store: Curation(store).edit(
        scope, curated_id, author, question=question, answer=answer, paraphrases=paraphrase, keywords=keyword,
        regex=regex, citations=_cites(cite) if cite else None,
    ))
    if row is None:
        raise _fail(f"no curated answer #{curated_id} in scope {scope}")
    out.print(f"Updated curated answer #{row.id}.", markup=False)


def _toggle(ctx: typer.Context, curated_id: int, scope: str, author: str, enabled: bool) -> None:
    row = _with_store(ctx.obj, lambda store: Curation(store).set_enabled(scope, curated_id, enabled, author))
    if row is None:
        raise _fail(f"no curated answer #{curated_id} in scope {scope}")
    out.print(f"Curated answer #{row.id} {'enabled' if enabled else 'disabled'}.", markup=False)


@answers_app.command("disable")
def disable_cmd(ctx: typer.Context, curated_id: Annotated[int, typer.Argument(metavar="ID")],
                scope: ScopeOpt = "global", author: AuthorOpt = "cli") -> None:
    """Keep a curated answer but stop giving it."""
    _toggle(ctx, curated_id, scope, author, False)


@answers_app.command("enable")
def enable_cmd(ctx: typer.Context, curated_id: Annotated[int, typer.Argument(metavar="ID")],
               scope: ScopeOpt = "global", author: AuthorOpt = "cli") -> None:
    """Give a disabled curated answer again."""
    _toggle(ctx, curated_id, scope, author, True)


@answers_app.command("rm")
def rm_cmd(ctx: typer.Context, curated_id: Annotated[int, typer.Argument(metavar="ID")],
           scope: ScopeOpt = "global", author: AuthorOpt = "cli") -> None:
    """Delete a curated answer (its last version stays in the history)."""
    if not _with_store(ctx.obj, lambda store: Curation(store).remove(scope, curated_id, author)):
        raise _fail(f"no curated answer #{curated_id} in scope {scope}")
    out.print(f"Removed curated answer #{curated_id} from {scope}.", markup=False)


@answers_app.command("history")
def history_cmd(ctx: typer.Context, curated_id: Annotated[int, typer.Argument(metavar="ID")],
                scope: ScopeOpt = "global", as_json: JsonOpt = False) -> None:
    """Earlier versions of a curated answer, newest first."""
    rows = _with_store(ctx.obj, lambda store: Curation(store).history(scope, curated_id))
    if as_json:
        print(json.dumps([asdict(h) for h in rows], ensure_ascii=False))
        return
    for h in rows:
        out.print(f"{h.changed_at[:16]} {h.action} by {h.changed_by}: {h.previous.question} → "
                  f"{h.previous.answer[:80]}", markup=False)
    if not rows:
        out.print("No earlier versions.", markup=False)


unanswered_app = typer.Typer(
    help="Questions the bot refused, was unsure of, got 👎 or sent to a human — grouped into topics. "
         "Without a command: list them.",
    invoke_without_command=True,
)
SubScopeOpt = Annotated[str | None, typer.Option("--scope", "-s", help="knowledge base (default: the one given "
                                                  "before the command, else global)")]
TopicArg = Annotated[int, typer.Argument(metavar="ID", help="the topic's id (ragcord unanswered)")]


def _topics(settings: Settings, store: Store) -> UnansweredTopics:
    """The topics service over the configured embedder; its stored vectors mean the model is
    loaded only when some question has none yet."""
    from bot.core.embedding import embedder_pool
    from retrieval.layout import index_dir

    pool = embedder_pool(settings)
    embedder = pool.default()

    def encoder_for(scope: str) -> tuple[Encode, str]:  # each scope's questions with its index's embedder
        scoped = pool.for_index(index_dir(settings.data_dir, scope))
        return scoped.encode_cached, scoped.model_name

    return UnansweredTopics(store, embedder.encode_cached, threshold=settings.unanswered.threshold,
                            sure=settings.answering.sure, limit=settings.unanswered.limit, model=embedder.model_name,
                            encoder_for=encoder_for)


def _inherited(ctx: typer.Context, scope: str | None, as_json: bool) -> tuple[str, bool]:
    """A subcommand's scope and --json, falling back to those given to `ragcord unanswered`."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    return scope or str(parent.get("scope") or "global"), as_json or bool(parent.get("as_json"))


def _list_topics(settings: Settings, scope: str, as_json: bool) -> None:
    found: list[Topic] = _with_store(settings, lambda store: _topics(settings, store).topics(scope))
    if as_json:
        print(json.dumps([t.as_dict() for t in found], ensure_ascii=False))
        return
    if not found:
        out.print(f"No unanswered questions in {scope}.", markup=False)
        return
    table = Table("topic", "question", "count", "last seen", "closest source")
    for t in found:
        table.add_row(str(t.id), t.question, str(t.count), t.last_seen[:16],
                      t.closest[0].title or t.closest[0].source if t.closest else "")
    out.print(table)


@unanswered_app.callback()
def unanswered_cmd(ctx: typer.Context, scope: ScopeOpt = "global", as_json: JsonOpt = False) -> None:
    """Questions the bot refused, was unsure of, got 👎 or sent to a human — grouped into topics."""
    if ctx.invoked_subcommand is None:
        _list_topics(ctx.obj, scope, as_json)


@unanswered_app.command("list")
def unanswered_list_cmd(ctx: typer.Context, scope: SubScopeOpt = None, as_json: JsonOpt = False) -> None:
    """List the open topics, most asked first (the same as `ragcord unanswered`)."""
    _list_topics(ctx.obj, *_inherited(ctx, scope, as_json))


@unanswered_app.command("dismiss")
def unanswered_dismiss_cmd(ctx: typer.Context, topic_id: TopicArg, scope: SubScopeOpt = None,
                           author: AuthorOpt = "cli", as_json: JsonOpt = False) -> None:
    """Hide a topic: its questions are closed without an answer."""
    settings: Settings = ctx.obj
    scope, as_json = _inherited(ctx, scope, as_json)
    closed = _with_store(settings, lambda store: _topics(settings, store).dismiss(scope, topic_id, author))
    if not closed:
        raise _fail(f"no open unanswered topic #{topic_id} in scope {scope} (see: ragcord unanswered --scope {scope})")
    if as_json:
        print(json.dumps({"topic": topic_id, "scope": scope, "closed": closed}))
    else:
        out.print(f"Dismissed topic #{topic_id} in {scope} ({closed} question(s) closed).", markup=False)


@unanswered_app.command("resolve")
def unanswered_resolve_cmd(
    ctx: typer.Context, topic_id: TopicArg,
    answer: Annotated[str, typer.Argument(help="the approved answer, in quotes")],
    scope: SubScopeOpt = None,
    question: Annotated[str | None, typer.Option(help="the curated answer's question (default: the topic's)")] = None,
    cite: CiteOpt = None, author: AuthorOpt = "cli", as_json: JsonOpt = False,
) -> None:
    """Answer a topic once: a curated answer whose paraphrases are all its questions."""
    settings: Settings = ctx.obj
    scope, as_json = _inherited(ctx, scope, as_json)
    row = _with_store(settings, lambda store: _topics(settings, store).resolve(
        scope, topic_id, answer, author, question=question, citations=_cites(cite)))
    if row is None:
        raise _fail(f"no open unanswered topic #{topic_id} in scope {scope} (see: ragcord unanswered --scope {scope})")
    if as_json:
        print(json.dumps(row_json(row), ensure_ascii=False))
    else:
        out.print(f"Resolved topic #{topic_id} with curated answer #{row.id} in {scope} "
                  f"({len(row.phrasings)} phrasing(s)).", markup=False)
