"""Split a LoadedDocument into chunks that fit the embedder's window.

Rules: a chunk never spans two sections (so never two PDF pages or two
headings); whole paragraphs are packed up to the token budget; a paragraph
over the budget is split at sentence boundaries (and a sentence over the
budget at word boundaries); consecutive chunks of one section overlap by
their trailing sentences; a code block cut by a chunk boundary is closed and
reopened with a fence. Chunk text is the document's own text otherwise; the
heading and page live in their fields.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import textlang
from .types import ChunkDraft, LoadedDocument, Section

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_FENCE = re.compile(r"^\s*```")
# Looser than model/textutil.split_sentences on purpose: over-splitting a unit is harmless (short units
# are joined to the next) and CJK/lower-case text must still split; it may not import model/.
_SENTENCE_END = re.compile(r"(?<=[.!?…。])[\"')\]]*\s+|(?<=[。！？])[”’」』）)]*|\n+")


@dataclass(frozen=True)
class _Piece:
    text: str
    tokens: int
    new_paragraph: bool  # joined to the previous piece by "\n\n" (else by "\n" or " ")
    new_line: bool = False  # the first piece of a line of a long paragraph: joined by "\n"
    in_code: bool = False  # starts inside a code block (`_in_code`)


MAX_SENTENCE_UNITS = 1023  # per chunk: sentence vector ids are chunk_id << 10 | unit number


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of `split_sentences(text)` lies in `text`: (start, end), stripped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end_mark in [*_SENTENCE_END.finditer(text), None]:
        stop = end_mark.start() if end_mark is not None else len(text)
        piece = text[start:stop]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            spans.append((start + left, start + right))
        start = end_mark.end() if end_mark is not None else len(text)
    return spans


def sentence_units(text: str, min_words: int = 6, max_units: int = MAX_SENTENCE_UNITS) -> list[str]:
    """The chunk's sentences as units for sentence vectors: a sentence (or line) of fewer than
    `min_words` words is joined to the next one (the last to the previous), so a stray
    "Yes." or a lone label never becomes a vector of its own; at most `max_units`, the rest
    joined into the last unit. A chunk with one unit gets none (its chunk vector is that)."""
    sentences = split_sentences(text)
    return [" ".join(sentences[a:b]) for a, b in _unit_groups(sentences, min_words, max_units)]


def sentence_unit_spans(text: str, min_words: int = 6, max_units: int = MAX_SENTENCE_UNITS) -> list[tuple[int, int]]:
    """Where each of `sentence_units(text)` lies in `text`: from its first sentence's start to
    its last sentence's end (the text between them as written, not joined by spaces)."""
    spans = sentence_spans(text)
    sentences = [text[a:b] for a, b in spans]
    return [(spans[a][0], spans[b - 1][1]) for a, b in _unit_groups(sentences, min_words, max_units)]


def _unit_groups(sentences: list[str], min_words: int, max_units: int) -> list[tuple[int, int]]:
    """The units of `sentence_units` as [first, last + 1) ranges of sentence numbers."""
    groups: list[tuple[int, int]] = []
    first = 0
    for k in range(len(sentences)):
        if _word_count(" ".join(sentences[first : k + 1])) >= min_words:
            groups.append((first, k + 1))
            first = k + 1
    if first < len(sentences):
        if groups:
            groups[-1] = (groups[-1][0], len(sentences))
        else:
            groups.append((first, len(sentences)))
    if len(groups) > max_units:
        groups[max_units - 1 :] = [(groups[max_units - 1][0], groups[-1][1])]
    return groups if len(groups) > 1 else []


def _word_count(text: str) -> int:
    """Words separated by spaces; Chinese counted by its segmented words."""
    return len(textlang.words(text)) if textlang.has_cjk(text) else len(text.split())


def chunk(
    doc: LoadedDocument,
    *,
    max_tokens: int = 200,
    overlap_tokens: int = 40,
    count_tokens: Callable[[str], int],
) -> list[ChunkDraft]:
    if max_tokens < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap_tokens < max_tokens")
    drafts: list[ChunkDraft] = []
    for section in doc.sections:
        for text in _chunk_section(section, max_tokens, overlap_tokens, count_tokens):
            drafts.append(ChunkDraft(text=text, ord=len(drafts), page=section.page, heading=section.heading))
    return drafts


