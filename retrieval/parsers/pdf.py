"""PDF: one section per page with text, under the page-count limit."""
from __future__ import annotations

import io
import re

from ..config import Limits
from ..errors import IngestError, one_line
from ..types import Section
from .text import normalise_newlines


def parse_pdf(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-password-only PDFs open with an empty user password
            except Exception:
                opened = 0
            if not opened:
                raise IngestError("encrypted PDF (password protected)")
        count = len(reader.pages)
        if count > limits.max_pdf_pages:
            raise IngestError(f"PDF has too many pages ({count}; the limit is {limits.max_pdf_pages})")
        pages = list(reader.pages)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"not a readable PDF: {one_line(exc, 120)}") from None
    sections: list[Section] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:
            continue  # one broken page should not lose the others
        text = _clean_pdf_text(text)
        if text:
            sections.append(Section(text=text, page=number))
    if not sections:
        raise IngestError("no text found (scanned PDF?)")
    title = None
    try:
        meta = reader.metadata
        title = (meta.title or "").strip() if meta else None
    except Exception:
        title = None
    return title or fallback_title, sections


def _clean_pdf_text(text: str) -> str:
    text = normalise_newlines(text)
    text = re.sub(r"-\n(?=[a-z])", "", text)  # re-join words hyphenated at line ends
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
