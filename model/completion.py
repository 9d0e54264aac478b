"""How a sentence the reader chose becomes an answer: completed from its passage where it lacks
what the question asks for, or answered by what follows it where it only restates the question.

Works on one passage's sentences (`model.textutil.split_sentences`) and the question's `Shape`;
scoring the sentences is `model.extractive`'s job.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from model.base import Passage
from model.lang import has_cjk
from model.questions import Shape, instructs, mentions_default
from model.spans import find_spans, negated, span_kinds
from model.textutil import content_terms, split_sentences, words


@dataclass(frozen=True)
class Scored:
    """One passage sentence the reader considered, and how well it answers the question."""

    passage: int  # position of the passage in the prompt (retrieval rank)
    index: int  # sentence position inside the passage
    n: int  # citation number
    text: str
    score: float


def looks_like_heading(sentence: str) -> bool:
    """"SIGNING IN AND PASSWORD RESET", "# Returns", "Warranty periods" — titles, not statements."""
    text = sentence.strip().rstrip(".")
    if text.startswith("#"):
        return True
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8 and len(letters) > 3:
        return True
    if re.search(r"\S: \S", text):
        return False  # a "term: value" item ("PayPal: within 24 hours;") states something
    # Chinese has no spaces to count; its words are short, and its titles one or two of them ("历史")
    short = len(words(text)) <= 3 if has_cjk(text) else len(text.split()) <= 5
    return short and not sentence.rstrip().endswith((".", "!", "?", ")", ";", "。", "！", "？", "；", "）"))


RESTATES_NOVEL = 0.34  # at most this share of a restating sentence's words is new
COMPLETION_REACH = 3  # sentences after an answer searched for the fact or default it lacks


_FIRST_PERSON = re.compile(r"^\s*(?:I|I['’](?:ve|m|d)|My|How (?:do|can) I)\b(?=[^.!?]{0,120}[.!?]?\s*$)")


def restates(sentence: str, question: str, wants_default: bool = False) -> bool:
    """A sentence that only says what the question says: an FAQ entry's own title, phrased as a
    statement ("I've made a mistake in the last commit.") — its answer is what follows. A
    sentence stating the default a question asks for answers it, however many words they share
    ("By default, cherry-picking an empty commit will fail.")."""
    if is_question(sentence) or _FIRST_PERSON.match(sentence):
        return True  # "I've made a mistake in the last commit." is how FAQs title a question
    terms = set(content_terms(sentence))
    if not terms or len(sentence.split()) > 14 or find_spans(sentence):
        return False
    if wants_default and mentions_default(sentence):
        return False
    novel = terms - set(content_terms(question))
    # "Only the table owner, the schema owner, and superuser can drop a table." adds two of five
    # words to "who can drop a table?": that is an answer, not the question's own title
    return len(novel) / len(terms) <= RESTATES_NOVEL


def answer_for(sentence: Scored, passage_sentences: Sequence[str], shape: Shape, question: str) -> list[Scored]:
    """A statement answers for itself, with the next sentence when only that one holds the fact
    the question asks for; a question, or a statement restating the question, is answered by up
    to two sentences after it."""
    if sentence.text.rstrip().endswith(":"):  # "… depends on the payment method:" — the list is the answer
        items = [Scored(sentence.passage, si, sentence.n, passage_sentences[si], sentence.score)
                 for si in range(sentence.index + 1, min(sentence.index + 1 + COMPLETION_REACH, len(passage_sentences)))]
        items = list(itertools.takewhile(lambda s: not looks_like_heading(s.text), items))
        return [sentence, *items]
    if not restates(sentence.text, question, shape.wants_default):
        lacks_fact = bool(shape.expects) and not shape.fits(span_kinds(sentence.text))
        lacks_default = shape.wants_default and not mentions_default(sentence.text)
        if not (lacks_fact or lacks_default):
            return [sentence, *_what_to_do(sentence, passage_sentences, shape)]
        head = _item_head(sentence, passage_sentences)
        if lacks_fact and head is not None and shape.fits(span_kinds(head.text)):
            return [head, sentence]  # "- `--track-origins=<yes|no>`: … By default, it does not, …"
        in_item = head is not None or _ITEM_HEAD.match(sentence.text) is not None
        for si in range(sentence.index + 1, min(sentence.index + 1 + COMPLETION_REACH, len(passage_sentences))):
            text = passage_sentences[si]
            if looks_like_heading(text) or is_question(text) or ":" in text[:40] and si > sentence.index + 1:
                break  # the next item of a list, or a new section: no longer about this sentence
            if in_item and _ITEM_HEAD.match(text):
                break  # the next option of the list is not this one's
            if (lacks_fact and shape.fits(span_kinds(text))) or (lacks_default and mentions_default(text)):
                return [sentence, Scored(sentence.passage, si, sentence.n, text, sentence.score)]
        return [sentence, *_what_to_do(sentence, passage_sentences, shape)]
    follow: list[Scored] = []
    for si in range(sentence.index + 1, min(sentence.index + 4, len(passage_sentences))):
        text = passage_sentences[si]
        if si == sentence.index + 1 and is_question(text) and not text.lstrip().startswith(("Q:", "Q.")):
            continue  # the question's second sentence ("I forgot my password. How do I reset it?")
        if is_question(text) or looks_like_heading(text) or len(follow) == 2:
            break
        follow.append(Scored(sentence.passage, si, sentence.n, strip_label(text), sentence.score))
    return follow  # empty when the passage ends at the question: its answer is elsewhere


_ITEM_HEAD = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+\S")  # "- `--stacks=<yes|no>`: …", "2. Run …"
_REFERS_BACK = re.compile(r"\bto do (?:so|this|that)\b|\bfor this purpose\b|\bthis can be done\b", re.IGNORECASE)


def _item_head(sentence: Scored, passage_sentences: Sequence[str]) -> Scored | None:
    """The first sentence of the list item `sentence` lies in, when it is a later one: the
    option or step the item describes."""
    if _ITEM_HEAD.match(sentence.text):
        return None
    for si in range(sentence.index - 1, max(-1, sentence.index - 1 - COMPLETION_REACH), -1):
        text = passage_sentences[si]
        if looks_like_heading(text) or is_question(text):
            return None
        if _ITEM_HEAD.match(text):
            return Scored(sentence.passage, si, sentence.n, text, sentence.score)
    return None


def _what_to_do(sentence: Scored, passage_sentences: Sequence[str], shape: Shape) -> list[Scored]:
    """The next sentence when it says what to do about this one: after advice against something
    ("`os.cpus().length` should not be used … Use `os.availableParallelism()` …"), or, for a
    "how do I", the way to do what this one names ("… to consume a file one line at a time. The
    easiest way to do so is …")."""
    if sentence.index + 1 >= len(passage_sentences):
        return []
    text = passage_sentences[sentence.index + 1]
    if looks_like_heading(text) or is_question(text) or _ITEM_HEAD.match(text):
        return []
    if (negated(sentence.text) and instructs(text)) or (shape.how_to and _REFERS_BACK.search(text)):
        return [Scored(sentence.passage, sentence.index + 1, sentence.n, text, sentence.score)]
    return []


def gaps_filled(chosen: list[Scored], passages: Sequence[Passage], limit: int) -> list[Scored]:
    """Two sentences of one passage with one between them read with it: "When a file is run
    directly, require.main is set to its module. [That means … require.main === module.] For a
    file foo.js, this will be true …" — the second refers to what the skipped one says."""
    out = list(chosen)
    for a, b in zip(chosen, chosen[1:]):
        if len(out) >= limit:
            break
        if a.passage != b.passage or b.index != a.index + 2:
            continue
        between = split_sentences(passages[a.passage].text)[a.index + 1]
        if not (looks_like_heading(between) or is_question(between)):
            out.insert(out.index(b), Scored(a.passage, a.index + 1, a.n, between, min(a.score, b.score)))
    return out


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or text.lstrip().startswith(("Q:", "Q."))


def strip_label(text: str) -> str:
    return text[2:].lstrip() if text[:2] in ("A:", "A.") else text
