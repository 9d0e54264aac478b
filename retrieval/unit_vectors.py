"""Chunk vectors and sentence-unit vectors, the two ways `RetrievalConfig.sentence_vectors` names.

"encode": every chunk passage and every sentence unit ("title — heading\\nsentence") go through
the encoder, all in one length-sorted `encode` call. "pooled": only the chunk passages do, once
each; a unit's vector is the mean of the chunk pass's token states over the "title — heading"
line and the unit's sentence (token_pooling.py), and a unit past the encoder window is encoded
alone as under "encode". An embedder that cannot pool its tokens (e5, a model with another
pooling) gets "encode" whatever the setting.

Measured with bench/sentence_vectors.py (MiniLM, torch; nDCG@10 fused default / best sentence):
squad2 encode 0.9284 / 0.8880, pooled 0.9201 / 0.8609, pooled without the head line 0.9215;
stackfaq encode 0.9841, pooled 0.9827, without the head line 0.9766 (dense 0.9779). Ingest of
stackfaq (567 chunks, 2952 units): 2.9-3.1x less CPU, 2.4-4.9x less wall time (two runs on a
shared box). The token states are contextual, so a pooled unit leans towards the whole chunk
(cosine ~0.6-0.9 with the unit encoded alone) and squad2 loses 0.008: "encode" stays the default.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import sentence_unit_spans, sentence_units
from .config import SentenceVectors
from .embedder import Embedder, passage_text
from .token_pooling import Ranges, Span

ChunkVectors = tuple[np.ndarray, list[np.ndarray]]  # (chunks, dim) and each chunk's (units, dim)


@dataclass(frozen=True)
class ChunkUnits:
    """A chunk's sentence units: what "encode" embeds for each, and where each lies in the chunk
    passage (`passage_text(title, heading, text)`) for "pooled"."""

    texts: list[str]  # "title — heading\nsentence" per unit
    spans: list[Span]  # each unit's characters in the passage
    head: int  # characters of the "title — heading" line that starts the passage (0: none)


NO_UNITS = ChunkUnits([], [], 0)


def chunk_units(title: str | None, heading: str | None, text: str) -> ChunkUnits:
    passage = passage_text(title, heading, text)
    head = len(passage) - len(text) - 1 if passage != text else 0
    start = head + 1 if head else 0
    spans = [(start + a, start + b) for a, b in sentence_unit_spans(text)]
    return ChunkUnits([passage_text(title, heading, u) for u in sentence_units(text)], spans, head)


def can_pool(embedder: object) -> bool:
    return isinstance(embedder, Embedder) and embedder.pools_tokens


def embed_chunks(embedder: Embedder, passages: list[str], units: Sequence[ChunkUnits],
                 sentence_vectors: SentenceVectors) -> ChunkVectors:
    """Chunk vectors and each chunk's unit vectors, the way `sentence_vectors` says (when the
    embedder can pool tokens; else "encode")."""
    if sentence_vectors == "pooled" and can_pool(embedder):
        return pooled_chunks(embedder, passages, units)
    return encode_chunks(embedder.encode, passages, [u.texts for u in units])


def encode_chunks(encode: Callable[[list[str]], np.ndarray], passages: list[str],
                  units: list[list[str]]) -> ChunkVectors:
    """Chunk vectors and each chunk's sentence vectors, from one `encode` call (one sort by
    length, so short sentences batch together)."""
    flat = [u for chunk_units in units for u in chunk_units]
    vectors = encode([*passages, *flat])
    per_chunk: list[np.ndarray] = []
    start = len(passages)
    for chunk_units in units:
        per_chunk.append(vectors[start : start + len(chunk_units)])
        start += len(chunk_units)
    return vectors[: len(passages)], per_chunk


def pooled_chunks(embedder: Embedder, passages: list[str], units: Sequence[ChunkUnits],
                  with_prefix: bool = True) -> ChunkVectors:
    """One encoder pass per passage; unit vectors pooled from it (`with_prefix`: the tokens of
    the "title — heading" line too), those past the window encoded alone."""
    ranges = [[unit_ranges(u, span, with_prefix) for span in u.spans] for u in units]
    pooled = embedder.encode_spans(passages, ranges)
    per_chunk = [p.spans for p in pooled]
    missing = [(c, int(k)) for c, p in enumerate(pooled) for k in np.flatnonzero(~p.covered)]
    if missing:
        for (c, k), vector in zip(missing, embedder.encode([units[c].texts[k] for c, k in missing])):
            per_chunk[c][k] = vector
    if not pooled:
        return np.zeros((0, embedder.dim), dtype=np.float32), []
    return np.stack([p.vector for p in pooled]), per_chunk


def unit_ranges(units: ChunkUnits, span: Span, with_prefix: bool) -> Ranges:
    return ((0, units.head), span) if with_prefix and units.head else (span,)
