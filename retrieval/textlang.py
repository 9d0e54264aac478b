"""Which language a text is in, and words out of text written without spaces.

- `detect(text)`: an ISO 639-1 code. Scripts decide first (Han without kana → "zh", kana →
  "ja", Hangul → "ko"); other text goes to py3langid restricted to LATIN_LANGUAGES, and text
  too short to tell (under MIN_LETTERS letters) or detected unsure is "en".
- `words(text)`: lower-cased word tokens; a run of Han characters is cut into words by jieba
  (its dictionary ships in the wheel), kana and Hangul runs into overlapping character bigrams
  (the fallback for text no segmenter knows). Text without those scripts gives exactly
  the tokens of `[^\\W_]+` — the English path is unchanged.
- `STEMMERS`: the PyStemmer algorithm for a language code, where it has one.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3040-\u30ff\u31f0-\u31ff"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff"
UNSPACED = _HAN + _KANA  # scripts written without spaces between words (a line break there adds none)
_CJK = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]")
_RUNS = re.compile(f"([{_HAN}]+)|([{_KANA}{_HANGUL}]+)|([^{_HAN}{_KANA}{_HANGUL}]+)")
_HAN_RE = re.compile(f"[{_HAN}]")
_KANA_RE = re.compile(f"[{_KANA}]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")

LATIN_LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl", "sv", "da", "no", "fi", "ru", "pl", "tr")
MIN_LETTERS = 12  # fewer letters than this (Latin script) are taken as English
MIN_PROBABILITY = 0.8  # py3langid's normalised probability below which text is taken as English
STEMMERS = {
    "en": "english", "de": "german", "es": "spanish", "fr": "french", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "sv": "swedish", "da": "danish", "no": "norwegian",
    "fi": "finnish", "ru": "russian", "tr": "turkish",
}
SEGMENTER = "jieba"  # recorded with BM25 indexes whose text was segmented this way

_lock = threading.Lock()


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LATIN_LANGUAGES))
    return identifier


def warm() -> None:
    """Load the language identifier now (~1 s, once per process) rather than on the first question."""
    with _lock:
        _identifier()


def detect(text: str) -> str:
    """The language of `text` (see the module docstring)."""
    han, kana, hangul = (len(p.findall(text)) for p in (_HAN_RE, _KANA_RE, _HANGUL_RE))
    letters = sum(1 for c in text if c.isalpha())
    if han + kana + hangul and (han + kana + hangul) * 4 >= letters:  # at least a quarter CJK
        if kana:
            return "ja"
        return "ko" if hangul > han else "zh"
    if letters < MIN_LETTERS:
        return "en"
    with _lock:
        code, probability = _identifier().classify(text)
    return str(code) if probability >= MIN_PROBABILITY else "en"


def sample(text: str, chars: int = 2000) -> str:
    """At most `chars` characters of `text` to judge its language on: all of a short text, else its
    start, middle and end (a manual page opens with an English header, a README with badges)."""
    if len(text) <= chars:
        return text
    part = chars // 3
    middle = (len(text) - part) // 2
    return "\n".join((text[:part], text[middle : middle + part], text[-part:]))


def main_language(texts: Iterable[str], *, sample_chars: int = 2000) -> str:
    """The language most of `texts` (by characters) are in; each text judged on a `sample`."""
    votes: Counter[str] = Counter()
    for text in texts:
        head = sample(text, sample_chars)
        if head.strip():
            votes[detect(head)] += len(head)
    return votes.most_common(1)[0][0] if votes else "en"


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()  # loads the bundled dictionary once (about 1 s)
    return tokenizer


def segment_han(run: str) -> list[str]:
    """Words of a run of Han characters (jieba's accurate mode)."""
    with _lock:  # jieba's tokenizer is not documented as thread-safe
        return [w for w in _jieba().lcut(run, HMM=True) if w.strip()]


def bigrams(run: str) -> list[str]:
    """Overlapping character pairs; a single character stays itself."""
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens, with Han runs segmented and kana/Hangul runs as bigrams."""
    text = text.lower()
    if not has_cjk(text):
        return _TOKEN.findall(text)
    out: list[str] = []
    for han, other_cjk, rest in _RUNS.findall(text):
        if han:
            out.extend(segment_han(han))
        elif other_cjk:
            out.extend(bigrams(other_cjk))
        else:
            out.extend(_TOKEN.findall(rest))
    return [w for w in out if _TOKEN.fullmatch(w)]


def stemmer_for(language: str) -> str | None:
    """The PyStemmer algorithm for a language code (None where it has none, e.g. zh)."""
    return STEMMERS.get(language)
