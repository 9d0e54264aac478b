"""The openai backend against a small aiohttp server speaking /v1/chat/completions."""
from __future__ import annotations

import json
import socket

import pytest
from aiohttp import web

from model.base import GenerationParams, GeneratorError, Passage, Prompt
from model.openai_compat import OpenAIGenerator

KEY = "sk-secret-test-key-123"
PROMPT = Prompt(question="When are refunds issued?", passages=[Passage(1, "Policy", "Within 14 days.")])
WORDS = ["Refunds ", "take ", "14 ", "days ", "[1]."]


class FakeServer:
    """Records requests; behaviour switched per test through attributes."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.reject_n = False
        self.reject_logprobs = False
        self.with_logprobs = True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        body["_auth"] = request.headers.get("Authorization")
        self.requests.append(body)
        if self.status != 200:
            return web.json_response({"error": {"message": f"boom, your key {KEY} is bad"}}, status=self.status)
        if self.reject_logprobs and body.get("logprobs"):
            return web.json_response({"error": {"message": "logprobs not supported"}}, status=400)
        if self.reject_n and body.get("n", 1) > 1:
            return web.json_response({"error": {"message": "n > 1 is not supported"}}, status=400)
        if body.get("stream"):
            return await self._stream(request)
        choices = []
        for i in range(body.get("n", 1)):
            choice = {"index": i, "message": {"role": "assistant", "content": f"answer {i} [1]"},
                      "finish_reason": "stop"}
            if self.with_logprobs and body.get("logprobs"):
                choice["logprobs"] = {"content": [{"token": "a", "logprob": -0.5}, {"token": "b", "logprob": -0.25}]}
            choices.append(choice)
        return web.json_response({"choices": choices})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b": keep-alive comment\n\n")
        for i, word in enumerate(WORDS):
            choice = {"index": 0, "delta": {"content": word}, "finish_reason": None}
            if self.with_logprobs:
                choice["logprobs"] = {"content": [{"token": word, "logprob": -0.1 * (i + 1)}]}
            await resp.write(f"data: {json.dumps({'choices': [choice]})}\n\n".encode())
        await resp.write(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
        await resp.write(b"data: [DONE]\n\n")
        return resp


@pytest.fixture
async def server():
    fake = FakeServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}/v1"
    yield fake
    await runner.cleanup()


@pytest.fixture
async def client(server: FakeServer):
    gen = OpenAIGenerator(server.url, "smol", api_key=KEY, timeout=5)
    yield gen
    await gen.aclose()


async def test_stream_sse_with_logprobs(server: FakeServer, client: OpenAIGenerator):
    tokens = [t async for t in client.stream(PROMPT, GenerationParams(max_new_tokens=16, stop=("###",)))]
    assert "".join(t.text for t in tokens) == "".join(WORDS)
    assert [t.logprob for t in tokens] == pytest.approx([-0.1, -0.2, -0.3, -0.4, -0.5])
    req = server.requests[-1]
    assert req["stream"] is True and req["logprobs"] is True and req["max_tokens"] == 16
    assert req["stop"] == ["###"] and req["model"] == "smol"
    assert req["_auth"] == f"Bearer {KEY}"
    assert req["messages"][0]["role"] == "system" and '<passage n="1"' in req["messages"][-1]["content"]


async def test_stream_without_logprobs(server: FakeServer, client: OpenAIGenerator):
    server.with_logprobs = False
    tokens = [t async for t in client.stream(PROMPT)]
    assert "".join(t.text for t in tokens) == "".join(WORDS)
    assert all(t.logprob is None for t in tokens)


async def test_generate_reads_logprobs(client: OpenAIGenerator):
    gen = await client.generate(PROMPT)
    assert gen.text == "answer 0 [1]" and gen.logprobs == [-0.5, -0.25] and gen.backend == "openai"
    assert gen.mean_logprob == pytest.approx(-0.375)


async def test_server_rejecting_logprobs_is_retried_without(server: FakeServer, client: OpenAIGenerator):
    server.reject_logprobs = True
    gen = await client.generate(PROMPT)
    assert gen.text == "answer 0 [1]" and gen.logprobs == []
    assert "logprobs" not in server.requests[-1]


async def test_generate_n_uses_n(server: FakeServer, client: OpenAIGenerator):
    gens = await client.generate_n(PROMPT, GenerationParams(n=3, temperature=0.7))
    assert [g.text for g in gens] == ["answer 0 [1]", "answer 1 [1]", "answer 2 [1]"]
    assert len(server.requests) == 1 and server.requests[0]["n"] == 3


async def test_generate_n_falls_back_when_n_rejected(server: FakeServer, client: OpenAIGenerator):
    server.reject_n = True
    gens = await client.generate_n(PROMPT, GenerationParams(n=3, temperature=0.7, seed=5))
    assert len(gens) == 3
    assert [r.get("seed") for r in server.requests[1:]] == [5, 6, 7]


@pytest.mark.parametrize("status", [500, 503, 401])
async def test_http_errors_are_one_line_without_key(server: FakeServer, client: OpenAIGenerator, status: int):
    server.status = status
    for call in (client.generate(PROMPT), _drain(client.stream(PROMPT))):
        with pytest.raises(GeneratorError) as err:
            await call
        message = str(err.value)
        assert KEY not in message and "\n" not in message and str(status) in message


async def test_4xx_detail_is_scrubbed_of_key(server: FakeServer, client: OpenAIGenerator):
    server.status = 400
    with pytest.raises(GeneratorError) as err:
        await client.generate(PROMPT)
    assert KEY not in str(err.value) and "***" in str(err.value)


async def test_connection_refused():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gen = OpenAIGenerator(f"http://user:{KEY}@127.0.0.1:{port}", "m", api_key=KEY, timeout=2)
    try:
        for call in (gen.generate(PROMPT), _drain(gen.stream(PROMPT))):
            with pytest.raises(GeneratorError, match="cannot reach") as err:
                await call
            assert KEY not in str(err.value)
    finally:
        await gen.aclose()


async def test_timeout_is_generator_error():
    import asyncio

    started = asyncio.Event()
    release = asyncio.Event()

    async def hang(request):
        started.set()
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    gen = OpenAIGenerator(f"http://127.0.0.1:{port}", "m", timeout=0.2)
    try:
        with pytest.raises(GeneratorError, match="did not answer"):
            await gen.generate(PROMPT)
        assert started.is_set()
    finally:
        release.set()
        await gen.aclose()
        await runner.cleanup()


async def _drain(stream):
    return [t async for t in stream]
