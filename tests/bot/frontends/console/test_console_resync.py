"""The console's documents page shows when a re-synced URL was last fetched and its last error."""
from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.frontends.console.app import create_app
from bot.services.resync import ResyncService
from bot.store import AnswerData, Exchange
from retrieval.errors import IngestError
from retrieval.urlsafety import Fetched

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PAGE = b"<html><head><title>Kettles</title></head><body><p>Descale kettles every month.</p></body></html>"


async def test_documents_page_shows_last_sync_and_last_error(tmp_path: Path) -> None:
    assistant = await Assistant.create(load_settings(None, data_dir=tmp_path, generator="extractive"))
    broken = {"on": False}

    def fetcher(url: str, etag: str | None, last_modified: str | None) -> Fetched:
        if broken["on"]:
            raise IngestError("could not fetch URL: HTTP 503 from <b>" + url)
        return Fetched(url=url, content_type="text/html", body=PAGE)

    clock = {"now": 1_700_000_000.0}
    service = ResyncService(assistant, clock=lambda: clock["now"], fetcher=fetcher)
    try:  # a recorded exchange makes guild:1 a scope the console knows
        data = AnswerData(text="a", citations=[], confidence=0.9, refused=False, backend="extractive", latency_ms=1)
        await assistant.store.answers.record_exchange(Exchange("guild:1", "u1", "c1", None, "q?", data))
        await service.add_and_sync("guild:1", ["https://docs.example/kettles"], every_s=3600)
        broken["on"] = True
        await service.resync("guild:1")
        with TestClient(create_app(assistant, TOKEN)) as client:
            html = client.get("/documents?scope=guild:1", headers=AUTH).text
        assert "<th>last sync</th>" in html
        cell = html.split('data-testid="document-sync">', 1)[1].split("</td>", 1)[0]
        assert cell.startswith("synced ") and "error ×1: could not fetch URL: HTTP 503 from &lt;b&gt;" in cell
    finally:
        await assistant.aclose()
