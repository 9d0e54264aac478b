"""`ragcord eval DATASET_DIR`: retrieval and answer quality on a BEIR-layout set.

Retrieval is measured per method (bm25, dense, hybrid, hybrid+rerank) over documents (a
document's rank is its best chunk's rank). Answers go through the real assistant core and are
scored by exact match / token F1 against the gold answers, refusal on unanswerable queries,
and whether a cited passage contains a gold answer. The confidence threshold is swept to
recommend one, and compared with thresholding on the retrieval score alone.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.core.assistant import Assistant, retrieval_config
from bot.core.config import Settings
from bot.core.grounding import strip_citations
from bot.core.types import Question
from retrieval.config import INDEX_FORMAT
from retrieval.knowledge_base import KnowledgeBase
from retrieval.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k

METHODS = ("bm25", "dense", "hybrid", "hybrid+rerank")
Progress = Callable[[str, int, int], None]


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


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise EvalError(f"{path.name} line {n} is not valid JSON") from None
    return rows


def load_beir(folder: Path, limit: int | None = None) -> EvalSet:
    files = {name: folder / name for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")}
    missing = [name for name, p in files.items() if not p.is_file()]
    if missing:
        raise EvalError(f"{folder} is not a BEIR dataset (missing {', '.join(missing)})")
    corpus = {str(d["_id"] if "_id" in d else d["id"]): (d.get("title") or "", d.get("text") or "")
              for d in _read_jsonl(files["corpus.jsonl"])}
    queries = _read_jsonl(files["queries.jsonl"])
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


# --- answer metrics (SQuAD conventions) ------------------------------------------------------
def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    best = 0.0
    p_tokens = normalize_answer(prediction).split()
    for g in golds:
        g_tokens = normalize_answer(g).split()
        common = Counter(p_tokens) & Counter(g_tokens)
        same = sum(common.values())
        if not p_tokens or not g_tokens or same == 0:
            continue
        precision, recall = same / len(p_tokens), same / len(g_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(passage: str, golds: Sequence[str]) -> bool:
    text = normalize_answer(passage)
    return any(normalize_answer(g) and normalize_answer(g) in text for g in golds)


@dataclass(frozen=True)
class Scored:
    """One answered query: its confidence, retrieval score and whether it is answerable."""

    answerable: bool
    confidence: float
    retrieval: float


def refusal_tradeoff(rows: Sequence[Scored], key: Callable[[Scored], float]) -> list[tuple[float, float, float]]:
    """(threshold, answered recall on answerable, refusal recall on unanswerable) per threshold."""
    answerable = [key(r) for r in rows if r.answerable]
    unanswerable = [key(r) for r in rows if not r.answerable]
    if not answerable or not unanswerable:
        return []
    out = []
    for t in sorted({0.0, *answerable, *unanswerable, 1.0 + 1e-9}):
        answered = sum(v >= t for v in answerable) / len(answerable)
        refused = sum(v < t for v in unanswerable) / len(unanswerable)
        out.append((t, answered, refused))
    return out


def recommend_threshold(curve: Sequence[tuple[float, float, float]]) -> tuple[float, float, float] | None:
    """The threshold that maximises the worse of answered recall and refusal recall."""
    return max(curve, key=lambda c: (min(c[1], c[2]), c[1] + c[2]), default=None)


def refusal_at_answered(curve: Sequence[tuple[float, float, float]], answered: float) -> float:
    """Best refusal recall among thresholds that still answer at least `answered` of answerables."""
    return max((c[2] for c in curve if c[1] >= answered - 1e-9), default=0.0)


def retrieval_table(per_method: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        method: {metric: round(mean([row[metric] for row in rows]), 4) for metric in rows[0]}
        for method, rows in per_method.items() if rows
    }


def doc_ranking(chunk_docs: Sequence[str]) -> list[str]:
    """Collapse a chunk ranking to a document ranking (a document ranks at its best chunk)."""
    return list(dict.fromkeys(chunk_docs))


def retrieval_row(ranked_docs: Sequence[str], relevant: dict[str, float]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(ranked_docs, relevant, 10),
        "recall@1": recall_at_k(ranked_docs, relevant, 1),
        "recall@5": recall_at_k(ranked_docs, relevant, 5),
        "recall@10": recall_at_k(ranked_docs, relevant, 10),
        "mrr@10": mrr_at_k(ranked_docs, relevant, 10),
    }


@dataclass
class EvalReport:
    dataset: str
    retrieval: dict[str, dict[str, float]] = field(default_factory=dict)
    answers: dict[str, float] = field(default_factory=dict)
    threshold: float | None = None
    curve: list[tuple[float, float, float]] = field(default_factory=list)
    queries: int = 0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"retrieval": self.retrieval}
        if self.answers:
            out["answers"] = self.answers
        if self.threshold is not None:
            out["threshold"] = round(self.threshold, 4)
        return out

    def markdown(self) -> str:
        lines = [f"### {self.dataset} ({self.queries} queries)", ""]
        if self.retrieval:
            metrics = list(next(iter(self.retrieval.values())))
            lines.append("| method | " + " | ".join(metrics) + " |")
            lines.append("|---|" + "---|" * len(metrics))
            for method, row in self.retrieval.items():
                lines.append(f"| {method} | " + " | ".join(f"{row[m]:.3f}" for m in metrics) + " |")
        if self.answers:
            lines += ["", "| answer metric | value |", "|---|---|"]
            lines += [f"| {k} | {v:.3f} |" for k, v in self.answers.items()]
        if self.threshold is not None:
            lines += ["", f"Recommended threshold: **{self.threshold:.3f}**"]
        return "\n".join(lines)


def plot(report: EvalReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2 if report.curve else 1, figsize=(12 if report.curve else 7, 4.5))
    axes = axes if report.curve else [axes]
    ax = axes[0]
    methods = list(report.retrieval)
    metrics = ["ndcg@10", "recall@1", "recall@5", "mrr@10"]
    width = 0.8 / max(1, len(methods))
    for i, m in enumerate(methods):
        ax.bar([j + i * width for j in range(len(metrics))], [report.retrieval[m][k] for k in metrics],
               width, label=m)
    ax.set_xticks([j + width * (len(methods) - 1) / 2 for j in range(len(metrics))], metrics)
    ax.set_ylim(0, 1)
    ax.set_title(f"Retrieval — {report.dataset}")
    ax.legend(loc="lower right", fontsize=8)
    if report.curve:
        ax = axes[1]
        t, answered, refused = zip(*report.curve)
        ax.plot(t, answered, label="answered recall (answerable)")
        ax.plot(t, refused, label="refusal recall (unanswerable)")
        if report.threshold is not None:
            ax.axvline(report.threshold, color="grey", linestyle="--", label=f"recommended {report.threshold:.2f}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("confidence threshold")
        ax.set_title("Refusal trade-off")
        ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- running it ---------------------------------------------------------------------------------
SCOPE = "eval"
FUSION_OF = {"bm25": "sparse", "dense": "dense"}


def eval_settings(settings: Settings, data: EvalSet) -> Settings:
    """An isolated data dir per dataset version, so reruns reuse the index and never touch real logs."""
    folder = settings.data_dir / "eval" / f"{data.name}-{data.fingerprint()}"
    # the whole corpus is indexed, however many documents a guild may hold
    return settings.model_copy(update={"data_dir": folder, "max_documents_per_guild": 0})


def _ingest_corpus(kb: KnowledgeBase, data: EvalSet, progress: Progress | None) -> None:
    have = {d.source for d in kb.list_documents()}
    todo = [(title or doc_id, text, doc_id) for doc_id, (title, text) in data.corpus.items() if doc_id not in have]
    step = 500  # documents per index generation: progress, and a partial index survives an interrupt
    for start in range(0, len(todo), step):
        report = kb.ingest_texts(todo[start : start + step], markdown=False)
        failed = [e for e in report.errors if not e["error"].startswith("empty document")]
        if failed:  # a corpus that cannot be indexed whole would give misleading numbers
            raise EvalError(f"could not index corpus document {failed[0]['source']}: {failed[0]['error']}")
        if progress:
            progress("indexing corpus", min(start + step, len(todo)), len(todo))


def _rank_documents(kb: KnowledgeBase, query: str, depth: int = 10) -> list[str]:
    hits = kb.search(query, k=depth * 3)
    return doc_ranking([h.source for h in hits])[:depth]


async def run_eval(
    settings: Settings, folder: Path, *, limit: int | None = None, retrieval_only: bool = False,
    progress: Progress | None = None,
) -> EvalReport:
    data = load_beir(folder, limit)
    settings = eval_settings(settings, data)
    assistant = await Assistant.create(settings)
    try:
        kb = assistant.kbs.get(SCOPE)
        await asyncio.to_thread(_ingest_corpus, kb, data, progress)
        report = EvalReport(dataset=data.name, queries=len(data.queries))
        report.retrieval = await asyncio.to_thread(_retrieval, assistant, settings, data, progress)
        if data.has_answers and not retrieval_only:
            await _answers(assistant, data, report, progress)
        return report
    finally:
        await assistant.aclose()


def _retrieval(assistant: Assistant, settings: Settings, data: EvalSet, progress: Progress | None) -> dict[str, dict[str, float]]:
    base = retrieval_config(settings)
    methods: dict[str, KnowledgeBase] = {}
    for method in METHODS:
        if method == "hybrid+rerank" and not base.reranker_path:
            continue  # not measured without a configured reranker
        config = replace(base, fusion=FUSION_OF[method]) if method in FUSION_OF else base
        if method == "hybrid":
            config = replace(config, reranker_path=None)
        methods[method] = KnowledgeBase(settings.data_dir, SCOPE, assistant.embedder, config)
    judged = [q for q in data.queries if data.qrels.get(q["id"])]
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
    for i, q in enumerate(judged, 1):
        for method, kb in methods.items():
            rows[method].append(retrieval_row(_rank_documents(kb, q["text"]), data.qrels[q["id"]]))
        if progress:
            progress("retrieval", i, len(judged))
    return retrieval_table(rows)


async def _answers(assistant: Assistant, data: EvalSet, report: EvalReport, progress: Progress | None) -> None:
    scored: list[Scored] = []
    answered_text: list[tuple[dict[str, Any], str, list[str], float]] = []
    for i, q in enumerate(data.queries, 1):
        answer = await assistant.answer(Question(q["text"], user="eval", scope=SCOPE))
        best = strip_citations(answer.candidates[0].text) if answer.candidates else ""
        cited = [c.text for c in (answer.citations or answer.closest[:1])]
        top = answer.closest[0].text if answer.closest else ""
        retrieval_score = assistant.embedder.similarity(q["text"], [top])[0] if top else 0.0
        answerable = bool(q.get("answerable", True)) and bool(q.get("answers"))
        scored.append(Scored(answerable, answer.confidence, retrieval_score))
        answered_text.append((q, best, cited, answer.confidence))
        if progress:
            progress("answers", i, len(data.queries))
    curve = refusal_tradeoff(scored, key=lambda r: r.confidence)
    baseline = refusal_tradeoff(scored, key=lambda r: r.retrieval)
    chosen = recommend_threshold(curve)
    threshold = chosen[0] if chosen else assistant.settings.threshold
    answerable = [(q, text, cited) for q, text, cited, conf in answered_text if q.get("answers")]
    kept = [(q, text, cited) for q, text, cited, conf in answered_text if q.get("answers") and conf >= threshold]
    report.answers = {
        "exact_match": round(mean([exact_match(t, q["answers"]) for q, t, _ in answerable]), 4),
        "f1": round(mean([token_f1(t, q["answers"]) for q, t, _ in answerable]), 4),
        "citation_accuracy": round(mean([float(any(contains_answer(c, q["answers"]) for c in cited))
                                         for q, _, cited in kept]), 4),
    }
    if chosen:
        report.answers["refusal_recall"] = round(chosen[2], 4)
        report.answers["answered_recall"] = round(chosen[1], 4)
        report.answers["baseline_refusal_recall"] = round(refusal_at_answered(baseline, chosen[1]), 4)
        report.threshold = threshold
        report.curve = curve

