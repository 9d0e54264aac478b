"""`ragcord eval DIR`: a BEIR-layout set or a real-documents set (questions.jsonl + docs/)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.core.config import Settings
from bot.services.evaluation.beir import run_beir
from bot.services.evaluation.dataset import EvalError, EvalSet, load_beir
from bot.services.evaluation.plots import plot
from bot.services.evaluation.realdocs import (
    QuestionResult,
    RealDocsReport,
    RealDocsSet,
    details_jsonl,
    is_realdocs,
    load_realdocs,
    missing_gold,
    run_realdocs,
)
from bot.services.evaluation.report import EvalReport

__all__ = [
    "EvalError", "EvalReport", "EvalSet", "QuestionResult", "RealDocsReport", "RealDocsSet", "details_jsonl",
    "is_realdocs", "load_beir", "load_realdocs", "missing_gold", "plot", "run_eval",
]


async def run_eval(
    settings: Settings, folder: Path, *, limit: int | None = None, retrieval_only: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport | RealDocsReport:
    """Evaluate `folder`: a real-documents set when it has questions.jsonl + docs/, else BEIR."""
    if not (folder / "corpus.jsonl").is_file() and is_realdocs(folder):
        return await run_realdocs(settings, folder, limit=limit, progress=progress)
    return await run_beir(settings, folder, limit=limit, retrieval_only=retrieval_only, progress=progress)
