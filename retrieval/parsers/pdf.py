"""PDF: one section per page with text, under the page-count limit.

Text comes from PDFium (pypdfium2), which places spaces from the glyphs' positions: typeset
manuals (groff, TeX) that kern with positioning come out as words, where a content-stream reader
splits them ("sa vedo nt he history list"). PDFium marks a hyphen it saw at a line end with
U+0002; it is put back as "-" + newline and joined by the same rule as any hyphenated line end.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter

from ..config import Limits
from ..errors import IngestError, one_line
from ..types import Section
from .text import normalise_newlines

# PDFium is not thread-safe, not even across documents: one call at a time in a process. Ingest
# runs parsers in worker threads (two uploads at once), so every use of it holds this lock.
_PDFIUM = threading.Lock()


def parse_pdf(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise IngestError("encrypted PDF (password protected)") from None
            raise IngestError(f"not a readable PDF: {_reason(exc)}") from None
        try:
            count = len(pdf)
            if count > limits.max_pdf_pages:
                raise IngestError(f"PDF has too many pages ({count}; the limit is {limits.max_pdf_pages})")
            texts = {number: text for number in range(1, count + 1) if (text := _page_text(pdf, number - 1)) is not None}
            try:
                title = (pdf.get_metadata_dict().get("Title") or "").strip()
            except Exception:
                title = ""
        finally:
            pdf.close()
    # running heads go first: a word hyphenated on a page's last line must not swallow the footer
    kept = _drop_running_lines(list(texts.values()))
    cleaned = {number: _clean_pdf_text(text) for number, text in zip(texts, kept, strict=True)}
    sections = [Section(text=text, page=number) for number, text in cleaned.items() if text]
    if not sections:
        raise IngestError("no text found (scanned PDF?)")
    return title or fallback_title, sections


def _page_text(pdf: object, index: int) -> str | None:
    """A page's text, or None when the page cannot be read (one broken page loses only itself)."""
    try:
        page = pdf[index]  # type: ignore[index]
        try:
            textpage = page.get_textpage()
            try:
                return normalise_newlines(textpage.get_text_bounded() or "")
            finally:
                textpage.close()
        finally:
            page.close()
    except Exception:
        return None


def _reason(exc: Exception) -> str:
    """"Failed to load document (PDFium: Data format error)." → "data format error"."""
    found = re.search(r"PDFium: ([^)]+)", str(exc))
    return (found.group(1).lower() if found else one_line(exc, 120)).rstrip(".")


# typographic ligatures (U+FB00-FB06) spelled out, and the dashes typesetters put for a plain
# hyphen (groff writes "−−help" and "−e" with U+2212 MINUS SIGN): searches and quotes need ASCII
_CHAR_FIXES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}
_CHAR_FIXES.update({0x2212: "-", 0x2010: "-", 0x2011: "-", 0x02: "-\n"})  # U+0002: PDFium's line-end hyphen
# a word cut at the line end ("insensi-", "case-insensi-", "LC_MES-"): it ends in a letter and does
# not start with a hyphen, so "--" options and a dash after a space are never joined; the next
# line's word is looked at, not consumed
_LINE_END_HYPHEN = re.compile(r"(?<![-\w])((?:\w+-)*\w*[^\W\d_])-[ \t]*\n[ \t]*(?=(\w+))")


# a visual line break inside a sentence: the line ends in a word or a comma (no sentence end, no
# colon) and the next one goes on in lower case; the two are one line, so no chunk is cut there
_WRAPPED = re.compile(r"(?<=[\w,;)’'\"”])[ \t]*\n[ \t]*(?=[a-z(])")


def _clean_pdf_text(text: str) -> str:
    text = normalise_newlines(text).translate(_CHAR_FIXES)
    text = _LINE_END_HYPHEN.sub(_join_hyphenated, text)
    text = _WRAPPED.sub(" ", text)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _join_hyphenated(match: re.Match[str]) -> str:
    """One word from "permis-\\nsion" and "ENVI-\\nRONMENT"; "Smith-\\nJones" stays as it is."""
    left, right = match.group(1), match.group(2)
    if right[0].islower() or (left.rsplit("-", 1)[-1].isupper() and right.isupper()):
        return left
    return match.group(0)


def _drop_running_lines(pages: list[str]) -> list[str]:
    """Each page without its running header and footer: a first (or last) non-empty line that,
    digits aside ("GNU Bash 5.2  2022 September 19  1"), is the first (last) line of at least
    half the pages with text and of three or more."""
    lines = [page.strip().split("\n") if page.strip() else [] for page in pages]
    with_text = sum(1 for page in lines if page)
    firsts = _repeated([page[0] for page in lines if page], with_text)
    lasts = _repeated([page[-1] for page in lines if page], with_text)
    out: list[str] = []
    for page in lines:
        start = int(bool(page) and _line_key(page[0]) in firsts)
        end = len(page) - int(len(page) > start and _line_key(page[-1]) in lasts)
        out.append("\n".join(page[start:end]))
    return out


def _repeated(lines: list[str], page_count: int) -> set[str]:
    counts = Counter(_line_key(line) for line in lines)
    return {key for key, n in counts.items() if n >= 3 and 2 * n >= page_count}


def _line_key(line: str) -> str:
    return re.sub(r"\d+", "0", " ".join(line.split()))
