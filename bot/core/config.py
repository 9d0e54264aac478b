"""One typed settings object, read from a TOML file and `RAGCORD_*` environment variables.

Precedence (highest first): explicit overrides (CLI flags) > environment > TOML file > defaults.
The TOML file is `--config PATH`, else `$RAGCORD_CONFIG`, else `ragcord.toml` in the working
directory when it exists. Keys are the field names below, flat (``threshold = 0.4``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Backend = Literal["local", "openai", "extractive", "llamacpp"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message is one line for the user."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAGCORD_", extra="ignore", validate_default=True)

    # --- storage ---------------------------------------------------------------------------
    data_dir: Path = Field(Path(".ragcord"), description="database, indexes and model cache")

    # --- retrieval ---------------------------------------------------------------------------
    embedder_model: str | None = Field(None, description="sentence-transformers path or name")
    embedder_device: str | None = None
    chunk_tokens: int = Field(200, ge=32, le=2048)
    overlap_tokens: int = Field(40, ge=0, le=512)
    top_k: int = Field(4, ge=1, le=20, description="passages given to the generator")
    reranker_model: str | None = Field(None, description="local cross-encoder path (optional)")
    ann_threshold: int = Field(50_000, ge=1, description="chunks above which FAISS uses HNSW")
    ivf_threshold: int = Field(500_000, ge=1, description="chunks above which FAISS uses IVF instead")
    sentence_weight: float = Field(0.5, ge=0.0, le=1.0,
                                   description="share of the dense evidence from sentence vectors (0 = off)")

    # --- generation ---------------------------------------------------------------------------
    generator: Backend = "local"
    local_model: str | None = Field(None, description="HF model dir or .gguf (default SmolLM2)")
    local_device: Literal["auto", "cpu", "cuda"] = "auto"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "default"
    openai_api_key: SecretStr | None = None
    max_new_tokens: int = Field(160, ge=8, le=4096)
    candidates: int = Field(1, ge=1, le=8, description="candidate answers ranked by confidence")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="sampling when candidates > 1")
    generation_timeout_s: float = Field(180.0, gt=0)

    # --- answering ---------------------------------------------------------------------------
    threshold: float = Field(0.65, ge=0.0, le=1.0, description="confidence below this refuses")
    history_turns: int = Field(6, ge=0, le=50)
    max_question_chars: int = Field(4000, ge=16)
    frustration_below: float = Field(-0.3, ge=-1.0, le=0.0, description="VADER score counted negative")
    frustration_run: int = Field(2, ge=1, le=20, description="negative messages in a row that escalate")

    # --- discord ---------------------------------------------------------------------------
    discord_token: SecretStr | None = None
    discord_api_base: str | None = None
    discord_gateway: str | None = None
    test_guild_id: int | None = None
    dm_scope: str = "global"
    admin_role: str | None = None
    moderator_role: str | None = None
    rate_limit_per_minute: int = Field(6, ge=1)
    max_queue: int = Field(100, ge=1)
    answer_workers: int = Field(2, ge=1, le=32)

    # --- safety limits (docs/security.md) -------------------------------------------------------
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="largest file or URL body ingested")
    max_pdf_pages: int = Field(500, ge=1, description="PDFs with more pages are refused")
    max_docx_unzipped_bytes: int = Field(100 * 1024 * 1024, ge=1024, description="DOCX size once unzipped")
    max_zip_ratio: float = Field(100.0, ge=2.0, description="DOCX compression ratio above which it is a zip bomb")
    max_documents_per_guild: int = Field(1000, ge=0, description="documents per knowledge base (0 = no limit)")
    url_allowlist: list[str] = Field(default_factory=list, description="hosts/CIDRs URL ingest may reach though not public")
    url_timeout_s: float = Field(20.0, gt=0, description="time limit for fetching one URL")
    injection_threshold: float = Field(1.0, gt=0, description="score at which a passage is flagged as injection")
    retention_days: int = Field(90, ge=0, description="delete logs older than this many days (0 = keep)")

    @field_validator("dm_scope")
    @classmethod
    def _scope_shape(cls, v: str) -> str:
        if not v or any(c.isspace() for c in v):
            raise ValueError("scope must be a non-empty word such as 'global' or 'guild:123'")
        return v

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
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
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
    """Build settings; raises ConfigError with a one-line message on bad values or files."""
    toml = _config_path(Path(config_path) if config_path else None)
    if toml is not None and not toml.is_file():
        raise ConfigError(f"config file not found: {toml}")
    cls: type[Settings] = Settings
    if toml is not None:
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": toml})
        cls = type("Settings", (Settings,), {"model_config": config})
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return cls(**clean)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ())) or "config"
        raise ConfigError(f"invalid setting {where}: {err.get('msg', 'bad value')}") from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(f"could not read config: {exc}".splitlines()[0]) from None
