"""One typed settings object with nested sections, read from a TOML file and `RAGCORD_*` variables.

Precedence (highest first): explicit overrides (CLI flags) > environment > TOML file > defaults.
The TOML file is `--config PATH`, else `$RAGCORD_CONFIG`, else `ragcord.toml` in the working
directory when it exists. Keys are nested: a `[retrieval]` table, or `RAGCORD_RETRIEVAL__FUSION`.
The retrieval section and the limits are retrieval's own dataclasses, so their defaults live
once, in `retrieval/config.py`. The old flat keys (`threshold = 0.4`, `RAGCORD_THRESHOLD`) are
read as their new nested key (`LEGACY_KEYS`).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.core.config_keys import (
    LEGACY_KEYS,
    ConfigError,
    LegacyEnvSource,
    LegacyKeys,
    LegacyToml,
    decode_json_lists,
    nest,
)
from retrieval.config import Limits, RetrievalConfig
from retrieval.sync_state import parse_interval

Backend = Literal["local", "ct2", "auto", "openai", "extractive", "llamacpp"]
__all__ = ["LEGACY_KEYS", "ConfigError", "Settings", "load_settings"]


class Embedding(BaseModel):
    model: str | None = Field(
        None, description="unset: per scope (e5-small for non-English documents, else MiniLM); or one for "
        "every scope: a sentence-transformers path or name, or \"multilingual\" (e5-small)")
    device: str | None = None
    runtime: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        "auto", description="MiniLM on CPU: auto (ONNX Runtime where it passed the nDCG gate and onnxruntime "
        "is installed, else torch) | torch | onnx | onnx-int8")

    @field_validator("runtime")
    @classmethod
    def _onnx_installed(cls, value: str) -> str:
        if value.startswith("onnx") and importlib.util.find_spec("onnxruntime") is None:
            raise ValueError(f"{value} needs onnxruntime: pip install 'ragcord[onnx]', or runtime = \"auto\"")
        return value


class Generation(BaseModel):
    # extractive: on CPU the embedded 135M model's own answers were never both right and cited on
    # the real-documents dev set (README, "Trust"); `local` stays one setting away
    backend: Backend = Field(
        "extractive", description="extractive | local | ct2 | auto (ct2 when installed, else local) | openai | llamacpp")
    local_model: str | None = Field(None, description="HF model dir or .gguf (default SmolLM2)")
    local_device: Literal["auto", "cpu", "cuda"] = "auto"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "default"
    openai_api_key: SecretStr | None = None
    max_new_tokens: int = Field(160, ge=8, le=4096)
    candidates: int = Field(1, ge=1, le=8, description="candidate answers ranked by confidence")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="sampling when candidates > 1")
    timeout_s: float = Field(180.0, gt=0)


class Answering(BaseModel):
    threshold: float = Field(0.45, ge=0.0, le=1.0, description="confidence below this refuses")
    sure: float = Field(0.7, ge=0.0, le=1.0, description="answers below this are shown with a warning")
    top_k: int = Field(4, ge=1, le=20, description="passages given to the generator")
    history_turns: int = Field(6, ge=0, le=50)
    max_question_chars: int = Field(4000, ge=16)
    frustration_below: float = Field(-0.3, ge=-1.0, le=0.0, description="VADER score counted negative")
    frustration_run: int = Field(2, ge=1, le=20, description="negative messages in a row that escalate")


class Discord(BaseModel):
    token: SecretStr | None = None
    api_base: str | None = None
    gateway: str | None = None
    test_guild_id: int | None = None
    dm_scope: str = "global"
    admin_role: str | None = None
    moderator_role: str | None = None
    shard_count: int | None = Field(
        None, ge=1, le=1024, description="shards in all: run as an AutoShardedBot (unset: one plain gateway connection)")
    shard_ids: list[int] | None = Field(
        None, description="the shards this process runs, e.g. [0] or \"0,1\" (unset: every one of shard_count)")

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):  # RAGCORD_DISCORD__SHARD_IDS=1 (read as JSON: 1)
            return [v]
        if isinstance(v, str):  # RAGCORD_DISCORD__SHARD_IDS=0,1 (JSON "[0, 1]" is read too)
            text = v.strip().removeprefix("[").removesuffix("]")
            return [int(x) for x in text.split(",") if x.strip()] if text.strip() else None
        return v

    @model_validator(mode="after")
    def _shards_in_range(self) -> Discord:
        ids = self.shard_ids
        if ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("shard_ids needs shard_count (the number of shards in all)")
        if not ids or len(set(ids)) != len(ids) or not all(0 <= i < self.shard_count for i in ids):
            raise ValueError(f"shard_ids must be distinct shard numbers from 0 to {self.shard_count - 1}")
        self.shard_ids = sorted(ids)
        return self

    @field_validator("dm_scope")
    @classmethod
    def _scope_shape(cls, v: str) -> str:
        if not v or any(c.isspace() for c in v):
            raise ValueError("scope must be a non-empty word such as 'global' or 'guild:123'")
        return v


class Queue(BaseModel):
    rate_limit_per_minute: int = Field(6, ge=1)
    max_queue: int = Field(100, ge=1)
    answer_workers: int = Field(2, ge=1, le=32)


class Curated(BaseModel):
    # all-MiniLM-L6-v2 on stackfaq (bench/curated_threshold.py): 0.8 matched 45 % right and 0 % wrong,
    # 0.75 61 % / 0.2 %; a wrong approved answer is shown as sure, a miss falls back to the documents
    threshold: float = Field(0.8, ge=0.0, le=1.0, description="cosine at which a question matches a curated answer")


class Unanswered(BaseModel):
    threshold: float = Field(0.75, ge=0.0, le=1.0, description="cosine at which two questions are one topic")
    limit: int = Field(1000, ge=1, le=100_000, description="newest unanswered questions grouped per scope")


class ConsoleSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    token: SecretStr | None = Field(None, description="admin token (else generated in the data dir)")
    client_id: str | None = Field(None, description="Discord OAuth2 application id")
    client_secret: SecretStr | None = None
    redirect_url: str = "http://127.0.0.1:8765/callback"
    api_base: str = "https://discord.com/api/v10"


class Retention(BaseModel):
    days: int = Field(90, ge=0, description="delete logs older than this many days (0 = keep)")


class Operations(BaseModel):
    metrics_port: int = Field(0, ge=0, le=65535, description="`ragcord run` serves /metrics and /healthz here (0 = off)")
    metrics_host: str = Field("127.0.0.1", description="address the metrics server listens on (0.0.0.0 in a container)")
    log_format: Literal["text", "json"] = Field("text", description="json: one object per line, with the request id")
    resync_every: str = Field("", description="default re-sync interval of ingested URLs and sitemaps ('24h'; '' = off)")
    resync_check_s: int = Field(300, ge=10, description="`ragcord run` looks for due re-syncs this often (seconds)")

    @field_validator("resync_every")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_interval(value)  # raises ValueError (one line) on "soon"
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAGCORD_", env_nested_delimiter="__", extra="ignore", validate_default=True,
    )

    data_dir: Path = Field(Path(".ragcord"), description="database, indexes and model cache")
    database_url: str | None = Field(
        None, description="postgresql://user@host:port/db keeps the bot's relational data in PostgreSQL; unset: SQLite in data_dir",
    )
    embedder: Embedding = Field(default_factory=Embedding)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    limits: Limits = Field(default_factory=Limits)
    generation: Generation = Field(default_factory=Generation)
    answering: Answering = Field(default_factory=Answering)
    discord: Discord = Field(default_factory=Discord)
    queue: Queue = Field(default_factory=Queue)
    retention: Retention = Field(default_factory=Retention)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    curated: Curated = Field(default_factory=Curated)
    unanswered: Unanswered = Field(default_factory=Unanswered)
    ops: Operations = Field(default_factory=Operations)

    @model_validator(mode="before")
    @classmethod
    def _limits_in_one_place(cls, data: Any) -> Any:
        retrieval = data.get("retrieval") if isinstance(data, dict) else None
        if isinstance(retrieval, dict) and "limits" in retrieval:
            raise ConfigError("set limits in the [limits] section, not [retrieval.limits]")
        if isinstance(data, dict):
            decode_json_lists(data)
        return data

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ConfigError("database_url must start with postgresql:// (unset keeps SQLite in data_dir)")
        return value

    @field_validator("limits")
    @classmethod
    def _app_minimums(cls, v: Limits) -> Limits:
        if v.max_file_bytes < 1024 or v.max_unzipped_bytes < 1024:
            raise ValueError("need max_file_bytes >= 1024 and max_unzipped_bytes >= 1024")
        return v

    @model_validator(mode="after")
    def _share_limits(self) -> Settings:
        self.retrieval.limits = self.limits  # the knowledge bases enforce the same object
        return self

    def updated(self, **changes: Any) -> Settings:
        """A validated copy with some keys changed: dotted (``**{"limits.max_documents": 0}``) or flat."""
        data = self.model_dump()
        data["retrieval"].pop("limits", None)
        for key, value in nest(changes).items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return type(self).model_validate(data)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "ragcord.db"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            LegacyKeys(settings_cls, init_settings, "override"), env_settings, LegacyEnvSource(settings_cls),
        ]
        if settings_cls.model_config.get("toml_file"):
            sources.append(LegacyToml(settings_cls))
        return tuple(sources)


def _config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    env = os.environ.get("RAGCORD_CONFIG")
    if env:
        return Path(env)
    default = Path("ragcord.toml")
    return default if default.is_file() else None


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings; raises ConfigError with a one-line message on bad values or files.

    Overrides are dotted (``**{"generation.backend": "extractive"}``) or old flat names.
    """
    toml = _config_path(Path(config_path) if config_path else None)
    if toml is not None and not toml.is_file():
        raise ConfigError(f"config file not found: {toml}")
    cls: type[Settings] = Settings
    if toml is not None:
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": toml})
        cls = type("Settings", (Settings,), {"model_config": config})
    try:
        clean = nest({k: v for k, v in overrides.items() if v is not None})
        return cls(**clean)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()) if not str(x).startswith("function-")) or "config"
        raise ConfigError(f"invalid setting {where}: {err.get('msg', 'bad value')}") from None
    except ConfigError:
        raise
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(f"could not read config: {exc}".splitlines()[0]) from None
