"""`ExtractiveGenerator`: no LLM — answer with the passage sentences that best support the question.

The safe fallback when no weights are configured, and the baseline LLM answers
are compared to. Scores come from an injected `similarity(query, texts)` (the
core passes embedding cosine) or, without one, from a lexical overlap of
stemmed content words weighted by rarity. Deterministic.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

from model.base import Generation, GenerationParams, Passage, Prompt, Token
from model.calibration import spread
from model.completion import Scored, answer_for, gaps_filled, looks_like_heading
from model.prompts import DONT_KNOW
from model.questions import analyse, holds_code, instructs, mentions_default, one_letter_options
from model.spans import absent_terms, find_spans, negated, span_kinds
from model.textutil import clean_sentence, content_terms, content_words, split_sentences, terms_held

Similarity = Callable[[str, list[str]], list[float]]


class ExtractiveGenerator:
    name = "extractive"

    def __init__(
        self,
        similarity: Similarity | None = None,
        max_sentences: int = 3,
        keep_ratio: float = 0.9,
        min_score: float | None = None,
        rank_decay: float = 0.03,
        fit_bonus: float = 0.08,
        tie: float = 0.97,
        cosine_span: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self.similarity = similarity
        # where the embedder puts unrelated and near-identical text (model.calibration.cosine_span):
        # meaning is rescaled to 0..1 over it, so it weighs against the words whatever the embedder
        self.cosine_span = cosine_span
        self.max_sentences = max_sentences
        self.keep_ratio = keep_ratio  # further sentences need this fraction of the best score
        # below this the passages are judged not to answer; lexical needs any overlap at all
        self.min_score = min_score if min_score is not None else (0.2 if similarity else 1e-9)
        self.rank_decay = rank_decay  # small preference for better-ranked passages
        self.tie = tie
        self.fit_bonus = fit_bonus  # for a sentence holding the kind of fact the question asks for

    # --- Generator protocol ------------------------------------------------------------------------
    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        return self.answer(prompt)

    async def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        for token in as_tokens(self.answer(prompt).text):
            yield token

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        return self.readings(prompt, params.n)

    def readings(self, prompt: Prompt, n: int) -> list[Generation]:
        """The answer, then up to n-1 runners-up: the best reading of each other passage, then of
        the answer's own passages without the sentences it already gave."""
        first = self.answer(prompt)
        out = [first]
        for passage in prompt.passages:
            if len(out) >= n:
                break
            if passage.n in first.cited:
                continue
            other = self.answer(replace(prompt, passages=[passage]))
            if other.cited:
                out.append(other)
        if len(out) < n:  # then the next best reading of the cited passages, without what was said
            said = first.text
            rest = [replace(p, text="\n".join(x for x in split_sentences(p.text) if _end(x) not in said))
                    for p in prompt.passages if p.n in first.cited]
            other = self.answer(replace(prompt, passages=rest))
            if other.cited and other.text != first.text:
                out.append(other)
        return out

    async def aclose(self) -> None:
        return None

    # --- the work (synchronous, pure apart from the injected similarity) ------------------------------
    def answer(self, prompt: Prompt) -> Generation:
        query = prompt.question.strip() or (prompt.instruction or "").strip()
        chosen = self.select(query, prompt.passages)
        if not chosen:
            return Generation(DONT_KNOW, backend=self.name)
        parts = question_parts(query)
        if len(parts) == 2:  # "Does X …? If not, what should I run instead?": each part its sentence
            chosen = self._with_second_part(chosen, parts, prompt.passages)
        lead = chosen[0].passage
        chosen.sort(key=lambda s: (s.passage != lead, s.passage, s.index))  # the answering passage first, in reading order
        chosen = gaps_filled(chosen, prompt.passages, self.max_sentences)
        text = " ".join(f"{_end(s.text)} [{s.n}]" for s in chosen)
        cited = tuple(dict.fromkeys(s.n for s in chosen))
        return Generation(text, backend=self.name, cited=cited)

    def _with_second_part(self, chosen: list[Scored], parts: list[str], passages: Sequence[Passage]) -> list[Scored]:
        """The best sentence for the question's second part (read with the first part, which names
        what it is about), when the answer does not already hold it."""
        second = analyse(parts[1])
        if second.expects and any(second.fits(span_kinds(c.text)) for c in chosen):
            return chosen  # "…, and how long does it take?" where the answer already gives the duration
        said = {(c.passage, c.index) for c in chosen}
        for extra in self.rank(f"{parts[1]} {parts[0]}", passages)[:SECOND_PART_REACH]:
            if (extra.passage, extra.index) in said or any(_repeats(extra.text, c.text) for c in chosen):
                continue
            return [*chosen[: self.max_sentences - 1], extra]
        return chosen

    def select(self, query: str, passages: Sequence[Passage]) -> list[Scored]:
        """The sentences that answer `query` best; headings and labels are never answers.

        A sentence's score blends its meaning match (the injected similarity) with how much of
        the question's rare words it holds; a sentence holding the kind of fact the question asks
        for (a number for "how many", an option for "which option", see `model.questions`) or the
        default a question asks about is preferred. An answer is completed from its passage: the
        next sentence when it holds the asked-for fact ("… will pack them. The default is 6700."),
        and in FAQ-shaped text the sentences after a matched question.
        """
        ranked = self.rank(query, passages)
        if not ranked:
            return []
        split = [split_sentences(p.text) for p in passages]
        shape = analyse(query)
        best = ranked[0]
        chosen: list[Scored] = []
        for s in ranked:
            if len(chosen) >= self.max_sentences or s.score < self.keep_ratio * best.score:
                break
            if chosen and s.passage != best.passage and s.score < self.tie * best.score:
                continue  # further sentences from another passage only when they score as well
            items = answer_for(s, split[s.passage], shape, query)
            if not items:
                continue  # an FAQ's question whose answer lies outside this passage: not an answer
            for item in items:
                if len(chosen) < self.max_sentences and not any(_near_duplicate(item.text, c.text) for c in chosen):
                    chosen.append(item)
        return chosen

    def rank(self, query: str, passages: Sequence[Passage]) -> list[Scored]:
        """Every candidate sentence scored for `query`, best first; empty when none comes close."""
        split = [split_sentences(p.text) for p in passages]
        candidates = [
            (pi, si, p.n, sent)
            for pi, p in enumerate(passages)
            for si, sent in enumerate(split[pi])
            if (len(content_terms(sent)) >= 2 or len(sent.split()) >= 4) and not looks_like_heading(sent)
        ]
        if not candidates or not query:
            return []
        shape = analyse(query)
        inverts = "option" in shape.expects and not negated(query) and not _UNDOING.search(query)
        letters = one_letter_options(shape)  # "what does -s do?": no content word holds them
        lacking = absent_terms(query)  # "… if it has no return statement?": a sentence with that condition
        texts = [clean_sentence(c[3]) for c in candidates]  # scored without list bullets and bold markers
        lexical = lexical_scores(query, texts)
        if shape.asked:  # "X is still tracked. How do I untrack it?": the words of the question proper weigh half
            lexical = [0.5 * (a + b) for a, b in zip(lexical, lexical_scores(shape.asked, texts))]
        if self.similarity:
            cosines = [float(m) for m in self.similarity(query, texts)]
            meaning = [spread(m, self.cosine_span) for m in cosines]
            raw = [0.65 * m + 0.35 * lx for m, lx in zip(meaning, lexical)]
            # whether the passages answer at all is judged in the embedder's own cosines (min_score)
            floor = max(0.65 * m + 0.35 * lx for m, lx in zip(cosines, lexical))
        else:
            raw = lexical
            floor = 0.0
        scored = []
        for (pi, si, n, sent), s in zip(candidates, raw):
            after = split[pi][si + 1] if si + 1 < len(split[pi]) else ""
            bonus = 0.0
            if shape.expects and shape.fits(span_kinds(sent)):
                bonus += self.fit_bonus
            elif shape.expects and shape.fits(span_kinds(after)):
                bonus += self.fit_bonus / 2
            if shape.wants_default and (mentions_default(sent) or mentions_default(after)):
                bonus += self.fit_bonus / 2
            if shape.how_to and instructs(sent):  # "how do I …?" is answered by what to do
                bonus += self.fit_bonus / 2
            if letters and any(holds_code(c, sent.lower()) for c in letters):  # "what does -s do?"
                bonus += self.fit_bonus
            if lacking and lacking & absent_terms(sent):  # "a function without a return statement returns None"
                bonus += self.fit_bonus / 2
            factor = POINTER_PENALTY if _POINTER.match(sent) else 1.0  # "See the X section": where, not what
            if inverts and negated(sent):  # "which option makes it open an editor?" — not "--no-edit: will not start"
                factor *= INVERSE_PENALTY
            scored.append(Scored(pi, si, n, sent, (float(s) + bonus) * factor * (1.0 - self.rank_decay * min(pi, 10))))
        scored.sort(key=lambda s: (-s.score, s.passage, s.index))
        if (floor if self.cosine_span != (0.0, 1.0) else scored[0].score) < self.min_score:
            return []
        return scored


