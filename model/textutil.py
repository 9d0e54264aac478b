"""Answer-level text helpers: words, stop words, stemming, content terms, sentences, citations, truncation.

The one home for these rules: the extractive backend, the confidence scores, the core's support
judge, summaries, quiz generation and grading all use them. (retrieval/ keeps its own chunker
splitter and BM25 tokenizer; it may not import model/.)
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

from model import lang

STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "if", "then", "else", "of", "to", "in", "on", "at", "by", "for",
        "with", "from", "into", "onto", "about", "as", "is", "are", "was", "were", "be", "been", "being", "am",
        "do", "does", "did", "done", "have", "has", "had", "having", "i", "me", "my", "we", "our", "you",
        "your", "he", "she", "it", "its", "they", "them", "their", "his", "her", "this", "that", "these",
        "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "can",
        "could", "would", "should", "will", "shall", "may", "might", "must", "not", "no", "nor", "yes", "so",
        "than", "too", "very", "just", "also", "any", "all", "some", "each", "such", "only", "own", "same",
        "other", "more", "most", "much", "many", "few", "both", "s", "t", "don", "doesn", "didn", "isn", "aren",
        "wasn", "weren", "won", "up", "down", "out", "off", "over", "under", "again", "further", "once",
        "please", "tell", "know", "get", "got", "let"
    }
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# a sentence ends at . ! ? … (optionally followed by a closing quote/bracket) before whitespace and
# a capital, digit or opening quote/bracket
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|fig|no|approx|inc|ltd|st)\.$", re.IGNORECASE)
_BLOCK_START = re.compile(r"^\s*(?:[-*•>#|]|\d)")  # a list item, quote, heading or table row starts a block
_HEADING = re.compile(r"^\s*#{1,6}\s")
_CITATION = re.compile(r"\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")
_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_ESCAPE = re.compile(r"\\([<>\[\]*_#`|~])")  # HTML→Markdown converters escape these: "\<time>"
# a flattened list: "- --all - Process the reflogs. - gc.auto - When there are ..."
_DASH_ITEM = re.compile(r"(?:^|(?<=\s))(?<!\d\s)-\s+(?=\S)")  # "1 - 9999" is a range, not an item
_LABEL = re.compile(r"^[^\s]+(?:\s+[^\s]+){0,3}$")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, inner apostrophes kept as '); Chinese is cut
    into words (model/lang.py), text without CJK characters is tokenized as it always was."""
    found = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    if not lang.has_cjk(text):
        return found
    return [part for w in found for part in (lang.split_cjk_token(w) if lang.has_cjk(w) else [w])]


@lru_cache(maxsize=64)
def _stemmer(thread_id: int) -> Stemmer.Stemmer:
    """One English Snowball stemmer per thread (PyStemmer objects are not thread-safe)."""
    return Stemmer.Stemmer("english")


def stem_words(tokens: Iterable[str]) -> list[str]:
    """Snowball (PyStemmer) stems of lower-cased tokens."""
    return _stemmer(threading.get_ident()).stemWords([t.lower() for t in tokens])


