"""The terminal front end's commands: ingest, resync, docs, ask, chat, quiz, demo, eval, and the ops commands.

`bot/main.py` adds `run` (the Discord front end) and is the console script."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.core.config import ConfigError, Settings, load_settings
from bot.core.types import Question
from bot.frontends.cli import sync
from bot.frontends.cli.render import ingest_summary, stream_answer

T = TypeVar("T")

app = typer.Typer(
    help="ragcord — answers questions from the documents you ingest (terminal and Discord).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
docs_app = typer.Typer(help="List or remove ingested documents.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")

out = Console()
err = Console(stderr=True)

ScopeOpt = Annotated[str, typer.Option("--scope", "-s", help="knowledge base: global, guild:<id>, ...")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]


class Failure(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="where the database and indexes live [env RAGCORD_DATA_DIR]")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file [env RAGCORD_CONFIG]")] = None,
    generator: Annotated[str | None, typer.Option(help="extractive | local | ct2 | auto | openai | llamacpp")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log details to stderr")] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)  # some libraries force their own logger to DEBUG on import
    if not verbose:
        _quiet_libraries()
    try:
        ctx.obj = load_settings(config, **{"data_dir": data_dir, "generation.backend": generator})
    except ConfigError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    from bot.core.safety import install_secret_filter
    from bot.services.requestlog import configure_logging

    install_secret_filter(ctx.obj)  # the token and API keys never reach a log line
    configure_logging(ctx.obj.ops.log_format)  # request ids; one JSON object per line if asked


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # library progress bars (e.g. GGUF conversion)
    for name in ("transformers", "sentence_transformers", "httpx", "faiss", "bm25s", "discord"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # the variables above quiet transformers when it is imported later; importing it here only to
    # say so cost ~2 s of every command, so only one already imported is told directly
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; turn known failures into one line on stderr and exit 1."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except Failure as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


async def using_assistant(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the assistant, run `work` with it, and always close it."""
    from bot.core.assistant import Assistant

    assistant = await Assistant.create(settings)
    try:
        return await work(assistant)
    finally:
        await assistant.aclose()


