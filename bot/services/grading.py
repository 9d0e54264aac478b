"""Grading a learner's answer against a question's key.

Multiple choice is exact (the choice text, its letter or its number). Short answers combine
semantic similarity to the key (the embedder's cosine), coverage of the key's content words,
and numbers (a wrong number is wrong however similar the wording); a generator may add a
judge's opinion, which the core blends in when it is available.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import i18n
from bot.services import zh_numbers
from model.lang import has_cjk
from model.textutil import content_words

Similarity = Callable[[str, list[str]], list[float]]

CORRECT_AT = 0.7
PARTIAL_AT = 0.3
_NUM = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Grade:
    score: float  # 0..1 credit
    verdict: str  # "correct" | "partial" | "wrong"
    feedback: str

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"


def verdict_for(score: float) -> str:
    return "correct" if score >= CORRECT_AT else ("partial" if score >= PARTIAL_AT else "wrong")


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s.%$€£-]", " ", text.lower()).split()).strip(" .")


def grade_mcq(answer: str, choices: Sequence[str], response: str) -> Grade:
    r = normalise(response)
    picked: str | None = None
    if len(r) == 1 and r.isalpha() and ord(r) - ord("a") < len(choices):
        picked = choices[ord(r) - ord("a")]
    elif r.isdigit() and 1 <= int(r) <= len(choices):
        picked = choices[int(r) - 1]
    else:
        picked = next((c for c in choices if normalise(c) == r), None)
    lang = _language(answer)
    if picked is None:
        return Grade(0.0, "wrong", i18n.message("grade_not_a_choice", lang).format(answer=answer))
    if normalise(picked) == normalise(answer):
        return Grade(1.0, "correct", i18n.message("grade_correct", lang))
    return Grade(0.0, "wrong", i18n.message("grade_mcq_wrong", lang).format(answer=answer))


def _language(key: str) -> str:
    """Feedback is worded in the key's language (the passage's): Chinese or English."""
    return "zh" if has_cjk(key) else "en"


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".").rstrip("0").rstrip(".") if "." in n else n for n in _NUM.findall(text)}


def short_answer_score(key: str, response: str, similarity: Similarity | None) -> float:
    """0..1 credit for a free-text answer; no judge involved."""
    if not normalise(response):
        return 0.0
    if has_cjk(key) or has_cjk(response):  # "三十天" and "30天" are one answer
        key, response = zh_numbers.to_digits(key), zh_numbers.to_digits(response)
    key_nums, resp_nums = _numbers(key), _numbers(response)
    if key_nums:
        if not resp_nums:
            number_credit = 0.0
        else:
            number_credit = len(key_nums & resp_nums) / len(key_nums)
        if number_credit == 0.0:
            return 0.0
    key_words = content_words(key)
    resp_words = content_words(response)
    coverage = len(key_words & resp_words) / len(key_words) if key_words else 1.0
    # Chinese keys: the content words (jieba) decide; measured with multilingual-e5, a wrong Chinese
    # answer's cosine (0.82-0.89) overlaps a right one's (0.95), so it cannot tell them apart
    semantic = similarity(response, [key])[0] if similarity and not has_cjk(key) else coverage
    # Relatedness: MiniLM cosine of a paraphrase is ≈ 0.6–0.9, of a wrong answer ≈ 0.1–0.35.
    related = min(1.0, max(0.0, (semantic - 0.2) / 0.45))
    # Completeness: does the answer say as much as the key (its ideas, and about as many)?
    length_ratio = min(1.0, len(resp_words) / len(key_words)) if key_words else 1.0
    complete = 0.5 * min(1.0, coverage / 0.6) + 0.5 * length_ratio
    score = related * (0.3 + 0.7 * complete)
    if key_nums:
        score = min(score, number_credit) if number_credit < 1 else max(score, 0.5)
    return round(min(1.0, score), 4)


def grade_short(key: str, response: str, similarity: Similarity | None, judge: float | None = None) -> Grade:
    score = short_answer_score(key, response, similarity)
    if judge is not None:
        score = round(0.6 * score + 0.4 * max(0.0, min(1.0, judge)), 4)
    verdict = verdict_for(score)
    lang = _language(key)
    if verdict == "correct":
        feedback = i18n.message("grade_correct", lang)
    elif verdict == "partial":
        feedback = i18n.message("grade_partial", lang).format(answer=key)
    else:
        feedback = i18n.message("grade_wrong", lang).format(answer=key)
    return Grade(score, verdict, feedback)


def grade(kind: str, answer: str, choices: Sequence[str], response: str,
          similarity: Similarity | None, judge: float | None = None) -> Grade:
    if kind == "mcq":
        return grade_mcq(answer, choices, response)
    return grade_short(answer, response, similarity, judge)
