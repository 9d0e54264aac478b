"""The ingest entry points both knowledge bases offer (SQLite+FAISS and PostgreSQL), over their `_ingest`."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from .config import RetrievalConfig
from .ingest import Progress
from .ingest_steps import text_document
from .loaders import iter_sources, load
from .types import IngestReport, LoadedDocument

Loaders = list[tuple[str, Callable[[], LoadedDocument]]]


class IngestEntryPoints:
    """Files, strings and loaded documents, each turned into (source, loader) pairs for `_ingest`."""

    config: RetrievalConfig

    def _ingest(self, loaders: Loaders, *, added_by: str | None, progress: Progress | None) -> IngestReport:
        raise NotImplementedError

    def ingest(self, sources: str | Path | Iterable[str | Path], *, added_by: str | None = None,
               progress: Progress | None = None) -> IngestReport:
        """Load, chunk, embed and index files / folders / URLs. Bad sources land in report.errors.

        `progress(stage, done, total)` is called with stage "loading", "embedding" and
        "indexing"; raising from it cancels the ingest and leaves the last good state.
        """
        if isinstance(sources, (str, Path)):
            sources = [sources]
        expanded = list(dict.fromkeys(iter_sources(sources)))
        limits = self.config.limits
        loaders = [(src, lambda src=src: load(src, limits=limits)) for src in expanded]
        return self._ingest(loaders, added_by=added_by, progress=progress)

    def ingest_text(self, title: str, text: str, source: str, *, added_by: str | None = None,
                    markdown: bool = True) -> IngestReport:
        """Ingest a string as a document (sections split at markdown headings when `markdown`)."""
        return self.ingest_texts([(title, text, source)], added_by=added_by, markdown=markdown)

    def ingest_texts(self, items: Iterable[tuple[str, str, str]], *, added_by: str | None = None,
                     markdown: bool = True, progress: Progress | None = None) -> IngestReport:
        """Ingest (title, text, source) strings as documents in one new generation."""
        loaders = [(source, partial(text_document, title, text, source, markdown)) for title, text, source in items]
        return self._ingest(loaders, added_by=added_by, progress=progress)

    def ingest_documents(self, docs: Iterable[LoadedDocument], *, added_by: str | None = None) -> IngestReport:
        """Ingest documents loaded elsewhere (re-sync parses the pages it fetched itself)."""
        return self._ingest([(d.source, lambda d=d: d) for d in docs], added_by=added_by, progress=None)
