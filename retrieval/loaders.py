"""Turn a file or URL into a LoadedDocument (text split into sections, plus metadata).

One entry point, `load`, dispatching on the extension or the URL's content type.
Every failure a user can cause raises IngestError with a one-line message.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .errors import IngestError, one_line
from .types import LoadedDocument, Section

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_PDF_PAGES = 2000
DEFAULT_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_ZIP_RATIO = 100.0


@dataclass(frozen=True)
class Limits:
    """What one source may cost: bytes on disk or on the wire, PDF pages, unzipped DOCX size."""

    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES
    max_zip_ratio: float = DEFAULT_MAX_ZIP_RATIO
    url_allowlist: tuple[str, ...] = ()

_MIME = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


# ---------------------------------------------------------------- entry points

def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def load(
    source: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES,
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES,
    max_zip_ratio: float = DEFAULT_MAX_ZIP_RATIO,
    url_allowlist: Sequence[str] = (),
) -> LoadedDocument:
    """Load one file or http(s) URL. Raises IngestError on anything unusable.

    URLs are fetched by `urlsafety.fetch`: non-public addresses are refused unless a host or
    network is in `url_allowlist`.
    """
    limits = Limits(max_bytes, timeout, max_pdf_pages, max_unzipped_bytes, max_zip_ratio, tuple(url_allowlist))
    if isinstance(source, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source) and not is_url(source):
        raise IngestError(f"could not fetch URL: only http and https are allowed: {source[:80]}")
    if is_url(source):
        return _load_url(str(source), limits)
    path = Path(source).expanduser()
    ext = path.suffix.lower()
    if not path.exists():
        raise IngestError(f"no such file: {path}")
    if path.is_dir():
        raise IngestError(f"is a folder, not a file: {path} (use iter_sources to expand it)")
    if ext not in _PARSERS:
        raise IngestError(
            f"unsupported file type {ext or '(none)'!r}: {path.name}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(f"file too large: {path.name} is {size} bytes (limit {max_bytes})")
    data = path.read_bytes()
    return _parse(data, ext, limits, source=str(path.resolve()), fallback_title=_title_from_name(path.stem))


def iter_sources(paths: Iterable[str | Path]) -> list[str]:
    """Expand folders recursively (sorted) into the files `load` understands.

    Inside folders, hidden names and names starting with "_" are skipped, as are
    files of unsupported types. Paths given explicitly are passed through as they
    are (even missing or unsupported) so that `load` reports them.
    """
    out: list[str] = []
    for item in paths:
        if is_url(item):
            out.append(str(item))
            continue
        path = Path(item).expanduser()
        if path.is_dir():
            out.extend(str(p.resolve()) for p in _walk(path))
        else:
            out.append(str(path.resolve()) if path.exists() else str(item))
    return out


def _walk(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file() and entry.suffix.lower() in _PARSERS:
            yield entry


def _parse(data: bytes, ext: str, limits: Limits, *, source: str, fallback_title: str) -> LoadedDocument:
    parser = _PARSERS[ext]
    title, sections = parser(data, fallback_title, limits)
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise IngestError(f"empty document: {source}")
    return LoadedDocument(source=source, title=title or fallback_title, sections=sections, mime=_MIME[ext])


def _title_from_name(stem: str) -> str:
    return re.sub(r"[_\-]+", " ", stem).strip() or stem


# ---------------------------------------------------------------- plain text

def decode_text(data: bytes) -> str:
    """Bytes → str for text files; binary data raises IngestError("not a text file")."""
    if b"\x00" in data:
        raise IngestError("not a text file (binary data)")
    for encoding in ("utf-8", "utf-8-sig"):
        try:
            text = data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch < " " and ch not in "\n\r\t\f" or "\x7f" <= ch <= "\x9f")
        if text and controls / len(text) > 0.05:
            raise IngestError("not a text file (control characters)")
        return text
    text = data.decode("cp1252", errors="replace")
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    if not text or printable / len(text) < 0.95 or text.count("\ufffd") > len(text) / 100:
        raise IngestError("not a text file (undecodable bytes)")
    return text


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parse_txt(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    text = _normalise_newlines(decode_text(data)).strip()
    return fallback_title, [Section(text=text)] if text else []


# ---------------------------------------------------------------- markdown

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


class _SectionBuilder:
    """Text grouped under the heading it follows: one Section per heading (empty ones dropped)."""

    def __init__(self, joiner: str = "\n\n") -> None:
        self.sections: list[Section] = []
        self._joiner = joiner
        self._heading: str | None = None
        self._parts: list[str] = []

    def add(self, part: str) -> None:
        self._parts.append(part)

    def start(self, heading: str) -> None:
        self._flush()
        self._heading = heading

    def finish(self) -> list[Section]:
        self._flush()
        return self.sections

    def _flush(self) -> None:
        body = self._joiner.join(self._parts).strip()
        if body:
            self.sections.append(Section(text=body, heading=self._heading))
        self._parts = []


def split_markdown(text: str) -> tuple[str | None, list[Section]]:
    """Split markdown at ATX headings (outside code fences). Returns (first H1, sections)."""
    built = _SectionBuilder(joiner="\n")
    first_h1: str | None = None
    in_fence = False
    for line in _normalise_newlines(text).split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _ATX.match(line)
        if match:
            heading = _strip_md_inline(match.group(2))
            built.start(heading)
            if first_h1 is None and len(match.group(1)) == 1:
                first_h1 = heading
        else:
            built.add(line)
    return first_h1, built.finish()


def _strip_md_inline(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links → their text
    return re.sub(r"[*_`]+", "", text).strip()


def _parse_md(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    h1, sections = split_markdown(decode_text(data))
    return h1 or fallback_title, sections


# ---------------------------------------------------------------- html

_BOILERPLATE_TAGS = ("nav", "header", "footer", "script", "style", "aside", "noscript", "form", "template", "svg")


def _parse_html(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_html(data), "html.parser")
    title = _html_title(soup) or fallback_title
    _drop_boilerplate(soup)
    sections: list[Section] = []
    try:
        import trafilatura

        extracted = trafilatura.extract(
            str(soup), output_format="markdown", include_tables=True, include_comments=False, favor_recall=True
        )
    except Exception:  # trafilatura is best effort; BeautifulSoup below is the fallback
        extracted = None
    if extracted and extracted.strip():
        _, sections = split_markdown(_tidy_extracted(extracted))
    if not sections:
        sections = _html_sections_bs4(soup)
    return title, sections


def _tidy_extracted(markdown: str) -> str:
    """Undo source-code line wrapping and bold markers that trafilatura carries over
    (code fences are left exactly as they are)."""
    out: list[str] = []
    in_fence = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
        elif in_fence:
            out.append(line)
        elif out and line[:1] in (" ", "\t") and line.strip() and out[-1].strip() and not _FENCE.match(out[-1]):
            out[-1] = _BOLD.sub(r"\2", out[-1].rstrip() + " " + line.strip())  # indented: same paragraph
        else:
            out.append(_BOLD.sub(r"\2", line))
    return "\n".join(out)


_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def _decode_html(data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("not an HTML file (binary data)")
    for encoding in ("utf-8", "utf-8-sig"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def _html_title(soup) -> str | None:  # noqa: ANN001 - bs4 types are loose
    """<title>, or the page's h1 when <title> is that h1 plus a site name ("Page | Site")."""
    texts = [" ".join(n.get_text(" ").split()) if n is not None else "" for n in (soup.title, soup.find("h1"))]
    title, h1 = texts
    if title and h1 and title != h1 and title.startswith(h1):
        return h1
    return title or h1 or None


