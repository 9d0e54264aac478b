"""Practice questions made from course passages, each with its answer key and source.

Questions are built from sentences that carry a checkable fact, so the key is always a span of
the source passage (correct by construction) and the question is answerable from it:

- definitions ("A tuple is an ordered, immutable sequence.") → "What is a tuple?" (short) or
  "Which term matches: …?" (multiple choice; distractors are other defined terms);
- numeric facts ("Returns are accepted within 30 days.") → a fill-in-the-blank whose choices
  are the true value and nearby plausible values;
- code terms in backticks (`len()`) → a fill-in-the-blank over the term.

Chinese sentences ("结巴是一个中文分词组件。", "主机名最长64个字符。") give definitions and numeric
facts too; a question is worded in its sentence's language (bot/core/i18n).
"""
from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core import i18n
from bot.services import zh_numbers
from model.lang import has_cjk
from model.textutil import split_sentences

Kind = str  # "mcq" | "short"


@dataclass(frozen=True)
class SourcePassage:
    chunk_id: int
    title: str
    text: str
    heading: str | None = None


@dataclass(frozen=True)
class QuizQuestion:
    question: str
    kind: Kind
    answer: str
    explanation: str
    source: str
    chunk_id: int
    choices: list[str] = field(default_factory=list)
    topic: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "kind": self.kind,
            "choices": list(self.choices),
            "answer": self.answer,
            "explanation": self.explanation,
            "source": self.source,
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True)
class Fact:
    """A checkable statement found in a passage."""

    kind: str  # "definition" | "number" | "code"
    sentence: str
    key: str  # the span a learner must produce
    term: str | None  # defined term, for definitions
    passage: SourcePassage


# "A tuple is an ordered, immutable sequence." — the body must read like a definition
_DEFINITION = re.compile(
    r"^(?:(?:an?|the)\s+)?(?P<term>[`\w][\w\s\-`().]{0,40}?)\s+"
    r"(?P<verb>is|are|means|refers to|is called|is known as)\s+"
    r"(?P<body>(?:an?|the|one|any|used|how|what|where|when)\b.{10,220}?)[.!]?$",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?P<value>(?:[$€£]\s?)?\d+(?:[.,]\d+)?)\s*(?P<unit>%|percent|days?|weeks?|months?|years?|hours?"
    r"|minutes?|business days|working days|items?|times|characters|euros?|dollars?|pounds?|GB|MB|kg)?\b",
    re.IGNORECASE,
)
_CODE = re.compile(r"`([^`]{1,40})`")
# Chinese: "术语是……" / "术语指……", and Arabic numbers with a Chinese unit
_DEFINITION_ZH = re.compile(
    r"^(?P<term>[^\s，,。、；：:“”\"（）()]{1,12}?)(?:是|指的是|指|意思是)(?P<body>[^。！？]{6,120}?)[。！]?$"
)
_BAD_TERM_ZH = re.compile(r"^(这|那|它|他|她|我|你|其|此|该|每|所有|如果|但|也)|不$")
_NUMBER_ZH = re.compile(r"(?P<value>(?:[$€£¥]\s?)?\d+(?:[.,]\d+)?)\s*" + zh_numbers.UNIT)
_BAD_TERM = re.compile(
    r"^(it|this|that|there|these|those|they|he|she|we|you|i|which|what|here|one|each|every|some|all|"
    r"any|most|many|very|another|other|such|your|our|my|its|their)\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|A:)\s+")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)")


def clean(text: str) -> str:
    """Sentence text without Markdown emphasis (backticks are kept: they mark code terms)."""
    return " ".join(_MARKUP.sub("", text).split())


def find_facts(passage: SourcePassage) -> list[Fact]:
    facts: list[Fact] = []
    for sent in split_sentences(passage.text):
        flat = _BULLET.sub("", clean(sent))
        if has_cjk(flat):
            fact = _chinese_fact(flat, passage)
            if fact is not None:
                facts.append(fact)
            continue
        if len(flat) < 20 or len(flat) > 300 or flat.endswith(("?", ":")) or flat.startswith(("|", ">", "Q:")):
            continue
        d = _DEFINITION.match(flat)
        if d:
            term = d.group("term").strip()
            balanced = term.count("`") in (0, 2) and (term.count("`") == 0 or (term[0] == term[-1] == "`"))
            term = term.strip("`")
            if 0 < len(term.split()) <= 4 and balanced and not _BAD_TERM.match(term) and term[0].isalnum():
                facts.append(Fact("definition", flat, d.group("body").strip(), term, passage))
                continue
        n = _NUMBER.search(flat)
        if n and n.group("unit") or (n and n.group("value").startswith(("$", "€", "£"))):
            facts.append(Fact("number", flat, n.group(0).strip(), None, passage))
            continue
        c = _CODE.search(flat)
        if c:
            facts.append(Fact("code", flat, c.group(1), None, passage))
    return facts


def _chinese_fact(flat: str, passage: SourcePassage) -> Fact | None:
    """A definition or numeric fact in a Chinese sentence (None: neither, or too short or long)."""
    if len(flat) < 8 or len(flat) > 200 or flat.endswith(("？", "?", "：", ":")):
        return None
    d = _DEFINITION_ZH.match(flat)
    if d and not _BAD_TERM_ZH.search(d.group("term")):
        return Fact("definition", flat, d.group("body").strip(), d.group("term"), passage)
    n = _NUMBER_ZH.search(flat)
    if n:
        return Fact("number", flat, n.group(0).strip(), None, passage)
    w = next((w for w in zh_numbers.WITH_UNIT.finditer(flat) if zh_numbers.quantity(w)), None)  # "三十天"
    return Fact("number", flat, w.group(0), None, passage) if w else None


