"""The first seconds of a command: `ragcord ask` from the shell against its parts, in one run.

    python bench/startup.py [--runs 5] [--question "How long do refunds take?"]

The sample KB (data/) is ingested once into a temporary data dir, then each row is timed `--runs`
times, the rows interleaved so a noisy neighbour hits them all alike (median shown):
  - `python -c pass`                   the interpreter alone
  - `python -c "import …cli.app"`      importing the CLI
  - `ragcord --help`                   the CLI's own start
  - `ragcord ask Q`                    command to first byte on stdout, and to exit
  - the answer alone                   `Assistant.answer` in a warm process, median over the sample
                                       KB's demo questions (what a question costs without start-up)
Ratios are against `python -c pass` and against the answer alone. The default generator
(extractive) is used, as a user's first `ragcord ask` would.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import machine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds to the first byte on stdout, seconds to exit) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    first_s = time.perf_counter() - start
    proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return (first_s if first else float("nan")), time.perf_counter() - start


def answer_alone(data_dir: Path, questions: list[str]) -> float:
    """Median seconds of Assistant.answer in one warm process, each question asked once (an
    identical question again would hit the encode cache and cost almost nothing)."""
    from bot.core.assistant import Assistant
    from bot.core.config import load_settings
    from bot.core.types import Question

    async def go() -> float:
        assistant = await Assistant.create(load_settings(None, data_dir=data_dir))
        try:
            await assistant.answer(Question("What can you tell me about these documents?", "bench"))  # loads
            times = []
            for i, question in enumerate(questions):
                t = time.perf_counter()
                await assistant.answer(Question(question, f"bench-{i}"))
                times.append(time.perf_counter() - t)
            return statistics.median(times)
        finally:
            await assistant.aclose()

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default="How long do refunds take?")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ragcord-startup-"))
    env = {**os.environ, "RAGCORD_DATA_DIR": str(data_dir)}
    env.pop("RAGCORD_DATABASE_URL", None)
    ragcord = str(BIN / "ragcord")
    subprocess.run([ragcord, "ingest", str(ROOT / "data"), "--json"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import the CLI": [sys.executable, "-c", "import bot.frontends.cli.app"],
        "ragcord --help": [ragcord, "--help"],
        "ragcord ask": [ragcord, "ask", args.question],
    }
    firsts: dict[str, list[float]] = {name: [] for name in rows}
    exits: dict[str, list[float]] = {name: [] for name in rows}
    run_once(rows["ragcord ask"], env)  # warm the OS file cache once
    for _ in range(args.runs):
        for name, cmd in rows.items():
            first, done = run_once(cmd, env)
            firsts[name].append(first)
            exits[name].append(done)
    from bot.frontends.cli.demo import sample_questions

    alone = answer_alone(data_dir, sample_questions(ROOT / "data"))
    base = statistics.median(exits["python -c pass"])
    med: Callable[[list[float]], float] = statistics.median
    print(f"# startup — {machine()}; median of {args.runs} interleaved runs; question {args.question!r}")
    print(f"{'row':18} {'first byte s':>12} {'exit s':>8} {'× pass':>8} {'× answer alone':>15}")
    for name in rows:
        print(f"{name:18} {med(firsts[name]):12.3f} {med(exits[name]):8.3f} {med(exits[name]) / base:8.1f} "
              f"{med(exits[name]) / alone:15.1f}")
    print(f"{'answer alone':18} {'':12} {alone:8.3f} {alone / base:8.1f} {1.0:15.1f}")


if __name__ == "__main__":
    main()
