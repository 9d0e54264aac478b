"""Claim-level checks of an answer against the passages it cites.

Sharing words with a passage is not support: "returns a string" shares "returns" and "value" with
"returns the special value None". Here every fact the answer asserts — numbers, durations, options,
identifiers, quoted strings, names — must occur in a cited passage; its polarity (negation) and its
direction words ("before"/"after", "enable"/"disable") must match the sentence it rests on; and it
must say something the question did not already say. Pure functions over text.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from model.spans import OPPOSITES, find_spans, negated, normalise
from model.textutil import content_terms, strip_citations, unescape_markdown, words

_OPPOSITE = {a: b for a, b in OPPOSITES} | {b: a for a, b in OPPOSITES}


def _haystack(texts: Sequence[str]) -> str:
    return " " + normalise(unescape_markdown(" ".join(texts))).replace("`", "") + " "


def _present(norm: str, haystack: str) -> bool:
    if not norm:
        return True
    if norm.replace(".", "").replace(",", "").isdigit():  # a number must be a whole number there
        return re.search(rf"(?<![\w.]){re.escape(norm)}(?![\w])", haystack) is not None
    return norm in haystack


def unsupported_facts(answer: str, question: str, passages: Sequence[str]) -> list[str]:
    """Spans the answer asserts that no passage holds (spans copied from the question are exempt)."""
    haystack = _haystack(passages)
    asked = _haystack([question])
    missing: list[str] = []
    for span in find_spans(strip_citations(answer)):
        norm = span.norm.replace("`", "")
        if span.kind == "name" and len(norm) < 3:
            continue
        if _present(norm, haystack) or _present(norm, asked):
            continue
        missing.append(span.text)
    return missing


def contradicts(sentence: str, source: str) -> str | None:
    """Why `sentence` says the opposite of `source`, its best-matching passage sentence, or None."""
    if negated(strip_citations(sentence)) != negated(source):
        return "negation differs from the source"
    said = set(words(sentence))
    there = set(words(source))
    for word in said - there:
        other = _OPPOSITE.get(word)
        if other and other in there:
            return f"says {word!r} where the source says {other!r}"
    return None


def adds_nothing(answer: str, question: str) -> bool:
    """The answer only repeats the question's own words (a name invented from the question)."""
    said = set(content_terms(strip_citations(answer)))
    return bool(said) and not (said - set(content_terms(question)))


# share of an answer's own words (those not taken from the question) its cited passages must hold
MIN_NOVEL_SUPPORT = 0.7


def novel_support(answer: str, question: str, passages: Sequence[str]) -> float:
    """Of the words the answer adds to the question, the share found in the cited passages."""
    novel = set(content_terms(strip_citations(answer))) - set(content_terms(question))
    if not novel:
        return 1.0
    there = set(content_terms(unescape_markdown(" ".join(passages))))
    return len(novel & there) / len(novel)
