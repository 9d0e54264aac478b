"""`[embedder] runtime` in TOML and RAGCORD_EMBEDDER__RUNTIME, and the pool it gives the app."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_settings
from bot.core.embedding import embedder_pool
from retrieval.embedder_onnx import onnx_available

needs_onnx = pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed (pip install 'ragcord[onnx]')")


def test_default_is_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGCORD_EMBEDDER__RUNTIME", raising=False)
    assert load_settings().embedder.runtime == "auto"


@needs_onnx
def test_toml_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAGCORD_EMBEDDER__RUNTIME", raising=False)
    toml = tmp_path / "ragcord.toml"
    toml.write_text('[embedder]\nruntime = "onnx"\n')
    assert load_settings(toml).embedder.runtime == "onnx"
    monkeypatch.setenv("RAGCORD_EMBEDDER__RUNTIME", "onnx-int8")
    settings = load_settings(toml, data_dir=tmp_path)
    assert settings.embedder.runtime == "onnx-int8"
    pool = embedder_pool(settings)
    assert pool.runtime == "onnx-int8" and pool.cache_dir == tmp_path / "models"


def test_bad_value_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGCORD_EMBEDDER__RUNTIME", "tensorrt")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "embedder.runtime" in str(info.value) and "\n" not in str(info.value)


def test_onnx_without_onnxruntime_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    monkeypatch.setenv("RAGCORD_EMBEDDER__RUNTIME", "onnx")
    with pytest.raises(ConfigError, match="needs onnxruntime") as info:
        load_settings()
    assert "\n" not in str(info.value)