def as_tokens(text: str) -> list[Token]:
    """A finished text as stream tokens, a word (with the space before it) each."""
    return [Token(chunk) for chunk in re.findall(r"\s*\S+", text)]


def lexical_scores(query: str, sentences: Sequence[str]) -> list[float]:
    """Share of the query's (rarity-weighted) content terms each sentence covers, in [0, 1].

    Terms are weighted by an IDF over the candidate sentences; a mild length
    normalisation keeps long sentences from winning by size alone.
    """
    q_terms = dict.fromkeys(content_terms(query))  # in order: neighbouring terms may be one word
    if not q_terms:
        return [0.0] * len(sentences)
    s_terms = [terms_held(q_terms, s) for s in sentences]
    sizes = [len(content_words(s)) for s in sentences]
    df = Counter(t for terms in s_terms for t, part in terms.items() if part >= 0.5)
    total = len(sentences)
    idf = {t: math.log(1.0 + (total + 1) / (df.get(t, 0) + 0.5)) for t in q_terms}
    denom = sum(idf.values())
    out = []
    for terms, size in zip(s_terms, sizes):
        cover = sum(idf[t] * part for t, part in terms.items()) / denom
        length_penalty = 1.0 / (1.0 + 0.01 * max(0, size - 20))
        out.append(cover * length_penalty)
    return out


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = set(content_terms(a)), set(content_terms(b))
    if not ta or not tb:
        return a.strip().lower() == b.strip().lower()
    return len(ta & tb) / min(len(ta), len(tb)) >= 0.8


