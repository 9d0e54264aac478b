"""`ragcord run`'s metrics with the real discord.py bot: a mention is counted, scraped over HTTP,
and the question carries one request id from the gateway event through the queue into the core."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.types import Answer
from bot.frontends.discord.client import serve_metrics
from bot.services.metrics import Metrics
from bot.services.requestlog import current_request_id
from tests.e2e.conftest import World

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def scrape(port: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {s.name + str(sorted(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


async def ask(world: World, text: str) -> Any:
    msg = await world.server.user_message(world.general_a, world.member(), text, mention_bot=True)
    return await world.server.wait_for_reply(msg, timeout=60)


async def test_a_mention_moves_the_served_counters(world: World, tmp_path: Path) -> None:
    doc = tmp_path / "refunds.md"
    doc.write_text("# Refunds\n\nCustomers can request a full refund within 30 days of purchase.\n")
    port = free_port()
    settings = world.settings.updated(**{"ops.metrics_port": port})
    assistant = world.bot.assistant
    server = await serve_metrics(settings, assistant, world.bot)
    assert server is not None
    try:
        await assistant.ingest(f"guild:{world.guild_a.id}", [str(doc)])
        before = await scrape(port)
        final = await ask(world, "How many days do I have to request a refund?")
        assert "30 days" in final.content
        after = await scrape(port)
    finally:
        await server.stop()
    assert before["ragcord_questions_total[]"] == 0 and after["ragcord_questions_total[]"] == 1
    assert after["ragcord_answers_total[('backend', 'extractive')]"] == 1
    assert after["ragcord_stage_seconds_count[('stage', 'retrieve')]"] == 1
    assert after["ragcord_ingest_documents_total[('result', 'added')]"] == 1
    assert after["ragcord_queue_depth[]"] == 0  # the real Ask cog's queue, read at scrape time


class Recording(Metrics):
    """Metrics that also note the request id the core sees at each question and answer."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[tuple[str, str | None]] = []

    def question(self) -> None:
        super().question()
        self.ids.append(("question", current_request_id()))

    def answered(self, answer: Answer) -> None:
        super().answered(answer)
        self.ids.append(("answered", current_request_id()))


async def test_each_question_has_one_request_id_through_the_queue(world: World) -> None:
    recording = Recording()
    world.bot.assistant.observer = recording
    await ask(world, "How many days do I have to request a refund?")
    await ask(world, "Do refunds take long?")
    kinds = [k for k, _ in recording.ids]
    assert kinds == ["question", "answered", "question", "answered"]
    first, second = recording.ids[0][1], recording.ids[2][1]
    assert first and second and first != second
    assert recording.ids[1][1] == first and recording.ids[3][1] == second
