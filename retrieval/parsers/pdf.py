"""PDF: one section per page with text, under the page-count limit."""
from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

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
    texts: dict[int, str] = {}
    for number, page in enumerate(pages, start=1):
        try:
            texts[number] = normalise_newlines(page.extract_text() or "")
        except Exception:
            continue  # one broken page should not lose the others
    # running heads go first: a word hyphenated on a page's last line must not swallow the footer
    kept = _drop_running_lines(list(texts.values()))
    cleaned = {number: _clean_pdf_text(text) for number, text in zip(texts, kept, strict=True)}
    sections = [Section(text=text, page=number) for number, text in cleaned.items() if text]
    if not sections:
        raise IngestError("no text found (scanned PDF?)")
    title = None
    try:
        meta = reader.metadata
        title = (meta.title or "").strip() if meta else None
    except Exception:
        title = None
    return title or fallback_title, sections


# typographic ligatures (U+FB00-FB06) spelled out, and the dashes typesetters put for a plain
# hyphen (groff writes "−−help" and "−e" with U+2212 MINUS SIGN): searches and quotes need ASCII
_CHAR_FIXES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}
_CHAR_FIXES.update({0x2212: "-", 0x2010: "-", 0x2011: "-"})
# a word cut at the line end ("insensi-", "case-insensi-", "LC_MES-"): it ends in a letter and does
# not start with a hyphen, so "--" options and a dash after a space are never joined; the next
# line's word is looked at, not consumed
_LINE_END_HYPHEN = re.compile(r"(?<![-\w])((?:\w+-)*\w*[^\W\d_])-[ \t]*\n[ \t]*(?=(\w+))")


def _clean_pdf_text(text: str) -> str:
    text = normalise_newlines(text).translate(_CHAR_FIXES)
    text = _LINE_END_HYPHEN.sub(_join_hyphenated, text)
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
