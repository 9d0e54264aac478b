"""Reading BEIR-layout evaluation sets (corpus.jsonl, queries.jsonl, qrels.tsv)."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.config import INDEX_FORMAT


class EvalError(ValueError):
    """The dataset cannot be evaluated; one line for the user."""


@dataclass
class EvalSet:
    name: str
    corpus: dict[str, tuple[str, str]]  # doc id → (title, text)
    queries: list[dict[str, Any]]
    qrels: dict[str, dict[str, float]]  # query id → {doc id: relevance}

    @property
    def has_answers(self) -> bool:
        return any(q.get("answers") or q.get("answerable") is False for q in self.queries)

    def fingerprint(self) -> str:
        """Of the corpus and of what ingest writes (retrieval.config.INDEX_FORMAT)."""
        h = hashlib.sha256(f"index-format-{INDEX_FORMAT}".encode())
        for doc_id in sorted(self.corpus):
            h.update(doc_id.encode())
            h.update(self.corpus[doc_id][1].encode())
        return h.hexdigest()[:12]


def cache_folder(data_dir: Path, name: str, fingerprint: str, embedder_model: str | None,
                 runtime: str | None = None) -> Path:
    """Where a set's index lives under DATA_DIR/eval/: one folder per set version and per embedder
    setting, so a run with another `[embedder] model` never opens (or is refused) an index built by
    the other one. `runtime = "onnx-int8"` gets its own folder too: its vectors are not fp32's, and an
    fp32 index would be queried with fp32 (retrieval/embedders.py), i.e. int8 never evaluated."""
    tag = re.sub(r"[^A-Za-z0-9.]+", "_", Path(embedder_model).name) if embedder_model else ""
    if runtime == "onnx-int8":
        tag = f"{tag}-int8" if tag else "int8"
    return data_dir / "eval" / (f"{name}-{fingerprint}-{tag}" if tag else f"{name}-{fingerprint}")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise EvalError(f"{path.name} line {n} is not valid JSON") from None
    return rows


def is_beir(folder: Path) -> bool:
    return (folder / "corpus.jsonl").is_file()


def load_beir(folder: Path, limit: int | None = None) -> EvalSet:
    files = {name: folder / name for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")}
    missing = [name for name, p in files.items() if not p.is_file()]
    if missing:
        raise EvalError(f"{folder} is not a BEIR dataset (missing {', '.join(missing)})")
    corpus = {str(d["_id"] if "_id" in d else d["id"]): (d.get("title") or "", d.get("text") or "")
              for d in read_jsonl(files["corpus.jsonl"])}
    queries = read_jsonl(files["queries.jsonl"])
    for q in queries:
        q["id"] = str(q.get("_id", q.get("id")))
    qrels: dict[str, dict[str, float]] = {}
    with files["qrels.tsv"].open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (n == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = float(parts[2])
    if limit:
        queries = queries[:limit]
    if not corpus or not queries:
        raise EvalError(f"{folder} has an empty corpus or no queries")
    return EvalSet(folder.name, corpus, queries, qrels)
