"""Generator faults (raising, hanging, out of memory, server down/slow/hostile) tell the user
something useful, never leak a secret, and the core keeps answering."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.core.generation import make_generator
from bot.core.safety import SecretFilter, secret_values
from bot.core.types import Question
from model.base import Generation, GenerationParams, GeneratorError, Prompt, Token

DOC = "# Shipping\n\nExpress shipping arrives the next business day and costs 12 EUR.\n"
Q = "How much does express shipping cost?"
API_KEY = "sk-test-SECRET-4242-do-not-leak"


class Faulty:
    """A generator that fails the way it is told to, the first `times` calls, then works."""

    name = "faulty"

    def __init__(self, fault: str, times: int = 1) -> None:
        self.fault = fault
        self.times = times
        self.hang = asyncio.Event()  # never set: "hang" waits on it until the deadline

    async def _fail(self) -> None:
        if self.times <= 0:
            return
        self.times -= 1
        if self.fault == "raise":
            raise GeneratorError("the model server failed (HTTP 500)")
        if self.fault == "hang":
            await self.hang.wait()
        if self.fault == "oom":
            raise MemoryError()

    async def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        await self._fail()
        yield Token("Express shipping costs 12 EUR [1].", -0.1)

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        await self._fail()
        return Generation("Express shipping costs 12 EUR [1].", [-0.1], backend=self.name)

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        return [await self.generate(prompt, params)]

    async def aclose(self) -> None:
        pass


async def core_with(tmp_path: Path, generator, **overrides) -> Assistant:
    settings = load_settings(data_dir=tmp_path / "data", generator="extractive", **overrides)
    assistant = await Assistant.create(settings, generator=generator)
    (tmp_path / "shipping.md").write_text(DOC)
    assert (await assistant.ingest("global", [str(tmp_path / "shipping.md")])).added == 1
    return assistant


@pytest.mark.parametrize(("fault", "note"), [
    ("raise", "the model server failed (HTTP 500)"),
    ("hang", "the language model did not answer in time"),
])
async def test_generator_failure_falls_back_and_says_why(tmp_path: Path, fault: str, note: str) -> None:
    assistant = await core_with(tmp_path, Faulty(fault), generation_timeout_s=0.5)
    try:
        first = await assistant.answer(Question(Q, user="u1"))
        assert first.error == note and "12 EUR" in first.text and first.backend == "extractive"
        second = await assistant.answer(Question(Q, user="u2"))
        assert second.error is None and "12 EUR" in second.text
    finally:
        await assistant.aclose()


async def test_local_model_out_of_memory_is_one_line(tmp_path: Path, tiny_gpt2: Path, monkeypatch) -> None:
    import model.local as local

    calls = {"n": 0}
    real = local.decode_batch

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.7 GiB total)")
        if calls["n"] == 2:
            raise MemoryError()
        return real(*args, **kwargs)

    monkeypatch.setattr(local, "decode_batch", flaky)
    generator = local.LocalGenerator(local.LocalConfig(model=str(tiny_gpt2), device="cpu", max_batch=4))
    assistant = await core_with(tmp_path, generator, max_new_tokens=8)
    try:
        for user in ("u1", "u2"):
            answer = await assistant.answer(Question(Q, user=user))
            assert answer.error == "the model ran out of memory (try a smaller model, fewer candidates or max_new_tokens)"
            assert "12 EUR" in answer.text  # the extractive fallback still answered
        third = await assistant.answer(Question(Q, user="u3"))
        assert third.error is None and "12 EUR" in third.text
    finally:
        await assistant.aclose()


async def test_openai_server_down_slow_or_hostile_never_leaks_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, unused_tcp_port: int
) -> None:
    never = asyncio.Event()
    mode = {"now": "hostile"}

    async def chat(request: web.Request) -> web.StreamResponse:
        if mode["now"] == "slow":
            await never.wait()  # until the client gives up
        # a hostile server echoes the credentials it was sent into its error body
        return web.json_response({"error": {"message": f"bad key {request.headers.get('Authorization')}"}},
                                 status=400)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    settings = load_settings(
        data_dir=tmp_path / "data", generator="openai", openai_base_url=f"http://127.0.0.1:{unused_tcp_port}/v1",
        openai_api_key=API_KEY, generation_timeout_s=1.0, discord_token="MTIz.discord-token-should-not-leak",
    )
    caplog.handler.addFilter(SecretFilter(secret_values(settings)))
    caplog.set_level(logging.DEBUG)
    assistant = await Assistant.create(settings, generator=make_generator(settings))
    (tmp_path / "shipping.md").write_text(DOC)
    await assistant.ingest("global", [str(tmp_path / "shipping.md")])
    seen: list[str] = []
    try:
        for phase in ("hostile", "slow", "down"):
            mode["now"] = phase
            if phase == "down":
                never.set()  # release the slow handler so the server can shut down at once
                await runner.cleanup()
            answer = await assistant.answer(Question(Q, user=f"u-{phase}"))
            assert answer.error, phase
            assert "12 EUR" in answer.text  # extractive fallback
            seen += [answer.text, answer.error]
        assert "did not answer in time" in seen[3] and "cannot reach the model server" in seen[5]
    finally:
        caplog.handler.filters.clear()
        await assistant.aclose()
        await runner.cleanup()
    everything = "\n".join(seen) + caplog.text
    assert API_KEY not in everything and "discord-token-should-not-leak" not in everything
    assert "SECRET-4242" not in everything
