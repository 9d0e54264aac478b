"""Cost curves: index build time, disk, RSS, query p50/p95 and recall@10 from 10³ to 10⁶ chunks,
for ragcord, txtai and LlamaIndex on the same vectors (issue #15).

    python bench/curves.py             # 10³, 10⁴, 10⁵, 10⁶ chunks, 200 queries; ~25 min on 2 cores
    python bench/curves.py --quick     # 10³, 10⁴, 50 queries; ~2 min

Embedding 10⁶ real chunks is out of reach on 2 cores (MiniLM: ~10–20 chunk-sized passages/s), so
- `embed s*` = chunks / passages/s, measured once on real text (150-word windows of the stackfaq
  corpus, ~240 tokens) with the MiniLM runtime ragcord uses by default (`runtime = "auto"`; torch, the
  peers' default, is measured too): EXTRAPOLATED, and the same for all three systems;
- `build s` is the index build from PRE-COMPUTED vectors: 384-d unit vectors from a mixture of
  n/PER_CLUSTER Gaussian centres, noise as large as the centres (same-cluster cosine ≈ 0.5), as in
  bench/scale.py and bench/vector_search.py, so every size has the same local structure; queries are
  held-out vectors from the same centres; recall@10 is against exact search (faiss IndexFlatIP).
  Chunk text (ragcord's BM25, LlamaIndex's nodes): TEXT_WORDS Zipf words (synth.py vocabulary);
  ragcord's hybrid queries add 8 such words.
Each system and size runs in a fresh subprocess, one after another:
  ragcord     `DenseIndex` (retrieval/dense.py) with the RetrievalConfig defaults the knowledge base
              passes it (exact below 50k, HNSW M=32 to 500k, IVF-Flat above), then its BM25
              `SparseIndex`; each written by its own `save`. Rows: the dense index alone (the peers'
              equal) and dense + BM25 through `hybrid.rank` (KnowledgeBase.search less the query
              embedding and the SQLite fetch). Chunk vectors only: no sentence vectors (~5 per chunk
              by default, each a 384-d vector more in the dense store).
  txtai       `Embeddings(method="external")` given the rows (External.encode passes numpy arrays
              through): its own faiss choice (IDMap,Flat up to 5000, else IVF with 4·√n cells trained
              on every vector, nprobe = cells/16); `.save()`.
  LlamaIndex  `VectorStoreIndex` of `TextNode(text, embedding=row.tolist())` (build includes making
              the nodes): the default SimpleVectorStore, Python float lists searched by brute force;
              `as_retriever(similarity_top_k=10)` given a QueryBundle with the query vector; `persist()`.
RSS MB: resident set after the build with the input freed, minus before it was loaded (libraries
imported); peak MB: the subprocess' VmHWM (interpreter, libraries, input, build). Searches run one
at a time on one FAISS thread (builds on all). A peer size whose estimate from the previous size is
over MEM_LIMIT_MB or RUN_LIMIT_S is not run (the estimate is printed); queries stop after
QUERY_BUDGET_S (the count is shown); a save estimated over SAVE_LIMIT_S is not made and its size is
extrapolated (≈). Peers need the `bench` extra and are reported "not installed" without it.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, emit, machine, pct, quick, table, timed
from synth import STACKFAQ, TextGen, clustered

from retrieval.fsutil import tree_size as size_of

DIM, K = 384, 10
PER_CLUSTER, SPREAD = 100, 1.0  # as bench/scale.py and bench/vector_search.py
TEXT_WORDS = 50  # per synthetic chunk (a real 200-token chunk has ~150 words: BM25 build and size ~3× less)
SIZES, QUICK_SIZES = (10**3, 10**4, 10**5, 10**6), (10**3, 10**4)
MEM_LIMIT_MB, RUN_LIMIT_S, SAVE_LIMIT_S, QUERY_BUDGET_S = 6000, 900, 60, 45
SYSTEMS = {"ragcord": "retrieval", "txtai": "txtai", "llamaindex": "llama_index"}
IMPORTS = {"ragcord": ["faiss", "bm25s", "Stemmer", "retrieval.hybrid", "retrieval.dense", "retrieval.sparse"],
           "txtai": ["faiss", "txtai", "txtai.ann", "txtai.embeddings"],
           "llamaindex": ["llama_index.core", "llama_index.core.schema", "llama_index.core.embeddings"]}
PLOT = ROOT / "docs" / "eval" / "curves.png"
CACHE = Path(tempfile.gettempdir()) / "ragcord-bench-models"  # the ONNX export, made once


# ------------------------------------------------------------------ helpers (both processes)
def rss_mb(field: str = "VmRSS") -> float:
    """VmRSS now, or VmHWM: the peak, which exec resets (ru_maxrss is inherited from the forking parent)."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def held_mb(base: float) -> float:
    """Resident MB above `base` once garbage is collected (call after dropping the input)."""
    gc.collect()
    return rss_mb() - base


