"""Sanity checks for the sample knowledge base shipped in data/.

These tests only look at the files themselves (no models, no index): the binary documents
must be real and readable, the demo question list must be complete, and every document must
have a type the ingest pipeline understands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
PDF = DATA / "course" / "lesson-loops-and-functions.pdf"
DOCX = DATA / "shop" / "warranty-policy.docx"
QUESTIONS = DATA / "_demo_questions.txt"
INGESTABLE = {".md", ".html", ".txt", ".pdf", ".docx"}


def test_pdf_has_three_pages_of_text():
    from pypdf import PdfReader

    reader = PdfReader(str(PDF))
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        assert len(text.split()) >= 50, f"page {number} has little or no extractable text"
    full = " ".join(page.extract_text() for page in reader.pages)
    assert "range(" in full and "def " in full


def test_docx_has_heading_styled_paragraphs():
    import docx

    document = docx.Document(str(DOCX))
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert any(p.style.name == "Heading 1" for p in headings)
    assert sum(p.style.name == "Heading 2" for p in headings) >= 3
    body = [p for p in document.paragraphs if not p.style.name.startswith("Heading") and p.text.strip()]
    assert len(body) >= 10
    assert "warranty" in " ".join(p.text for p in body).lower()


def test_demo_questions_has_six_non_empty_lines():
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    questions = [line for line in lines if line.strip()]
    assert len(questions) == 6
    assert len(lines) == 6, "no blank lines expected"
    assert len(set(questions)) == 6


def _documents():
    return [
        p for p in DATA.rglob("*")
        if p.is_file() and "_build" not in p.relative_to(DATA).parts
    ]


def test_data_dir_is_not_empty():
    assert len(_documents()) >= 12


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_document_has_an_ingestable_extension(path):
    assert path.suffix.lower() in INGESTABLE, f"{path} would not be ingested"
    assert path.stat().st_size > 0


def test_build_script_is_python():
    build = DATA / "_build"
    assert all(p.suffix == ".py" for p in build.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
