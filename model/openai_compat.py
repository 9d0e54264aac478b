"""`OpenAIGenerator`: any `/v1/chat/completions` server (vLLM, TGI, llama.cpp server, OpenAI).

Streams with SSE, asks for token logprobs and tolerates servers that do not
return them (or reject the option), and turns every transport/HTTP failure into
a one-line `GeneratorError` that never contains the API key.
"""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from model.base import Generation, GenerationParams, GeneratorError, Prompt, Token
from model.prompts import render_messages, trim_passages


class RequestRejected(GeneratorError):
    """HTTP 4xx other than auth: the server understood but refused (e.g. an unsupported `n`)."""


class OpenAIGenerator:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_prompt_chars: int = 12_000,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self.url = base + "/chat/completions" if base.endswith("/v1") else base + "/v1/chat/completions"
        self.model = model
        self.timeout = timeout
        self.max_prompt_chars = max_prompt_chars
        self._key = api_key
        self._where = _public_url(base)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout), headers=headers)
        self._logprobs = True  # switched off once if the server rejects the option

    # --- public API -------------------------------------------------------------------------------
    async def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        params = params or GenerationParams()
        body = self._body(prompt, params, stream=True)
        try:
            async with self._client.stream("POST", self.url, json=body) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    if self._retry_without_logprobs(resp, body):
                        async for tok in self.stream(prompt, params):
                            yield tok
                        return
                    raise self._http_error(resp)
                async for line in resp.aiter_lines():
                    chunk = _sse_data(line)
                    if chunk is None:
                        continue
                    if chunk == "[DONE]":
                        return
                    for tok in self._chunk_tokens(chunk):
                        yield tok
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        params = params or GenerationParams()
        gens = await self._complete(prompt, replace(params, n=1))
        return gens[0]

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        n = max(1, params.n)
        try:
            gens = await self._complete(prompt, params)
        except GeneratorError as exc:
            if n == 1 or not isinstance(exc, RequestRejected):
                raise
            gens = []  # the server refuses `n`: ask one at a time below
        while len(gens) < n:  # also covers servers that silently ignore `n`
            seed = None if params.seed is None else params.seed + len(gens)
            gens.extend(await self._complete(prompt, replace(params, n=1, seed=seed)))
        return gens[:n]

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- requests ---------------------------------------------------------------------------------
    def _body(self, prompt: Prompt, params: GenerationParams, stream: bool) -> dict[str, Any]:
        if prompt.passages and self.max_prompt_chars > 0:
            prompt = replace(prompt, passages=trim_passages(prompt.passages, self.max_prompt_chars))
        body: dict[str, Any] = {
            "model": self.model,
            "messages": render_messages(prompt),
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stream": stream,
        }
        if params.n > 1:
            body["n"] = params.n
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if self._logprobs:
            body["logprobs"] = True
        return body

    async def _complete(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        body = self._body(prompt, params, stream=False)
        try:
            resp = await self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if resp.status_code >= 400:
            if self._retry_without_logprobs(resp, body):
                return await self._complete(prompt, params)
            raise self._http_error(resp)
        try:
            choices = resp.json()["choices"]
            return [self._choice(c) for c in choices]
        except (ValueError, KeyError, TypeError, IndexError):
            raise GeneratorError(f"the model server at {self._where} sent a malformed reply") from None

    def _choice(self, choice: dict[str, Any]) -> Generation:
        message = choice.get("message") or {}
        text = message.get("content") or choice.get("text") or ""
        reason = choice.get("finish_reason") or "stop"
        return Generation(
            text=text, logprobs=_logprobs(choice), finish_reason="length" if reason == "length" else "stop",
            backend=self.name,
        )

    def _chunk_tokens(self, chunk: str) -> list[Token]:
        try:
            data = json.loads(chunk)
        except ValueError:
            raise GeneratorError(f"the model server at {self._where} sent a malformed stream") from None
        if isinstance(data, dict) and data.get("error"):
            raise GeneratorError(f"the model server failed mid-answer: {self._clean(_error_text(data))}")
        choices = (data.get("choices") or []) if isinstance(data, dict) else []
        if not choices:
            return []
        choice = choices[0]
        text = (choice.get("delta") or {}).get("content") or ""
        lps = _logprobs(choice)
        if not text and not lps:
            return []
        if len(lps) <= 1:
            return [Token(text, lps[0] if lps else None)]
        # several tokens in one chunk: keep each logprob, text rides on the first
        return [Token(text, lps[0]), *(Token("", lp) for lp in lps[1:])]

    def _retry_without_logprobs(self, resp: httpx.Response, body: dict[str, Any]) -> bool:
        if body.get("logprobs") and resp.status_code in (400, 422) and "logprob" in resp.text.lower():
            self._logprobs = False
            return True
        return False

    # --- errors ------------------------------------------------------------------------------------
    def _clean(self, text: str) -> str:
        line = " ".join(text.split())[:200]
        return line.replace(self._key, "***") if self._key else line

    def _http_error(self, resp: httpx.Response) -> GeneratorError:
        code = resp.status_code
        if code in (401, 403):
            err = GeneratorError(f"the model server at {self._where} rejected the API key (HTTP {code})")
        elif code >= 500:
            err = GeneratorError(f"the model server at {self._where} failed (HTTP {code})")
        else:
            detail = self._clean(_error_text(_json_or_none(resp)) or resp.text)
            err = RequestRejected(f"the model server refused the request (HTTP {code}): {detail}")
        return err

    def _transport_error(self, exc: httpx.HTTPError) -> GeneratorError:
        if isinstance(exc, httpx.TimeoutException):
            return GeneratorError(f"the model server at {self._where} did not answer within {self.timeout:g} s")
        if isinstance(exc, httpx.ConnectError):
            return GeneratorError(f"cannot reach the model server at {self._where}")
        return GeneratorError(f"connection to the model server at {self._where} failed ({type(exc).__name__})")


def _sse_data(line: str) -> str | None:
    if not line.startswith("data:"):
        return None  # comments (":"), event names, blank separators
    return line[5:].strip() or None


def _logprobs(choice: dict[str, Any]) -> list[float]:
    lp = choice.get("logprobs")
    if not isinstance(lp, dict):
        return []
    content = lp.get("content")
    if not isinstance(content, list):
        return []
    return [float(c["logprob"]) for c in content if isinstance(c, dict) and isinstance(c.get("logprob"), (int, float))]


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _error_text(data: Any) -> str:
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("detail") or "")
        return str(err)
    return ""


def _public_url(url: str) -> str:
    """The base URL without user:password@ credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
