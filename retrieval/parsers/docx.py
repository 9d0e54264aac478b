"""DOCX: zip-bomb checks first, then paragraphs and tables grouped under heading styles."""
from __future__ import annotations

import io
import re
import zipfile

from ..config import Limits
from ..errors import IngestError, one_line
from ..types import Section
from .text import SectionBuilder

_HEADING_STYLE = re.compile(r"^(heading\s*\d*|title)$", re.IGNORECASE)


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse zip bombs before anything decompresses: total unzipped size and compression ratio
    come from the central directory (sizes a parser would trust), checked against the limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise IngestError(f"not a readable DOCX: {one_line(exc, 120)}") from None
    if len(infos) > 10_000:
        raise IngestError(f"not a readable DOCX: too many parts in the archive ({len(infos)})")
    total = sum(max(0, i.file_size) for i in infos)
    packed = sum(max(0, i.compress_size) for i in infos)
    if total > limits.max_unzipped_bytes:
        raise IngestError(
            f"DOCX too large when unpacked ({total} bytes; the limit is {limits.max_unzipped_bytes})"
            " — possible zip bomb"
        )
    if total > 1024 * 1024 and total / max(1, packed) > limits.max_zip_ratio:
        raise IngestError(
            f"DOCX compression ratio too high ({total / max(1, packed):.0f}:1; the limit is "
            f"{limits.max_zip_ratio:.0f}:1) — possible zip bomb"
        )


def parse_docx(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    import docx
    from docx.table import Table

    check_zip(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IngestError(f"not a readable DOCX: {one_line(exc, 120)}") from None
    title = (document.core_properties.title or "").strip() or None
    built = SectionBuilder()

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            text = _docx_table_text(block)
            if text:
                built.add(text)
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if _HEADING_STYLE.match(style.strip()):
            built.start(text)
            if title is None and style.lower() in ("title", "heading 1", "heading1"):
                title = text
        else:
            built.add(text)
    return title or fallback_title, built.finish()


def _docx_table_text(table) -> str:  # noqa: ANN001
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            if not cells or cells[-1] != value:  # merged cells repeat their text
                cells.append(value)
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
