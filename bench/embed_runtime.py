"""Passages/s and ms/query p50 of the MiniLM embedder: torch fp32 vs ONNX fp32 vs ONNX int8.

Usage: python bench/embed_runtime.py CORPUS.jsonl [N]   (lines with a "text" field)
       python bench/embed_runtime.py --ingest BEIR_DIR   (e.g. /work/shared/eval/stackfaq)

--ingest: for each runtime, in one run, the whole corpus through `KnowledgeBase.ingest_texts` (chunks
and sentence vectors, SQLite, FAISS, BM25: wall and CPU seconds) and `KnowledgeBase.search` over the
set's queries (ms p50, one query at a time, after a warm-up), with ratios against torch.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from retrieval.embedder import Embedder
from retrieval.embedder_onnx import OnnxEmbedder


def passages(path: Path, n: int) -> list[str]:
    out: list[str] = []
    with path.open() as fh:
        for line in fh:
            row = json.loads(line)
            text = row.get("text") or row.get("context") or ""
            if text.strip():
                out.append(text)
            if len(out) >= n:
                break
    return out


def measure(embedder: Embedder, texts: list[str]) -> tuple[float, float]:
    embedder.encode(texts[:8])  # warm up
    start = time.perf_counter()
    embedder.encode(texts)
    rate = len(texts) / (time.perf_counter() - start)
    times = []
    for text in texts[:200]:
        t = time.perf_counter()
        embedder.encode([text[:120]])
        times.append((time.perf_counter() - t) * 1000)
    return rate, statistics.median(times)


def ingest_and_query(folder: Path) -> None:
    from retrieval.fusion_study import load_beir
    from retrieval.knowledge_base import KnowledgeBase

    data = load_beir(folder)
    docs = [(d.get("title") or d["id"], d["text"], d["id"]) for d in data.corpus]
    queries = [q["text"] for q in data.queries][:300]
    work = Path(tempfile.mkdtemp(prefix="ragcord-embed-runtime-"))
    cache = work / "minilm-onnx"
    runtimes = (("torch fp32", Embedder()), ("onnx fp32", OnnxEmbedder(cache)),
                ("onnx int8", OnnxEmbedder(cache, int8=True)))
    for _, emb in runtimes:
        emb.encode(["warm up the model"] * 8)  # loads (and exports once) outside the timings
    print(f"{data.name}: {len(docs)} documents, {len(queries)} queries")
    base: tuple[float, float, float] | None = None
    for name, emb in runtimes:
        kb = KnowledgeBase(work / name.replace(" ", "-"), "bench", emb)
        t, c = time.perf_counter(), time.process_time()
        report = kb.ingest_texts(docs, markdown=False)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        kb.search(queries[0])
        times = []
        for query in queries:
            t = time.perf_counter()
            kb.search(query, k=10)
            times.append((time.perf_counter() - t) * 1000)
        p50 = statistics.median(times)
        base = base or (wall, cpu, p50)
        print(f"{name:11} ingest {wall:6.1f}s wall (x{base[0] / wall:.2f} faster) {cpu:6.1f}s CPU "
              f"(x{base[1] / cpu:.2f})  {report.chunks_embedded} chunks  query p50 {p50:6.2f} ms "
              f"(x{base[2] / p50:.2f} faster)", flush=True)


def main() -> None:
    if sys.argv[1] == "--ingest":
        ingest_and_query(Path(sys.argv[2]))
        return
    texts = passages(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
    cache = Path(tempfile.mkdtemp()) / "minilm-onnx"
    t = time.perf_counter()
    fp32 = OnnxEmbedder(cache)
    _ = fp32.model
    export_s = time.perf_counter() - t
    t = time.perf_counter()
    int8 = OnnxEmbedder(cache, int8=True)
    _ = int8.model
    quant_s = time.perf_counter() - t
    print(f"{len(texts)} passages; export {export_s:.1f}s, int8 quantisation {quant_s:.1f}s")
    base = None
    for name, emb in (("torch fp32", Embedder()), ("onnx fp32", fp32), ("onnx int8", int8)):
        rate, p50 = measure(emb, texts)
        base = base or (rate, p50)
        print(f"{name:11} {rate:8.1f} passages/s (x{rate / base[0]:.2f})  "
              f"{p50:6.2f} ms/query p50 (x{base[1] / p50:.2f} faster)")


if __name__ == "__main__":
    main()
