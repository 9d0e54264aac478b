"""The nDCG gate of the MiniLM embedding runtimes: torch fp32 vs ONNX fp32 vs ONNX int8.

    python bench/embed_gate.py /work/shared/eval/squad2 /work/shared/eval/stackfaq [--out gate.json]

For each runtime and set: nDCG@10 of the fused ranking (the default fusion), of dense alone and of
BM25 alone (retrieval.fusion_study), plus the worst cosine between its passage vectors and torch's.
A runtime passes where, on every set, fused nDCG is within TOLERANCE of torch fp32 and fused >= the
better single retriever. The verdict goes into retrieval/embedder_gate.py by hand (printed at the end);
the "auto" runtime reads only that file, never runs an evaluation.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from retrieval.config import RetrievalConfig
from retrieval.embedder import Embedder
from retrieval.embedder_gate import TOLERANCE
from retrieval.embedder_onnx import OnnxEmbedder
from retrieval.fusion_study import evaluate, load_beir


@dataclass
class SetResult:
    fused: float
    dense: float
    bm25: float
    min_cos_vs_torch: float
    seconds: float


RUNTIMES = ("onnx-int8", "onnx", "torch")


def fused_key(results: dict[str, dict[str, float]]) -> str:
    return next(k for k in results if k.startswith("DEFAULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None, help="ONNX export folder (default: a temp dir)")
    parser.add_argument("--runtimes", nargs="+", default=list(RUNTIMES), choices=RUNTIMES)
    parser.add_argument("--reference", type=Path, default=None,
                        help="the torch rows of an earlier --out file, instead of evaluating torch again")
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.mkdtemp()) / "minilm-onnx"
    torch = Embedder()
    runtimes = {"torch": torch, "onnx": OnnxEmbedder(cache), "onnx-int8": OnnxEmbedder(cache, int8=True)}
    sets = [load_beir(folder) for folder in args.sets]
    probe = {s.name: [d["text"] for d in s.corpus[:100]] for s in sets}
    reference = {name: torch.encode(texts) for name, texts in probe.items()}
    table: dict[str, dict[str, SetResult]] = {}
    if args.reference:
        rows = json.loads(args.reference.read_text())["table"]["torch"]
        table["torch"] = {name: SetResult(**row) for name, row in rows.items()}
    for runtime in args.runtimes:
        embedder = runtimes[runtime]
        for data in sets:
            start = time.perf_counter()
            results = evaluate(data, embedder, RetrievalConfig())
            cos = float(np.min((embedder.encode(probe[data.name]) * reference[data.name]).sum(1)))
            row = SetResult(results[fused_key(results)]["ndcg@10"], results["dense"]["ndcg@10"],
                            results["bm25"]["ndcg@10"], cos, time.perf_counter() - start)
            table.setdefault(runtime, {})[data.name] = row
            print(f"{runtime:10} {data.name:9} fused {row.fused:.4f} dense {row.dense:.4f} bm25 {row.bm25:.4f} "
                  f"min cos {row.min_cos_vs_torch:.6f}  ({row.seconds:.0f}s)", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"table": {k: {s: asdict(r) for s, r in v.items()} for k, v in table.items()}},
                                       indent=1))
    if "torch" not in table:
        print("no torch rows: pass --runtimes torch or --reference to judge")
        return
    verdict = {}
    for runtime, rows in table.items():
        verdict[runtime] = all(abs(r.fused - table["torch"][s].fused) <= TOLERANCE and r.fused >= max(r.dense, r.bm25)
                               for s, r in rows.items())
        print(f"{runtime:10} {'PASS' if verdict[runtime] else 'FAIL'}")


if __name__ == "__main__":
    main()
