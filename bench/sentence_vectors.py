"""Sentence-unit vectors encoded (each unit through MiniLM) vs pooled from the chunk pass (#15).

Usage: python bench/sentence_vectors.py [BEIR_DIR ...] [--ingest BEIR_DIR] [--no-eval]
       (default: /work/shared/eval/squad2 /work/shared/eval/stackfaq, --ingest the stackfaq set)

For each set, nDCG@10 (retrieval.fusion_study.evaluate) of the fused default, dense, BM25, the
best sentence alone and the fused default with sentence_weight 0.35, with `sentence_vectors` =
"encode", "pooled" and pooled without the "title — heading" tokens;
then the --ingest set through `KnowledgeBase.ingest_texts` (SQLite, FAISS, BM25) once each way,
wall and CPU seconds, with ratios against "encode" measured in the same run.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import common  # noqa: F401  (repo root on sys.path, offline model)

from retrieval.config import RetrievalConfig
from retrieval.embedder import Embedder
from retrieval.fusion_study import evaluate, load_beir
from retrieval.unit_vectors import pooled_chunks

SETS = ("/work/shared/eval/squad2", "/work/shared/eval/stackfaq")


def ndcg_table(folders: list[str], embedder: Embedder) -> None:
    base = RetrievalConfig()
    encode_cfg, pooled_cfg = replace(base, sentence_vectors="encode"), replace(base, sentence_vectors="pooled")
    print(f"{'set':10} {'variant':16} {'fused':>7} {'dense':>7} {'bm25':>7} {'sentence':>8} {'a=0.35':>7}  {'s':>6}")
    for folder in folders:
        data = load_beir(folder)
        runs = (("encode", encode_cfg, None), ("pooled", pooled_cfg, None),
                ("pooled, no head", pooled_cfg,
                 lambda p, u: pooled_chunks(embedder, p, u, with_prefix=False)))
        fused_of: dict[str, float] = {}
        for name, config, embed in runs:
            t = time.perf_counter()
            results = evaluate(data, embedder, config, embed=embed)
            fused = next(v["ndcg@10"] for k, v in results.items() if k.startswith("DEFAULT"))
            fused_of[name] = fused
            print(f"{data.name:10} {name:16} {fused:7.4f} {results['dense']['ndcg@10']:7.4f} "
                  f"{results['bm25']['ndcg@10']:7.4f} {results['best sentence']['ndcg@10']:8.4f} "
                  f"{results[f'noisy_or w={base.dense_weight} a=0.35']['ndcg@10']:7.4f}  {time.perf_counter() - t:6.1f}"
                  + (f"   fused {fused - fused_of['encode']:+.4f} vs encode" if name != "encode" else ""),
                  flush=True)


def ingest_times(folder: str, embedder: Embedder) -> None:
    from retrieval.knowledge_base import KnowledgeBase

    data = load_beir(folder)
    docs = [(d.get("title") or d["id"], d["text"], d["id"]) for d in data.corpus]
    work = Path(tempfile.mkdtemp(prefix="ragcord-sentence-vectors-"))
    base: tuple[float, float] | None = None
    try:
        for mode in ("encode", "pooled"):
            kb = KnowledgeBase(work / mode, "bench", embedder, RetrievalConfig(sentence_vectors=mode))
            t, c = time.perf_counter(), time.process_time()
            report = kb.ingest_texts(docs, markdown=False)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            base = base or (wall, cpu)
            sentences = kb.stats()["sentence_vectors"]
            print(f"ingest {data.name} {mode:7} {wall:6.1f}s wall (x{base[0] / wall:.2f} faster) {cpu:6.1f}s CPU "
                  f"(x{base[1] / cpu:.2f})  {report.chunks_embedded} chunks, {sentences} sentence vectors", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", default=list(SETS))
    parser.add_argument("--ingest", default=SETS[1], help="BEIR folder timed through KnowledgeBase ingest ('' = none)")
    parser.add_argument("--no-eval", action="store_true", help="only the ingest timing")
    args = parser.parse_args()
    embedder = Embedder()
    embedder.encode(["warm up the model"] * 8)
    if not args.no_eval:
        ndcg_table(args.sets, embedder)
    if args.ingest:
        ingest_times(args.ingest, embedder)


if __name__ == "__main__":
    main()
