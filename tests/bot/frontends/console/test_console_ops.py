"""The console's /healthz and /metrics: no login needed, its own registry observing its assistant."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.frontends.console.app import create_app


@pytest.fixture
async def assistant(tmp_path: Path):
    a = await Assistant.create(load_settings(None, data_dir=tmp_path / "data", generator="extractive"))
    yield a
    await a.aclose()


def values(text: str) -> dict[str, float]:
    return {s.name + str(sorted(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


async def test_healthz_and_metrics_need_no_login_and_count_this_apps_work(assistant: Assistant,
                                                                          tmp_path: Path) -> None:
    (tmp_path / "faq.md").write_text("# FAQ\n\nRefunds take 5 business days to reach your card.\n")
    with TestClient(create_app(assistant, "t0ken")) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok", "checks": {"database": "ok"}}
        before = values(client.get("/metrics").text)
        assert before["ragcord_ingest_jobs_total[]"] == 0 and before["ragcord_questions_total[]"] == 0
        await assistant.ingest("global", [str(tmp_path / "faq.md")])
        scraped = client.get("/metrics")
        assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
        after = values(scraped.text)
        assert after["ragcord_ingest_jobs_total[]"] == 1
        assert after["ragcord_ingest_documents_total[('result', 'added')]"] == 1
        assert "ragcord_stage_seconds_count[('stage', 'retrieve')]" in after
        assert client.get("/", follow_redirects=False).status_code == 303  # the pages still need a login


def test_every_response_carries_a_request_id(assistant: Assistant) -> None:
    with TestClient(create_app(assistant, "t0ken")) as client:
        first, second = client.get("/healthz"), client.get("/healthz")
        assert first.headers["x-request-id"] and first.headers["x-request-id"] != second.headers["x-request-id"]
        given = client.get("/login", headers={"X-Request-ID": "lb-1234"})
        assert given.headers["x-request-id"] == "lb-1234"
        hostile = client.get("/login", headers={"X-Request-ID": "bad id\r\n" + "x" * 100})
        assert len(hostile.headers["x-request-id"]) <= 64 and " " not in hostile.headers["x-request-id"]
