"""Plain text and Markdown: decoding bytes, and sections split at headings."""
from __future__ import annotations

import re

from ..config import Limits
from ..errors import IngestError
from ..types import Section


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


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_txt(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    text = normalise_newlines(decode_text(data)).strip()
    return fallback_title, [Section(text=text)] if text else []


_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


class SectionBuilder:
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
    built = SectionBuilder(joiner="\n")
    first_h1: str | None = None
    in_fence = False
    for line in normalise_newlines(text).split("\n"):
        if FENCE.match(line):
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
    text = re.sub(r"(?<!\\)\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links → their text
    # emphasis and code markers go; a backslash-escaped character ("pg\_dump") is that character, and
    # so is an underscore inside a word ("password_encryption"), which marks no emphasis
    return _INLINE_MARKUP.sub(lambda m: m.group(1) or "", text).strip()


_INLINE_MARKUP = re.compile(r"\\([!-/:-@\[-`{-~])|[*`]+|(?<![^\W_])_+|_+(?![^\W_])")


def parse_md(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    h1, sections = split_markdown(decode_text(data))
    return h1 or fallback_title, sections
