"""How `curated.threshold` trades right matches for wrong ones, on stackfaq's paraphrased questions.

Each FAQ entry's title becomes a curated question (optionally with one user phrasing as a
paraphrase); the other user phrasings are asked. Right = matched its own entry, wrong = matched
another entry (the costly error: a curated answer is shown as sure), unmatched = falls back to
retrieval and generation.

    .venv/bin/python bench/curated_threshold.py [../shared/eval/stackfaq/queries.jsonl]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from retrieval.embedder import Embedder

THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def load(path: Path) -> dict[str, tuple[str, list[str]]]:
    """FAQ id -> (its title, the user phrasings asking for it)."""
    faq: dict[str, tuple[str, list[str]]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            faq.setdefault(row["id"].rsplit("-q", 1)[0], (row["faq_question"], []))[1].append(row["text"])
    return faq


def measure(embedder: Embedder, faq: dict[str, tuple[str, list[str]]], with_paraphrase: bool) -> None:
    keys = sorted(faq)
    phrasings: list[str] = []
    owners: list[int] = []
    tests: list[tuple[int, str]] = []
    for i, key in enumerate(keys):
        title, asked = faq[key]
        curated = [title, asked[0]] if with_paraphrase else [title]
        phrasings += curated
        owners += [i] * len(curated)
        tests += [(i, q) for q in asked[1 if with_paraphrase else 0:]]
    scores = embedder.encode([q for _, q in tests]) @ embedder.encode(phrasings).T
    predicted = np.array(owners)[scores.argmax(axis=1)]
    best = scores.max(axis=1)
    truth = np.array([i for i, _ in tests])
    label = "title + one paraphrase" if with_paraphrase else "title only"
    print(f"{label}: {len(tests)} questions, {len(keys)} curated answers")
    for threshold in THRESHOLDS:
        hit = best >= threshold
        right = float((hit & (predicted == truth)).mean())
        wrong = float((hit & (predicted != truth)).mean())
        print(f"  {threshold:.2f}: right {right:.3f}  wrong {wrong:.3f}  unmatched {1 - float(hit.mean()):.3f}")


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/stackfaq/queries.jsonl")
    embedder = Embedder()
    faq = load(path)
    for with_paraphrase in (False, True):
        measure(embedder, faq, with_paraphrase)


if __name__ == "__main__":
    main()
