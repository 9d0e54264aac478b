"""Turn a file or URL into a LoadedDocument (text split into sections, plus metadata).

One entry point, `load`, dispatching through the format table (formats.py) on the
extension or the URL's content type; the parsers live in `parsers/`. Every failure
a user can cause raises IngestError with a one-line message.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from .config import Limits
from .errors import IngestError
from .formats import SUPPORTED_EXTENSIONS, Format, for_content, for_extension
from .parsers.text import decode_text, split_markdown
from .types import LoadedDocument
from .urlsafety import Fetched

__all__ = ["SUPPORTED_EXTENSIONS", "decode_text", "is_url", "iter_sources", "load", "parse_fetched", "split_markdown"]

_DEFAULT = Limits()  # the one set of defaults (retrieval/config.py)


# ---------------------------------------------------------------- entry points

def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def load(
    source: str | Path,
    *,
    limits: Limits | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
    max_pdf_pages: int | None = None,
    max_unzipped_bytes: int | None = None,
    max_zip_ratio: float | None = None,
    url_allowlist: Sequence[str] | None = None,
) -> LoadedDocument:
    """Load one file or http(s) URL. Raises IngestError on anything unusable.

    URLs are fetched by `urlsafety.fetch`: non-public addresses are refused unless a host or
    network is in `url_allowlist`. `limits` (default `Limits()`) is what is enforced; a keyword
    given beside it replaces that one limit.
    """
    given = dict(max_file_bytes=max_bytes, url_timeout_s=timeout, max_pdf_pages=max_pdf_pages,
                 max_unzipped_bytes=max_unzipped_bytes, max_zip_ratio=max_zip_ratio, url_allowlist=url_allowlist)
    limits = replace(limits or _DEFAULT, **{k: v for k, v in given.items() if v is not None})
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
    fmt = for_extension(ext)
    if fmt is None:
        raise IngestError(
            f"unsupported file type {ext or '(none)'!r}: {path.name}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise IngestError(f"file too large: {path.name} is {size} bytes (limit {limits.max_file_bytes})")
    data = path.read_bytes()
    return _parse(data, fmt, limits, source=str(path.resolve()), fallback_title=_title_from_name(path.stem))


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
        elif entry.is_file() and for_extension(entry.suffix) is not None:
            yield entry


def _parse(data: bytes, fmt: Format, limits: Limits, *, source: str, fallback_title: str) -> LoadedDocument:
    title, sections = fmt.parser(data, fallback_title, limits)
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise IngestError(f"empty document: {source}")
    return LoadedDocument(source=source, title=title or fallback_title, sections=sections, mime=fmt.mime)


def _title_from_name(stem: str) -> str:
    return re.sub(r"[_\-]+", " ", stem).strip() or stem


def _load_url(url: str, limits: Limits) -> LoadedDocument:
    from .urlsafety import fetch

    fetched = fetch(url, max_bytes=limits.max_file_bytes, timeout=limits.url_timeout_s, allowlist=limits.url_allowlist)
    return parse_fetched(fetched, url, limits)


def parse_fetched(fetched: Fetched, url: str, limits: Limits | None = None) -> LoadedDocument:
    """Parse a downloaded page (its content type picks the format); `url` becomes the source."""
    content_type, final_url = fetched.content_type, fetched.url
    fmt = for_content(content_type, final_url)
    if fmt is None:
        raise IngestError(f"unsupported content type {content_type or '(none)'!r} at {url}")
    name = final_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or final_url
    fallback = _title_from_name(Path(name).stem or name)
    return _parse(fetched.body, fmt, limits or _DEFAULT, source=url, fallback_title=fallback)
