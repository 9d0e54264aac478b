"""The `local` backend's code path on tiny random models (no downloads, fast)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from model.base import Generation, GenerationParams, GeneratorError, Passage, Prompt, Turn
from model.factory import build_generator
from model.local import LocalConfig, LocalGenerator

PROMPT = Prompt(
    question="When are refunds issued?",
    passages=[Passage(1, "Policy", "Refunds are issued within 14 days of purchase.")],
    history=[Turn("user", "hi"), Turn("assistant", "hello")],
    system="Be brief.",  # short prompts keep the tiny model's steps cheap
)


@pytest.fixture
async def gpt2(tiny_gpt2: Path):
    gen = LocalGenerator(LocalConfig(model=str(tiny_gpt2), device="cpu", max_batch=8))
    yield gen
    await gen.aclose()


async def collect(stream) -> tuple[str, list]:
    tokens = [t async for t in stream]
    return "".join(t.text for t in tokens), tokens


async def test_stream_matches_generate_greedy(gpt2: LocalGenerator):
    params = GenerationParams(max_new_tokens=24)
    whole = await gpt2.generate(PROMPT, params)
    text, tokens = await collect(gpt2.stream(PROMPT, params))
    assert whole.backend == "local"
    assert text == whole.text and text
    assert len(whole.logprobs) == 24 and whole.finish_reason == "length"
    assert all(lp <= 0.0 for lp in whole.logprobs)
    assert all(t.logprob is not None and t.logprob <= 0.0 for t in tokens)


async def test_sampling_is_seeded_and_stream_equals_generate(gpt2: LocalGenerator):
    # random tiny model + sampling emits arbitrary byte tokens: exercises partial UTF-8 handling
    params = GenerationParams(max_new_tokens=40, temperature=1.5, seed=7)
    a = await gpt2.generate(PROMPT, params)
    b = await gpt2.generate(PROMPT, params)
    text, _ = await collect(gpt2.stream(PROMPT, params))
    assert a.text == b.text == text
    assert "\ufffd" not in a.text or a.finish_reason == "length"


async def test_concurrent_requests_are_batched_and_match_sequential(gpt2: LocalGenerator):
    prompts = [Prompt(question=f"question number {i} about refunds" + " please" * i, system="Be brief.") for i in range(6)]
    params = GenerationParams(max_new_tokens=12)
    sequential = [await gpt2.generate(p, params) for p in prompts]
    assert set(gpt2.stats.batch_sizes) == {1}
    with gpt2.held():  # the worker may not start a batch until all six are queued
        streams = [gpt2.stream(p, params) for p in prompts]
    results = await asyncio.gather(*(collect(s) for s in streams))
    assert gpt2.stats.batch_sizes[-1] == 6 and gpt2.stats.max_batch_seen == 6
    assert [r[0] for r in results] == [s.text for s in sequential]


async def test_max_batch_splits_queue(tiny_gpt2: Path):
    gen = LocalGenerator(LocalConfig(model=str(tiny_gpt2), device="cpu", max_batch=2))
    try:
        with gen.held():
            streams = [gen.stream(Prompt(question=f"q{i}", system="Be brief."), GenerationParams(max_new_tokens=3)) for i in range(5)]
        await asyncio.gather(*(collect(s) for s in streams))
        assert gen.stats.batch_sizes == [2, 2, 1]
    finally:
        await gen.aclose()


async def test_generate_n(gpt2: LocalGenerator):
    params = GenerationParams(max_new_tokens=8, temperature=1.0, n=3, seed=1)
    gens = await gpt2.generate_n(PROMPT, params)
    assert len(gens) == 3 and all(isinstance(g, Generation) and g.logprobs for g in gens)
    assert gpt2.stats.batch_sizes[-1] == 3  # the candidates were decoded together
    greedy = await gpt2.generate_n(PROMPT, GenerationParams(max_new_tokens=8, n=2))
    assert len(greedy) == 2 and greedy[0].text == greedy[1].text


async def test_stop_string_truncates(gpt2: LocalGenerator):
    full = await gpt2.generate(PROMPT, GenerationParams(max_new_tokens=24))
    stop = full.text[3:6]
    assert stop
    cut = await gpt2.generate(PROMPT, GenerationParams(max_new_tokens=24, stop=(stop,)))
    streamed, _ = await collect(gpt2.stream(PROMPT, GenerationParams(max_new_tokens=24, stop=(stop,))))
    assert cut.text == full.text[: full.text.find(stop)] == streamed
    assert cut.finish_reason == "stop"


async def test_abandoned_stream_does_not_block_others(gpt2: LocalGenerator):
    stream = gpt2.stream(PROMPT, GenerationParams(max_new_tokens=200))
    first = await stream.__anext__()
    assert first.text
    await stream.aclose()
    later = await gpt2.generate(PROMPT, GenerationParams(max_new_tokens=4))
    assert len(later.logprobs) == 4


async def test_long_prompt_is_trimmed_to_context(gpt2: LocalGenerator):
    long = Prompt(question="refunds?", passages=[Passage(i, "P", "Refunds are issued. " * 200) for i in (1, 2)])
    gen = await gpt2.generate(long, GenerationParams(max_new_tokens=5))
    assert len(gen.logprobs) == 5
    assert gpt2.max_context == 512


async def test_aclose_rejects_new_work(tiny_gpt2: Path):
    gen = build_generator("local", model=tiny_gpt2, device="cpu")
    assert isinstance(gen, LocalGenerator)
    await gen.aclose()
    with pytest.raises(GeneratorError):
        await gen.generate(PROMPT)


async def test_aclose_fails_queued_requests(tiny_gpt2: Path):
    gen = LocalGenerator(LocalConfig(model=str(tiny_gpt2), device="cpu"))
    with gen.held():
        stream = gen.stream(PROMPT, GenerationParams(max_new_tokens=4))
        await gen.aclose()
    with pytest.raises(GeneratorError, match="shut down"):
        await collect(stream)


def test_bad_model_path_raises(tmp_path: Path):
    with pytest.raises(GeneratorError, match="not found"):
        LocalGenerator(LocalConfig(model=str(tmp_path / "missing")))
    (tmp_path / "junk").mkdir()
    with pytest.raises(GeneratorError) as err:
        LocalGenerator(LocalConfig(model=str(tmp_path / "junk")))
    assert "\n" not in str(err.value)


def test_cuda_request_without_gpu_is_an_error(tiny_gpt2: Path, monkeypatch: pytest.MonkeyPatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same on machines with a GPU
    with pytest.raises(GeneratorError, match="CUDA"):
        LocalGenerator(LocalConfig(model=str(tiny_gpt2), device="cuda"))


async def test_seq2seq_smoke(tiny_t5: Path):
    gen = LocalGenerator(LocalConfig(model=str(tiny_t5), device="cpu"))
    try:
        params = GenerationParams(max_new_tokens=6)
        whole = await gen.generate(PROMPT, params)
        text, _ = await collect(gen.stream(PROMPT, params))
        assert text == whole.text
        assert 0 < len(whole.logprobs) <= 6 and all(lp <= 0 for lp in whole.logprobs)
        with gen.held():
            streams = [gen.stream(Prompt(question=f"q {i}" * (i + 1), system="Be brief."), params) for i in range(3)]
        assert len(await asyncio.gather(*(collect(s) for s in streams))) == 3
        assert gen.stats.batch_sizes[-1] == 3
    finally:
        await gen.aclose()


async def test_prompt_is_focused_for_the_small_model(tiny_gpt2: Path):
    prompt = Prompt("When are refunds issued?", [Passage(n, "P", f"Passage {n} is here.") for n in (1, 2, 3, 4)])
    focused = LocalGenerator(LocalConfig(model=str(tiny_gpt2), device="cpu"))
    whole = LocalGenerator(LocalConfig(model=str(tiny_gpt2), device="cpu", prompt_passages=0))
    try:
        shown = [g._spec.tokenizer.decode(g._encode(prompt, 10_000)) for g in (focused, whole)]
    finally:
        await focused.aclose()
        await whole.aclose()
    assert shown[0].count("<passage n=") == 2 and shown[1].count("<passage n=") == 4
