"""Query: p50/p95 of a full hybrid retrieval (embed + dense + BM25 + fill + fuse) at 10k and 100k
chunks vs embedding the query alone (the baseline, same run). Target: full ≤ 2× baseline.

Encoding 100k real chunks is too slow on this machine, and the search cost does not depend on
what the vectors mean, so the indexes are built directly: clustered unit vectors in ragcord's
`DenseIndex` (default config: exact below `ann_threshold`=50k, HNSW at or above) and Zipfian
texts from the stackfaq vocabulary in ragcord's `SparseIndex`. The QUERIES are real (stackfaq
questions) and embedded for real with the MiniLM embedder; retrieval runs through
`retrieval.hybrid.rank` — the code `KnowledgeBase.search` calls (minus its SQLite row fetch).
`--quick` runs 10k and 20k.
"""
from __future__ import annotations

import json
import time

import numpy as np

from common import emit, pct, quick, table
from synth import STACKFAQ, TextGen, clustered

from retrieval import hybrid
from retrieval.config import RetrievalConfig
from retrieval.dense import DenseIndex
from retrieval.embedder import Embedder
from retrieval.sparse import SparseIndex

WORDS_PER_CHUNK = 120


def queries(n: int) -> list[str]:
    path = STACKFAQ / "queries.jsonl"
    if path.is_file():
        rows = [json.loads(x)["text"] for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        rows = ["How do I get a refund for my order?", "Which carrier ships to the UK?"]
    return [rows[i % len(rows)] for i in range(n)]


def build(n: int, dim: int, config: RetrievalConfig, gen: TextGen) -> tuple[DenseIndex, SparseIndex, dict]:
    rng = np.random.default_rng(n)
    ids = np.arange(n, dtype=np.int64)
    t0 = time.perf_counter()
    dense = DenseIndex(dim, ann_threshold=config.ann_threshold, hnsw_m=config.hnsw_m,
                       ef_search=config.hnsw_ef_search)
    dense.add(ids, clustered(n, dim, max(64, n // 100), rng))
    t1 = time.perf_counter()
    dense.search(np.ones(dim, np.float32) / np.sqrt(dim), 1)  # builds HNSW when at/above the threshold
    t2 = time.perf_counter()
    sparse = SparseIndex()
    sparse.rebuild(ids.tolist(), gen.texts(n, WORDS_PER_CHUNK))
    t3 = time.perf_counter()
    return dense, sparse, {"dense_add_s": t1 - t0, "ann_build_s": t2 - t1, "bm25_build_s": t3 - t2}


def main() -> None:
    sizes = [10_000, 20_000] if quick() else [10_000, 100_000]
    n_q = 60 if quick() else 150
    config = RetrievalConfig()
    embedder = Embedder()
    dim = embedder.dim
    qs = queries(n_q)
    for q in qs[:5]:
        embedder.encode_query(q)  # warm-up
    gen = TextGen(seed=3)

    rows, figures = [], {}
    for n in sizes:
        dense, sparse, builds = build(n, dim, config, gen)
        for q in qs[:5]:
            hybrid.rank(q, embedder.encode_query(q), dense, sparse, config)  # warm-up
        base, full, parts = [], [], {"dense": [], "sparse": [], "fill+max": [], "fuse": []}
        for q in qs:  # interleaved per query: baseline and full under the same load
            t0 = time.perf_counter()
            embedder.encode_query(q)
            t1 = time.perf_counter()
            vec = embedder.encode_query(q)
            hybrid.rank(q, vec, dense, sparse, config)
            t2 = time.perf_counter()
            base.append(t1 - t0)
            full.append(t2 - t1)
            # the same steps one by one (what the time is spent on)
            a = time.perf_counter()
            d_hits = dense.search(vec, config.dense_top_k)
            b = time.perf_counter()
            s_hits = sparse.search(q, config.sparse_top_k)
            c = time.perf_counter()
            cand = hybrid.candidates(q, vec, dense, sparse, config)
            d = time.perf_counter()
            cand.fuse(config.fusion, config.dense_weight, config.rrf_k)
            e = time.perf_counter()
            parts["dense"].append(b - a)
            parts["sparse"].append(c - b)
            parts["fill+max"].append(max(0.0, (d - c) - (b - a) - (c - b)))
            parts["fuse"].append(e - d)
            del d_hits, s_hits
        ratio50 = pct(full, 50) / pct(base, 50)
        ratio95 = pct(full, 95) / pct(base, 95)
        rows.append([f"{n:,}", dense.kind, "query embed only", pct(base, 50) * 1e3, pct(base, 95) * 1e3, 1.0, 1.0])
        rows.append([f"{n:,}", dense.kind, "embed+dense+bm25+fuse", pct(full, 50) * 1e3, pct(full, 95) * 1e3,
                     ratio50, ratio95])
        for name, vals in parts.items():
            rows.append(["", "", f"  part: {name}", pct(vals, 50) * 1e3, pct(vals, 95) * 1e3, "", ""])
        figures[str(n)] = {
            "index": dense.kind, "embed_p50_ms": round(pct(base, 50) * 1e3, 2),
            "embed_p95_ms": round(pct(base, 95) * 1e3, 2), "full_p50_ms": round(pct(full, 50) * 1e3, 2),
            "full_p95_ms": round(pct(full, 95) * 1e3, 2), "ratio_p50": round(ratio50, 2),
            "ratio_p95": round(ratio95, 2), "met": ratio50 <= 2.0,
            **{f"{k}_p50_ms": round(pct(v, 50) * 1e3, 2) for k, v in parts.items()},
            **{k: round(v, 1) for k, v in builds.items()},
        }
        del dense, sparse
    table(f"Hybrid retrieval latency ({n_q} stackfaq queries, config defaults: top-50 each, fusion "
          f"{config.fusion})", ["chunks", "dense", "path", "p50 ms", "p95 ms", "×p50", "×p95"], rows)
    for n, f in figures.items():
        print(f"{int(n):,} chunks: full/embed p50 {f['ratio_p50']}× p95 {f['ratio_p95']}× (target ≤ 2×): "
              f"{'MET' if f['met'] else 'NOT MET'}   builds: dense add {f['dense_add_s']} s, "
              f"ANN {f['ann_build_s']} s, BM25 {f['bm25_build_s']} s")
    emit("query", {"queries": n_q, "target_ratio": 2.0, "sizes": figures})


if __name__ == "__main__":
    main()
