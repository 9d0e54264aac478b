"""`BatchingWorker`: one worker thread owns a model and micro-batches the requests queued for it.

Requests are queued from the event loop; the worker takes everything queued (up
to `max_batch`) and decodes it in one go (`_run`, the backend's part). Requests
arriving meanwhile wait for the next batch. Tokens travel back to each request's
event loop with `loop.call_soon_threadsafe` into an `asyncio.Queue`. The `local`
(transformers) and `ct2` (CTranslate2) backends share this contract.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from model.base import Generation, GenerationParams, GeneratorError, Prompt, Token
from model.stoprules import ANSWER_RULES, TASK_RULES, StopRules

R = TypeVar("R")

CLOSED_MESSAGE = "the local model was shut down"


@dataclass
class WorkerStats:
    """Counters the worker keeps (read them from any thread; they only grow)."""

    batches: int = 0
    requests: int = 0
    max_batch_seen: int = 0
    steps: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    def record(self, size: int) -> None:
        self.batches += 1
        self.requests += size
        self.max_batch_seen = max(self.max_batch_seen, size)
        self.batch_sizes.append(size)


class Request:
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

    def finish(self, reason: str) -> None:
        """Tell the caller how the row ended: "stop" | "length" | "closed" | "error:<message>"."""
        if reason == "closed":
            self.post("error", CLOSED_MESSAGE)
        elif reason.startswith("error:"):
            self.post("error", reason[len("error:") :])
        else:
            self.post("end", "length" if reason == "length" else "stop")


def prepare_rows(batch: list[Request], make_row: Callable[[Request], R]) -> list[R]:
    """The batch's rows, skipping cancelled requests; a prompt that cannot be prepared fails only its own."""
    rows: list[R] = []
    for request in batch:
        if request.cancelled:
            continue
        try:
            rows.append(make_row(request))
        except Exception as exc:  # noqa: BLE001 - a bad prompt fails only its own request
            request.post("error", f"could not prepare the prompt: {exc}")
    return rows


def stop_rules_for(enabled: bool, prompt: Prompt) -> StopRules | None:
    if not enabled:
        return None
    return ANSWER_RULES if prompt.task == "answer" else TASK_RULES


class BatchingWorker:
    """The event-loop side and the worker loop; subclasses implement `_run` and `_release_model`."""

    name = "worker"
    max_batch = 8

    def _start_worker(self, thread_name: str) -> None:
        self.stats = WorkerStats()
        self._pending: deque[Request] = deque()
        self._cond = threading.Condition()
        self._holds = 0
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=thread_name, daemon=True)
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

    # --- event-loop side ---------------------------------------------------------------------------
    def _submit(self, prompt: Prompt, params: GenerationParams, seeds: list[int | None]) -> list[Request]:
        requests = [Request(prompt, params, seed) for seed in seeds]
        with self._cond:
            if self._closed:
                raise GeneratorError(CLOSED_MESSAGE)
            self._pending.extend(requests)  # atomically: candidates of one call share a batch
            self._cond.notify_all()
        return requests

    async def _tokens(self, request: Request) -> AsyncIterator[Token]:
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

    async def _collect(self, request: Request) -> Generation:
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
                take = min(self.max_batch, len(self._pending))
                batch = [self._pending.popleft() for _ in range(take)]
            self._run(batch)
        with self._cond:
            left = list(self._pending)
            self._pending.clear()
        for request in left:
            request.post("error", CLOSED_MESSAGE)
        self._release_model()

    def _run(self, batch: list[Request]) -> None:
        raise NotImplementedError

    def _release_model(self) -> None:
        """Drop the weights once the worker stops."""


def failure_message(backend: str, exc: BaseException) -> str:
    """One line for a failed batch (out-of-memory gets its own advice)."""
    text = str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():  # torch OOM is a RuntimeError
        return "the model ran out of memory (try a smaller model, fewer candidates or max_new_tokens)"
    return f"{backend} generation failed: {text.splitlines()[0] if text else type(exc).__name__}"
