"""Passages/s and ms/query p50 of the MiniLM embedder: torch fp32 vs ONNX fp32 vs ONNX int8.

Usage: python bench/embed_runtime.py CORPUS.jsonl [N]   (lines with a "text" field)
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


def main() -> None:
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
