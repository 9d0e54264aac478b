"""`LlamaCppGenerator`: a GGUF run by llama-cpp-python (optional extra `ragcord[llamacpp]`).

About 6x faster than transformers on CPU for SmolLM2. One worker thread owns
the model; requests run one at a time (llama.cpp's Python binding is not
thread-safe). Tokens reach the event loop through `call_soon_threadsafe`.
"""
from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from model.base import Generation, GenerationParams, GeneratorError, Prompt, Token
from model.prompts import render_messages, trim_passages
from model.weights import default_model_path

MISSING = "llama-cpp-python is not installed: pip install 'ragcord[llamacpp]'"


def available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


class LlamaCppGenerator:
    name = "llamacpp"

    def __init__(self, model: str | None = None, n_ctx: int = 2048, n_threads: int | None = None,
                 max_prompt_chars: int = 6000, **_: Any) -> None:
        if not available():
            raise GeneratorError(MISSING)
        path = Path(model) if model else default_model_path()
        if path is None or not path.is_file() or path.suffix.lower() != ".gguf":
            raise GeneratorError(f"llamacpp needs a .gguf file, got {model or 'nothing'}")
        from llama_cpp import Llama

        try:
            self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        except Exception as exc:  # noqa: BLE001
            raise GeneratorError(f"could not load {path.name} with llama.cpp: {str(exc)[:200]}") from exc
        self.max_prompt_chars = max_prompt_chars
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ragcord-llamacpp")
        self._closed = False

    def _messages(self, prompt: Prompt) -> list[dict[str, str]]:
        if prompt.passages:
            prompt = replace(prompt, passages=trim_passages(prompt.passages, self.max_prompt_chars))
        return render_messages(prompt)

    def _run(self, prompt: Prompt, params: GenerationParams, seed: int | None, emit) -> str:
        kwargs: dict[str, Any] = dict(
            messages=self._messages(prompt), max_tokens=params.max_new_tokens, temperature=params.temperature,
            top_p=params.top_p, stop=list(params.stop) or None, stream=True,
        )
        if seed is not None:
            kwargs["seed"] = seed
        reason = "stop"
        for chunk in self._llm.create_chat_completion(**kwargs):
            if self._closed:
                break
            choice = chunk["choices"][0]
            text = (choice.get("delta") or {}).get("content") or ""
            if text:
                emit(text)
            reason = choice.get("finish_reason") or reason
        return "length" if reason == "length" else "stop"

    async def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        params = params or GenerationParams()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()
        emit = lambda text: loop.call_soon_threadsafe(queue.put_nowait, text)  # noqa: E731
        future = asyncio.wrap_future(self._pool.submit(self._run, prompt, params, params.seed, emit))
        while True:
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, future}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield Token(getter.result())
                continue
            getter.cancel()
            while not queue.empty():
                yield Token(queue.get_nowait())
            exc = future.exception()
            if exc is not None:
                raise GeneratorError(f"llama.cpp generation failed: {str(exc)[:200]}")
            return

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        pieces = [t.text async for t in self.stream(prompt, params)]
        return Generation("".join(pieces), backend=self.name)

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        out = []
        for i in range(max(1, params.n)):
            seed = None if params.seed is None else params.seed + i
            out.append(await self.generate(prompt, replace(params, seed=seed)))
        return out

    async def aclose(self) -> None:
        self._closed = True
        await asyncio.to_thread(self._pool.shutdown, wait=True)
