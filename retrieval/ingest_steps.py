"""Ingest steps of one source: a text as a document, and a step whose failure lands in the report."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from .errors import IngestError, one_line
from .loaders import split_markdown
from .types import IngestReport, LoadedDocument, Section

T = TypeVar("T")
log = logging.getLogger("retrieval.knowledge_base")


def attempt(report: IngestReport, source: str, step: Callable[[], T]) -> tuple[bool, T | None]:
    """(True, result) or, with the error appended to `report.errors`, (False, None)."""
    try:
        return True, step()
    except IngestError as exc:
        report.errors.append({"source": source, "error": str(exc)})
    except Exception as exc:  # a loader bug or odd file must not stop the others
        log.warning("ingest of %s failed", source, exc_info=True)
        report.errors.append({"source": source, "error": one_line(f"{type(exc).__name__}: {exc}")})
    return False, None


def text_document(title: str, text: str, source: str, markdown: bool = True) -> LoadedDocument:
    """A string as a document (sections split at markdown headings when `markdown`)."""
    sections = split_markdown(text)[1] if markdown else [Section(text=text.strip())]
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise IngestError(f"empty document: {source}")
    return LoadedDocument(source=source, title=title or source, sections=sections,
                          mime="text/markdown" if markdown else "text/plain")
