"""Scale: ANN vs exact dense search — speed-up and recall@10 (target: ANN ≥ 10× faster at ≥ 0.95).

Synthetic but structured data (a mixture of Gaussian clusters on the unit sphere, 384-d like
MiniLM, ~100 vectors per cluster, queries drawn from the SAME cluster centres as the data), since
uniformly random high-dimensional vectors have no neighbourhoods to find.

Two parts, both against exact search in ragcord's own `DenseIndex` (flat) in the same run:
  A. at 1M vectors: ragcord's `DenseIndex` with the config defaults, which is in IVF mode there
     (`ivf_threshold` 500k: IVF-Flat, nlist ≈ 4·√n = 4096, automatic nprobe = nlist/16) — the product
     path and the headline figure. Build = adding the vectors + the IVF build the first search
     triggers. Also swept over other nprobe values (`ivf_nprobe`) on the same index. ragcord's HNSW
     (M=32), used between `ann_threshold` and `ivf_threshold`, is not built at 1M (≈ 15 minutes on
     2 shared cores); its build time is extrapolated from part B.
  B. at 100k vectors: ragcord's `DenseIndex` in ANN mode (HNSW, config defaults M=32,
     efConstruction=80, efSearch=128 — the product path below 500k) and a plain-faiss IVF
     (nlist ≈ √n) swept over nprobe.
`--quick`: A at 100k, B at 30k.
"""
from __future__ import annotations

import math
import time

import faiss
import numpy as np
from common import emit, pct, quick, table
from synth import clustered

from retrieval.config import RetrievalConfig
from retrieval.vectors import VectorIndex as DenseIndex  # chunk vectors only: the benchmark reads its internals

DIM = 384
K = 10
# ~100 vectors per cluster, noise as large as the centres (same-cluster cosine ≈ 0.5, like related
# MiniLM passages): many more clusters than IVF lists, so cells do not line up with clusters
SPREAD = 1.0
NPROBES = (4, 8, 16, 32, 64, 128, 256)  # part B, plain faiss
SWEEP = (32, 64, 128, 256, 512, 1024)  # part A, ragcord's DenseIndex (its automatic nprobe is always measured)


def recall(truth: np.ndarray, found: np.ndarray) -> float:
    return float(np.mean([len(set(t) & set(f[f >= 0])) / K for t, f in zip(truth, found)]))


def dense_recall(dense: DenseIndex, queries: np.ndarray, truth: np.ndarray) -> float:
    found = np.array([([i for i, _ in dense.search(q, K)] + [-1] * K)[:K] for q in queries])
    return recall(truth, found)


