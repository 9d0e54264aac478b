"""Subprocess for the crash test: ingest, and at the stage named by $RAGCORD_CRASH_AT announce
it on stdout and block, so the test can SIGKILL this process exactly there.

    RAGCORD_CRASH_AT=indexing:1 python -m tests.security.crash_driver DATA_DIR SOURCE...

Stages are the ingest progress callbacks: "loading:N", "embedding:0", "indexing:0" (inside the
transaction, rows written, no index files yet), "indexing:1" (new generation files written,
not committed), "indexing:2" (committed, old generation removed).

A hashing embedder stands in for MiniLM so that each subprocess starts in a second: crash
safety is about files and transactions, not about the vectors.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Sequence

import numpy as np


class HashEmbedder:
    """Deterministic bag-of-words vectors (64-d, L2-normalised); the Embedder interface."""

    dim = 64
    max_tokens = 256
    batch_size = 16

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+", text))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def similarity(self, query: str, texts: Sequence[str]) -> list[float]:
        vecs = self.encode([query, *texts])
        return [float(v) for v in vecs[1:] @ vecs[0]]


def main() -> None:
    data_dir, sources = sys.argv[1], sys.argv[2:]
    at = os.environ.get("RAGCORD_CRASH_AT", "")

    from retrieval.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(data_dir, "global", HashEmbedder())  # type: ignore[arg-type]

    def progress(stage: str, done: int, total: int) -> None:
        if f"{stage}:{done}" == at:
            sys.stdout.write(f"AT {at}\n")
            sys.stdout.flush()
            sys.stdin.readline()  # wait here until killed

    report = kb.ingest(sources, progress=progress)
    sys.stdout.write(f"DONE {report.added} {report.updated}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
