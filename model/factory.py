"""`build_generator(backend, **cfg)`: one entry point for every backend (blocking for `local`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from model.base import Generator, GeneratorError

BACKENDS = ("local", "openai", "extractive", "llamacpp")


def build_generator(backend: str, **cfg: Any) -> Generator:
    """Build a backend. Keyword arguments are the backend's own settings; `None` values are ignored.

    - local: model, device, dtype, cache_dir, max_batch, max_context (see `LocalConfig`)
    - openai: base_url, model, api_key, timeout, max_prompt_chars
    - extractive: similarity, max_sentences, keep_ratio, min_score
    - llamacpp: model (.gguf), n_ctx, n_threads
    """
    cfg = {k: v for k, v in cfg.items() if v is not None}
    name = backend.strip().lower()
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