def stem(word: str) -> str:
    return stem_words([word])[0]


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning: stop words and single letters dropped (digits kept)."""
    kept = [w for w in words(text) if not _stopword(w) and (len(w) > 1 or w.isdigit() or lang.has_cjk(w))]
    if not lang.has_cjk(text):
        stems = stem_words(kept)
    else:
        kept = [w for w in kept if w not in lang.STOPWORDS]
        latin = iter(stem_words(w for w in kept if not lang.has_cjk(w)))
        stems = [w if lang.has_cjk(w) else next(latin) for w in kept]
    return [t for t in stems if t not in STOPWORDS]  # "getting", "doing" are "get", "do": stop words too


_CONTRACTION = re.compile(r"^([^\W_]+)'(s|re|ve|ll|d|m)$")


def _stopword(word: str) -> bool:
    """A stop word, also when contracted: "what's", "you're", "we've" are "what", "you", "we";
    "don't", "isn't", "can't" are negations, which `model.spans.negated` reads, not content."""
    if word in STOPWORDS or word.endswith("n't"):
        return True
    contracted = _CONTRACTION.match(word)
    return contracted is not None and contracted.group(1) in STOPWORDS


@lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    """The set of `content_terms` of a text. Remembered: answering one question reads the same
    passage sentences in the reader, the judge and the support check."""
    return frozenset(content_terms(text))


CHAR_CREDIT = 0.5  # a Chinese word whose characters a text holds only apart: at most half credit


def terms_held(terms: Iterable[str], text: str) -> dict[str, float]:
    """How much of each of `terms` (content terms of another text) `text` holds, 0..1; terms it
    lacks are left out. An English term is held or not. A Chinese word is held wherever its
    characters stand in `text`, and a longer one in part by its character pairs: jieba cuts the
    same words differently in different sentences ("块大小" whole in one, "块" + "大小" in another;
    "内核模块" against "模块"), so word-set membership alone misses them. Two terms next to each
    other in `terms` (when it has an order) are both held by a text that writes them as one word
    ("thread pool" / "threadpool", "file system" / "filesystem")."""
    unordered = isinstance(terms, (set, frozenset))
    ordered = tuple(dict.fromkeys(terms))
    terms = frozenset(ordered)
    here = content_words(text)
    held = dict.fromkeys(terms & here, 1.0)
    for joined, pair in ({} if unordered else _compounds(ordered)).items():
        if joined in here:
            held.update(dict.fromkeys(pair, 1.0))
    if not lang.has_cjk(text):
        return held
    compact = re.sub(r"\s+", "", text.lower())
    for t in terms - held.keys():
        if not lang.has_cjk(t) or len(t) < 2:  # one character inside another word is not that word
            continue
        if t in compact:
            held[t] = 1.0
            continue
        pairs = [t[i : i + 2] for i in range(len(t) - 1)] if len(t) >= 3 else []
        share = sum(p in compact for p in pairs) / len(pairs) if pairs else 0.0
        # a synonym often shares a character ("创建" / "建立", "最早" / "最初"): a quarter for half of them
        part = max(share, CHAR_CREDIT * sum(c in compact for c in t) / len(t))
        if part:
            held[t] = part
    return held


@lru_cache(maxsize=1024)
def _compounds(terms: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """The stem of each two neighbouring Latin terms written as one word: "threadpool"."""
    pairs = [(a, b) for a, b in zip(terms, terms[1:]) if a.isascii() and b.isascii() and a.isalpha() and b.isalpha()]
    return dict(zip(stem_words([a + b for a, b in pairs]), pairs)) if pairs else {}


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


def _blocks(text: str) -> list[str]:
    """Lines grouped into blocks: a blank line, a list item/quote/heading/table row, a code line,
    or the line after a heading starts a new block; other line breaks are soft wraps."""
    blocks: list[list[str]] = []
    fresh = True
    in_code = False
    comment = False  # the last block is a comment in code: its next comment line continues it
    for line in text.split("\n"):
        fence = line.strip().startswith("```")
        if fence or in_code:  # code lines are never prose: each is a block of its own
            in_code = in_code != fence
            marker = _CODE_COMMENT.match(line) if in_code and not fence else None
            if marker and comment:
                blocks[-1].append(line[marker.end():])  # "// file in the same folder with …" goes on
            elif line.strip():
                blocks.append([line])
            comment = marker is not None
            fresh = True
            continue
        comment = False
        if not line.strip():
            fresh = True
            continue
        if fresh or _BLOCK_START.match(line) or _titles(blocks[-1], line):
            blocks.append([])
        blocks[-1].append(line)
        fresh = bool(_HEADING.match(line))
    return [lang.join_lines(b) for b in blocks]


_CODE_COMMENT = re.compile(r"^\s*//\s?(?=\S)")  # a line of a "//" comment in a code block ("#" may be a root prompt)


def _titles(block: list[str], line: str) -> bool:
    """A manual-page section title ("历史", "DESCRIPTION") on a line of its own, the text under it
    indented: the title is no part of the text's first sentence."""
    if len(block) != 1 or _BLOCK_START.match(block[0]):
        return False  # "-x, --one-file-system" over its indented text is a term, not a title
    title = block[0]
    indent = len(line) - len(line.lstrip())
    return (indent > len(title) - len(title.lstrip()) and len(title.strip()) <= 24
            and not re.search(r"[.!?:;,。！？：；，]\s*$", title))


def unescape_markdown(text: str) -> str:
    """`\\<time>` → `<time>`: the backslashes Markdown converters put before punctuation."""
    return _MD_ESCAPE.sub(r"\1", text)


def _is_label(piece: str) -> bool:
    """A definition-list term: a few tokens, no sentence end ("gc.auto", "-n", "--expire=<time>")."""
    piece = piece.strip()
    if not piece or len(piece) > 60 or piece[-1] in ".!?;,:" or ": " in piece:
        return False  # a sentence, or an item that already reads "term: text"
    return bool(_LABEL.match(piece))


