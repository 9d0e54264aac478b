"""The process's embedder pool from the settings: model, device and the MiniLM runtime."""
from __future__ import annotations

from retrieval.embedders import EmbedderPool

from .config import Settings
from .config_keys import ConfigError

MODELS_DIR = "models"  # beside the generator's cache: the ONNX export lands in data_dir/models/minilm-onnx


def embedder_pool(settings: Settings) -> EmbedderPool:
    """What `ragcord ingest`, `ask`, the bot and the console embed with (one short ConfigError line
    when `[embedder] runtime` names an ONNX runtime that cannot load)."""
    embedder = settings.embedder
    try:
        return EmbedderPool(embedder.model, device=embedder.device, runtime=embedder.runtime,
                            cache_dir=settings.data_dir / MODELS_DIR)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