def _language(fact: Fact) -> str:
    return "zh" if has_cjk(fact.sentence) else "en"


def _blank(sentence: str, key: str) -> str:
    return sentence.replace(f"`{key}`", "_____", 1) if f"`{key}`" in sentence else sentence.replace(key, "_____", 1)


def _number_choices(key: str, rng: random.Random) -> list[str]:
    m = re.search(r"\d+(?:[.,]\d+)?", key)
    w = None if m else zh_numbers.WITH_UNIT.match(key)
    numeral = zh_numbers.quantity(w) if w is not None else None
    chinese = numeral is not None  # a Chinese numeral: nearby values, written the same way
    if w is not None and numeral is not None:
        raw, value, decimals = w.group("value"), float(numeral), 0
    elif m is not None:
        raw = m.group(0)
        value = float(raw.replace(",", "."))
        decimals = len(raw.split(".")[1]) if "." in raw else 0
    else:
        return [key]
    options: list[float] = []
    for factor in (0.5, 2.0, 1.5, 3.0, 0.25, 4.0):
        v = round(value * factor, decimals)
        if v > 0 and v != value and v not in options:
            options.append(v)
    if value <= 3:
        options = [v for v in (value + 1, value + 2, value + 3, value + 4) if v != value] + options
    if chinese:
        options = [v for v in options if v == int(v) and 0 < v < 10_000]
    distractors = [key.replace(raw, _written(v, decimals, chinese), 1) for v in options[:3]]
    choices = [key, *distractors]
    rng.shuffle(choices)
    return choices


def _written(value: float, decimals: int, chinese: bool) -> str:
    """A distractor value written like the key's: "四十五" for a Chinese numeral, "1.5" or "12"."""
    if chinese:
        return zh_numbers.write(int(value))
    return f"{value:.{decimals}f}" if decimals else str(int(value))


def _same_shape(a: str, b: str) -> bool:
    """Distractors look like the answer: both one identifier/call, or both a short snippet."""
    def shape(x: str) -> str:
        if re.fullmatch(r"[A-Za-z_][\w.]*\(\)", x):
            return "call"
        if re.fullmatch(r"[A-Za-z_][\w.]*", x):
            return "name"
        return "snippet"

    return shape(a) == shape(b)


def make_question(fact: Fact, kind: Kind, others: Sequence[Fact], rng: random.Random, topic: str) -> QuizQuestion | None:
    p = fact.passage
    lang = _language(fact)
    explanation = i18n.message("quiz_from", lang).format(title=p.title, sentence=fact.sentence)
    base = dict(explanation=explanation, source=p.title, chunk_id=p.chunk_id, topic=topic)
    if fact.kind == "definition" and fact.term:
        if kind == "short":
            return QuizQuestion(question=i18n.message("quiz_what_is", lang).format(term=fact.term), kind="short",
                                answer=fact.key, **base)
        terms = list(dict.fromkeys(o.term for o in others if o.term and o.term.lower() != fact.term.lower()))
        if len(terms) < 3:
            return None
        choices = [fact.term, *rng.sample(terms, 3)]
        rng.shuffle(choices)
        return QuizQuestion(question=i18n.message("quiz_which_term", lang).format(body=fact.key), kind="mcq",
                            answer=fact.term, choices=choices, **base)
    question = i18n.message("quiz_blank", lang).format(sentence=_blank(fact.sentence, fact.key))
    if kind == "short" or fact.kind == "code":
        if fact.kind == "code" and kind == "mcq":
            codes = list(dict.fromkeys(o.key for o in others if o.kind == "code" and o.key != fact.key
                                       and _same_shape(o.key, fact.key)))
            if len(codes) >= 3:
                choices = [fact.key, *rng.sample(codes, 3)]
                rng.shuffle(choices)
                return QuizQuestion(question=question, kind="mcq", answer=fact.key, choices=choices, **base)
            return None
        return QuizQuestion(question=question, kind="short", answer=fact.key, **base)
    choices = _number_choices(fact.key, rng)
    if len(choices) < 4:
        return None
    return QuizQuestion(question=question, kind="mcq", answer=fact.key, choices=choices, **base)


def generate_quiz(
    passages: Sequence[SourcePassage],
    *,
    count: int = 5,
    kind: str = "mixed",  # "mcq" | "short" | "mixed"
    topic: str = "",
    seed: int | None = None,
    pool: Sequence[SourcePassage] = (),
) -> list[QuizQuestion]:
    """Up to `count` questions from `passages`, most relevant passages first.

    `pool` supplies extra passages (e.g. the rest of the course) for multiple-choice distractors.
    """
    rng = random.Random(seed)
    facts = [f for p in passages for f in find_facts(p)]
    distractor_facts = facts + [f for p in pool for f in find_facts(p)]
    # one fact per passage first, so questions spread over the material
    by_passage: dict[int, list[Fact]] = {}
    for f in facts:
        by_passage.setdefault(f.passage.chunk_id, []).append(f)
    ordered: list[Fact] = []
    while any(by_passage.values()):
        for cid in list(by_passage):
            if by_passage[cid]:
                ordered.append(by_passage[cid].pop(0))
    out: list[QuizQuestion] = []
    seen: set[str] = set()
    for fact in ordered:
        if len(out) >= count:
            break
        wanted = kind if kind in ("mcq", "short") else ("mcq" if len(out) % 2 == 0 else "short")
        q = make_question(fact, wanted, distractor_facts, rng, topic)
        if q is None and kind == "mixed":
            q = make_question(fact, "short" if wanted == "mcq" else "mcq", distractor_facts, rng, topic)
        if q is None or q.question in seen:
            continue
        seen.add(q.question)
        out.append(q)
    return out
