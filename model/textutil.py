"""Small text helpers shared by the extractive backend and the confidence scores."""
from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto about as is are was were
    be been being am do does did done have has had having i me my we our you your he she it its they them
    their this that these those there here what which who whom whose when where why how can could would
    should will shall may might must not no nor so than too very just also any all some each such only own
    same other more most much many few both s t don doesn didn isn aren wasn weren won up down out over under
    again further once please tell know get got let""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# a sentence ends at . ! ? (optionally followed by quotes/brackets) before whitespace and a capital/digit/quote,
# or at a line break
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])|\n\s*\n|\n(?=\s*[-*•\d])")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|fig|no|approx|inc|ltd|st)\.$", re.IGNORECASE)
_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A deliberately light suffix stripper (plurals, -ing, -ed, -ly...)."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""),
                         ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            return w[: -len(suffix)] + repl
    return w


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (stopwords removed)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def linearize_tables(text: str) -> str:
    """Markdown table rows → one paragraph each, "Header: value; Header: value."

    A row of a table is a self-contained fact ("United Kingdom | DPD | 3 to 6 days"); with its
    column names it reads as a sentence the extractive answer can quote on its own.
    """
    lines = text.split("\n")
    out: list[str] = []
    header: list[str] | None = None
    for i, line in enumerate(lines):
        row = _TABLE_ROW.match(line)
        if not row:
            header = None
            out.append(line)
            continue
        if _TABLE_RULE.match(line):
            continue
        cells = [c.strip() for c in row.group(1).split("|")]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if header is None and _TABLE_RULE.match(following):
            header = cells
            continue
        if header and len(header) == len(cells):
            fact = "; ".join(f"{h}: {c}" for h, c in zip(header, cells) if c)
        else:
            fact = ", ".join(c for c in cells if c)
        out.append(f"\n{fact.rstrip('.')}.\n")
    return "\n".join(out)


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    carry = ""
    if "|" in text:
        text = linearize_tables(text)
    for part in _SENTENCE_END.split(text):
        if part is None:
            continue
        part = carry + part if carry else part
        if _ABBREV.search(part.rstrip()):
            carry = part + " "
            continue
        carry = ""
        part = " ".join(part.split())
        if part:
            pieces.append(part)
    if carry.strip():
        pieces.append(" ".join(carry.split()))
    return pieces


def strip_citations(text: str) -> str:
    return _CITATION.sub("", text)
