"""The one table of document formats that ingest, URL fetching and upload checks read.

Each `Format` row names its file extensions, the MIME type its documents report,
the content types a web server may send it under, its parser, and which
`config.Limits` fields apply to it beyond the size of the file itself.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Limits
from .parsers.docx import parse_docx
from .parsers.html import parse_html
from .parsers.pdf import parse_pdf
from .parsers.text import parse_md, parse_txt
from .types import Section

Parser = Callable[[bytes, str, Limits], tuple[str, list[Section]]]

# content types that say nothing about the format: the URL's extension decides
GENERIC_CONTENT_TYPES = ("", "application/octet-stream")
SIZE_LIMIT = "max_file_bytes"  # applies to every format


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]  # lower case, with the dot; the first is the usual one
    mime: str  # what a loaded document of this format reports
    content_types: tuple[str, ...]  # what a server may send it as (URL fetching)
    parser: Parser
    limits: tuple[str, ...] = (SIZE_LIMIT,)  # `Limits` fields that apply to it


FORMATS: tuple[Format, ...] = (
    Format("text", (".txt",), "text/plain", ("text/plain",), parse_txt),
    Format("markdown", (".md", ".markdown"), "text/markdown",
           ("text/markdown", "text/x-markdown", "text/plain"), parse_md),
    Format("html", (".html", ".htm"), "text/html", ("text/html", "application/xhtml+xml"), parse_html),
    Format("pdf", (".pdf",), "application/pdf", ("application/pdf",), parse_pdf,
           (SIZE_LIMIT, "max_pdf_pages")),
    Format("docx", (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",), parse_docx,
           (SIZE_LIMIT, "max_unzipped_bytes", "max_zip_ratio")),
)

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(ext for fmt in FORMATS for ext in fmt.extensions)
_BY_EXTENSION: dict[str, Format] = {ext: fmt for fmt in FORMATS for ext in fmt.extensions}


def for_extension(ext: str) -> Format | None:
    """The format of a file extension ('.PDF' and '.pdf' alike), None when unsupported."""
    return _BY_EXTENSION.get(ext.lower())


def for_name(name: str | Path) -> Format | None:
    """The format of a file name or path, by its extension."""
    return for_extension(Path(name).suffix)


def for_content(content_type: str, url: str = "") -> Format | None:
    """The format of a fetched body: the URL's own format when the content type fits it (or says
    nothing), else the first format that claims the content type."""
    content_type = content_type.split(";", 1)[0].strip().lower()
    by_ext = for_name(url.split("?")[0].split("#")[0]) if url else None
    if by_ext is not None and (content_type in by_ext.content_types or content_type in GENERIC_CONTENT_TYPES):
        return by_ext
    return next((fmt for fmt in FORMATS if content_type in fmt.content_types), None)


def upload_problem(name: str, size: int, limits: Limits) -> str | None:
    """Why an upload of this name and size would be refused before download (None: acceptable)."""
    if for_name(name) is None:
        return f"unsupported file type {Path(name).suffix.lower() or '(none)'!r}; supported: " \
               f"{', '.join(SUPPORTED_EXTENSIONS)}"
    if size > limits.max_file_bytes:
        return f"file too large: {size} bytes (limit {limits.max_file_bytes})"
    return None
