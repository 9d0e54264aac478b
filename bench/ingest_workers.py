"""Ingest throughput with 1 and 2 worker processes over the same real HTML corpus.

    .venv/bin/python bench/ingest_workers.py                          # /usr/share/doc/valgrind + libffi-dev html
    .venv/bin/python bench/ingest_workers.py --max-files 6            # quick

The corpus is every .html under the `--docs` folders (real pages, parsed by ragcord's HTML loader).
1 worker: one process ingests all the files into scope `bench:w1`. 2 workers: two processes each
ingest half of the files (dealt out by size, so both halves are about as large) into their own
scope (`bench:w2-0`, `bench:w2-1`) of ONE data dir (one SQLite file, per-scope index folders), as
two bot processes serving different guilds would. Each worker loads MiniLM first and waits at a
barrier; the clock runs from the barrier to the last worker's end, so model loading is not counted.
Torch threads per worker = cores // workers (`--threads` overrides), so both runs use the same
cores. Figures: documents/s, chunks/s and sentence vectors/s, and the 2-worker / 1-worker ratio;
the load average is printed because the 2 cores are shared with other processes.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common import emit, table

DEFAULT_DOCS = "/usr/share/doc/valgrind/html,/usr/share/doc/libffi-dev/html"


@dataclass
class WorkerResult:
    scope: str
    documents: int
    chunks: int
    sentence_vectors: int
    seconds: float
    errors: int


@dataclass
class RunResult:
    workers: int
    threads_each: int
    wall_s: float
    documents: int
    chunks: int
    sentence_vectors: int
    docs_per_s: float
    chunks_per_s: float
    load_before: float


def corpus(folders: list[str], max_files: int) -> list[Path]:
    files = sorted(p for f in folders for p in Path(f).rglob("*.htm*") if p.is_file())
    return files[:max_files] if max_files else files


def split(files: list[Path], parts: int) -> list[list[Path]]:
    """Deal the files out largest first to the lightest part, so the parts weigh about the same."""
    out: list[list[Path]] = [[] for _ in range(parts)]
    weight = [0] * parts
    for f in sorted(files, key=lambda p: p.stat().st_size, reverse=True):
        i = weight.index(min(weight))
        out[i].append(f)
        weight[i] += f.stat().st_size
    return out


def worker(data_dir: str, scope: str, files: list[str], threads: int, barrier: mp.synchronize.Barrier,
           results: mp.Queue) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    from retrieval.embedder import Embedder
    from retrieval.knowledge_base import KnowledgeBase

    embedder = Embedder()
    embedder.encode(["warm up the model"])
    kb = KnowledgeBase(Path(data_dir), scope, embedder)
    barrier.wait()
    t0 = time.perf_counter()
    report = kb.ingest([Path(f) for f in files])
    seconds = time.perf_counter() - t0
    stats = kb.stats()
    results.put(WorkerResult(scope, int(stats["documents"]), int(stats["chunks"]),  # type: ignore[call-overload]
                             int(stats["sentence_vectors"]), seconds, len(report.errors)))  # type: ignore[call-overload]


def run(workers: int, files: list[Path], data_dir: Path, threads: int) -> tuple[RunResult, list[WorkerResult]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    results: mp.Queue = ctx.Queue()
    parts = split(files, workers)
    procs = [ctx.Process(target=worker, args=(str(data_dir), f"bench:w{workers}-{i}" if workers > 1 else "bench:w1",
                                              [str(p) for p in part], threads, barrier, results))
             for i, part in enumerate(parts)]
    for p in procs:
        p.start()
    barrier.wait(timeout=600)  # every worker has its model loaded
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    got = [results.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a worker exited with {p.exitcode}")
    docs, chunks = sum(r.documents for r in got), sum(r.chunks for r in got)
    return RunResult(workers, threads, wall, docs, chunks, sum(r.sentence_vectors for r in got),
                     docs / wall, chunks / wall, load), got


def unit_ratio(files: list[Path]) -> tuple[int, int]:
    """(chunks, sentence units) of the files through ragcord's loader and chunker, without embedding."""
    from retrieval.chunking import chunk, sentence_units
    from retrieval.config import RetrievalConfig
    from retrieval.embedder import Embedder
    from retrieval.loaders import load

    cfg, count = RetrievalConfig(), Embedder().count_tokens
    chunks = units = 0
    for f in files:
        for draft in chunk(load(f, limits=cfg.limits), max_tokens=cfg.chunk_tokens,
                           overlap_tokens=cfg.overlap_tokens, count_tokens=count):
            chunks += 1
            units += len(sentence_units(draft.text))
    return chunks, units


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default=DEFAULT_DOCS, help="comma-separated folders of .html files")
    ap.add_argument("--max-files", type=int, default=0, help="use only the first N files (0: all)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per worker (0: cores // workers)")
    ap.add_argument("--units-only", action="store_true",
                    help="only count sentence units per chunk (loader + chunker, no embedding)")
    args = ap.parse_args()
    files = corpus(args.docs.split(","), args.max_files)
    if args.units_only:
        chunks, units = unit_ratio(files)
        print(f"{len(files)} files from {args.docs}: {chunks} chunks, {units} sentence units,"
              f" {units / max(1, chunks):.2f} units per chunk")
        emit("ingest_units", {"files": len(files), "chunks": chunks, "sentence_units": units})
        return
    if len(files) < 2:
        raise SystemExit(f"need at least 2 .html files under {args.docs}")
    cores = os.cpu_count() or 1
    size = sum(f.stat().st_size for f in files)
    runs: list[RunResult] = []
    per_worker: list[WorkerResult] = []
    work = Path(tempfile.mkdtemp(prefix="ragcord-ingest-workers-"))
    try:
        for workers in (1, 2):
            threads = args.threads or max(1, cores // workers)
            res, got = run(workers, files, work / f"data-{workers}", threads)
            runs.append(res)
            per_worker += got
    finally:
        shutil.rmtree(work, ignore_errors=True)
    one, two = runs
    table(f"Ingest, {len(files)} HTML files ({size / 1e6:.1f} MB) from {args.docs}, KnowledgeBase.ingest",
          ["workers", "threads each", "wall s", "docs", "chunks", "sentence vecs", "docs/s", "chunks/s", "load at start"],
          [(r.workers, r.threads_each, round(r.wall_s, 1), r.documents, r.chunks, r.sentence_vectors,
            round(r.docs_per_s, 3), round(r.chunks_per_s, 2), round(r.load_before, 1)) for r in runs])
    for w in per_worker:
        print(f"  {w.scope}: {w.documents} docs, {w.chunks} chunks, {w.sentence_vectors} sentence vectors, "
              f"{w.seconds:.1f} s, {w.errors} errors")
    ratio = two.chunks_per_s / one.chunks_per_s
    print(f"2 workers / 1 worker throughput (chunks/s): {ratio:.2f}×; sentence vectors per chunk "
          f"{one.sentence_vectors / max(1, one.chunks):.2f}; load average now {os.getloadavg()[0]:.1f} on {cores} cores")
    emit("ingest_workers", {"files": len(files), "bytes": size, "ratio_chunks_per_s": round(ratio, 3),
                            "runs": [asdict(r) for r in runs], "workers": [asdict(w) for w in per_worker]})


if __name__ == "__main__":
    main()