@contextmanager
def progress_bar(label: str, hidden: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A transient progress bar on stderr; yields the `progress(stage, done, total)` callback."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=hidden,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda stage, done, total: bar.update(task, description=stage[:60], completed=done, total=total)


# --- ingest -------------------------------------------------------------------------------------
@app.command()
def ingest(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(help="files, folders or http(s) URLs")],
    scope: ScopeOpt = "global",
    as_json: JsonOpt = False,
    resync: sync.ResyncOpt = None,
    sitemap: sync.SitemapOpt = False,
    queue: Annotated[bool, typer.Option("--queue", help="only queue an ingest job for a worker (`ragcord run`, "
                                                        "the console); print its id")] = False,
) -> None:
    """Add or update documents; unchanged ones cost nothing. URLs and sitemaps can be re-synced (`resync`)."""
    settings: Settings = ctx.obj
    every_s = sync.interval_or_exit(resync)
    if queue:
        job = run(lambda: sync.enqueue_sources(settings, scope, sources, every_s=every_s, sitemap=sitemap))
        print(json.dumps({"job": job.id}) if as_json else f"Queued ingest job {job.id} [scope {scope}]")
        return

    async def go(assistant: Any) -> Any:
        with progress_bar("ingesting", hidden=as_json) as progress:
            return await sync.ingest_sources(assistant, scope, sources, every_s=every_s, sitemap=sitemap,
                                             progress=progress)

    report = run(lambda: using_assistant(settings, go))
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        for e in report.errors:
            err.print(f"[red]✗[/] {e['source']}: {e['error']}")
        out.print(ingest_summary(report) + f" [scope {scope}]")
        for note in report.notes:
            out.print(f"note: {note}", markup=False, highlight=False)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def resync(
    ctx: typer.Context,
    scope: Annotated[str | None, typer.Option("--scope", "-s", help="one knowledge base (default: every one)")] = None,
    due_only: Annotated[bool, typer.Option("--due-only", help="only sources whose schedule says they are due")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-fetch ingested URLs and sitemaps; unchanged pages cost one conditional request and no embedding."""
    settings: Settings = ctx.obj
    reports = run(lambda: using_assistant(settings, lambda a: sync.resync_all(a, scope, due_only)))
    if sync.show_resync(reports, as_json):
        raise typer.Exit(1)


# --- docs ----------------------------------------------------------------------------------------
@docs_app.command("list")
def docs_list(ctx: typer.Context, scope: ScopeOpt = "global", as_json: JsonOpt = False) -> None:
    """List the documents of a knowledge base."""
    settings: Settings = ctx.obj

    docs, synced = run(lambda: using_assistant(settings, lambda a: sync.documents_with_sync(a, scope)))
    if as_json:
        print(json.dumps([{**vars(d), **({"sync": vars(synced[d.source])} if d.source in synced else {})}
                          for d in docs]))
        return
    if not docs:
        out.print(f"No documents in scope {scope}. Add some with: ragcord ingest PATH --scope {scope}")
        return
    table = Table("id", "title", "chunks", "added", "source", *(["last sync"] if synced else []))
    for d in docs:
        table.add_row(str(d.id), d.title, str(d.chunk_count), d.added_at[:16], d.source,
                      *([sync.sync_column(synced.get(d.source))] if synced else []))
    out.print(table)


@docs_app.command("rm")
def docs_rm(
    ctx: typer.Context,
    document: Annotated[str, typer.Argument(help="document id (from docs list) or its source")],
    scope: ScopeOpt = "global",
) -> None:
    """Remove a document and its chunks from the index and the database."""
    settings: Settings = ctx.obj
    ref: int | str = int(document) if document.isdigit() else document

    async def go(assistant: Any) -> Any:
        removed = await assistant.remove_document(scope, ref)
        if removed is not None:
            await sync.forget_document(assistant, scope, removed.source)
        return removed

    removed = run(lambda: using_assistant(settings, go))
    if removed is None:
        err.print(f"[red]error:[/] no document {document!r} in scope {scope}")
        raise typer.Exit(1)
    out.print(f"Removed {removed.title} ({removed.chunk_count} chunks) from {scope}.")


# --- ask / chat ---------------------------------------------------------------------------------------
@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="the question, in quotes")],
    scope: ScopeOpt = "global",
    as_json: JsonOpt = False,
) -> None:
    """Answer one question from the knowledge base, with citations and a confidence."""
    settings: Settings = ctx.obj

    q = Question(text=question, user="cli", scope=scope, channel="cli")

    async def go(assistant: Any) -> Any:
        from bot.services.requestlog import request_scope

        with request_scope():  # every log line of this question carries its id
            return await (assistant.answer(q) if as_json else stream_answer(out, assistant.ask(q)))

    answer = run(lambda: using_assistant(settings, go))
    if as_json:
        print(json.dumps(answer.as_dict()))
    if answer.error and answer.backend == "none":
        raise typer.Exit(1)


@app.command()
def chat(ctx: typer.Context, scope: ScopeOpt = "global") -> None:
    """Chat in the terminal (memory of the conversation, streamed answers)."""
    from bot.frontends.cli.chat import chat_loop

    run(lambda: chat_loop(ctx.obj, scope, out))


@app.command()
def demo(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Option(help="folder to ingest (default: the sample data/)")] = None,
) -> None:
    """Ingest the sample knowledge base and answer its sample questions (no input needed)."""
    from bot.frontends.cli.demo import run_demo

    ok = run(lambda: run_demo(ctx.obj, path, out))
    if not ok:
        raise typer.Exit(1)


# --- tutoring --------------------------------------------------------------------------------------
@app.command()
def quiz(
    ctx: typer.Context,
    scope: ScopeOpt = "global",
    topic: Annotated[str, typer.Option(help="what the questions are about (default: anything)")] = "",
    count: Annotated[int, typer.Option(min=1, max=20, help="number of questions")] = 5,
    kind: Annotated[str, typer.Option(help="mcq | short | mixed")] = "mixed",
    user: Annotated[str, typer.Option(help="learner id for progress tracking")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Practice questions from the material: interactive, or --json for scripts."""
    from bot.frontends.cli.quiz import console_reader, run_quiz
    from bot.services.tutoring import QuizError, tutor_for

    settings: Settings = ctx.obj

    async def go(assistant: Any) -> Any:
        if not as_json:
            await run_quiz(assistant, scope, user, topic, count, kind, out, console_reader(out))
            return None
        try:
            items = await tutor_for(assistant).make_quiz(scope, topic, count=count, kind=kind, user=user)
        except QuizError as exc:
            raise Failure(str(exc)) from None
        chunks = await asyncio.to_thread(assistant.kbs.get(scope).get_chunks, [i.question.chunk_id for i in items])
        paths = {h.chunk_id: h.source for h in chunks}
        return {"questions": [quiz_json(i.id, i.question.as_dict(), paths) for i in items]}

    result = run(lambda: using_assistant(settings, go))
    if as_json:
        print(json.dumps(result))


def quiz_json(item_id: int, question: dict[str, Any], paths: dict[int, str]) -> dict[str, Any]:
    """One quiz question named like `ask --json` citations: `title`, and `source` = the path."""
    out = {k: v for k, v in question.items() if k != "source"}
    out.update(id=item_id, title=question.get("source", ""))
    path = paths.get(int(question["chunk_id"])) if question.get("chunk_id") is not None else None
    if path:
        out["source"] = path
    return out


# --- evaluation ------------------------------------------------------------------------------------
@app.command("eval")
def eval_command(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="BEIR folder (corpus.jsonl, queries.jsonl, qrels.tsv) "
                                                 "or real-documents set (questions.jsonl, docs/)")],
    limit: Annotated[int | None, typer.Option(help="only the first N queries")] = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="skip answer generation")] = False,
    plot: Annotated[Path | None, typer.Option(help="PNG path for the plot [default: DATA_DIR/eval/NAME.png]")] = None,
    details: Annotated[Path | None, typer.Option(help="per-question JSONL (real-documents sets)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Retrieval (bm25, dense, hybrid) and answer quality, with a recommended threshold."""
    from bot.services.evaluation import EvalError, RealDocsReport, details_jsonl, run_eval
    from bot.services.evaluation import plot as draw

    settings: Settings = ctx.obj

    async def go() -> Any:
        with progress_bar("loading") as progress:
            try:
                return await run_eval(settings, dataset, limit=limit, retrieval_only=retrieval_only,
                                      progress=progress)
            except EvalError as exc:
                raise Failure(str(exc)) from None

    report = run(go)
    image = draw(report, plot or settings.data_dir / "eval" / f"{report.dataset}.png")
    if details is not None and isinstance(report, RealDocsReport):
        details.parent.mkdir(parents=True, exist_ok=True)
        details.write_text(details_jsonl(report), encoding="utf-8")
    if as_json:
        print(json.dumps(report.as_json()))
    else:
        out.print(report.markdown())
        out.print(f"\nPlot: {image}")


from bot.frontends.cli.answers import answers_app, unanswered_app  # noqa: E402
from bot.frontends.cli.jobs import jobs_cmd  # noqa: E402
from bot.frontends.cli.ops import (  # noqa: E402
    backup_cmd,
    doctor_cmd,
    migrate_cmd,
    prune_cmd,
    reindex_cmd,
    restore_cmd,
)

app.add_typer(answers_app, name="answers")
app.add_typer(unanswered_app, name="unanswered")

app.command("doctor")(doctor_cmd)
app.command("backup")(backup_cmd)
app.command("restore")(restore_cmd)
app.command("migrate")(migrate_cmd)
app.command("prune")(prune_cmd)
app.command("reindex")(reindex_cmd)
app.command("jobs")(jobs_cmd)


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # last resort: one line, never a traceback
        logging.getLogger("ragcord").debug("unexpected error", exc_info=True)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err.print(f"[red]error:[/] {first} (run with --verbose for details)")
        sys.exit(1)