def _list_items(block: str) -> list[str]:
    """A flattened definition list "- term - text. - term2 - text2" → ["term: text.", "term2: text2"].

    A " - " splits only where a term starts (start of the block, after a sentence end, after
    another term, or before a capitalised item); a dash inside prose ("fast - really") stays.
    """
    if " - " not in block:
        return [block]
    parts = _DASH_ITEM.split(block)
    items: list[str] = []
    labels: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        prose_before = items and not labels and items[-1][-1:] not in ".!?:;)"
        if prose_before and not part[:1].isupper() and part[:1] != "`":  # an inner dash: glue back
            items[-1] = f"{items[-1]} - {part}"
        elif _is_label(part):
            labels.append(part)
        else:
            items.append(f"{', '.join(labels)}: {part}" if labels else part)
            labels = []
    if labels:
        items.append(", ".join(labels))
    return items


def _terms_with_text(blocks: list[str]) -> list[str]:
    """A definition list on separate lines ("- init.defaultBranch", "- Allows overriding ...")
    → one "init.defaultBranch: Allows overriding ..." block."""
    out: list[str] = []
    labels: list[str] = []
    for block in blocks:
        item = block[2:].strip() if block.startswith("- ") else None
        if item is not None and _is_label(item) and " - " not in item:
            labels.append(item)
            continue
        if labels and item is not None:
            out.append(f"{', '.join(labels)}: {item}")
        else:
            out.extend(f"- {label}" for label in labels)
            out.append(block)
        labels = []
    out.extend(f"- {label}" for label in labels)
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace-normalised, in order.

    Abbreviations (e.g., Dr., etc.) do not end a sentence; Markdown table rows become one
    "Header: value" sentence each; a flattened definition list becomes "term: text" items;
    blocks (see `_blocks`) never share a sentence; pieces without a letter or digit are dropped.
    """
    if "|" in text:
        text = linearize_tables(text)
    text = unescape_markdown(text)
    pieces: list[str] = []
    for block in (item for b in _terms_with_text(_blocks(text)) for item in _list_items(b)):
        carry = ""
        for part in _SENTENCE_END.split(block):
            part = carry + part if carry else part
            if _ABBREV.search(part.rstrip()):
                carry = part + " "
                continue
            carry = ""
            pieces.extend(_cjk_split(part.strip()))
        if carry.strip():
            pieces.extend(_cjk_split(carry.strip()))
    return [p for p in pieces if any(c.isalnum() for c in p)]


# in Chinese text written with Latin punctuation ("显示1989年的日历. 两个参数"), ". " ends a sentence too
_CJK_LATIN_END = re.compile(r"(?<=[.!?])\s+(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff][.!?])\s+")


def _cjk_split(piece: str) -> list[str]:
    """A piece of text cut after each 。！？ (Chinese ends sentences without a space), and after a
    Latin . ! ? with a space that touches Chinese."""
    if not lang.has_cjk(piece):
        return [piece]
    return [s for part in _CJK_LATIN_END.split(piece) for s in lang.split_cjk_sentences(part.strip()) if s]


_PREAMBLE = re.compile(
    r"^\s*(?:the (?:correct |short )?answer(?: to (?:this|your) question)? is|here is the answer|answer)\s*:\s*",
    re.IGNORECASE,
)


def strip_preamble(text: str) -> str:
    """"The answer is: 90 days." → "90 days." (small models announce their answer)."""
    return _PREAMBLE.sub("", text, count=1)


def clean_sentence(sentence: str) -> str:
    """A sentence as shown on its own: no list bullet in front, no bold/italic markers."""
    s = re.sub(r"^(?:[-*•]\s+)+", "", sentence.strip())
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", s)


def strip_citations(text: str) -> str:
    """Remove [n], [n, m] and [n][m] markers (and the space before them)."""
    return _CITATION.sub("", text).strip()


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` in at most `limit` characters: whole if it fits, else its sentences up to the last
    one that fits (in the last two thirds), else cut at a word boundary with `ellipsis` appended."""
    text = text.strip()
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    cut = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start()  # after the punctuation and any closing quote
        if end > room:
            break
        if not _ABBREV.search(text[:end]):
            cut = end
    if cut >= room // 3:
        return text[:cut]
    space = text.rfind(" ", 0, room + 1)
    cut = space if space >= room // 3 else room
    return text[:cut].rstrip(" ,;:") + ellipsis
