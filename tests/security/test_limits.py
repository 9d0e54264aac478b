"""Each limit has one value: a knowledge base built directly enforces what the app enforces."""
from __future__ import annotations

from pathlib import Path

from bot.core.assistant import Assistant
from bot.core.config import Settings, load_settings
from retrieval import injection, loaders
from retrieval.config import Limits, RetrievalConfig
from retrieval.knowledge_base import KnowledgeBase
from tests.retrieval.conftest import pdf_bytes
from tests.security.conftest import zip_bomb_docx


def test_every_default_is_the_same_object_value() -> None:
    one = Limits()
    assert Settings().limits == RetrievalConfig().limits == loaders._DEFAULT == one
    assert one.injection_threshold == injection.DEFAULT_THRESHOLD
    assert (one.max_file_bytes, one.max_pdf_pages, one.max_unzipped_bytes) == (20 << 20, 500, 100 << 20)
    assert (one.max_zip_ratio, one.max_documents) == (100.0, 1000)


def over_limit_files(folder: Path, limits: Limits) -> list[Path]:
    folder.mkdir()
    big = folder / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(limits.max_file_bytes + 1)
    pages = folder / "pages.pdf"
    pages.write_bytes(pdf_bytes(["page"] * (limits.max_pdf_pages + 1)))
    bomb = folder / "bomb.docx"
    bomb.write_bytes(zip_bomb_docx(limits.max_unzipped_bytes // (1 << 20) + 1))
    return [big, pages, bomb]


async def test_direct_and_app_knowledge_bases_enforce_the_same_limits(tmp_path: Path, make_kb) -> None:
    settings = load_settings(data_dir=tmp_path / "app", generator="extractive")
    assistant = await Assistant.create(settings)
    try:
        app_kb = assistant.kbs.get("global")
        direct: KnowledgeBase = make_kb()
        assert app_kb.config.limits is settings.limits
        assert direct.config.limits == app_kb.config.limits
        files = [str(p) for p in over_limit_files(tmp_path / "files", direct.config.limits)]
        from_app = await assistant.ingest("global", files)
        from_direct = direct.ingest(files)
    finally:
        await assistant.aclose()
    assert from_app.added == from_direct.added == 0
    assert from_app.errors == from_direct.errors
    messages = " ".join(e["error"] if "error" in e else str(e) for e in from_direct.errors)
    assert f"limit {20 << 20}" in messages
    assert "the limit is 500" in messages
    assert f"the limit is {100 << 20}" in messages
