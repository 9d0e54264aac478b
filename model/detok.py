"""Incremental detokenisation with stop strings, one instance per generated sequence.

Decoding token by token breaks multi-byte characters (a UTF-8 character split
over byte-level tokens decodes to U+FFFD) and, for SentencePiece tokenizers,
leading spaces. We decode a small window of running ids and emit only the
stable new suffix (the window approach used by TGI/vLLM), holding back text
that could still become a stop string.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_REPLACEMENT = "\ufffd"


class IncrementalText:
    """Feed token ids; get back text deltas whose concatenation is the final text."""

    def __init__(self, tokenizer: Any, stop: Sequence[str] = ()) -> None:
        self._tok = tokenizer
        self._stop = tuple(s for s in stop if s)
        self._ids: list[int] = []
        self._prefix = 0  # window start
        self._read = 0  # ids already turned into text
        self._text = ""  # decoded so far (may include held-back text)
        self._emitted = 0  # chars of _text already handed out
        self.stopped = False

    @property
    def text(self) -> str:
        """Everything emitted so far."""
        return self._text[: self._emitted]

    def _decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids, skip_special_tokens=True)

    def push(self, token_id: int) -> str:
        """Add one id; return the newly safe text (possibly empty). Sets `stopped` on a stop string."""
        if self.stopped:
            return ""
        self._ids.append(token_id)
        before = self._decode(self._ids[self._prefix : self._read])
        after = self._decode(self._ids[self._prefix :])
        if len(after) > len(before) and not after.endswith(_REPLACEMENT):
            self._text += after[len(before) :]
            self._prefix, self._read = self._read, len(self._ids)
        return self._release(final=False)

    def flush(self) -> str:
        """End of generation: release partial characters and any held-back text."""
        if not self.stopped and self._read < len(self._ids):
            before = self._decode(self._ids[self._prefix : self._read])
            after = self._decode(self._ids[self._prefix :])
            self._text += after[len(before) :]
            self._prefix = self._read = len(self._ids)
        return self._release(final=True)

    def _release(self, final: bool) -> str:
        if self.stopped:
            return ""
        end = len(self._text)
        if self._stop:
            hit = self._find_stop()
            if hit is not None:
                self.stopped = True
                end = hit
            elif not final:
                end -= self._held_back()
        end = max(end, self._emitted)
        delta = self._text[self._emitted : end]
        self._emitted = end
        if self.stopped:
            self._text = self._text[:end]
        return delta

    def _find_stop(self) -> int | None:
        longest = max(len(s) for s in self._stop)
        start = max(0, self._emitted - longest)
        hits = [i for s in self._stop if (i := self._text.find(s, start)) >= 0]
        return min(hits) if hits else None

    def _held_back(self) -> int:
        """Length of the longest suffix of the text that is a proper prefix of a stop string."""
        best = 0
        for s in self._stop:
            for k in range(min(len(s) - 1, len(self._text)), best, -1):
                if self._text.endswith(s[:k]):
                    best = k
                    break
        return best