def _repeats(a: str, b: str) -> bool:
    """`a` says nothing `b` does not: the same words and no fact of its own ("dpkg --purge" where
    `b` says "dpkg --remove" is news, however alike the rest)."""
    return _near_duplicate(a, b) and {s.norm for s in find_spans(a)} <= {s.norm for s in find_spans(b)}


def _end(sentence: str) -> str:
    s = clean_sentence(sentence).rstrip(";,；，")
    if s[-1:] in "。！？」』）":
        return s
    return s if s[-1:] in ".!?\"')]”’:" else s + ("。" if re.search("[\u4e00-\u9fff]$", s) else ".")


# a cross-reference ("(See the "TEMPLATE DIRECTORY" section of git-init(1).)", "详见 …") shares the
# question's words and answers nothing: it leads only when nothing else comes close
_POINTER = re.compile(
    r"^\W*(?:(?:please |also )?see(?: also)?\b|refer to\b|for (?:more |further )?(?:details|information|info)\b"
    r"|(?:请)?(?:参见|参阅|参考|详见|见))", re.IGNORECASE)
POINTER_PENALTY = 0.8
# a negative sentence under a positive "which option/setting makes it …?" names the opposite option
# (unless the question asks for the negative itself: "which option skips the hooks?")
INVERSE_PENALTY = 0.75
_UNDOING = re.compile(r"\b(?:skip|prevent|disabl|stop|avoid|without|suppress|turn(?:s|ed)? off|bypass|ignor|omit|exclud)"
                      r"|[不没别勿]|禁止|跳过|关闭|忽略|排除|取消", re.IGNORECASE)

SECOND_PART_REACH = 3  # a second part's sentence is one of the best three for it, or none


# where a two-part question splits: after a question mark, or before ", and how/what/which …"
_PART_BREAK = re.compile(
    r"(?<=[?？])\s*(?=\S)|,?\s+and (?=(?:how|what|which|where|when|why|who|whom|can|does|do|is|are|should)\b)",
    re.IGNORECASE,
)


def question_parts(question: str) -> list[str]:
    """"Which file holds X, and how can a user override it?" → its two questions; one part for most.
    A part with fewer than two words of its own ("Why?") is not a question of its own."""
    parts = [p.strip(" ,") for p in _PART_BREAK.split(question.strip()) if p and p.strip(" ,")]
    if len(parts) != 2 or any(len(p.split()) < 3 for p in parts):
        return [question]
    return parts


