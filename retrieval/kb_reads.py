"""The catalogue reads both knowledge bases offer (SQLite+FAISS and PostgreSQL), over their catalogue."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .types import DocumentInfo, Hit


class CatalogReads:
    """Documents and chunks by id, read from `self.catalog` (documents(), chunk_rows(ids))."""

    catalog: Any  # retrieval.catalog.Catalog or retrieval.pg.catalog.PgCatalog

    def _find(self, ref: int | str) -> DocumentInfo | None:
        raise NotImplementedError

    def list_documents(self) -> list[DocumentInfo]:
        return self.catalog.documents()  # type: ignore[no-any-return]

    def get_document(self, ref: int | str) -> DocumentInfo | None:
        return self._find(ref)

    def get_chunks(self, ids: Iterable[int]) -> list[Hit]:
        """Chunks by id (in the order asked, unknown ids skipped) as score-less Hits."""
        wanted = [int(i) for i in ids]
        rows = self.catalog.chunk_rows(wanted)
        return [Hit(chunk_id=r.id, document_id=r.document_id, text=r.text, title=r.title, source=r.source,
                    page=r.page, heading=r.heading) for r in (rows.get(i) for i in wanted) if r is not None]
