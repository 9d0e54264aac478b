"""pgvector vs FAISS: single-query p50/p95 latency and recall@10 against exact search, same queries, same run.

    .venv/bin/python bench/vector_search.py                      # 10^5 and 10^6 vectors
    .venv/bin/python bench/vector_search.py --sizes 10000        # quick: seconds

Vectors: 384-d (MiniLM's dimension) unit vectors from a mixture of Gaussian clusters (~100 vectors
per cluster, noise as large as the centres: same-cluster cosine ≈ 0.5, like related passages), the
queries drawn from the same centres (bench/synth.py `clustered`, as bench/scale.py). Uniform noise
has no neighbourhoods, which would make every ANN index look either perfect or useless.

Ground truth: exact inner product (FAISS IndexFlatIP, batch). Timed: every query one at a time.
- FAISS: ragcord's own `VectorIndex` with the config defaults (flat below ann_threshold, HNSW M=32
  efSearch 128 from ann_threshold, IVF-Flat nlist≈4·√n auto nprobe from ivf_threshold), plus the
  flat store as the exact baseline. Searches run on `--threads` FAISS threads (default 1: a
  PostgreSQL query runs on one backend process too).
- pgvector (PostgreSQL 16 + pgvector 0.6.2 from the pgserver wheel, tests/pg.py): one table holding
  the benchmark scope plus a second scope of `--other` × n rows; a partial HNSW index and a partial
  IVFFlat index WHERE scope = the benchmark scope (how retrieval/pg/ann.py filters per scope), each
  searched with `WHERE scope = … ORDER BY embedding <#> q LIMIT 10` over 2–3 ef_search / probes.
  HNSW is built only up to `--pg-hnsw-max` vectors; above it the build time is extrapolated by
  n·log n from the largest size measured (said in the output). Ratios are against FAISS's product
  index (VectorIndex) at the same size, measured in the same run.
"""
from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import faiss
import numpy as np
import psycopg
from common import emit, pct, table
from synth import clustered

from retrieval.config import RetrievalConfig
from retrieval.pg.connection import Vector
from retrieval.pg.connection import register_vector as configure
from retrieval.vectors import VectorIndex

DIM = 384
K = 10
SPREAD = 1.0
SCOPE, OTHER = "guild:bench", "guild:other"


@dataclass
class Row:
    size: int
    engine: str
    index: str
    build_s: float | None
    p50_ms: float
    p95_ms: float
    recall: float
    ratio_p50: float = float("nan")  # p50 / FAISS product-index p50 at the same size
    note: str = ""


@dataclass
class SizeResult:
    size: int
    rows: list[Row] = field(default_factory=list)


def recall_at_k(truth: np.ndarray, found: list[list[int]]) -> float:
    return float(np.mean([len(set(t.tolist()) & set(f)) / K for t, f in zip(truth, found)]))


def timed_search(search: Callable[[np.ndarray], list[int]], queries: np.ndarray) -> tuple[list[float], list[list[int]]]:
    took, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        found.append(search(q))
        took.append((time.perf_counter() - t0) * 1e3)
    return took, found


def make_data(n: int, n_other: int, nq: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 100), DIM)).astype(np.float32)
    data = clustered(n, DIM, 0, rng, spread=SPREAD, centres=centres)
    queries = clustered(nq, DIM, 0, rng, spread=SPREAD, centres=centres)
    other = clustered(n_other, DIM, max(1, n_other // 100), rng, spread=SPREAD)
    return data, queries, other


# ------------------------------------------------------------------ FAISS
def faiss_rows(n: int, data: np.ndarray, queries: np.ndarray, truth: np.ndarray, threads: int) -> list[Row]:
    cfg = RetrievalConfig()
    ids = np.arange(n, dtype=np.int64)
    rows = []
    flat = VectorIndex(DIM, ann_threshold=n + 1, ivf_threshold=n + 1)
    flat.add(ids, data)
    faiss.omp_set_num_threads(threads)
    took, found = timed_search(lambda q: [i for i, _ in flat.search(q, K)], queries)
    rows.append(Row(n, "faiss", "VectorIndex flat (exact)", None, pct(took, 50), pct(took, 95), recall_at_k(truth, found)))
    flat = VectorIndex(DIM)  # frees the exact copy before the ANN one is built
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # build on every core, as the product does
    ann = VectorIndex(DIM, ann_threshold=cfg.ann_threshold, hnsw_m=cfg.hnsw_m, ef_search=cfg.hnsw_ef_search,
                      ivf_threshold=cfg.ivf_threshold, ivf_nprobe=cfg.ivf_nprobe)
    t0 = time.perf_counter()
    ann.add(ids, data)
    ann.search(queries[0], K)  # the first search builds the approximate index
    build = time.perf_counter() - t0
    faiss.omp_set_num_threads(threads)
    kind = ann.kind
    if kind != "flat":
        took, found = timed_search(lambda q: [i for i, _ in ann.search(q, K)], queries)
        if kind == "hnsw":
            label = f"VectorIndex HNSW M={cfg.hnsw_m} efS={cfg.hnsw_ef_search}"
        else:
            nlist = ann._ann.nlist  # type: ignore[union-attr]  # noqa: SLF001
            label = f"VectorIndex IVF{nlist} nprobe={ann._nprobe(nlist)}"  # noqa: SLF001
        rows.append(Row(n, "faiss", f"{label} (product)", build, pct(took, 50), pct(took, 95), recall_at_k(truth, found)))
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return rows


# ------------------------------------------------------------------ PostgreSQL
def copy_stream(ids: np.ndarray, scope: str, vecs: np.ndarray, batch: int = 20_000) -> Iterator[bytes]:
    """PostgreSQL binary COPY rows (id bigint, scope text, embedding vector) built with numpy."""
    sb = scope.encode()
    row = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("id", ">i8"), ("l2", ">i4"), ("scope", f"S{len(sb)}"),
                    ("l3", ">i4"), ("dim", ">i2"), ("unused", ">i2"), ("vec", ">f4", (DIM,))])
    for start in range(0, len(ids), batch):
        part = np.zeros(min(batch, len(ids) - start), dtype=row)
        part["nf"], part["l1"], part["l2"], part["l3"], part["dim"] = 3, 8, len(sb), 4 + 4 * DIM, DIM
        part["id"], part["scope"] = ids[start:start + len(part)], sb
        part["vec"] = vecs[start:start + len(part)]
        yield part.tobytes()


