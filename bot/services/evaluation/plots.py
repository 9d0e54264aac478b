"""PNG plots: retrieval bars, refusal trade-off and reliability diagrams (matplotlib, eval extra)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.services.evaluation.metrics import CalibrationBin
from bot.services.evaluation.realdocs import RealDocsReport
from bot.services.evaluation.report import EvalReport


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_reliability(ax: Any, bins: Sequence[CalibrationBin], title: str) -> None:
    """Accuracy per confidence bin against the diagonal; bar labels are the bin counts."""
    width = bins[0].high - bins[0].low if bins else 0.1
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    bars = ax.bar([b.low for b in bins], [b.accuracy for b in bins], width=width, align="edge",
                  edgecolor="black", alpha=0.7, label="accuracy")
    for bar, b in zip(bars, bins):
        if b.count:
            ax.annotate(str(b.count), (bar.get_x() + width / 2, bar.get_height()), ha="center", va="bottom", fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("confidence")
    ax.set_ylabel("fraction correct")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)


def _save(fig: Any, plt: Any, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot(report: EvalReport | RealDocsReport, path: Path) -> Path:
    """Draw the report's figure to `path` (PNG) and return it."""
    if isinstance(report, RealDocsReport):
        return plot_realdocs(report, path)
    plt = _pyplot()
    panels = 1 + bool(report.curve) + bool(report.calibration)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5))
    axes = list(axes) if panels > 1 else [axes]
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
    if report.calibration:
        draw_reliability(axes[-1], report.calibration, f"Reliability (ECE {report.answers.get('ece', 0.0):.3f})")
    return _save(fig, plt, path)


def plot_realdocs(report: RealDocsReport, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(1, 1, figsize=(6, 4.5))
    draw_reliability(ax, report.calibration, f"Reliability — {report.dataset} (ECE {report.ece:.3f})")
    return _save(fig, plt, path)
