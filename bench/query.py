"""Query: p50/p95 of a full hybrid retrieval (embed + dense + sentence vectors + BM25 + fill + fuse)
at 10k and 100k chunks vs embedding the query alone (the baseline, same run). Target: full ≤ 2×
baseline.

Encoding 100k real chunks is too slow on this machine, and the search cost does not depend on
what the vectors mean, so the indexes are built directly: clustered unit vectors in ragcord's
`DenseIndex` (default config: exact below `ann_threshold`=50k, HNSW at or above) and Zipfian
texts from the stackfaq vocabulary in ragcord's `SparseIndex`. The QUERIES are real (stackfaq
questions) and embedded for real with the MiniLM embedder; retrieval runs through
`retrieval.hybrid.rank` — the code `KnowledgeBase.search` calls (minus its SQLite row fetch).
Each chunk also gets SENTENCES_PER_CHUNK sentence vectors (its vector plus noise; real
corpora average 4.5–5.2 units per chunk), in the sentence store's own `DenseIndex` (exact,
HNSW or IVF by its size, like the product). `--quick` runs 10k and 20k.
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
SENTENCES_PER_CHUNK = 5


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
                       ef_search=config.hnsw_ef_search, ivf_threshold=config.ivf_threshold,
                       ivf_nprobe=config.ivf_nprobe)
    vectors = clustered(n, dim, max(64, n // 100), rng)
    dense.add(ids, vectors)
    for start in range(0, n, 10_000):  # sentence vectors: near their chunk's vector
        part = vectors[start : start + 10_000]
        noisy = part[:, None, :] + 0.6 * rng.standard_normal((len(part), SENTENCES_PER_CHUNK, dim)) / np.sqrt(dim)
        noisy /= np.linalg.norm(noisy, axis=2, keepdims=True)
        dense.sentences.add(ids[start : start + 10_000].tolist(), list(noisy.astype(np.float32)))
    t1 = time.perf_counter()
    probe = np.ones(dim, np.float32) / np.sqrt(dim)
    dense.search(probe, 1)  # builds HNSW / IVF when at/above the thresholds
    dense.sentences.search(probe, 1)
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
        base, full, parts = [], [], {"dense": [], "sentences": [], "sparse": [], "fill+max": [], "fuse": []}
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
            t_hits = dense.sentences.search(vec, config.dense_top_k)
            b2 = time.perf_counter()
            s_hits = sparse.search(q, config.sparse_top_k)
            c = time.perf_counter()
            cand = hybrid.candidates(q, vec, dense, sparse, config)
            d = time.perf_counter()
            cand.fuse(config.fusion, config.dense_weight, config.rrf_k, config.sentence_weight)
            e = time.perf_counter()
            parts["dense"].append(b - a)
            parts["sentences"].append(b2 - b)
            parts["sparse"].append(c - b2)
            parts["fill+max"].append(max(0.0, (d - c) - (c - a)))
            parts["fuse"].append(e - d)
            del d_hits, t_hits, s_hits
        ratio50 = pct(full, 50) / pct(base, 50)
        ratio95 = pct(full, 95) / pct(base, 95)
        rows.append([f"{n:,}", dense.kind, "query embed only", pct(base, 50) * 1e3, pct(base, 95) * 1e3, 1.0, 1.0])
        rows.append([f"{n:,}", f"{dense.kind} + {dense.sentences.index.kind}", "embed+dense+sentences+bm25+fuse", pct(full, 50) * 1e3, pct(full, 95) * 1e3,
                     ratio50, ratio95])
        for name, vals in parts.items():
            rows.append(["", "", f"  part: {name}", pct(vals, 50) * 1e3, pct(vals, 95) * 1e3, "", ""])
        figures[str(n)] = {
            "index": dense.kind, "sentence_index": dense.sentences.index.kind,
            "sentence_vectors": len(dense.sentences), "embed_p50_ms": round(pct(base, 50) * 1e3, 2),
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
