"""The process's embedder pool from the settings: model, device and the MiniLM runtime."""
from __future__ import annotations

import logging

from model.base import error_line
from retrieval import textlang
from retrieval.embedder import Embedder
from retrieval.embedders import EmbedderPool

from .config import Settings
from .config_keys import ConfigError

MODELS_DIR = "models"  # beside the generator's cache: the ONNX export lands in data_dir/models/<EXPORT_FOLDER>


def embedder_pool(settings: Settings) -> EmbedderPool:
    """What `ragcord ingest`, `ask`, the bot and the console embed with (one short ConfigError line
    when `[embedder] runtime` names an ONNX runtime that cannot load)."""
    embedder = settings.embedder
    try:
        return EmbedderPool(embedder.model, device=embedder.device, runtime=embedder.runtime,
                            cache_dir=settings.data_dir / MODELS_DIR)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def warm_up(embedder: Embedder) -> None:
    """Load the default embedder (exporting it once on ONNX) and the language identifier, so the
    first question of a long-running process does not wait for them (blocking: run in a thread).
    A failure is one log line: the first question then reports it as it would have anyway."""
    try:
        embedder.encode(["warm up"])
        textlang.warm()
    except Exception as exc:  # noqa: BLE001 - warming is an optimisation, never a crash
        logging.getLogger(__name__).warning("warming the embedder failed: %s", error_line(exc))