def _chunk_section(
    section: Section, budget: int, overlap: int, count: Callable[[str], int]
) -> list[str]:
    pieces = _in_code(_pieces(section.text, budget, count))
    chunks: list[list[_Piece]] = []
    current: list[_Piece] = []
    used = 0
    fresh = 0  # pieces in `current` that are not overlap carried from the previous chunk

    def emit() -> None:
        nonlocal current, used, fresh
        chunks.append(current)
        tail = _overlap_tail(current, overlap, count)
        current, used, fresh = tail, sum(p.tokens for p in tail), 0

    for group in _paragraph_groups(pieces):
        group_tokens = sum(p.tokens for p in group)
        if used + group_tokens <= budget:  # the whole paragraph fits
            current.extend(group)
            used += group_tokens
            fresh += len(group)
            continue
        if group_tokens <= budget:  # fits in a chunk of its own: start one
            if fresh:
                emit()
            while current and used + group_tokens > budget:  # trim the overlap to make room
                used -= current.pop(0).tokens
            current.extend(group)
            used += group_tokens
            fresh += len(group)
            continue
        for piece in group:  # too long: fill sentence by sentence
            if used + piece.tokens > budget and fresh:
                emit()
            while current and used + piece.tokens > budget:  # trim the overlap to make room
                used -= current.pop(0).tokens
            current.append(piece)
            used += piece.tokens
            fresh += 1
    if fresh:
        chunks.append(current)
    return _fenced(chunks)


def _pieces(text: str, budget: int, count: Callable[[str], int]) -> list[_Piece]:
    """Paragraphs that fit the budget stay whole; longer ones become their lines (a list's
    items, each with its term or lead-in), a line over the budget its sentences, and a sentence
    over the budget word runs. So a chunk of a long list starts at an item, not mid-definition."""
    pieces: list[_Piece] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        tokens = count(paragraph)
        if tokens <= budget:
            pieces.append(_Piece(paragraph, tokens, True))
            continue
        first = True
        in_code = after_fence = False
        lines = [(line, count(line)) for line in (raw.strip() for raw in paragraph.split("\n")) if line]
        for line, line_tokens in _labels_joined(_items(lines, budget, count), budget, count):
            fence = bool(_FENCE.match(line))
            # a code block's lines, its fences, list items and table rows stay lines; a wrapped
            # line of prose ("… kept for" / "30 days.") is joined to the one before by a space
            starts_line = fence or in_code or after_fence or bool(_LIST_MARK.match(line)) or line.startswith("|")
            in_code, after_fence = in_code != fence, fence
            for sentence in [line] if line_tokens <= budget else split_sentences(line):
                sentence_tokens = line_tokens if sentence is line else count(sentence)
                runs = [(sentence, sentence_tokens)] if sentence_tokens <= budget else _word_runs(sentence, budget, count)
                for part, part_tokens in runs:
                    pieces.append(_Piece(part, part_tokens, first, starts_line and not first))
                    first = starts_line = False
    return pieces


# a line that introduces the next one: a definition list's term ("- --allow-empty-message"), a
# lead-in ("The options are:"), a wrapped line (short, with no sentence end of its own), or an
# FAQ's question, whose answer is the next line
_SENTENCE_CLOSE = re.compile(r"[.!?…。！？;；][\"')\]”’」』）]*$")
_QUESTION_CLOSE = re.compile(r"[?？][\"')\]”’」』）]*$")
LABEL_WORDS = 10
LABEL_TOKENS = 32
QUESTION_TOKENS = 64


def _introduces(line: str, tokens: int) -> bool:
    if _QUESTION_CLOSE.search(line):
        return tokens <= QUESTION_TOKENS
    return len(line.split()) <= LABEL_WORDS and not _SENTENCE_CLOSE.search(line) and tokens <= LABEL_TOKENS


_LIST_MARK = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])\s")


def _items(lines: list[tuple[str, int]], budget: int, count: Callable[[str], int]) -> list[tuple[str, int]]:
    """In a list, a (line, tokens) without a marker continues the item above it (a definition's
    second paragraph): joined to it while the item fits the budget. Lines of a paragraph that is
    not a list stay as they are."""
    if not any(_LIST_MARK.match(line) for line, _ in lines):
        return lines
    out: list[tuple[str, int]] = []
    for line, tokens in lines:
        if out and not _LIST_MARK.match(line) and _LIST_MARK.match(out[-1][0]):
            joined = f"{out[-1][0]} {line}"
            joined_tokens = count(joined)
            if joined_tokens <= budget:
                out[-1] = (joined, joined_tokens)
                continue
        out.append((line, tokens))
    return out


