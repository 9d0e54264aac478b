"""Sentence-level stop rules for generated answers, applied to the text as it is decoded.

`SentenceGate` sits between the detokeniser and the caller: it releases text one finished
sentence at a time (each token keeps its own log-probability) and holds back the sentence
still being written, so a stop decision never has to take back text already handed out.
It stops the answer after its last useful sentence (a cited one, or the sentence cap), on a
repeated sentence, or on a blank line; at the token limit the unfinished sentence is dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# a sentence ends at . ! ? … (closing quotes/brackets and citation markers may follow) before
# whitespace; a line break ends one too. Group "cite" is set when citation markers end it.
_MARKS = r"(?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+"
_END = re.compile(
    rf"[.!?…][\"'”’)]*(?P<cite>{_MARKS})?\.?(?=\s*\n|\s+[^\s\[])"  # "days." / "days. [1]"
    rf"|(?P<cite2>{_MARKS})[.!?]?(?=\s*\n|\s+[A-Z0-9\"“(])"  # "days [1]." / "days [1] Next"
    r"|(?=\n)"  # a line break ends a line of a list
)
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|approx|no|fig)\.$", re.IGNORECASE)
_CITE = re.compile(r"\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class StopRules:
    """When an answer is complete. `None`/False switches a rule off."""

    max_sentences: int | None = 2  # stop once this many sentences are finished
    stop_after_cited: bool = True  # a finished sentence that ends with [n] ends the answer
    stop_on_repeat: bool = True  # a sentence that repeats an earlier one (normalised) ends it, dropped
    stop_on_blank_line: bool = True  # "\n\n" ends it
    trim_unfinished: bool = True  # at the token limit, drop the unfinished sentence (the first is kept)


ANSWER_RULES = StopRules()
# free-form tasks (explanations) may run longer: only the repeat stop and the limit trim
TASK_RULES = StopRules(max_sentences=None, stop_after_cited=False, stop_on_blank_line=False)

Piece = tuple[str, float | None]  # a token's text and its log-probability


def normalise(sentence: str) -> str:
    """Lower-cased words of a sentence without citation markers (for repeat checks)."""
    return " ".join(_WORD.findall(_CITE.sub(" ", sentence).lower()))


@dataclass
class SentenceGate:
    """Feed text deltas with their log-probabilities; get back the pieces that are safe to show."""

    rules: StopRules
    stopped: bool = False
    _text: str = ""  # everything received
    _released: int = 0  # chars of _text handed out (always a sentence boundary, or all of it)
    _held: list[Piece] = field(default_factory=list)  # pieces after _released
    _start: int = 0  # where the current (unfinished) sentence starts
    _scan: int = 0  # where the search for its end resumes
    _blank_scan: int = 0  # where the search for a blank line resumes
    _seen: set[str] = field(default_factory=set)
    _sentences: int = 0

    @property
    def text(self) -> str:
        """Everything released so far."""
        return self._text[: self._released]

    def push(self, delta: str, logprob: float | None) -> list[Piece]:
        """Add one token's text; return the pieces released now (empty while a sentence is open)."""
        if self.stopped:
            return []
        self._held.append((delta, logprob))
        self._text += delta
        if not delta:
            return []
        return self._advance()

    def finish(self, length_limited: bool) -> list[Piece]:
        """The decoder ended: release what is held, or drop an unfinished sentence cut by the limit."""
        if self.stopped:
            return []
        self.stopped = True
        tail = self._text[self._released :]
        if length_limited and self.rules.trim_unfinished and self._sentences and tail.strip():
            return self._cut(self._released, keep=False)
        if self.rules.stop_on_repeat and self._is_repeat(tail):
            return self._cut(self._released, keep=False)
        return self._cut(len(self._text), keep=True)

    # --- internals -----------------------------------------------------------------------------
    def _advance(self) -> list[Piece]:
        out: list[Piece] = []
        rules = self.rules
        while rules.stop_on_blank_line and (blank := self._text.find("\n\n", self._blank_scan)) >= 0:
            before = self._text[:blank].rstrip()
            if not before or before.endswith(":"):  # nothing yet, or "The answer is:" + the answer below
                self._blank_scan = blank + 1
                continue
            out += self._cut(len(before), keep=False)
            self.stopped = True
            return out
        while not self.stopped:
            m = _END.search(self._text, self._scan)
            if m is None or m.end() >= len(self._text):  # the char after an end must be seen
                break
            end = m.end()
            sentence = self._text[self._start : end]
            self._scan = end if end > m.start() else end + 1  # zero-width (line break) ends move on
            if not sentence.strip() or _ABBREV.search(sentence.rstrip()):
                continue  # nothing written yet, or "e.g." inside a sentence
            key = normalise(sentence)
            if rules.stop_on_repeat and key and key in self._seen:
                self.stopped = True
                break
            self._seen.add(key)
            self._sentences += 1
            self._start = end
            out += self._cut(end, keep=False)
            cited = bool(m.group("cite") or m.group("cite2"))
            if (rules.stop_after_cited and cited) or (
                rules.max_sentences is not None and self._sentences >= rules.max_sentences
            ):
                self.stopped = True
        return out

    def _is_repeat(self, tail: str) -> bool:
        key = normalise(tail)
        return bool(key) and key in self._seen

    def _cut(self, upto: int, keep: bool) -> list[Piece]:
        """Release held pieces up to char `upto`; the rest stays held (or, with `stopped`, is dropped).

        `keep` releases every held piece whole (the end of generation)."""
        out: list[Piece] = []
        pos = self._released
        rest: list[Piece] = []
        for i, (piece, lp) in enumerate(self._held):
            if keep or pos + len(piece) <= upto:
                out.append((piece, lp))
                pos += len(piece)
                continue
            if pos < upto:  # the boundary falls inside this piece: split it
                head = upto - pos
                out.append((piece[:head], lp))
                rest = [(piece[head:], None), *self._held[i + 1 :]]
            else:
                rest = self._held[i:]
            pos = upto
            break
        self._held = rest
        self._released = pos
        return out
