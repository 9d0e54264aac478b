"""BEIR-layout runs: retrieval per method over documents, answers through the real assistant."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.core.assistant import Assistant
from bot.core.config import Settings
from bot.core.types import Question
from bot.services.evaluation.dataset import EvalError, EvalSet, cache_folder, load_beir
from bot.services.evaluation.metrics import (
    Scored,
    contains_answer,
    doc_ranking,
    exact_match,
    expected_calibration_error,
    mean,
    recommend_threshold,
    refusal_at_answered,
    refusal_tradeoff,
    reliability_bins,
    retrieval_row,
    retrieval_table,
    token_f1,
)
from bot.services.evaluation.report import EvalReport
from model.textutil import strip_citations
from retrieval.knowledge_bases import AnyKnowledgeBase, open_knowledge_base

METHODS = ("bm25", "dense", "hybrid", "hybrid+rerank")
Progress = Callable[[str, int, int], None]
# --- running it ---------------------------------------------------------------------------------
SCOPE = "eval"
FUSION_OF = {"bm25": "sparse", "dense": "dense"}


def eval_settings(settings: Settings, data: EvalSet) -> Settings:
    """An isolated data dir per dataset version, so reruns reuse the index and never touch real logs."""
    folder = cache_folder(settings.data_dir, data.name, data.fingerprint(), settings.embedder.model,
                         settings.embedder.runtime)
    # the whole corpus is indexed, however many documents a guild may hold
    return settings.updated(**{"data_dir": folder, "limits.max_documents": 0})


def _ingest_corpus(kb: AnyKnowledgeBase, data: EvalSet, progress: Progress | None) -> None:
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


def _rank_documents(kb: AnyKnowledgeBase, query: str, depth: int = 10) -> list[str]:
    hits = kb.search(query, k=depth * 3)
    return doc_ranking([h.source for h in hits])[:depth]


async def run_beir(
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


def _retrieval(
    assistant: Assistant, settings: Settings, data: EvalSet, progress: Progress | None,
) -> dict[str, dict[str, float]]:
    base = settings.retrieval
    methods: dict[str, AnyKnowledgeBase] = {}
    for method in METHODS:
        if method == "hybrid+rerank" and not base.reranker_path:
            continue  # not measured without a configured reranker
        config = replace(base, fusion=FUSION_OF[method]) if method in FUSION_OF else base
        if method == "hybrid":
            config = replace(config, reranker_path=None)
        methods[method] = open_knowledge_base(settings.data_dir, SCOPE, assistant.embedder, config,
                                              database_url=settings.database_url)
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
    shown: list[tuple[float, bool]] = []  # (confidence, correct) of each answer that was not refused
    for i, q in enumerate(data.queries, 1):
        answer = await assistant.answer(Question(q["text"], user="eval", scope=SCOPE))
        best = strip_citations(answer.candidates[0].text) if answer.candidates else ""
        cited = [c.text for c in (answer.citations or answer.closest[:1])]
        top = answer.closest[0].text if answer.closest else ""
        retrieval_score = assistant.embedder.similarity(q["text"], [top])[0] if top else 0.0
        answerable = bool(q.get("answerable", True)) and bool(q.get("answers"))
        scored.append(Scored(answerable, answer.confidence, retrieval_score))
        answered_text.append((q, best, cited, answer.confidence))
        if not answer.refused:
            shown.append((answer.confidence, answerable and contains_answer(best, q["answers"])))
        if progress:
            progress("answers", i, len(data.queries))
    curve = refusal_tradeoff(scored, key=lambda r: r.confidence)
    baseline = refusal_tradeoff(scored, key=lambda r: r.retrieval)
    chosen = recommend_threshold(curve)
    threshold = chosen[0] if chosen else assistant.settings.answering.threshold
    answerable = [(q, text, cited) for q, text, cited, conf in answered_text if q.get("answers")]
    kept = [(q, text, cited) for q, text, cited, conf in answered_text if q.get("answers") and conf >= threshold]
    report.answers = {
        "exact_match": round(mean([exact_match(t, q["answers"]) for q, t, _ in answerable]), 4),
        "f1": round(mean([token_f1(t, q["answers"]) for q, t, _ in answerable]), 4),
        "citation_accuracy": round(mean([float(any(contains_answer(c, q["answers"]) for c in cited))
                                         for q, _, cited in kept]), 4),
    }
    if shown:
        confidences, correct = [c for c, _ in shown], [ok for _, ok in shown]
        report.answers["ece"] = round(expected_calibration_error(confidences, correct), 4)
        report.calibration = reliability_bins(confidences, correct)
    if chosen:
        report.answers["refusal_recall"] = round(chosen[2], 4)
        report.answers["answered_recall"] = round(chosen[1], 4)
        report.answers["baseline_refusal_recall"] = round(refusal_at_answered(baseline, chosen[1]), 4)
        report.threshold = threshold
        report.curve = curve

