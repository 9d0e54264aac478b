"""End to end: `Assistant.answer` latency on the sample KB (data/course + data/shop) with the local
SmolLM2 backend vs the generator alone on the very prompt the assistant built (same params,
greedy, same run). Target: everything around generation (memory, retrieval, judging, fallback,
storing) adds ≤ 20 %. Also reports the extractive backend's total latency on the same questions.

The SmolLM2 GGUF is converted once and cached under $TMPDIR/ragcord-bench-models.
`--quick`: 2 questions, max_new_tokens 48 (default settings: 160).
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from common import ROOT, emit, median, quick, table

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.types import Question
from model.base import Generation, GenerationParams, Prompt, Token
from model.local import LocalConfig, LocalGenerator

MODEL_CACHE = Path(tempfile.gettempdir()) / "ragcord-bench-models"


class Recording:
    """Delegates to a generator and remembers the last prompt + params it was handed."""

    def __init__(self, inner: LocalGenerator) -> None:
        self.inner = inner
        self.name = inner.name
        self.last: tuple[Prompt, GenerationParams] | None = None
        self.tokens = 0

    def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        self.last = (prompt, params or GenerationParams())
        return self._count(self.inner.stream(prompt, params))

    async def _count(self, it: AsyncIterator[Token]) -> AsyncIterator[Token]:
        async for tok in it:
            self.tokens += 1
            yield tok

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        self.last = (prompt, params or GenerationParams())
        return await self.inner.generate(prompt, params)

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        self.last = (prompt, params)
        return await self.inner.generate_n(prompt, params)

    async def aclose(self) -> None:
        await self.inner.aclose()


class EncodeMeter:
    """Counts the embedder's encode calls made through `Embedder.encode` (similarity, retrieval)."""

    def __init__(self, embedder) -> None:
        self.inner = embedder.encode
        self.calls = self.texts = 0
        self.seconds = 0.0
        embedder.encode = self  # instance attribute: similarity() and encode_query() look it up here

    def __call__(self, texts):
        t0 = time.perf_counter()
        try:
            return self.inner(texts)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1
            self.texts += len(texts)

    def reset(self) -> None:
        self.calls = self.texts = 0
        self.seconds = 0.0


def questions() -> list[str]:
    lines = (ROOT / "data" / "_demo_questions.txt").read_text(encoding="utf-8").splitlines()
    qs = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    return qs[:2] if quick() else qs


async def main() -> None:
    qs = questions()
    sources = [str(ROOT / "data" / "course"), str(ROOT / "data" / "shop")]
    overrides = {"max_new_tokens": 48} if quick() else {}
    rows, per_q = [], []
    with tempfile.TemporaryDirectory(prefix="ragcord-bench-e2e-") as tmp:
        settings = load_settings(data_dir=Path(tmp) / "data", generator="local", local_device="cpu", **overrides)
        MODEL_CACHE.mkdir(parents=True, exist_ok=True)
        local = Recording(await asyncio.to_thread(LocalGenerator, LocalConfig(device="cpu", cache_dir=MODEL_CACHE)))
        assistant = await Assistant.create(settings, generator=local)
        report = await assistant.ingest("global", sources)
        await assistant.answer(Question(text="What is a tuple?", user="warm-up"))  # loads embedder, indexes
        meter = EncodeMeter(assistant.embedder)
        for i, text in enumerate(qs):
            local.last, local.tokens = None, 0
            meter.reset()
            t0 = time.perf_counter()
            answer = await assistant.answer(Question(text=text, user=f"bench-{i}"))
            total = time.perf_counter() - t0
            streamed = local.tokens
            enc = {"enc_calls": meter.calls, "enc_texts": meter.texts, "enc_s": meter.seconds}
            if local.last is None:
                per_q.append({"q": text, "total": total, "gen": None, **enc})
                continue
            prompt, params = local.last
            t0 = time.perf_counter()
            alone = await local.inner.generate(prompt, params)
            gen = time.perf_counter() - t0
            per_q.append({"q": text, "total": total, "gen": gen, "tokens": streamed,
                          "tokens_alone": len(alone.logprobs), "backend": answer.backend,
                          "refused": answer.refused, **enc})
        await assistant.aclose()

        settings_x = load_settings(data_dir=Path(tmp) / "data", generator="extractive", **overrides)
        extractive = await Assistant.create(settings_x)
        await extractive.answer(Question(text="What is a tuple?", user="warm-up-x"))
        x_times = []
        for i, text in enumerate(qs):
            t0 = time.perf_counter()
            await extractive.answer(Question(text=text, user=f"bench-x-{i}"))
            x_times.append(time.perf_counter() - t0)
        await extractive.aclose()

    timed = [p for p in per_q if p["gen"] is not None]
    for p, x in zip(per_q, x_times):
        over = p["total"] / p["gen"] - 1 if p["gen"] else float("nan")
        rows.append([p["q"][:40], p["total"], p["gen"] or "", over * 100, p.get("tokens", ""),
                     p.get("tokens_alone", ""), p.get("backend", ""), f"{p['enc_calls']}/{p['enc_texts']}",
                     p["enc_s"], x])
    total_sum = sum(p["total"] for p in timed)
    gen_sum = sum(p["gen"] for p in timed)
    overhead = total_sum / gen_sum - 1
    over_med = median([p["total"] / p["gen"] - 1 for p in timed])
    enc_sum = sum(p["enc_s"] for p in timed)
    rows.append(["ALL (sum)", total_sum, gen_sum, overhead * 100, "", "", "",
                 f"{sum(p['enc_calls'] for p in timed)}/{sum(p['enc_texts'] for p in timed)}", enc_sum, sum(x_times)])
    table(f"Assistant.answer vs generator alone (SmolLM2 local, max_new_tokens {settings.generation.max_new_tokens}; "
          f"KB: {report.chunks_embedded} chunks)",
          ["question", "answer s", "generate s", "overhead %", "tok (ask)", "tok (alone)", "answered by",
           "encode calls/texts", "encode s", "extractive s"], rows)
    print(f"of the {total_sum - gen_sum:.2f} s spent around generation, {enc_sum:.2f} s is MiniLM encoding "
          f"(retrieval query + judging + extractive fallback)")
    print(f"overhead around generation: {overhead * 100:.1f} % of generation time (median per question "
          f"{over_med * 100:.1f} %) (target ≤ 20 %): {'MET' if overhead <= 0.2 else 'NOT MET'}; "
          f"extractive backend p50 {median(x_times) * 1e3:.0f} ms")
    emit("e2e", {"questions": len(qs), "kb_chunks": report.chunks_embedded,
                 "answer_s_sum": round(total_sum, 2), "generate_s_sum": round(gen_sum, 2),
                 "overhead_pct": round(overhead * 100, 1), "overhead_median_pct": round(over_med * 100, 1),
                 "encode_s_sum": round(enc_sum, 2), "encode_texts": sum(p["enc_texts"] for p in timed),
                 "extractive_p50_ms": round(median(x_times) * 1e3, 1),
                 "extractive_max_ms": round(max(x_times) * 1e3, 1), "target_pct": 20, "met": overhead <= 0.2})


if __name__ == "__main__":
    asyncio.run(main())
