"""Prometheus metrics over real HTTP: the real assistant on a tiny knowledge base, scraped after questions."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.types import Question
from bot.services.metrics import Metrics
from bot.services.metrics_server import MetricsServer, database_check
from bot.services.queue import FairQueue
from bot.services.requestlog import JsonFormatter, configure_logging, request_scope
from model.base import Generation, GenerationParams, GeneratorError, Prompt, Token

DOCS = {
    "returns.md": "# Returns\n\nYou can return physical items within 30 days of delivery for a full refund.\n",
    "shipping.md": "# Shipping\n\nExpress shipping arrives the next business day for 12 EUR.\n",
}


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    return folder


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(port: int, path: str = "/metrics") -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def test_questions_answers_stages_and_ingest_are_scraped_over_http(tmp_path: Path, kb: Path) -> None:
    assistant = await Assistant.create(load_settings(data_dir=tmp_path / "data", generator="extractive"))
    metrics = Metrics()
    assistant.observer = metrics
    queue: FairQueue[str] = FairQueue(10)
    metrics.watch_queue(lambda: len(queue))
    server = MetricsServer(metrics, {"database": database_check(assistant.store.db.fetchone)})
    port = await server.start("127.0.0.1", 0)
    try:
        status, _, before = await scrape(port)
        assert status == 200
        assert samples(before)[("ragcord_questions_total", ())] == 0
        report = await assistant.ingest("global", [str(kb)])
        assert report.added == 2 and len(report.errors) == 1
        answered = await assistant.answer(Question("How many days do I have to return an item?", user="u1"))
        refused = await assistant.answer(Question("Who won the football world cup in 1954?", user="u1"))
        assert not answered.refused and refused.refused
        queue.put_nowait("u1", "a")
        queue.put_nowait("u2", "b")

        status, ctype, text = await scrape(port)
        assert status == 200 and ctype.startswith("text/plain")
        got = samples(text)
        assert got[("ragcord_questions_total", ())] == 2
        assert got[("ragcord_answers_total", (("backend", "extractive"),))] == 2
        assert got[("ragcord_refusals_total", ())] == 1
        assert got[("ragcord_question_errors_total", ())] == 0
        for stage in ("retrieve", "generate", "judge"):
            assert got[("ragcord_stage_seconds_count", (("stage", stage),))] == 2
            assert got[("ragcord_stage_seconds_sum", (("stage", stage),))] > 0
        assert got[("ragcord_answer_seconds_count", ())] == 2
        assert got[("ragcord_queue_depth", ())] == 2
        assert got[("ragcord_ingest_jobs_total", ())] == 1
        assert got[("ragcord_ingest_documents_total", (("result", "added"),))] == 2
        assert got[("ragcord_ingest_documents_total", (("result", "failed"),))] == 1
        assert got[("ragcord_generator_errors_total", (("kind", "error"),))] == 0
        assert got[("ragcord_resync_documents_total", (("result", "changed"),))] == 0  # defined before re-sync exists
        assert all(name.startswith("ragcord_") for name, _ in got)

        status, _, body = await scrape(port, "/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok", "checks": {"database": "ok"}}
    finally:
        await server.stop()
        await assistant.aclose()


async def test_healthz_fails_with_one_line_when_the_database_is_gone(tmp_path: Path) -> None:
    assistant = await Assistant.create(load_settings(data_dir=tmp_path / "data", generator="extractive"))
    server = MetricsServer(Metrics(), {"database": database_check(assistant.store.db.fetchone)})
    port = await server.start("127.0.0.1", 0)
    try:
        await assistant.aclose()
        status, _, body = await scrape(port, "/healthz")
        health = json.loads(body)
        assert status == 503 and health["status"] == "failing"
        assert health["checks"]["database"] != "ok" and "\n" not in health["checks"]["database"]
    finally:
        await server.stop()


async def test_two_registries_do_not_share_counts() -> None:
    a, b = Metrics(), Metrics()
    a.question()
    assert samples(a.render().body.decode())[("ragcord_questions_total", ())] == 1
    assert samples(b.render().body.decode())[("ragcord_questions_total", ())] == 0


async def test_resync_results_are_counted() -> None:
    m = Metrics()
    m.resynced(changed=2, unchanged=5, failed=1)
    got = samples(m.render().body.decode())
    assert [got[("ragcord_resync_documents_total", (("result", r),))] for r in ("changed", "unchanged", "failed")] \
        == [2, 5, 1]


class Failing:
    name = "openai"

    def __init__(self, hang: bool) -> None:
        self.hang = hang

    async def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        if self.hang:
            await asyncio.Event().wait()  # never answers: the core's deadline must end it
        raise GeneratorError("the model server is down")
        yield Token("")  # pragma: no cover

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        raise GeneratorError("the model server is down")

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        raise GeneratorError("the model server is down")

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(("hang", "kind"), [(False, "error"), (True, "timeout")])
async def test_generator_errors_and_timeouts_are_counted_and_logged_with_the_request_id(
        tmp_path: Path, kb: Path, hang: bool, kind: str) -> None:
    settings = load_settings(data_dir=tmp_path / "data", **{"generation.timeout_s": 0.3})
    assistant = await Assistant.create(settings, generator=Failing(hang))
    metrics = Metrics()
    assistant.observer = metrics
    logger = logging.getLogger("bot.core.assistant")
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    configure_logging("json", logger)
    try:
        await assistant.ingest("global", [str(kb)])
        with request_scope("req-42"):
            answer = await assistant.answer(Question("How many days do I have to return an item?", user="u1"))
        assert answer.backend == "extractive" and answer.error  # fell back, said why
    finally:
        logger.removeHandler(handler)
        await assistant.aclose()
    got = samples(metrics.render().body.decode())
    assert got[("ragcord_generator_errors_total", (("kind", kind),))] == 1
    assert got[("ragcord_answers_total", (("backend", "extractive"),))] == 1
    records = [json.loads(line) for line in lines]
    failed = [r for r in records if "generation failed" in r["message"]]
    assert failed and all(r["request_id"] == "req-42" for r in failed)
    assert isinstance(handler.formatter, JsonFormatter)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ragcord_run_serves_metrics_on_the_configured_port(tmp_path: Path) -> None:
    from bot.frontends.discord.client import build_bot, queue_depth, serve_metrics

    port = free_port()
    settings = load_settings(data_dir=tmp_path / "data", generator="extractive", metrics_port=port)
    assistant = await Assistant.create(settings)
    try:
        async with build_bot(settings, assistant) as bot:
            assert queue_depth(bot) == 0  # no Ask cog loaded yet
            server = await serve_metrics(settings, assistant, bot)
            assert server is not None and server.port == port
            try:
                await assistant.answer(Question("anything?", user="u"))
                status, _, text = await scrape(port)
                assert status == 200 and samples(text)[("ragcord_questions_total", ())] == 1
                with pytest.raises(SystemExit, match=f"cannot serve metrics on port {port}"):
                    await serve_metrics(settings, assistant, bot)  # the port is taken: one line, no traceback
            finally:
                await server.stop()
        off = settings.updated(**{"ops.metrics_port": 0})
        async with build_bot(off, assistant) as bot:
            assert await serve_metrics(off, assistant, bot) is None
    finally:
        await assistant.aclose()