def texts(n: int, words: int, seed: int) -> list[str]:
    """n texts of `words` Zipf words each, drawn in batches (cheap at 10⁶)."""
    gen = TextGen(seed)
    vocab = gen.words.tolist()
    out: list[str] = []
    for start in range(0, n, 50_000):
        rows = gen.rng.choice(len(vocab), size=(min(50_000, n - start), words), p=gen.p).tolist()
        out += [" ".join([vocab[i] for i in row]) for row in rows]
    return out


# ------------------------------------------------------------------ the subprocess: one system, one size
def child(system: str, n: int, work: Path, n_q: int, save: bool) -> dict:
    mod = {"ragcord": build_ragcord, "txtai": build_txtai, "llamaindex": build_llamaindex}[system]
    for name in IMPORTS[system]:  # libraries loaded before the baseline: RSS MB is the index alone
        importlib.import_module(name)
    base = rss_mb()
    box = [np.load(work / f"vectors-{n}.npy")]  # the builder pops it, then frees it
    queries, truth = np.load(work / f"queries-{n}.npy")[:n_q], np.load(work / f"truth-{n}.npy")[:n_q]
    out = {"system": system, "n": n, "rows": []}
    for row in mod(box, queries, n, work / f"{system}-{n}", save, base):
        timed, found = row.pop("times"), row.pop("found")
        hits = [len(set(t) & set(f)) / K for t, f in zip(truth, found)] if found else []
        row.update(p50_ms=pct(timed, 50) * 1e3, p95_ms=pct(timed, 95) * 1e3, queries=len(timed),
                   recall=float(np.mean(hits)) if hits else None, peak_mb=rss_mb("VmHWM"))
        out["rows"].append(row)
    return out


def timed_queries(search, queries: np.ndarray, warm: int = 2) -> tuple[list[float], list[list[int]]]:
    import faiss

    faiss.omp_set_num_threads(1)  # builds use both cores; one query gains nothing from a shared second one
    for q in queries[:warm]:
        search(q, 0)
    times, found, start = [], [], time.perf_counter()
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        found.append(search(q, i))
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > QUERY_BUDGET_S and len(times) >= 5:
            break
    return times, found


def build_ragcord(box, queries, n, folder: Path, save: bool, base: float):
    from retrieval import hybrid
    from retrieval.config import RetrievalConfig
    from retrieval.dense import DenseIndex, ivf_nlist
    from retrieval.sparse import SparseIndex

    cfg, vectors = RetrievalConfig(), box.pop()
    # the options KnowledgeBase._dense_options() (private) passes, from the same config
    dense = DenseIndex(DIM, ann_threshold=cfg.ann_threshold, hnsw_m=cfg.hnsw_m, ef_search=cfg.hnsw_ef_search,
                       ivf_threshold=cfg.ivf_threshold, ivf_nprobe=cfg.ivf_nprobe)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    dense.add(np.arange(n, dtype=np.int64), vectors)
    dense.search(queries[0], K)  # the first search builds HNSW / IVF (in the product: the save at publish)
    dense_s = time.perf_counter() - t0
    kind = dense.kind
    if kind == "ivf":  # VectorIndex._nprobe is private: the automatic nprobe it uses
        kind = f"IVF{ivf_nlist(n)} nprobe={dense.chunks._nprobe(ivf_nlist(n))}"  # noqa: SLF001
    elif kind == "hnsw":
        kind = f"HNSW M={cfg.hnsw_m} efS={cfg.hnsw_ef_search}"
    del vectors
    dense_rss = held_mb(base)
    dense_save, _ = timed(lambda: dense.save(folder / "dense-1.faiss"))
    corpus, sparse = texts(n, TEXT_WORDS, seed=3), SparseIndex()
    sparse_s, _ = timed(lambda c=corpus: sparse.rebuild(list(range(n)), c))
    del corpus
    total_rss = held_mb(base)
    sparse_save, _ = timed(lambda: sparse.save(folder / "sparse-1"))
    dense_disk, sparse_disk = size_of(folder / "dense-1.faiss"), size_of(folder / "sparse-1")
    d_times, d_found = timed_queries(lambda q, i: [c for c, _ in dense.search(q, K)], queries)
    words = texts(len(queries), 8, seed=11)
    h_times, _ = timed_queries(lambda q, i: [f.id for f in hybrid.rank(words[i], q, dense, sparse, cfg)[:K]], queries)
    yield {"label": "ragcord DenseIndex", "index": kind, "build_s": dense_s, "save_s": dense_save,
           "disk_mb": dense_disk / 2**20, "rss_mb": dense_rss, "times": d_times, "found": d_found}
    yield {"label": "ragcord dense + BM25 (hybrid.rank)", "index": f"{kind} + bm25s",
           "build_s": dense_s + sparse_s, "save_s": dense_save + sparse_save, "bm25_build_s": sparse_s,
           "disk_mb": (dense_disk + sparse_disk) / 2**20, "rss_mb": total_rss, "times": h_times, "found": None}


