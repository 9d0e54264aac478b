"""Measure bm25 / dense / fused retrieval on BEIR-layout sets (documents as units).

    python -m retrieval.fusion_study /work/shared/eval/squad2 /work/shared/eval/stackfaq [--cache DIR]

Each corpus document is chunked like an ingested one; a document's score for a
query is the best score of its chunks. Prints nDCG@10, MRR@10 and recall@10
for each retriever and fusion variant.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .chunking import chunk
from .config import RetrievalConfig
from .dense import DenseIndex
from .embedder import Embedder, passage_text
from .hybrid import Candidates, candidates
from .metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k
from .sparse import SparseIndex
from .types import LoadedDocument, Section
from .unit_vectors import ChunkUnits, ChunkVectors, chunk_units, embed_chunks, encode_chunks

ChunkEmbed = Callable[[list[str], list[ChunkUnits]], ChunkVectors]  # passages, their units → vectors


@dataclass
class BeirSet:
    name: str
    corpus: list[dict]
    queries: list[dict]
    qrels: dict[str, dict[str, float]]


def load_beir(folder: str | Path) -> BeirSet:
    folder = Path(folder)
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    qrels: dict[str, dict[str, float]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            qid, did, grade = line.split("\t")[:3]
            qrels.setdefault(qid, {})[did] = float(grade)
    return BeirSet(folder.name, corpus, [q for q in queries if q["id"] in qrels], qrels)


def encode(embedder: Embedder, texts: list[str], cache_dir: str | Path | None = None) -> np.ndarray:
    """embedder.encode(texts), kept in `cache_dir` as .npy keyed by the model and the texts."""
    if cache_dir is None:
        return embedder.encode(texts)
    runtime = getattr(embedder, "runtime", "")  # ONNX vectors are cached apart from torch's
    name = f"{embedder.model_name}:{runtime}" if runtime else str(embedder.model_name)
    key = hashlib.sha256("\x1e".join([name, *texts]).encode("utf-8")).hexdigest()[:24]
    path = Path(cache_dir) / f"emb-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    os.replace(tmp, path)
    return vectors


def chunk_embed(embedder: Embedder, config: RetrievalConfig, cache_dir: str | Path | None = None) -> ChunkEmbed:
    """How ingest embeds chunks under `config` (config.sentence_vectors); "encode" vectors are
    kept in `cache_dir`."""
    if config.sentence_vectors == "encode" and cache_dir is not None:
        return lambda passages, units: encode_chunks(lambda texts: encode(embedder, texts, cache_dir), passages,
                                                     [u.texts for u in units])
    return lambda passages, units: embed_chunks(embedder, passages, units, config.sentence_vectors)


def build_indexes(data: BeirSet, embedder: Embedder, config: RetrievalConfig,
                  cache_dir: str | Path | None = None,
                  embed: ChunkEmbed | None = None) -> tuple[DenseIndex, SparseIndex, dict[int, str]]:
    """The set's chunks indexed; `embed` (default: `chunk_embed`) makes their vectors."""
    chunk_doc: dict[int, str] = {}
    passages: list[str] = []
    units: list[ChunkUnits] = []
    for doc in data.corpus:
        loaded = LoadedDocument(source=doc["id"], title=doc.get("title") or "", sections=[Section(text=doc["text"])])
        for draft in chunk(loaded, max_tokens=config.chunk_tokens, overlap_tokens=config.overlap_tokens,
                           count_tokens=embedder.count_tokens):
            chunk_doc[len(passages)] = doc["id"]
            passages.append(passage_text(loaded.title, draft.heading, draft.text))
            units.append(chunk_units(loaded.title, draft.heading, draft.text))
    ids = list(range(len(passages)))
    dense = DenseIndex(embedder.dim, ann_threshold=config.ann_threshold)
    dense.add(ids, *(embed or chunk_embed(embedder, config, cache_dir))(passages, units))
    sparse = SparseIndex()
    sparse.rebuild(ids, passages)
    return dense, sparse, chunk_doc


def doc_ranking(chunk_scores: Sequence[tuple[int, float]], chunk_doc: dict[int, str]) -> list[str]:
    best: dict[str, float] = {}
    for cid, score in chunk_scores:
        doc = chunk_doc[cid]
        if doc not in best or score > best[doc]:
            best[doc] = score
    return [d for d, _ in sorted(best.items(), key=lambda kv: -kv[1])]


