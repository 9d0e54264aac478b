"""Memory: resident set size (psutil) with the default models loaded and idle.

Each case runs in a fresh subprocess so nothing leaks between them:
  baseline   bare Python + `import torch`
  cold       + MiniLM embedder (one encode) + SmolLM2 via `LocalGenerator` (one 4-token
             generation), cache_dir = a fresh temp dir, so the GGUF is converted on the way
  warm       the same, started again on the cache the cold run filled (a bot's second start)
RSS is read after `gc.collect()` and 2 s idle. Target: loaded ≤ 1.5 GB. `--quick` skips `warm`.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import emit, quick, table

GB = 1024 ** 3


def child(mode: str, cache: str) -> None:
    import gc
    import time

    import psutil

    proc = psutil.Process()
    import torch  # noqa: F401

    out = {"after_torch": proc.memory_info().rss}
    if mode != "baseline":
        import asyncio

        from model.base import GenerationParams, Prompt
        from model.local import LocalConfig, LocalGenerator
        from retrieval.embedder import Embedder

        t0 = time.perf_counter()
        embedder = Embedder()
        embedder.encode(["warm the embedder up"])
        out["after_embedder"] = proc.memory_info().rss
        generator = LocalGenerator(LocalConfig(device="cpu", cache_dir=Path(cache)))
        out["after_generator_load"] = proc.memory_info().rss
        asyncio.run(generator.generate(Prompt(question="Hello?"), GenerationParams(max_new_tokens=4)))
        out["load_s"] = time.perf_counter() - t0
    gc.collect()
    time.sleep(2)
    out["idle"] = proc.memory_info().rss
    try:  # high-water mark of this process (Linux)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    print("RESULT " + json.dumps(out))


def run(mode: str, cache: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, cache], capture_output=True, text=True,
                          timeout=600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{mode} failed:\n{proc.stderr[-3000:]}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ragcord-bench-mem-") as cache:
        cases = {"baseline": run("baseline", cache), "cold": run("cold", cache)}
        if not quick():
            cases["warm"] = run("warm", cache)
    base = cases["baseline"]["idle"]
    rows = []
    for name, c in cases.items():
        rows.append([name, c["idle"] / GB, (c["idle"] - base) / GB, c.get("peak", 0) / GB,
                     c.get("after_embedder", 0) / GB or "", c.get("after_generator_load", 0) / GB or "",
                     round(c["load_s"], 1) if "load_s" in c else ""])
    table("RSS with the default models loaded, idle (GiB)",
          ["case", "idle RSS", "over bare torch", "peak", "after embedder", "after SmolLM2", "load s"], rows)
    loaded = max(c["idle"] for n, c in cases.items() if n != "baseline")
    peak = max(c.get("peak", 0) for n, c in cases.items() if n != "baseline")
    print(f"loaded idle RSS {loaded / GB:.2f} GiB (target ≤ 1.5 GB = 1.40 GiB): {'MET' if loaded <= 1.5e9 else 'NOT MET'};"
          f" peak {peak / GB:.2f} GiB; bare torch {base / GB:.2f} GiB")
    emit("memory", {"target_gb": 1.5, "baseline_rss_gb": round(base / GB, 3),
                    **{f"{n}_rss_gb": round(c["idle"] / GB, 3) for n, c in cases.items()},
                    **{f"{n}_peak_gb": round(c.get("peak", 0) / GB, 3) for n, c in cases.items()},
                    "met": loaded <= 1.5e9})


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