def build_txtai(box, queries, n, folder: Path, save: bool, base: float):
    from txtai import Embeddings

    emb, vectors = Embeddings(method="external"), box.pop()  # External.encode passes numpy rows through
    rows = [(i, vectors[i], None) for i in range(n)]
    build, _ = timed(lambda r=rows: emb.index(r))
    del rows, vectors
    rss, components = held_mb(base), emb.config["build"]["settings"]["components"]
    saved, _ = timed(lambda: emb.save(str(folder)))
    times, found = timed_queries(lambda q, i: [int(r[0]) for r in emb.search(q, K)], queries)
    nprobe = getattr(emb.ann.backend, "nprobe", None)  # set by the searches
    yield {"label": "txtai Embeddings", "index": f"faiss {components}" + (f" nprobe={nprobe}" if "IVF" in components else ""),
           "build_s": build, "save_s": saved, "disk_mb": size_of(folder) / 2**20, "rss_mb": rss,
           "times": times, "found": found}


def build_llamaindex(box, queries, n, folder: Path, save: bool, base: float):
    from llama_index.core import Settings, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.schema import QueryBundle, TextNode

    Settings.embed_model = MockEmbedding(embed_dim=DIM)  # never called: nodes and queries carry vectors
    vectors = box.pop()
    corpus = texts(n, TEXT_WORDS, seed=3)
    t0 = time.perf_counter()
    nodes = [TextNode(text=corpus[i], id_=str(i), embedding=vectors[i].tolist()) for i in range(n)]
    index = VectorStoreIndex(nodes)
    build = time.perf_counter() - t0
    del nodes, corpus, vectors
    rss, saved, disk = held_mb(base), None, None
    if save:
        saved, _ = timed(lambda: index.storage_context.persist(persist_dir=str(folder)))
        disk = size_of(folder) / 2**20
    retriever = index.as_retriever(similarity_top_k=K)
    times, found = timed_queries(lambda q, i: [int(x.node.node_id) for x in retriever.retrieve(
        QueryBundle(query_str="", embedding=q.tolist()))], queries, warm=1)
    yield {"label": "LlamaIndex VectorStoreIndex", "index": "SimpleVectorStore (brute force)", "build_s": build,
           "save_s": saved, "disk_mb": disk, "rss_mb": rss, "times": times, "found": found}


