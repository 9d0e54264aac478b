"""The `ct2` backend (CTranslate2) on a tiny random Llama: conversion, streaming, logprobs, batching."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="ctranslate2 (extra ragcord[fast]) is not installed")

from model import ct2  # noqa: E402
from model.base import GenerationParams, GeneratorError, Passage, Prompt  # noqa: E402
from model.ct2 import Ct2Config, Ct2Generator  # noqa: E402
from model.factory import build_generator  # noqa: E402
from model.local import LocalConfig, LocalGenerator  # noqa: E402
from model.stoprules import ANSWER_RULES  # noqa: E402

PROMPT = Prompt(
    question="When are refunds issued?",
    passages=[Passage(1, "Policy", "Refunds are issued within 14 days of purchase.")],
    system="Be brief.",
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture
async def gen(tiny_llama: Path, cache: Path):
    g = Ct2Generator(Ct2Config(model=str(tiny_llama), cache_dir=cache))
    yield g
    await g.aclose()


async def collect(stream) -> tuple[str, list]:
    tokens = [t async for t in stream]
    return "".join(t.text for t in tokens), tokens


async def test_stream_pieces_join_to_the_whole_text_with_logprobs(gen: Ct2Generator):
    params = GenerationParams(max_new_tokens=24)
    whole = await gen.generate(PROMPT, params)
    text, tokens = await collect(gen.stream(PROMPT, params))
    assert whole.backend == "ct2" and gen.config.compute_type == "int8"
    assert text == whole.text and text
    assert len(whole.logprobs) == 24 and whole.finish_reason == "length"
    assert all(lp <= 0.0 for lp in whole.logprobs)
    assert all(t.logprob is not None and t.logprob <= 0.0 for t in tokens)


async def test_float32_conversion_decodes_like_the_transformers_backend(tiny_llama: Path, cache: Path):
    fast = Ct2Generator(Ct2Config(model=str(tiny_llama), cache_dir=cache, compute_type="float32"))
    slow = LocalGenerator(LocalConfig(model=str(tiny_llama), device="cpu"))
    try:
        params = GenerationParams(max_new_tokens=16)
        a, b = await fast.generate(PROMPT, params), await slow.generate(PROMPT, params)
    finally:
        await fast.aclose()
        await slow.aclose()
    assert a.text == b.text and len(a.logprobs) == len(b.logprobs) == 16
    assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-3


async def test_simultaneous_requests_share_a_batch_each_with_its_own_answer(gen: Ct2Generator):
    prompts = [Prompt(question=f"question {i} about refunds" + " please" * i, system="Be brief.") for i in range(6)]
    params = GenerationParams(max_new_tokens=10)
    sequential = [await gen.generate(p, params) for p in prompts]
    assert set(gen.stats.batch_sizes) == {1}
    with gen.held():  # the worker may not start a batch until all six are queued
        streams = [gen.stream(p, params) for p in prompts]
    results = await asyncio.gather(*(collect(s) for s in streams))
    assert gen.stats.batch_sizes[-1] == 6
    assert [r[0] for r in results] == [s.text for s in sequential]
    assert len({s.text for s in sequential}) > 1  # different prompts, different answers


async def test_max_batch_splits_the_queue(tiny_llama: Path, cache: Path):
    g = Ct2Generator(Ct2Config(model=str(tiny_llama), cache_dir=cache, max_batch=2))
    try:
        with g.held():
            streams = [g.stream(Prompt(question=f"q{i}"), GenerationParams(max_new_tokens=3)) for i in range(5)]
        await asyncio.gather(*(collect(s) for s in streams))
        assert g.stats.batch_sizes == [2, 2, 1]
    finally:
        await g.aclose()


async def test_stop_string_truncates(gen: Ct2Generator):
    full = await gen.generate(PROMPT, GenerationParams(max_new_tokens=24))
    stop = full.text[3:6]
    cut = await gen.generate(PROMPT, GenerationParams(max_new_tokens=24, stop=(stop,)))
    streamed, _ = await collect(gen.stream(PROMPT, GenerationParams(max_new_tokens=24, stop=(stop,))))
    assert stop and cut.text == full.text[: full.text.find(stop)] == streamed
    assert cut.finish_reason == "stop"


async def test_stop_rules_end_the_row_after_two_sentences(gen: Ct2Generator):
    # the random model writes no sentences, so the decoder's per-token step is fed real text
    from model.decode import RowText
    from model.detok import IncrementalText
    from model.worker import Request

    request = Request(PROMPT, GenerationParams(), None)
    row = ct2._Row(request, [], 100, RowText(IncrementalText(gen.tokenizer), ANSWER_RULES))
    ids = gen.tokenizer.encode("Refunds are issued. The library opens at nine. Passages are data.",
                               add_special_tokens=False)
    fed = 0
    while not gen._step(row, ids[fed], -0.5):  # True: the row ended (the decoder stops feeding it)
        fed += 1
    assert row.done and fed < len(ids) - 1
    answer = await gen._collect(request)  # what the caller receives
    assert answer.text == "Refunds are issued. The library opens at nine." and answer.finish_reason == "stop"
    assert answer.logprobs and all(lp == -0.5 for lp in answer.logprobs)


async def test_sampled_candidates_share_a_batch(gen: Ct2Generator):
    # CTranslate2 samples on its own threads: a seed is not honoured (see model/ct2.py), so only the shape
    many = await gen.generate_n(PROMPT, GenerationParams(max_new_tokens=6, temperature=1.0, n=3))
    assert len(many) == 3 and gen.stats.batch_sizes[-1] == 3
    assert all(g.logprobs and all(lp <= 0.0 for lp in g.logprobs) for g in many)


async def test_abandoned_stream_does_not_block_others(gen: Ct2Generator):
    stream = gen.stream(PROMPT, GenerationParams(max_new_tokens=400))
    assert (await stream.__anext__()).text
    await stream.aclose()
    later = await gen.generate(PROMPT, GenerationParams(max_new_tokens=4))
    assert len(later.logprobs) == 4


async def test_aclose_rejects_new_work(tiny_llama: Path, cache: Path):
    g = Ct2Generator(Ct2Config(model=str(tiny_llama), cache_dir=cache))
    await g.aclose()
    with pytest.raises(GeneratorError, match="shut down"):
        await g.generate(PROMPT)


def test_conversion_is_cached_and_a_partial_one_redone(tiny_llama: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    calls: list[Path] = []
    real = ct2.convert
    monkeypatch.setattr(ct2, "convert", lambda s, t, c: (calls.append(t), real(s, t, c)))
    _, target = ct2.converted_dir(tiny_llama, tmp_path, "int8")
    target.mkdir(parents=True)
    (target / "model.bin").write_bytes(b"cut short")  # no marker: an interrupted conversion
    assert ct2.prepare(tiny_llama, tmp_path, "int8") == target and calls == [target]
    assert ct2.prepare(tiny_llama, tmp_path, "int8") == target and calls == [target]  # cached
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp folder left behind


def test_factory_builds_ct2_and_auto_prefers_it(tiny_llama: Path, cache: Path):
    for name in ("ct2", "auto"):
        g = build_generator(name, model=tiny_llama, cache_dir=cache, device="cpu")
        assert isinstance(g, Ct2Generator)
        asyncio.run(g.aclose())


def test_auto_falls_back_to_local_in_one_line(tiny_llama: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture):
    def broken(source: Path, target: Path, compute_type: str) -> None:
        raise ValueError("unsupported architecture\nwith a second line")

    monkeypatch.setattr(ct2, "convert", broken)
    with caplog.at_level(logging.WARNING, logger="model.factory"):
        g = build_generator("auto", model=tiny_llama, cache_dir=tmp_path, device="cpu")
    assert isinstance(g, LocalGenerator)
    asyncio.run(g.aclose())
    (line,) = [r for r in caplog.records if r.name == "model.factory"]
    assert "ct2 unavailable: could not convert" in line.getMessage() and "\n" not in line.getMessage()
    assert line.exc_info is None
    with pytest.raises(GeneratorError, match="could not convert"):  # asked for by name: the error itself
        build_generator("ct2", model=tiny_llama, cache_dir=tmp_path)


def test_auto_without_ctranslate2_is_local(tiny_llama: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ct2, "available", lambda: False)
    g = build_generator("auto", model=tiny_llama, cache_dir=tmp_path, device="cpu")
    assert isinstance(g, LocalGenerator)
    asyncio.run(g.aclose())
    with pytest.raises(GeneratorError, match=r"ragcord\[fast\]"):
        build_generator("ct2", model=tiny_llama, cache_dir=tmp_path)


async def test_ct2_answers_go_through_the_judge(tiny_llama: Path, cache: Path, tmp_path: Path):
    from bot.core.assistant import Assistant
    from bot.core.config import load_settings
    from bot.core.types import Question

    g = Ct2Generator(Ct2Config(model=str(tiny_llama), cache_dir=cache))
    settings = load_settings(data_dir=tmp_path / "data", generator="extractive", max_new_tokens=16)
    assistant = await Assistant.create(settings, generator=g)
    try:
        doc = tmp_path / "shipping.md"
        doc.write_text("# Shipping\n\nExpress shipping arrives the next business day and costs 12 EUR.\n")
        assert (await assistant.ingest("global", [str(doc)])).added == 1
        answer = await assistant.answer(Question("How much does express shipping cost?", user="u1"))
    finally:
        await assistant.aclose()
    judged = [c for c in answer.candidates if c.backend == "ct2"]
    assert judged and all(c.signals is not None for c in judged)  # scored by the judge like any backend
    assert answer.backend != "ct2" and "12 EUR" in answer.text  # the random model's text was not shown
