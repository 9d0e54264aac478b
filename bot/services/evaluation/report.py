"""The BEIR evaluation report: retrieval table, answer metrics, threshold, calibration."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.services.evaluation.metrics import CalibrationBin


@dataclass
class EvalReport:
    dataset: str
    retrieval: dict[str, dict[str, float]] = field(default_factory=dict)
    answers: dict[str, float] = field(default_factory=dict)
    threshold: float | None = None
    curve: list[tuple[float, float, float]] = field(default_factory=list)
    queries: int = 0
    calibration: list[CalibrationBin] = field(default_factory=list)

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