def variants(config: RetrievalConfig | None = None) -> dict[str, Callable[[Candidates], list[tuple[int, float]]]]:
    """Single retrievers, RRF, the default fusion and a weight sweep of each score-based method."""
    config = config or RetrievalConfig()
    out: dict[str, Callable[[Candidates], list[tuple[int, float]]]] = {
        "bm25": lambda c: c.sparse,
        "dense": lambda c: c.dense,
        "best sentence": lambda c: sorted(c.sentence.items(), key=lambda kv: -kv[1]),
        "rrf k=60": lambda c: [(f.id, f.fused) for f in c.fuse("rrf", 0.5)],
        f"DEFAULT {config.fusion} w={config.dense_weight} a={config.sentence_weight}":
            lambda c: [(f.id, f.fused) for f in c.fuse(config.fusion, config.dense_weight, config.rrf_k,
                                                        config.sentence_weight)],
    }
    for method in ("noisy_or", "absolute", "minmax", "zscore"):
        for w in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8):
            out[f"{method} w={w}"] = lambda c, m=method, w=w: [(f.id, f.fused) for f in c.fuse(m, w, 60, 0.0)]
    for a in (0.35, 0.5, 0.65):
        for w in (0.65, 0.7, 0.75, 0.8):
            out[f"noisy_or w={w} a={a}"] = lambda c, w=w, a=a: [(f.id, f.fused) for f in c.fuse("noisy_or", w, 60, a)]
    return out


def evaluate(data: BeirSet, embedder: Embedder, config: RetrievalConfig,
             cache_dir: str | Path | None = None, embed: ChunkEmbed | None = None) -> dict[str, dict[str, float]]:
    dense, sparse, chunk_doc = build_indexes(data, embedder, config, cache_dir, embed)
    config = replace(config, fusion="noisy_or")  # fetch both retrievers' candidates
    texts = [q["text"] for q in data.queries]
    qvecs = encode(embedder, texts, cache_dir)
    per_query = [candidates(t, v, dense, sparse, config) for t, v in zip(texts, qvecs)]
    results: dict[str, dict[str, float]] = {}
    for name, ranker in variants(config).items():
        ndcg, mrr, rec = [], [], []
        for query, cands in zip(data.queries, per_query):
            ranked = doc_ranking(ranker(cands), chunk_doc)
            relevant = data.qrels[query["id"]]
            ndcg.append(ndcg_at_k(ranked, relevant, 10))
            mrr.append(mrr_at_k(ranked, relevant, 10))
            rec.append(recall_at_k(ranked, relevant, 10))
        results[name] = {"ndcg@10": mean(ndcg), "mrr@10": mean(mrr), "recall@10": mean(rec)}
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="BEIR folders (corpus.jsonl, queries.jsonl, qrels.tsv)")
    parser.add_argument("--model", default=None, help="embedder path or name (default: bundled MiniLM)")
    parser.add_argument("--cache", default=None, metavar="DIR",
                        help="keep corpus and query embeddings here as .npy between runs")
    args = parser.parse_args(argv)
    embedder = Embedder(args.model)
    config = RetrievalConfig()
    table: dict[str, dict[str, dict[str, float]]] = {}
    for folder in args.sets:
        data = load_beir(folder)
        table[data.name] = evaluate(data, embedder, config, args.cache)
    names = list(next(iter(table.values())))
    header = f"{'method':<24}" + "".join(f"{s:>22}" for s in table) + f"{'mean gap closed':>17}"
    print(header + "\n" + " " * 24 + "".join(f"{'nDCG  MRR   R@10':>22}" for _ in table))
    for name in names:
        row = f"{name:<24}"
        closed = []
        for results in table.values():
            r = results[name]
            row += f"{r['ndcg@10']:>10.3f}{r['mrr@10']:>6.3f}{r['recall@10']:>6.3f}"
            best = max(results["bm25"]["ndcg@10"], results["dense"]["ndcg@10"])
            closed.append((r["ndcg@10"] - best) / (1 - best) if best < 1 else 0.0)
        print(row + f"{mean(closed):>17.3f}")


if __name__ == "__main__":
    main()
