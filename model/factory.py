"""`build_generator(backend, **cfg)`: one entry point for every backend (blocking for `local`).

`auto` is the local model on the fastest runtime installed: CTranslate2 int8 (`ct2`, extra
`ragcord[fast]`) when ctranslate2 imports and the model converts, else transformers (`local`),
with one log line saying why.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from model.base import Generator, GeneratorError, error_line

BACKENDS = ("local", "ct2", "auto", "openai", "extractive", "llamacpp")

log = logging.getLogger(__name__)


def build_generator(backend: str, **cfg: Any) -> Generator:
    """Build a backend. Keyword arguments are the backend's own settings; `None` values are ignored.

    - local: model, device, dtype, cache_dir, max_batch, max_context (see `LocalConfig`)
    - ct2: model, cache_dir, compute_type, threads, max_batch, max_context (see `Ct2Config`)
    - auto: ct2 when it is installed and converts the model (CPU), else local (same settings)
    - openai: base_url, model, api_key, timeout, max_prompt_chars
    - extractive: similarity, max_sentences, keep_ratio, min_score
    - llamacpp: model (.gguf), n_ctx, n_threads
    """
    cfg = {k: v for k, v in cfg.items() if v is not None}
    name = backend.strip().lower()
    if name == "auto":
        return _fastest_local(cfg)
    if name == "ct2":
        from model.ct2 import Ct2Config, Ct2Generator

        known = set(Ct2Config.__dataclass_fields__)
        if "model" in cfg:
            cfg["model"] = str(cfg["model"])
        return Ct2Generator(Ct2Config(**{k: v for k, v in cfg.items() if k in known}))
    if name == "local":
        from model.local import LocalConfig, LocalGenerator

        known = set(LocalConfig.__dataclass_fields__)
        if "cache_dir" in cfg:
            cfg["cache_dir"] = Path(cfg["cache_dir"])
        if "model" in cfg:
            cfg["model"] = str(cfg["model"])
        return LocalGenerator(LocalConfig(**{k: v for k, v in cfg.items() if k in known}))
    if name == "openai":
        from model.openai_compat import OpenAIGenerator

        if not cfg.get("base_url") or not cfg.get("model"):
            raise GeneratorError("the openai backend needs base_url and model")
        keys = ("base_url", "model", "api_key", "timeout", "max_prompt_chars")
        return OpenAIGenerator(**{k: cfg[k] for k in keys if k in cfg})
    if name == "extractive":
        from model.extractive import ExtractiveGenerator

        keys = ("similarity", "max_sentences", "keep_ratio", "min_score")
        return ExtractiveGenerator(**{k: cfg[k] for k in keys if k in cfg})
    if name == "llamacpp":
        from model.llamacpp import LlamaCppGenerator

        keys = ("model", "n_ctx", "n_threads", "max_prompt_chars")
        return LlamaCppGenerator(**{k: (str(cfg[k]) if k == "model" else cfg[k]) for k in keys if k in cfg})
    raise GeneratorError(f"unknown generator backend {backend!r} (choose {', '.join(BACKENDS)})")


def _fastest_local(cfg: dict[str, Any]) -> Generator:
    """ct2 on CPU when it can run, else local; a GPU (device cuda/auto with CUDA) stays on local."""
    from model import ct2

    if _cuda_wanted(cfg.get("device")):
        log.info("generator: local (transformers on CUDA)")
        return build_generator("local", **cfg)
    if not ct2.available():
        log.info("generator: local (transformers); %s", ct2.MISSING)
        return build_generator("local", **cfg)
    try:
        gen = build_generator("ct2", **cfg)
    except Exception as exc:  # noqa: BLE001 - any ct2 failure falls back, in one line
        log.warning("generator: local (transformers); ct2 unavailable: %s", error_line(exc))
        return build_generator("local", **cfg)
    log.info("generator: ct2 (CTranslate2 %s on CPU)", cfg.get("compute_type", "int8"))
    return gen


def _cuda_wanted(device: str | None) -> bool:
    if device in ("cpu", "cuda"):
        return device == "cuda"
    import torch

    return bool(torch.cuda.is_available())
