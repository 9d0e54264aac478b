"""Shared fixtures: the real MiniLM embedder (loaded once) and builders for real files."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.config import RetrievalConfig
from retrieval.embedder import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.knowledge_bases import AnyKnowledgeBase
from retrieval.rerank import Reranker
from tests.pg import fresh_database_sync


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    emb = Embedder()
    _ = emb.dim  # load now, once for the whole session
    return emb


@pytest.fixture()
def make_kb(tmp_path: Path, embedder: Embedder):
    def make(scope: str = "global", config: RetrievalConfig | None = None, data_dir: Path | None = None) -> KnowledgeBase:
        return KnowledgeBase(data_dir or tmp_path / "kb", scope, embedder, config or RetrievalConfig())

    return make


class KbFactory:
    """Builds knowledge bases of one backend: `backend` is "sqlite" (SQLite catalogue + FAISS files
    under the data dir) or "postgres" (PostgreSQL + pgvector, one database per test). Every kb it
    makes for a scope sees the same rows: the same data dir, or the same database."""

    def __init__(self, backend: str, data_dir: Path, embedder: Embedder, database_url: str | None) -> None:
        self.backend = backend
        self.data_dir = data_dir
        self.embedder = embedder
        self.database_url = database_url

    def __call__(self, scope: str = "global", config: RetrievalConfig | None = None, data_dir: Path | None = None,
                 *, reranker: Reranker | None = None) -> AnyKnowledgeBase:
        config = config or RetrievalConfig()
        if self.database_url is None:
            return KnowledgeBase(data_dir or self.data_dir, scope, self.embedder, config, reranker=reranker)
        from retrieval.pg.knowledge_base import PgKnowledgeBase

        return PgKnowledgeBase(self.database_url, scope, self.embedder, config, reranker=reranker,
                               data_dir=data_dir or self.data_dir)


@pytest.fixture(params=["sqlite", "postgres"])
def any_kb(request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder) -> KbFactory:
    """Like `make_kb`, once per backend; only the postgres run needs (and may skip for want of) a server."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return KbFactory(request.param, tmp_path / "kb", embedder, url)


def pdf_bytes(pages: list[str], title: str | None = None) -> bytes:
    """A real PDF with one page per text; an empty text makes a page with a drawing but no text, like a scan."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
        else:
            pdf.rect(20, 20, 50, 50)
    return bytes(pdf.output())


def write_pdf(path: Path, pages: list[str], *, title: str | None = None) -> Path:
    path.write_bytes(pdf_bytes(pages, title))
    return path


def write_docx(path: Path, blocks: list[tuple[str, str]], table: list[list[str]] | None = None) -> Path:
    """blocks: (style, text) with style 'Title', 'Heading 1', 'Heading 2' or '' for a paragraph."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style == "Title":
            document.add_heading(text, level=0)
        elif style.startswith("Heading"):
            document.add_heading(text, level=int(style.split()[-1]))
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path




@pytest.fixture()
def pg_url(postgres_dsn: str) -> Iterator[str]:
    """An empty PostgreSQL database (pgvector available) for one test, dropped afterwards."""
    with fresh_database_sync(postgres_dsn, "ragcord_kb") as url:
        yield url
