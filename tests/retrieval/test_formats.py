"""The format table: every extension has one format, MIME lookups, upload checks, limits that exist."""
from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest

from retrieval import formats
from retrieval.config import Limits
from retrieval.formats import FORMATS, SUPPORTED_EXTENSIONS, for_content, for_extension, for_name, upload_problem
from retrieval.loaders import load

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_every_extension_maps_to_exactly_one_format_and_parser() -> None:
    listed = [ext for fmt in FORMATS for ext in fmt.extensions]
    assert len(listed) == len(set(listed)) == len(SUPPORTED_EXTENSIONS)
    assert set(SUPPORTED_EXTENSIONS) == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
    for ext in SUPPORTED_EXTENSIONS:
        owners = [fmt for fmt in FORMATS if ext in fmt.extensions]
        assert len(owners) == 1 and for_extension(ext) is owners[0] and for_extension(ext.upper()) is owners[0]
        assert ext == ext.lower() and ext.startswith(".")
    assert len({fmt.name for fmt in FORMATS}) == len(FORMATS)
    assert for_extension(".exe") is None and for_extension("") is None
    assert for_name("Guide.MD").name == "markdown" and for_name("notes") is None


def test_limits_named_by_formats_are_limits_fields() -> None:
    names = {f.name for f in fields(Limits)}
    for fmt in FORMATS:
        assert formats.SIZE_LIMIT in fmt.limits and set(fmt.limits) <= names
    assert "max_pdf_pages" in for_extension(".pdf").limits
    assert {"max_unzipped_bytes", "max_zip_ratio"} <= set(for_extension(".docx").limits)
    assert for_extension(".txt").limits == (formats.SIZE_LIMIT,)


@pytest.mark.parametrize(("content_type", "url", "expected"), [
    ("text/html", "https://x.test/page", "html"),
    ("application/xhtml+xml", "https://x.test/page", "html"),
    ("text/html", "https://x.test/readme.md", "html"),  # the server's type wins over the name
    ("application/pdf", "https://x.test/file.docx", "pdf"),
    ("text/markdown", "https://x.test/notes.txt", "markdown"),
    ("text/x-markdown", "https://x.test/notes", "markdown"),
    ("text/plain", "https://x.test/notes", "text"),
    ("text/plain", "https://x.test/notes.md?raw=1", "markdown"),  # plain text named .md is markdown
    ("text/plain", "https://x.test/notes.markdown#top", "markdown"),
    ("text/plain", "https://x.test/page.html", "text"),
    ("", "https://x.test/report.pdf", "pdf"),
    ("application/octet-stream", "https://x.test/report.docx", "docx"),
    (DOCX, "https://x.test/download", "docx"),
    ("TEXT/HTML; charset=utf-8", "", "html"),
])
def test_content_type_lookup(content_type: str, url: str, expected: str) -> None:
    found = for_content(content_type, url)
    assert found is not None and found.name == expected


@pytest.mark.parametrize(("content_type", "url"), [
    ("image/png", "https://x.test/a.png"), ("", "https://x.test/download"), ("application/zip", "https://x.test/a.pdf"),
    ("application/octet-stream", "https://x.test/a.exe"),
])
def test_unknown_content_types_have_no_format(content_type: str, url: str) -> None:
    assert for_content(content_type, url) is None


def test_loaded_documents_report_their_formats_mime(tmp_path: Path) -> None:
    for name, mime in (("a.txt", "text/plain"), ("b.markdown", "text/markdown"), ("c.htm", "text/html")):
        (tmp_path / name).write_text("<p>Hello there, a line of text.</p>" if name.endswith("htm") else "Hello there.")
        assert load(tmp_path / name).mime == mime == for_name(name).mime


def test_upload_checks_read_the_table() -> None:
    limits = Limits(max_file_bytes=2048)
    assert upload_problem("guide.PDF", 2048, limits) is None
    assert "unsupported file type '.exe'" in upload_problem("setup.exe", 10, limits)
    assert "(none)" in upload_problem("README", 10, limits)
    assert "file too large" in upload_problem("guide.md", 2049, limits)


def test_parsers_do_not_import_the_table_or_the_loaders() -> None:
    folder = Path(formats.__file__).parent / "parsers"
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        relative = {(node.level, node.module) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not relative & {(2, "formats"), (2, "loaders")}, path.name