def load_table(conn: psycopg.Connection, data: np.ndarray, other: np.ndarray) -> float:
    conn.execute("DROP TABLE IF EXISTS bench_vectors")
    conn.execute(f"CREATE TABLE bench_vectors (id bigint PRIMARY KEY, scope text NOT NULL, embedding vector({DIM}))")
    t0 = time.perf_counter()
    with conn.cursor() as cur, cur.copy("COPY bench_vectors (id, scope, embedding) FROM STDIN WITH (FORMAT binary)") as cp:
        cp.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8)
        for part in copy_stream(np.arange(len(data), dtype=np.int64), SCOPE, data):
            cp.write(part)
        for part in copy_stream(np.arange(len(data), len(data) + len(other), dtype=np.int64), OTHER, other):
            cp.write(part)
        cp.write(b"\xff\xff")
    conn.execute("CREATE INDEX ON bench_vectors (scope)")
    conn.execute("VACUUM ANALYZE bench_vectors")
    return time.perf_counter() - t0


def pg_search(conn: psycopg.Connection, setting: str, value: int) -> Callable[[np.ndarray], list[int]]:
    conn.execute(f"SET {setting} = {int(value)}")
    query = ("SELECT id FROM bench_vectors WHERE scope = %s ORDER BY embedding <#> %b LIMIT " + str(K))

    def search(q: np.ndarray) -> list[int]:
        return [int(r[0]) for r in conn.execute(query, (SCOPE, Vector(q))).fetchall()]
    return search


def pg_index_rows(conn: psycopg.Connection, n: int, queries: np.ndarray, truth: np.ndarray, kind: str,
                  build_sql: str, setting: str, values: list[int], label: str) -> list[Row]:
    conn.execute("DROP INDEX IF EXISTS bench_ann")
    t0 = time.perf_counter()
    conn.execute(build_sql)
    build = time.perf_counter() - t0
    plan = "\n".join(str(r[0]) for r in conn.execute(
        "EXPLAIN SELECT id FROM bench_vectors WHERE scope = %s ORDER BY embedding <#> %b LIMIT 10",
        (SCOPE, Vector(queries[0]))).fetchall())
    if "bench_ann" not in plan:
        raise RuntimeError(f"the planner does not use the {kind} index:\n{plan}")
    rows = []
    for value in values:
        took, found = timed_search(pg_search(conn, setting, value), queries)
        rows.append(Row(n, "pgvector", f"{label} {setting.split('.')[1]}={value}", build if value == values[0] else None,
                        pct(took, 50), pct(took, 95), recall_at_k(truth, found)))
    conn.execute("DROP INDEX bench_ann")
    return rows