# ------------------------------------------------------------------ the parent
def embedding_rate(n_texts: int) -> dict:
    """Passages/s of ragcord's default MiniLM runtime (and of torch, the peers' default) on real text."""
    from retrieval.embedder_runtime import TORCH, make_minilm, resolve

    words: list[str] = []
    source = "stackfaq corpus"
    if (STACKFAQ / "corpus.jsonl").is_file():
        for line in (STACKFAQ / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                words += json.loads(line)["text"].split()
    if len(words) < 150 * n_texts:
        words, source = " ".join(TextGen(5).paragraph(40) for _ in range(n_texts)).split(), "synthetic Zipf text"
    passages = [" ".join(words[i * 150:(i + 1) * 150]) for i in range(n_texts)]
    runtime = resolve("auto")  # what [embedder] runtime = "auto" (the default) picks in this environment
    out: dict = {"runtime": runtime, "passages": n_texts, "source": source}
    for name in dict.fromkeys((runtime, TORCH)):
        emb = make_minilm(name, CACHE)
        emb.encode(passages[:8])  # loads the model (and exports it to ONNX once) outside the timing
        t0 = time.perf_counter()
        emb.encode(passages)
        out[f"{name}_passages_per_s"] = round(n_texts / (time.perf_counter() - t0), 1)
        out["mean_tokens"] = round(float(np.mean([emb.count_tokens(p) for p in passages])))
    out["passages_per_s"] = out[f"{runtime}_passages_per_s"]
    return out


def prepare(work: Path, n: int, n_q: int) -> None:
    """n vectors (~PER_CLUSTER per centre), n_q held-out queries from the same centres, exact top-k."""
    import faiss

    centres = np.random.default_rng(n).standard_normal((max(1, n // PER_CLUSTER), DIM)).astype(np.float32)
    vectors = clustered(n, DIM, 0, np.random.default_rng(n + 7), spread=SPREAD, centres=centres)
    queries = clustered(n_q, DIM, 0, np.random.default_rng(n + 8), spread=SPREAD, centres=centres)
    exact = faiss.IndexFlatIP(DIM)
    exact.add(vectors)
    np.save(work / f"vectors-{n}.npy", vectors)
    np.save(work / f"queries-{n}.npy", queries)
    np.save(work / f"truth-{n}.npy", exact.search(queries, K)[1])


def estimate(system: str, n: int, prev: dict | None) -> tuple[str | None, bool]:
    """(why this run is skipped or None, whether to save) from the previous size's measurements."""
    if prev is None or system == "ragcord":  # ragcord always runs (its 10⁶ IVF build: bench/scale.py)
        return None, True
    grow, row = n / prev["n"], prev["rows"][0]
    # k-means over all n vectors into 4·√n cells (txtai) grows as n^1.5; the rest about linearly
    build = row["build_s"] * grow ** (1.5 if system == "txtai" and n > 5000 else 1.0)
    query, mem = row["p50_ms"] / 1e3 * grow, row["rss_mb"] * grow
    save_s = (row["save_s"] or prev.get("save_est_s") or 0) * grow
    save = save_s <= SAVE_LIMIT_S
    if mem <= MEM_LIMIT_MB and build + (save_s if save else 0) <= RUN_LIMIT_S:
        return None, save
    return (f"skipped, estimated from {prev['n']:,}: index RSS ≈ {mem / 1024:.1f} GB, build ≈ {build:.0f} s, "
            f"≈ {query:.1f} s per query (limits {MEM_LIMIT_MB / 1024:.0f} GB, {RUN_LIMIT_S} s)"), save


def run(system: str, n: int, work: Path, n_q: int, save: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", system, str(n), str(work), str(n_q), str(int(save))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=2 * RUN_LIMIT_S)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{system} at {n:,} failed: {proc.stderr.strip()[-800:]}")
    return json.loads(lines[-1][7:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default="", help="comma-separated chunk counts (default 10³…10⁶; quick 10³,10⁴)")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--plot", default="", help=f"PNG path (default {PLOT.relative_to(ROOT)}; quick: $TMPDIR)")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)  # system n work queries save
    args = ap.parse_args()
    if args.child:
        system, n, work, n_q, save = args.child
        out = embedding_rate(int(n)) if system == "embed" else child(system, int(n), Path(work), int(n_q), save == "1")
        print("RESULT " + json.dumps(out))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if quick() else SIZES)
    n_q, started = (50 if quick() else 200), time.perf_counter()
    embed = run("embed", 32 if quick() else 128, Path("."), 0, True)
    print(f"embedding: MiniLM on {embed['runtime']}: {embed['passages_per_s']} passages/s, torch "
          f"{embed['torch_passages_per_s']} ({embed['passages']} × ~{embed['mean_tokens']} tokens of "
          f"{embed['source']})", flush=True)
    work = Path(tempfile.mkdtemp(prefix="ragcord-bench-curves-"))
    results: list[dict] = []
    skipped: list[dict] = []
    try:
        for name in args.systems.split(","):
            if importlib.util.find_spec(SYSTEMS[name]) is None:
                skipped.append({"system": name, "n": None, "why": "not installed; pip install -e '.[bench]'"})
        prev: dict[str, dict] = {}
        for n in sizes:
            prepare(work, n, n_q)
            for name in args.systems.split(","):
                if any(s["system"] == name and s["n"] is None for s in skipped):
                    continue
                if any(s["system"] == name for s in skipped):
                    skipped.append({"system": name, "n": n, "why": "skipped: a smaller size was skipped"})
                    continue
                why, save = estimate(name, n, prev.get(name))
                if why:
                    skipped.append({"system": name, "n": n, "why": why})
                    print(f"{name} {n:,}: {why}", flush=True)
                    continue
                res = run(name, n, work, n_q, save)
                if not save:  # disk extrapolated linearly from the last size that was saved
                    last = prev[name]
                    res["save_est_s"] = (last["rows"][0]["save_s"] or last.get("save_est_s")) * n / last["n"]
                    res["rows"][0]["disk_est_mb"] = (last["rows"][0]["disk_mb"] or last["rows"][0]["disk_est_mb"]) * n / last["n"]
                prev[name] = res
                results.append(res)
                for r in res["rows"]:
                    print(f"done {n:,} {r['label']}: build {r['build_s']:.1f} s, p50 {r['p50_ms']:.2f} ms, "
                          f"recall {r['recall']}, {time.perf_counter() - started:.0f} s so far", flush=True)
            for f in work.glob(f"*-{n}.npy"):
                f.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, skipped, embed, n_q, sizes, args, started)


def report(results, skipped, embed, n_q, sizes, args, started) -> None:
    rate = embed["passages_per_s"]
    rows = []
    for n in sizes:
        for res in (r for r in results if r["n"] == n):
            for r in res["rows"]:
                disk = f"{r['disk_mb']:.1f}" if r["disk_mb"] is not None else f"≈ {r.get('disk_est_mb', 0):.0f}"
                note = "" if r["disk_mb"] is not None else f"not saved (≈ {res.get('save_est_s', 0):.0f} s): disk extrapolated"
                rows.append([f"{n:,}", r["label"], r["index"], round(r["build_s"], 2), round(n / rate), "—" if r["save_s"] is None else round(r["save_s"], 2),
                             disk, round(r["rss_mb"]), round(r["peak_mb"]), round(r["p50_ms"], 3), round(r["p95_ms"], 3),
                             "—" if r["recall"] is None else round(r["recall"], 4), r["queries"], note])
        for s in (s for s in skipped if s["n"] in (n, None) and (s["n"] is not None or n == sizes[0])):
            rows.append([f"{n:,}" if s["n"] else "all", s["system"], *["—"] * 11, s["why"]])
    table(f"Cost curves: {DIM}-d clustered vectors (~{PER_CLUSTER} per centre), k={K}, {n_q} queries one at a time; "
          f"embed s* = chunks / {rate} passages/s (MiniLM, {embed['runtime']}, EXTRAPOLATED)",
          ["chunks", "system", "index", "build s", "embed s*", "save s", "disk MB", "RSS MB", "peak MB",
           "p50 ms", "p95 ms", "recall@10", "queries", "note"], rows)
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; total {time.perf_counter() - started:.0f} s")
    plot_path = Path(args.plot) if args.plot else (Path(tempfile.gettempdir()) / "ragcord-curves-quick.png" if quick() else PLOT)
    print(plot(results, rate, plot_path))
    emit("curves", {"sizes": sizes, "queries": n_q, "embedding": embed, "skipped": skipped,
                    "load_avg_1m": round(load[0], 2), "rows": [{"n": res["n"], **r} for res in results for r in res["rows"]]})


def plot(results: list[dict], rate: float, path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib not installed"
    from retrieval.config import RetrievalConfig
    panels = [("build_s", "index build s (from vectors)"), ("disk_mb", "index on disk, MB"), ("rss_mb", "index RSS, MB"),
              ("p50_ms", "query p50, ms"), ("p95_ms", "query p95, ms"), ("recall", "recall@10 vs exact")]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    labels = list(dict.fromkeys(r["label"] for res in results for r in res["rows"]))
    for ax, (key, title) in zip(axes.flat, panels):
        for label in labels:
            pts = [(res["n"], r[key] if r[key] is not None or key != "disk_mb" else r.get("disk_est_mb"))
                   for res in results for r in res["rows"] if r["label"] == label]
            pts = [(x, y) for x, y in pts if y is not None]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=label)
        if key == "build_s":
            xs = sorted({res["n"] for res in results})
            ax.plot(xs, [x / rate for x in xs], "k--", label=f"embedding, extrapolated ({rate:.0f}/s)")
        for x in (RetrievalConfig.ann_threshold, RetrievalConfig.ivf_threshold):  # ragcord flat → HNSW → IVF
            ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("linear" if key == "recall" else "log")
        if key == "recall":
            ax.set_ylim(min([0.9] + [float(min(line.get_ydata())) - 0.02 for line in ax.get_lines() if len(line.get_ydata())]), 1.01)
        ax.set_title(title)
        ax.set_xlabel("chunks")
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    axes.flat[0].text(RetrievalConfig.ann_threshold, axes.flat[0].get_ylim()[0], " ragcord HNSW / IVF from here",
                      fontsize=7, color="grey", rotation=90, va="bottom")
    fig.suptitle(f"ragcord vs txtai vs LlamaIndex, {DIM}-d synthetic vectors  [{machine()}]")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return f"plot: {path}"


if __name__ == "__main__":
    main()
