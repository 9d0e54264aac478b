"""What a question asks for: the kind of answer it expects and the words it is about.

"How many loose objects…" expects a number, "which option…" an option, "how long…" a duration,
"does it…?" a yes or no; "…by default?" asks for the default. The extractive reader prefers
sentences that hold the expected kind of span, the judge lowers confidence when the shown answer
holds none. English rules; other languages get an empty expectation (no preference, no penalty).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from model.textutil import content_terms

_EXPECT: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), frozenset(kinds))
    for pattern, kinds in (
        (r"\bhow (many|much)\b|\bwhat (number|percentage|amount|size|level|value|price|cost)\b",
         ("number", "duration")),
        (r"\bhow (long|old|often|soon|quickly)\b|\bwhen\b.*\b(expire|due|deadline)|\bwithin how\b",
         ("duration", "number")),
        (r"\b(which|what) (command[- ]line )?(option|flag|switch|argument)s?\b", ("option",)),
        (r"\b(which|what) (config(uration)? )?(variable|setting|key|parameter|property|field)s?\b",
         ("identifier",)),
        (r"\b(which|what) (file|directory|folder|path|environment variable)s?\b", ("identifier", "quoted")),
        (r"\b(which|what) (command|subcommand|function|method|class|module)s?\b", ("identifier", "option")),
    )
)
_POLAR = re.compile(
    r"^\s*(do|does|did|is|are|was|were|can|could|will|would|should|has|have|may|must)\b", re.IGNORECASE
)
_DEFAULT = re.compile(
    r"\bby default\b|\bdefaults?\b|\bif (i|you) (do not|don't) (choose|set|give|specify)|"
    r"\bwhen (none|nothing) is (given|set|specified)\b|\bunless configured\b|\bout of the box\b",
    re.IGNORECASE,
)
# a capitalised word after the first one, a word with a digit, a year or a version: what a question names
_NAMED = re.compile(r"(?<=[\w,;:)] )[A-Z][\w'-]*[a-z][\w'-]*|(?<=[\w,;:)] )[A-Z]{2,}\b|\b[A-Za-z]+\d[\w.]*\b"
                    r"|\b(?:1[89]|20)\d\d\b|\b\d+\.\d+(?:\.\d+)*\b|\b[a-z]+\.[A-Za-z][\w.]*\b")
# words that shape the question but are not what it is about
_FRAME = frozenset(content_terms(
    "default defaults happen happens use used using way mean means called name option variable "
    "setting value command kind type thing things need want make makes possible give given"
))


@dataclass(frozen=True)
class Shape:
    expects: frozenset[str]  # span kinds a direct answer holds (empty: no expectation)
    polar: bool  # a yes/no question
    wants_default: bool  # asks for the default behaviour or value
    focus: tuple[str, ...]  # stemmed content terms the question is about
    names: tuple[str, ...] = ()  # stemmed names and code-like words ("GitLab", "Chocolatey", "v2.1")

    def fits(self, kinds: set[str]) -> bool:
        """Whether a sentence holding spans of `kinds` can answer the question (True when open)."""
        return not self.expects or bool(self.expects & kinds)


def analyse(question: str) -> Shape:
    expects: frozenset[str] = frozenset()
    for pattern, kinds in _EXPECT:
        if pattern.search(question):
            expects = kinds
            break
    terms = [t for t in dict.fromkeys(content_terms(question)) if t not in _FRAME]
    return Shape(
        expects=expects,
        polar=bool(_POLAR.match(question)),
        wants_default=bool(_DEFAULT.search(question)),
        focus=tuple(terms),
        names=tuple(dict.fromkeys(t for w in _NAMED.findall(question) for t in content_terms(w))),
    )