def _drop_boilerplate(soup) -> None:  # noqa: ANN001
    """Remove menus, banners, sidebars and scripts (a header/footer inside an article stays)."""
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        if tag.decomposed:
            continue
        if tag.name in ("header", "footer") and tag.find_parent(("article", "main")) is not None:
            continue
        tag.decompose()


def _html_sections_bs4(soup) -> list[Section]:  # noqa: ANN001
    _drop_boilerplate(soup)
    body = soup.body or soup
    built = _SectionBuilder()

    blocks = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "tr", "dt", "dd")
    for node in body.find_all(blocks):
        if node.find_parent(blocks) is not None and node.name not in ("tr",):
            continue  # nested block: its text is already in the parent
        if node.name == "tr":
            text = " | ".join(" ".join(c.get_text(" ").split()) for c in node.find_all(["td", "th"]))
        else:
            text = " ".join(node.get_text(" ").split())
        if not text:
            continue
        if node.name.startswith("h") and len(node.name) == 2:
            built.start(text)
        else:
            built.add(text)
    sections = built.finish()
    if not sections:  # no block structure at all: take the visible text
        text = "\n".join(line.strip() for line in body.get_text("\n").split("\n") if line.strip())
        if text:
            sections.append(Section(text=text))
    return sections


# ---------------------------------------------------------------- pdf

def _parse_pdf(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
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
    text = _normalise_newlines(text)
    text = re.sub(r"-\n(?=[a-z])", "", text)  # re-join words hyphenated at line ends
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---------------------------------------------------------------- docx

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
            f"DOCX too large when unpacked ({total} bytes; the limit is {limits.max_unzipped_bytes}) — possible zip bomb"
        )
    if total > 1024 * 1024 and total / max(1, packed) > limits.max_zip_ratio:
        raise IngestError(
            f"DOCX compression ratio too high ({total / max(1, packed):.0f}:1; the limit is "
            f"{limits.max_zip_ratio:.0f}:1) — possible zip bomb"
        )


def _parse_docx(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    import docx
    from docx.table import Table

    check_zip(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IngestError(f"not a readable DOCX: {one_line(exc, 120)}") from None
    title = (document.core_properties.title or "").strip() or None
    built = _SectionBuilder()

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


# ---------------------------------------------------------------- urls

def _load_url(url: str, limits: Limits) -> LoadedDocument:
    from .urlsafety import fetch

    fetched = fetch(url, max_bytes=limits.max_bytes, timeout=limits.timeout, allowlist=limits.url_allowlist)
    content_type, final_url = fetched.content_type, fetched.url
    ext = _ext_for_content(content_type, final_url)
    if ext is None:
        raise IngestError(f"unsupported content type {content_type or '(none)'!r} at {url}")
    name = final_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or final_url
    fallback = _title_from_name(Path(name).stem or name)
    return _parse(fetched.body, ext, limits, source=url, fallback_title=fallback)


def _ext_for_content(content_type: str, url: str) -> str | None:
    if content_type in ("text/html", "application/xhtml+xml"):
        return ".html"
    if content_type == "application/pdf":
        return ".pdf"
    if content_type in ("text/markdown", "text/x-markdown"):
        return ".md"
    path_ext = Path(url.split("?")[0].split("#")[0]).suffix.lower()
    if content_type == "text/plain":
        return ".md" if path_ext in (".md", ".markdown") else ".txt"
    if content_type in ("", "application/octet-stream") and path_ext in _PARSERS:
        return path_ext
    return None


_PARSERS: dict[str, Callable[[bytes, str, Limits], tuple[str, list[Section]]]] = {
    ".txt": _parse_txt,
    ".md": _parse_md,
    ".markdown": _parse_md,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".pdf": _parse_pdf,
    ".docx": _parse_docx,
}