def _labels_joined(lines: list[tuple[str, int]], budget: int, count: Callable[[str], int]) -> list[tuple[str, int]]:
    """The (line, tokens) pairs, a label joined to the line after it, so that no chunk ends on a
    term and the next begins with its definition: a definition read alone is about whatever the
    reader guesses. A line too long to take its label whole gives it its first sentence."""
    out: list[tuple[str, int]] = []
    label: tuple[str, int] | None = None
    in_code = False
    for line, tokens in lines:
        fence = bool(_FENCE.match(line))
        if fence or in_code:  # a code line is no label and takes none: it stays a line of its own
            in_code = in_code != fence
            if label is not None:
                out.append(label)
                label = None
            out.append((line, tokens))
            continue
        text = line
        if label is not None:
            held, label = label, None
            joined = f"{held[0]} {line}"
            joined_tokens = count(joined)
            if joined_tokens <= budget:
                text, tokens = joined, joined_tokens
            else:
                first, *rest = split_sentences(line) or [line]
                lead = f"{held[0]} {first}"
                lead_tokens = count(lead)
                if rest and lead_tokens <= budget:
                    out.append((lead, lead_tokens))
                    out.extend((sentence, count(sentence)) for sentence in rest)
                    continue
                out.append(held)  # not even the first sentence fits with it: the label stands alone
        if _introduces(line, tokens):
            label = (text, tokens)  # held for the line it introduces
            continue
        out.append((text, tokens))
    if label is not None:
        out.append(label)
    return out


def _word_runs(sentence: str, budget: int, count: Callable[[str], int]) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    words: list[str] = []
    used = 0
    for word in sentence.split():
        word_tokens = count(word)
        if words and used + word_tokens > budget:
            runs.append((" ".join(words), used))
            words, used = [], 0
        if word_tokens > budget:  # a pathological "word" (e.g. a base64 blob): cut by characters
            step = max(1, len(word) * budget // (word_tokens + 1))
            for start in range(0, len(word), step):
                piece = word[start : start + step]
                runs.append((piece, count(piece)))
            continue
        words.append(word)
        used += word_tokens
    if words:
        runs.append((" ".join(words), used))
    return runs


def _paragraph_groups(pieces: list[_Piece]) -> list[list[_Piece]]:
    groups: list[list[_Piece]] = []
    for piece in pieces:
        if piece.new_paragraph or not groups:
            groups.append([piece])
        else:
            groups[-1].append(piece)
    return groups


def _overlap_tail(pieces: list[_Piece], overlap: int, count: Callable[[str], int]) -> list[_Piece]:
    """Trailing sentences of a chunk worth at most `overlap` tokens (never the whole chunk)."""
    if overlap <= 0:
        return []
    tail: list[_Piece] = []
    used = 0
    for piece in reversed(pieces[1:]):
        if used + piece.tokens > overlap:
            break
        tail.insert(0, piece)
        used += piece.tokens
    # a whole paragraph: take its last sentences, unless it holds a fence (joined by spaces, its
    # code lines and the fence would run into the prose: "exit(1); ``` The shell that …")
    if not tail and pieces and pieces[-1].new_paragraph and not _fences(pieces[-1].text):
        sentences = split_sentences(pieces[-1].text)
        if len(sentences) > 1:
            picked: list[str] = []
            for sentence in reversed(sentences[1:]):
                tokens = count(sentence)
                if used + tokens > overlap:
                    break
                picked.insert(0, sentence)
                used += tokens
            if picked:
                text = " ".join(picked)
                return [_Piece(text, count(text), True, in_code=pieces[-1].in_code)]
    if tail:
        tail[0] = replace(tail[0], new_paragraph=True)
    return tail


def _join(pieces: list[_Piece]) -> str:
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i:
            out.append("\n\n" if piece.new_paragraph else "\n" if piece.new_line else " ")
        out.append(piece.text)
    return "".join(out)


def _fences(text: str) -> int:
    return sum(1 for line in text.split("\n") if _FENCE.match(line))


def _in_code(pieces: list[_Piece]) -> list[_Piece]:
    """The pieces, each marked with whether it starts inside a code block."""
    out, state = [], False
    for piece in pieces:
        out.append(replace(piece, in_code=state))
        state = state != (_fences(piece.text) % 2 == 1)
    return out


def _fenced(chunks: list[list[_Piece]]) -> list[str]:
    """Each chunk's text, a code block cut by a chunk boundary closed at the end of the one chunk
    and reopened at the start of the next: a reader that meets the closing fence first would
    take the code for prose and the prose after it for code. A chunk that starts with the overlap
    of the one before knows from its first piece whether that lies inside a block."""
    out = []
    for c in chunks:
        text = _join(c)
        opens = c[0].in_code
        fences = _fences(text) + opens
        out.append(("```\n" if opens else "") + text + ("\n```" if fences % 2 else ""))
    return out
