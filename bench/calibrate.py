"""Fit the confidence model (model/calibration.py) on judged candidates of a development set.

    python bench/calibrate.py signals.jsonl [more.jsonl ...] [--l2 1.0]

Each input line is one judged candidate: {"signals": {<Signals fields>}, "ok": bool} — `ok` means
the candidate states a gold phrase and cites the gold document (out-of-scope questions are never
ok). `python bench/calibrate.py --dump BACKEND OUT.jsonl [SET]` writes such a file by answering a
real-documents set (default bench/realdocs) through the real assistant. The fit is an
L2-regularised logistic regression (Newton steps, numpy); it prints the weights to paste into
`DEFAULT_CALIBRATION`, the expected calibration error before and after, and for each threshold
the share of answerable questions answered correctly and of wrong answers shown.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services.evaluation.metrics import expected_calibration_error  # noqa: E402
from model.calibration import DEFAULT_CALIBRATION, FEATURES, Calibration, Signals  # noqa: E402


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """Logistic regression with an L2 penalty on the weights (not the bias), by Newton's method."""
    a = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(a.shape[1])
    penalty = np.eye(a.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-a @ w))
        grad = a.T @ (p - y) + penalty @ w
        hess = a.T @ (a * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(w)), grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]


def fit_monotone(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """`fit`, with every signal except `generated` kept non-negative: more support, coverage or
    agreement never lowers the confidence (signals that come out negative are dropped, refit)."""
    keep = np.ones(x.shape[1], dtype=bool)
    free = FEATURES.index("generated")
    while True:
        bias, w = fit(x[:, keep], y, l2)
        weights = np.zeros(x.shape[1])
        weights[keep] = w
        negative = [i for i in np.flatnonzero(keep) if weights[i] < 0 and i != free]
        if not negative:
            return bias, weights
        keep[negative] = False


def load(paths: list[Path]) -> tuple[list[dict], np.ndarray, np.ndarray]:
    rows = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("signals")]
    x = np.array([[r["signals"][f] for f in FEATURES] for r in rows], dtype=float)
    y = np.array([1.0 if r["ok"] else 0.0 for r in rows])
    return rows, x, y


def report(name: str, cal: Calibration, rows: list[dict], x: np.ndarray, y: np.ndarray) -> None:
    conf = np.array([cal.confidence(Signals(*v)) for v in x])
    print(f"{name}: ECE {expected_calibration_error(list(conf), list(y.astype(bool))):.3f} over {len(y)} candidates")
    answerable = {r["id"] for r in rows if r["answerable"]}
    for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75):
        best: dict[str, tuple[float, bool]] = {}  # per question, the most confident candidate
        for r, c, ok in zip(rows, conf, y):
            if r["id"] not in best or c > best[r["id"]][0]:
                best[r["id"]] = (c, bool(ok))
        shown = [(c, ok) for c, ok in best.values() if c >= t]
        right = sum(ok for c, ok in shown)
        wrong = len(shown) - right
        print(f"  threshold {t:.2f}: correct {right / max(1, len(answerable)):.2f} of answerable, "
              f"wrong shown {wrong}/{len(best)} ({wrong / max(1, len(best)):.2f})")


async def dump(backend: str, out: Path, folder: Path) -> None:
    from bot.core.config import Settings
    from bot.core.grounding import cited_numbers
    from bot.core.types import Question
    from bot.services.evaluation.metrics import has_gold
    from bot.services.evaluation.realdocs import SCOPE, open_realdocs

    # the index `ragcord eval` built for the set (DATA_DIR/eval/…), with the configured embedder
    # (RAGCORD_EMBEDDER__MODEL=multilingual dumps candidates judged with e5's cosines)
    settings = Settings(data_dir=ROOT / ".ragcord").updated(**{"generation.backend": backend})
    data, assistant = await open_realdocs(settings, folder)
    try:
        with out.open("w") as f:
            for q in data.questions:
                answer = await assistant.answer(Question(q.question, user="calibrate", scope=SCOPE))
                hits = (await assistant.search(SCOPE, q.question, 2 * settings.answering.top_k))[: settings.answering.top_k]
                for c in answer.candidates:
                    docs = [Path(hits[n - 1].source).name for n in cited_numbers(c.text, len(hits))]
                    ok = q.answerable and has_gold(c.text, q.gold) and any(d in docs for d in q.docs)
                    row = {"id": q.id, "answerable": q.answerable, "backend": c.backend, "ok": ok,
                           "signals": asdict(c.signals) if c.signals else None, "text": c.text[:300]}
                    f.write(json.dumps(row) + "\n")
    finally:
        await assistant.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--dump", nargs="+", metavar=("BACKEND", "OUT"))
    args = parser.parse_args()
    if args.dump:
        folder = Path(args.dump[2]) if len(args.dump) > 2 else ROOT / "bench" / "realdocs"
        asyncio.run(dump(args.dump[0], Path(args.dump[1]), folder))
        return
    rows, x, y = load(args.files)
    report("current", DEFAULT_CALIBRATION, rows, x, y)
    bias, weights = fit_monotone(x, y, args.l2)
    fitted = Calibration(round(bias, 3), tuple(round(float(w), 3) for w in weights))
    report("fitted", fitted, rows, x, y)
    print("DEFAULT_CALIBRATION = Calibration(")
    print(f"    bias={fitted.bias},")
    print(f"    weights={fitted.weights},  # {', '.join(FEATURES)}")
    print(")")


if __name__ == "__main__":
    main()