def single_query_ms(search, queries: np.ndarray, n: int) -> list[float]:
    out = []
    for q in queries[:n]:
        t0 = time.perf_counter()
        search(q)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def build_ivf(vectors: np.ndarray, ids: np.ndarray, rng: np.random.Generator,
              nlist: int | None = None) -> tuple[faiss.IndexIVFFlat, float, int]:
    n = len(vectors)
    nlist = nlist or 1 << max(6, round(math.log2(math.sqrt(n))))  # ~√n lists: 1M → 1024
    t0 = time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10
    sample = vectors[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
    ivf.train(sample)
    ivf.add_with_ids(vectors, ids)
    return ivf, time.perf_counter() - t0, nlist


def ivf_rows(ivf: faiss.IndexIVFFlat, build_s: float, nlist: int, queries: np.ndarray, truth: np.ndarray,
             n_timed: int, flat_p50: float, label: str) -> tuple[list, list[dict]]:
    rows, figs = [], []
    for nprobe in NPROBES:
        ivf.nprobe = nprobe
        _, found = ivf.search(queries, K)
        r = recall(truth, found)
        times = single_query_ms(lambda q: ivf.search(q.reshape(1, -1), K), queries, n_timed)
        rows.append([label, f"faiss IVF{nlist},Flat nprobe={nprobe}", build_s, pct(times, 50), pct(times, 95),
                     flat_p50 / pct(times, 50), r])
        figs.append({"nprobe": nprobe, "p50_ms": round(pct(times, 50), 3), "speedup": round(flat_p50 / pct(times, 50), 1),
                     "recall_at_10": round(r, 4)})
    return rows, figs


def dataset(n: int, n_q: int, *, seed: int, centre_seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n clustered vectors (~100 per cluster), n_q queries from the same centres, and their ids."""
    centres = np.random.default_rng(centre_seed).standard_normal((n // 100, DIM)).astype(np.float32)
    vectors = clustered(n, DIM, 0, np.random.default_rng(seed), spread=SPREAD, centres=centres)
    queries = clustered(n_q, DIM, 0, np.random.default_rng(seed + 1), spread=SPREAD, centres=centres)
    return vectors, queries, np.arange(n, dtype=np.int64)


def main() -> None:
    big = 100_000 if quick() else 1_000_000
    small = 30_000 if quick() else 100_000
    n_q, n_timed = 200, (30 if quick() else 50)
    rows, figures = [], {}

    # ---------------------------------------------------------------- A: 1M, flat vs ragcord IVF
    vectors, queries, ids = dataset(big, n_q, seed=7, centre_seed=1)
    exact = DenseIndex(DIM, ann_threshold=big + 1)
    t0 = time.perf_counter()
    exact.add(ids, vectors)
    flat_build = time.perf_counter() - t0
    assert exact.kind == "flat"
    _, truth = exact._store.search(queries, K)  # batched ground truth (same exact index)
    cfg = RetrievalConfig()  # product defaults; --quick lowers ivf_threshold so 100k is IVF too
    dense = DenseIndex(DIM, ann_threshold=cfg.ann_threshold, hnsw_m=cfg.hnsw_m, ef_search=cfg.hnsw_ef_search,
                       ivf_threshold=min(cfg.ivf_threshold, big), ivf_nprobe=cfg.ivf_nprobe)
    t0 = time.perf_counter()
    dense.add(ids, vectors)
    add_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dense.search(queries[0], K)  # the first search trains and fills the IVF
    ivf_build = time.perf_counter() - t0
    del vectors
    assert dense.kind == "ivf"
    nlist = int(dense._ann.nlist)
    auto_nprobe = dense._nprobe(nlist)
    # timings interleaved (flat, IVF, flat, ...) so load from other processes hits both alike
    flat_ms: list[float] = []
    ivf_ms: list[float] = []
    for q in queries[:n_timed]:
        flat_ms += single_query_ms(lambda v: exact.search(v, K), q[None], 1)
        ivf_ms += single_query_ms(lambda v, d=dense: d.search(v, K), q[None], 1)
    flat_p50 = pct(flat_ms, 50)
    rows.append([f"{big:,}", "DenseIndex flat (exact)", flat_build, flat_p50, pct(flat_ms, 95), 1.0, 1.0])
    head_recall = dense_recall(dense, queries, truth)
    head = {"nlist": nlist, "nprobe": auto_nprobe, "add_s": round(add_s, 1), "ivf_build_s": round(ivf_build, 1),
            "build_s": round(add_s + ivf_build, 1), "p50_ms": round(pct(ivf_ms, 50), 3),
            "p95_ms": round(pct(ivf_ms, 95), 3), "speedup_p50": round(flat_p50 / pct(ivf_ms, 50), 1),
            "speedup_p95": round(pct(flat_ms, 95) / pct(ivf_ms, 95), 1), "recall_at_10": round(head_recall, 4)}
    head["met"] = head["speedup_p50"] >= 10 and head["recall_at_10"] >= 0.95
    rows.append([f"{big:,}", f"DenseIndex IVF{nlist} nprobe={auto_nprobe} (auto)", add_s + ivf_build,
                 pct(ivf_ms, 50), pct(ivf_ms, 95), flat_p50 / pct(ivf_ms, 50), head_recall])
    # the same pair with FAISS on one OpenMP thread: exact search parallelises even a single query,
    # and on a shared 2-core box its second thread waits for a time slice (ms), inflating the ratio
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    flat1_ms: list[float] = []
    ivf1_ms: list[float] = []
    for q in queries[:n_timed]:
        flat1_ms += single_query_ms(lambda v: exact.search(v, K), q[None], 1)
        ivf1_ms += single_query_ms(lambda v, d=dense: d.search(v, K), q[None], 1)
    faiss.omp_set_num_threads(threads)
    rows.append([f"{big:,}", "DenseIndex flat (exact), 1 thread", "", pct(flat1_ms, 50), pct(flat1_ms, 95), 1.0, 1.0])
    rows.append([f"{big:,}", f"DenseIndex IVF{nlist} nprobe={auto_nprobe} (auto), 1 thread", "", pct(ivf1_ms, 50),
                 pct(ivf1_ms, 95), pct(flat1_ms, 50) / pct(ivf1_ms, 50), head_recall])
    head["one_thread"] = {"flat_p50_ms": round(pct(flat1_ms, 50), 2), "p50_ms": round(pct(ivf1_ms, 50), 3),
                          "speedup_p50": round(pct(flat1_ms, 50) / pct(ivf1_ms, 50), 1),
                          "speedup_p95": round(pct(flat1_ms, 95) / pct(ivf1_ms, 95), 1)}
    head["met_one_thread"] = head["one_thread"]["speedup_p50"] >= 10 and head["recall_at_10"] >= 0.95
    sweep = []
    for nprobe in SWEEP:
        if nprobe == auto_nprobe or nprobe > nlist:
            continue
        dense.ivf_nprobe = nprobe
        r = dense_recall(dense, queries, truth)
        times = single_query_ms(lambda q, d=dense: d.search(q, K), queries, n_timed)
        rows.append([f"{big:,}", f"DenseIndex IVF{nlist} nprobe={nprobe}", "", pct(times, 50), pct(times, 95),
                     flat_p50 / pct(times, 50), r])
        sweep.append({"nprobe": nprobe, "p50_ms": round(pct(times, 50), 3),
                      "speedup": round(flat_p50 / pct(times, 50), 1), "recall_at_10": round(r, 4)})
    dense.ivf_nprobe = cfg.ivf_nprobe
    figures["big"] = {"vectors": big, "flat_p50_ms": round(flat_p50, 2), "flat_p95_ms": round(pct(flat_ms, 95), 2),
                      "ragcord_ivf": head, "ivf_nprobe_sweep": sweep}
    del dense, exact

    # ---------------------------------------------------------------- B: 100k, ragcord HNSW vs IVF
    vectors, queries, ids = dataset(small, n_q, seed=17, centre_seed=2)
    exact = DenseIndex(DIM, ann_threshold=small + 1)
    exact.add(ids, vectors)
    _, truth = exact._store.search(queries, K)
    flat_ms = single_query_ms(lambda q: exact.search(q, K), queries, n_timed)
    flat_p50_s = pct(flat_ms, 50)
    rows.append([f"{small:,}", "DenseIndex flat (exact)", "", flat_p50_s, pct(flat_ms, 95), 1.0, 1.0])
    ann = DenseIndex(DIM, ann_threshold=min(50_000, small))  # defaults otherwise (HNSW from 50k)
    ann.add(ids, vectors)
    t0 = time.perf_counter()
    ann.search(queries[0], K)  # the first search builds HNSW
    hnsw_build = time.perf_counter() - t0
    assert ann.kind == "hnsw"
    hnsw_recall = dense_recall(ann, queries, truth)
    hnsw_ms = single_query_ms(lambda q: ann.search(q, K), queries, n_timed)
    hnsw_speed = flat_p50_s / pct(hnsw_ms, 50)
    rows.append([f"{small:,}", "DenseIndex HNSW M=32 efS=128", hnsw_build, pct(hnsw_ms, 50), pct(hnsw_ms, 95),
                 hnsw_speed, hnsw_recall])
    ivf, ivf_build_s, nlist_s = build_ivf(vectors, ids, np.random.default_rng(19))
    r, ivf_small = ivf_rows(ivf, ivf_build_s, nlist_s, queries, truth, n_timed, flat_p50_s, f"{small:,}")
    rows += r
    # HNSW insertion is ~O(log n) per vector: build(big) ≈ build(small) · (big/small) · log(big)/log(small)
    hnsw_big_est = hnsw_build * (big / small) * math.log(big) / math.log(small)
    figures["small"] = {"vectors": small, "flat_p50_ms": round(flat_p50_s, 2),
                        "hnsw": {"build_s": round(hnsw_build, 1), "p50_ms": round(pct(hnsw_ms, 50), 3),
                                 "speedup": round(hnsw_speed, 1), "recall_at_10": round(hnsw_recall, 4)},
                        "ivf_build_s": round(ivf_build_s, 1), "nlist": nlist_s, "ivf": ivf_small,
                        "hnsw_build_s_extrapolated_to_big": round(hnsw_big_est)}

    table(f"Dense search, {DIM}-d clustered unit vectors, k={K}, {n_q} queries (recall), "
          f"{n_timed} timed one at a time", ["vectors", "index", "build s", "p50 ms", "p95 ms", "speed-up", "recall@10"],
          rows)
    verdict = "MET" if head["met"] else "NOT MET"
    print(f"{big:,}: ragcord DenseIndex in IVF mode (IVF{nlist}, automatic nprobe {auto_nprobe}) is "
          f"{head['speedup_p50']}× faster than exact at p50 (p95 {head['speedup_p95']}×), recall@10 "
          f"{head['recall_at_10']} (target ≥ 10× at ≥ 0.95): {verdict}; built in {head['build_s']:.0f} s "
          f"(add {add_s:.0f} s + IVF {ivf_build:.0f} s); with FAISS on 1 thread: "
          f"{head['one_thread']['speedup_p50']}× at p50 ({'MET' if head['met_one_thread'] else 'NOT MET'})")
    print(f"{small:,}: ragcord HNSW {hnsw_speed:.1f}× at recall {hnsw_recall:.3f}, build {hnsw_build:.0f} s "
          f"→ ≈ {hnsw_big_est:.0f} s extrapolated to {big:,} (ragcord IVF at {big:,}: {ivf_build:.0f} s)")
    emit("scale", {"target": "speedup >= 10 at recall@10 >= 0.95", "met": head["met"], **figures})

if __name__ == "__main__":
    main()
