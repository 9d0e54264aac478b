"""Typed facts inside a sentence: numbers, durations, options, identifiers, quoted strings, names.

The extractive reader looks for the kind of span a question asks for ("how many" wants a number,
"which option" an option); the core's claim check requires every span an answer asserts to be in
the passage it cites. Pure regular expressions, deterministic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from model.textutil import content_terms

Kind = Literal["number", "duration", "option", "identifier", "quoted", "name"]

_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20",
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90", "hundred": "100",
}
_UNITS = (r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|business days?|"
          r"working days?|nights?)")
_NUM = r"(?:\d+(?:[.,]\d+)*|" + "|".join(_NUMBER_WORDS) + r")"
# ASCII word boundaries: a number or option touching Chinese text ("最长64个字符") is still one
_DURATION = re.compile(rf"\b{_NUM}(?:\s*(?:-|to|–|or)\s*{_NUM})?[\s-]+{_UNITS}\b", re.IGNORECASE | re.ASCII)
_ZH_DURATION = re.compile(r"(?<![0-9.])\d+(?:\.\d+)?\s*(?:个)?(?:秒钟?|分钟|小时|天|日|周|星期|个月|年)(?![0-9])")
_NUMBER = re.compile(r"(?<![\w.])[$€£]?\d+(?:[.,]\d+)*%?(?![\w])", re.ASCII)
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(?:=[^\s,;)，。；）]+)?", re.ASCII)
# gc.pruneExpire, tar.umask, $GIT_DIR, snake_case, camelCase, path/to/file, file.ext, `anything`
_IDENT = re.compile(
    r"`[^`\n]{1,60}`"
    r"|\$[A-Z_][A-Z0-9_]*"
    r"|(?<![\w./-])(?:[A-Za-z_][\w-]*)(?:\.(?:[A-Za-z_<][\w<>-]*))+(?![\w])"
    r"|(?<![\w/])(?:~|\.{1,2})?/(?:[\w.-]+/)*[\w.-]+"
    # a relative path has two slashes or a file name ("src/main.c"); "C/C++", "and/or", "TCP/IP" are words
    r"|(?<![\w/])[\w.-]+/(?:[\w.-]+/)+[\w.-]+|(?<![\w/])[\w.-]+/[\w-]+\.[A-Za-z]\w{0,5}\b"
    r"|(?<![\w/.])\.[\w-][\w.-]*/[\w.-]+"
    r"|\b[a-z]+(?:_[a-z0-9]+)+\b"
    r"|\b[a-z]+[A-Z][A-Za-z0-9]*\b",
    re.ASCII,
)
_QUOTED = re.compile(r"[\"“]([^\"”\n]{1,60})[\"”]")
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*")
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "a.m", "p.m"}
_NEGATION = re.compile(
    r"(?<![-\w])(?:not|no|never|none|nothing|neither|nor|cannot)\b(?!-)|n['’]t\b", re.IGNORECASE  # not "--no-edit"
)


@dataclass(frozen=True)
class Span:
    kind: Kind
    text: str

    @property
    def norm(self) -> str:
        return normalise(self.text)


def normalise(text: str) -> str:
    """Lower case, backticks and outer punctuation off, number words as digits, spaces collapsed."""
    text = text.strip().strip("`").strip(" .,;:()[]\"'“”").lower()
    text = re.sub(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", lambda m: _NUMBER_WORDS[m.group(1)], text)
    return " ".join(text.split())


def find_spans(text: str) -> list[Span]:
    """Every typed span in `text`, in order of appearance (a duration is not also a number)."""
    found: list[tuple[int, Span]] = []
    taken: list[range] = []

    def add(kind: Kind, match: re.Match[str], group: int = 0) -> None:
        start, end = match.span(group)
        if any(start < r.stop and r.start < end for r in taken):
            return
        taken.append(range(start, end))
        found.append((start, Span(kind, match.group(group))))

    for m in _DURATION.finditer(text):
        add("duration", m)
    for m in _ZH_DURATION.finditer(text):
        add("duration", m)
    for m in _QUOTED.finditer(text):
        add("quoted", m, 1)
    for m in _OPTION.finditer(text):
        add("option", m)
    for m in _IDENT.finditer(text):
        if m.group(0).lower().rstrip(".") not in _ABBREVIATIONS and not m.group(0)[:1].isdigit():
            add("identifier", m)
    for m in _NUMBER.finditer(text):
        add("number", m)
    for m in _NAME.finditer(text):
        add("name", m)
    return [span for _, span in sorted(found, key=lambda item: item[0])]


def span_kinds(text: str) -> set[str]:
    """The kinds of fact a text holds ("number", "option", …): what a question's `Shape.fits` reads."""
    return {s.kind for s in find_spans(text)} if text else set()


def negated(text: str) -> bool:
    """Whether the sentence is grammatically negative ("does not", "never", "cannot", "no ...")."""
    return len(_NEGATION.findall(text)) % 2 == 1


# what a text says is absent: "no return statement", "without a receipt", "does not include a
# valid value" — the content words in the few words after "no", "without", "not", "n't"
_ABSENCE = re.compile(r"(?:(?<![-\w])(?:no|without|not|never)|n['’]t)\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.IGNORECASE)


def absent_terms(text: str) -> set[str]:
    """Stemmed content terms a text speaks of as missing; the same condition in a question and a
    passage sentence ("if it has no return statement" / "a function without a return statement")."""
    return {t for m in _ABSENCE.finditer(text) for t in content_terms(m.group(1))}


# words whose swap inverts a statement ("before" where the passage says "after")
OPPOSITES = (
    ("before", "after"), ("enable", "disable"), ("enabled", "disabled"), ("true", "false"),
    ("include", "exclude"), ("older", "newer"), ("above", "below"), ("first", "last"),
    ("minimum", "maximum"), ("allow", "deny"), ("allowed", "forbidden"), ("add", "remove"),
    ("always", "never"), ("more", "less"), ("earlier", "later"), ("increase", "decrease"),
    ("local", "remote"), ("yes", "no"), ("open", "closed"), ("free", "paid"),
)
