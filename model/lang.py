"""Words of text written without spaces, for the answer-level helpers in textutil.

A run of Han characters is cut into words by jieba (dictionary bundled in its wheel); kana and
Hangul runs become overlapping character bigrams. Text without CJK characters is never touched
here, so the English path of textutil stays exactly as it was. (retrieval/textlang.py does the
same for BM25; model/ may not import retrieval/.)
"""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Any

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_OTHER = "\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff"
CJK = re.compile(f"[{_HAN}{_OTHER}]")
_RUNS = re.compile(f"([{_HAN}]+)|([{_OTHER}]+)")
# a sentence ends after 。！？ (and any closing quote or bracket), with or without a space
SENTENCE_END = re.compile(r"(?<=[。！？])(?![”’」』）)。！？])|(?<=[。！？][”’」』）)])")
# function words that carry no meaning on their own (content words leave them out)
STOPWORDS = frozenset({
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "让", "对", "从", "到", "为",
    "以", "之", "其", "这", "那", "这个", "那个", "这些", "那些", "我", "你", "他", "她", "它", "我们", "你们", "他们",
    "吗", "呢", "吧", "啊", "什么", "怎么", "怎样", "如何", "哪些", "哪个", "多少", "为什么", "可以", "能", "会", "要", "需要",
    "请", "一个", "有", "没有", "不", "个", "上", "中", "下", "等",
})

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def cjk_words(run: str) -> list[str]:
    """Words of one run of CJK characters."""
    if re.fullmatch(f"[{_HAN}]+", run):
        with _lock:
            return [w for w in _jieba().lcut(run, HMM=True) if w.strip()]
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def split_cjk_token(token: str) -> list[str]:
    """A word token that holds CJK characters → its words (Latin parts kept whole)."""
    out: list[str] = []
    position = 0
    for m in _RUNS.finditer(token):
        if m.start() > position:
            out.append(token[position : m.start()])
        out.extend(cjk_words(m.group(0)))
        position = m.end()
    if position < len(token):
        out.append(token[position:])
    return out


# Han, kana and the ideographic punctuation: text written without spaces, so a line break between
# two of them is a soft wrap that joins with nothing ("主机名最" + "长" → "主机名最长")
_UNSPACED = f"{_HAN}\u3040-\u30ff\u31f0-\u31ff\u3000-\u303f\uff00-\uffef"
_UNSPACED_RE = re.compile(f"[{_UNSPACED}]")


def join_lines(lines: list[str]) -> str:
    """Soft-wrapped lines as one line, whitespace normalised: a space between two lines, none where
    a line break falls between two characters of a language written without spaces."""
    out = ""
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        if out and not (_UNSPACED_RE.match(out[-1]) and _UNSPACED_RE.match(line[0])):
            out += " "
        out += line
    return out


def split_cjk_sentences(piece: str) -> list[str]:
    """One piece of text cut after each 。！？ (pieces without them come back whole)."""
    return [p for p in (s.strip() for s in SENTENCE_END.split(piece)) if p]
