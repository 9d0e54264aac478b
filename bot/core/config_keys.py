"""Old flat setting names and the nested keys they now mean, as pydantic-settings sources.

`threshold = 0.4` in TOML, `RAGCORD_THRESHOLD=0.4` in the environment and `threshold=0.4` as an
override all set `answering.threshold`. Giving an old name and its new key in the same place is
refused with one line naming the new key.
"""
from __future__ import annotations

import json
import os
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource


class ConfigError(ValueError):
    """The configuration cannot be used; the message is one line for the user."""


LEGACY_KEYS: dict[str, str] = {
    "embedder_model": "embedder.model",
    "embedder_device": "embedder.device",
    "chunk_tokens": "retrieval.chunk_tokens",
    "overlap_tokens": "retrieval.overlap_tokens",
    "reranker_model": "retrieval.reranker_path",
    "ann_threshold": "retrieval.ann_threshold",
    "ivf_threshold": "retrieval.ivf_threshold",
    "sentence_weight": "retrieval.sentence_weight",
    "generator": "generation.backend",
    "local_model": "generation.local_model",
    "local_device": "generation.local_device",
    "openai_base_url": "generation.openai_base_url",
    "openai_model": "generation.openai_model",
    "openai_api_key": "generation.openai_api_key",
    "max_new_tokens": "generation.max_new_tokens",
    "candidates": "generation.candidates",
    "temperature": "generation.temperature",
    "generation_timeout_s": "generation.timeout_s",
    "threshold": "answering.threshold",
    "top_k": "answering.top_k",
    "history_turns": "answering.history_turns",
    "max_question_chars": "answering.max_question_chars",
    "frustration_below": "answering.frustration_below",
    "frustration_run": "answering.frustration_run",
    "discord_token": "discord.token",
    "discord_api_base": "discord.api_base",
    "discord_gateway": "discord.gateway",
    "test_guild_id": "discord.test_guild_id",
    "dm_scope": "discord.dm_scope",
    "admin_role": "discord.admin_role",
    "moderator_role": "discord.moderator_role",
    "rate_limit_per_minute": "queue.rate_limit_per_minute",
    "max_queue": "queue.max_queue",
    "answer_workers": "queue.answer_workers",
    "max_upload_bytes": "limits.max_file_bytes",
    "max_pdf_pages": "limits.max_pdf_pages",
    "max_docx_unzipped_bytes": "limits.max_unzipped_bytes",
    "max_zip_ratio": "limits.max_zip_ratio",
    "max_documents_per_guild": "limits.max_documents",
    "url_allowlist": "limits.url_allowlist",
    "url_timeout_s": "limits.url_timeout_s",
    "injection_threshold": "limits.injection_threshold",
    "retention_days": "retention.days",
    # not an old name: the short spelling the console documents (RAGCORD_CONSOLE_TOKEN)
    "console_token": "console.token",
    "metrics_port": "ops.metrics_port",  # short spellings too
    "log_format": "ops.log_format",
    "shard_count": "discord.shard_count",  # RAGCORD_SHARD_COUNT, RAGCORD_SHARD_IDS
    "shard_ids": "discord.shard_ids",
}
_JSON_VALUED = {"url_allowlist"}  # complex values come from the environment as JSON


def _put(tree: dict[str, Any], dotted: str, value: Any, old: str, where: str) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{where} {part} must be a table of settings")
        node = child
    if leaf in node:
        raise ConfigError(f"{where} {old} is the old name of {dotted}; set only {dotted}")
    node[leaf] = value


def nest(flat: dict[str, Any], where: str = "override") -> dict[str, Any]:
    """Old flat names and dotted keys turned into nested dicts; nested values are kept."""
    out: dict[str, Any] = {k: v for k, v in flat.items() if k not in LEGACY_KEYS and "." not in k}
    for key, value in flat.items():
        if key in LEGACY_KEYS:
            _put(out, LEGACY_KEYS[key], value, key, where)
        elif "." in key:
            _put(out, key, value, key, where)
    return out


class LegacyKeys(PydanticBaseSettingsSource):
    """Another source's values with old flat names moved to their nested keys."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource, where: str) -> None:
        super().__init__(settings_cls)
        self.inner = inner
        self.where = where

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return nest(self.inner(), self.where)


class LegacyToml(TomlConfigSettingsSource):
    """The TOML file with old flat names moved to their nested keys."""

    def __call__(self) -> dict[str, Any]:
        return nest(super().__call__(), "TOML key")


def decode_json_lists(data: dict[str, Any]) -> None:
    """`RAGCORD_LIMITS__URL_ALLOWLIST='["a"]'` arrives as a string; decode it in place."""
    limits = data.get("limits")
    if isinstance(limits, dict) and isinstance(limits.get("url_allowlist"), str):
        try:
            limits["url_allowlist"] = json.loads(limits["url_allowlist"])
        except ValueError:
            raise ConfigError("limits.url_allowlist must be a JSON list, e.g. '[\"wiki.intra\"]'") from None


class LegacyEnvSource(PydanticBaseSettingsSource):
    """`RAGCORD_<OLD_NAME>` variables (e.g. `RAGCORD_DISCORD_TOKEN`), read as their nested key."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {k.upper(): v for k, v in os.environ.items()}
        out: dict[str, Any] = {}
        for old, new in LEGACY_KEYS.items():
            value: Any = env.get(f"RAGCORD_{old.upper()}")
            if value is None:
                continue
            new_name = "RAGCORD_" + new.replace(".", "__").upper()
            if new_name in env:
                raise ConfigError(f"RAGCORD_{old.upper()} is the old name of {new_name}; set only {new_name}")
            if old in _JSON_VALUED:
                try:
                    value = json.loads(value)
                except ValueError:
                    raise ConfigError(f"RAGCORD_{old.upper()} must be JSON, e.g. '[\"wiki.intra\"]'") from None
            _put(out, new, value, old, "environment")
        return out