def pg_rows(dsn: str, n: int, data: np.ndarray, other: np.ndarray, queries: np.ndarray, truth: np.ndarray,
            args: argparse.Namespace) -> tuple[list[Row], float]:
    rows: list[Row] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        configure(conn)
        conn.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")
        conn.execute(f"SET max_parallel_maintenance_workers = {args.parallel_workers}")
        loaded = load_table(conn, data, other)
        where = f"WHERE scope = '{SCOPE}'"
        if n <= args.pg_hnsw_max:
            sql = (f"CREATE INDEX bench_ann ON bench_vectors USING hnsw (embedding vector_ip_ops)"
                   f" WITH (m = {args.m}, ef_construction = {args.ef_construction}) {where}")
            rows += pg_index_rows(conn, n, queries, truth, "hnsw", sql, "hnsw.ef_search", args.ef_search,
                                  f"HNSW m={args.m} efC={args.ef_construction}")
        lists = args.lists or max(10, n // 1000 if n <= 1_000_000 else int(math.sqrt(n)))
        probes = sorted({max(1, round(math.sqrt(lists) * f)) for f in (0.5, 1, 2)})
        sql = f"CREATE INDEX bench_ann ON bench_vectors USING ivfflat (embedding vector_ip_ops) WITH (lists = {lists}) {where}"
        rows += pg_index_rows(conn, n, queries, truth, "ivfflat", sql, "ivfflat.probes", probes, f"IVFFlat lists={lists}")
        conn.execute("DROP TABLE bench_vectors")
    return rows, loaded


def run_size(n: int, dsn: str, args: argparse.Namespace) -> tuple[SizeResult, float]:
    data, queries, other = make_data(n, int(n * args.other), args.queries, args.seed + n)
    exact = faiss.IndexFlatIP(DIM)
    exact.add(data)
    truth = exact.search(queries, K)[1]
    del exact
    result = SizeResult(n)
    result.rows += faiss_rows(n, data, queries, truth, args.threads)
    rows, loaded = pg_rows(dsn, n, data, other, queries, truth, args)
    result.rows += rows
    base = next((r for r in result.rows if r.note == "" and "(product)" in r.index), result.rows[0])
    for r in result.rows:
        r.ratio_p50 = r.p50_ms / base.p50_ms
    return result, loaded


def extrapolate_hnsw(results: list[SizeResult], pg_hnsw_max: int) -> list[str]:
    measured = [(res.size, r.build_s) for res in results for r in res.rows
                if r.engine == "pgvector" and r.index.startswith("HNSW") and r.build_s is not None]
    if not measured:
        return []
    size, build = max(measured)
    return [f"pgvector HNSW build at {res.size:,}: ≈ {build * res.size * math.log(res.size) / (size * math.log(size)):.0f} s"
            f" EXTRAPOLATED by n·log n from {build:.1f} s measured at {size:,} (not built: above --pg-hnsw-max)"
            for res in results if res.size > pg_hnsw_max]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated vector counts (quick: 10000)")
    ap.add_argument("--queries", type=int, default=200, help="queries, each timed one at a time")
    ap.add_argument("--other", type=float, default=0.1, help="rows of a second scope, as a fraction of n")
    ap.add_argument("--m", type=int, default=RetrievalConfig().hnsw_m, help="pgvector HNSW m (ragcord's hnsw_m)")
    ap.add_argument("--ef-construction", type=int, default=128, help="pgvector HNSW ef_construction (retrieval/pg/ann.py)")
    ap.add_argument("--ef-search", default="40,128,256", help="pgvector hnsw.ef_search values")
    ap.add_argument("--lists", type=int, default=0, help="pgvector IVFFlat lists (0: n/1000, pgvector's advice)")
    ap.add_argument("--pg-hnsw-max", type=int, default=100_000, help="largest n at which pgvector HNSW is built")
    ap.add_argument("--maintenance-work-mem", default="4GB")
    ap.add_argument("--parallel-workers", type=int, default=1, help="max_parallel_maintenance_workers for the builds")
    ap.add_argument("--threads", type=int, default=1, help="FAISS threads while searching")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dsn", default="", help="an existing PostgreSQL with pgvector (default: start a throwaway one)")
    args = ap.parse_args()
    args.ef_search = [int(v) for v in args.ef_search.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    from tests.pg import postgres_server

    results: list[SizeResult] = []
    load_s: dict[int, float] = {}
    started = time.perf_counter()
    with (postgres_server() if not args.dsn else _given(args.dsn)) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
            server = conn.execute("SHOW server_version").fetchone()
        for n in sizes:
            res, load_s[n] = run_size(n, dsn, args)
            results.append(res)
            for r in res.rows:  # as each size finishes, in case a later size is stopped
                print(f"done {n:,}: {r.engine} {r.index}: build {r.build_s} s, p50 {r.p50_ms:.3f} ms,"
                      f" p95 {r.p95_ms:.3f} ms, recall@10 {r.recall:.4f}", flush=True)
    load = os.getloadavg()
    rows = [(f"{r.size:,}", r.engine, r.index, "" if r.build_s is None else round(r.build_s, 1),
             round(r.p50_ms, 3), round(r.p95_ms, 3), round(r.ratio_p50, 2), round(r.recall, 4))
            for res in results for r in res.rows]
    table(f"Vector search, {DIM}-d clustered unit vectors, k={K}, {args.queries} queries one at a time, "
          f"PostgreSQL {server[0] if server else '?'} + pgvector {version[0] if version else '?'}",
          ["vectors", "engine", "index", "build s", "p50 ms", "p95 ms", "p50 / faiss", "recall@10"], rows)
    for n, s in load_s.items():
        print(f"COPY of {n:,} + {int(n * args.other):,} other-scope rows into PostgreSQL: {s:.1f} s")
    notes = extrapolate_hnsw(results, args.pg_hnsw_max)
    for line in notes:
        print(line)
    print(f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; total {time.perf_counter() - started:.0f} s")
    emit("vector_search", {"sizes": sizes, "load_avg_1m": round(load[0], 2), "extrapolated": notes,
                           "rows": [asdict(r) for res in results for r in res.rows]})


class _given:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def __enter__(self) -> str:
        return self.dsn

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
