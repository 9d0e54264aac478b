"""The ONNX Runtime MiniLM embedder: same vectors as torch, exported once, a broken export redone."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedder_onnx import FUSED_FILE, MARKER, MODEL_FILE, OnnxEmbedder, export_ready, onnx_available

pytestmark = pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed")

SENTENCES = ["How do I reset my password?", "The cat sat on the mat.",
             "FAISS is a library for similarity search. " * 30, "x"]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models") / "minilm-onnx"
    _ = OnnxEmbedder(folder).model
    return folder


def test_vectors_match_torch(export_dir: Path) -> None:
    from retrieval.embedder import Embedder

    torch_vectors = Embedder().encode(SENTENCES)
    onnx_vectors = OnnxEmbedder(export_dir).encode(SENTENCES)
    assert onnx_vectors.shape == torch_vectors.shape == (4, 384)
    assert np.min((torch_vectors * onnx_vectors).sum(1)) >= 0.9999


def test_fp32_runs_the_fused_graph(export_dir: Path) -> None:
    """Attention and layer norms fused into ONNX Runtime's BERT ops: why fp32 beats torch on passages."""
    import onnx

    ops = {node.op_type for node in onnx.load(str(export_dir / FUSED_FILE)).graph.node}
    plain = {node.op_type for node in onnx.load(str(export_dir / MODEL_FILE)).graph.node}
    assert {"Attention", "SkipLayerNormalization"} <= ops
    assert "Softmax" in plain and "Softmax" not in ops
    embedder = OnnxEmbedder(export_dir)
    _ = embedder.model
    assert embedder.graph == export_dir / FUSED_FILE


def test_interface(export_dir: Path) -> None:
    embedder = OnnxEmbedder(export_dir)
    assert embedder.dim == 384 and embedder.max_tokens == 256
    assert embedder.count_tokens("hello world") == 2
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.similarity("reset password", ["How do I reset my password?", "cats"])[0] > 0.5


def test_second_construction_reuses_export(export_dir: Path) -> None:
    before = (export_dir / MODEL_FILE).stat().st_mtime_ns
    _ = OnnxEmbedder(export_dir).model
    assert (export_dir / MODEL_FILE).stat().st_mtime_ns == before


def test_partial_export_is_redone(tmp_path: Path, export_dir: Path) -> None:
    broken = tmp_path / "minilm-onnx"
    broken.mkdir()
    (broken / MODEL_FILE).write_bytes(b"truncated")  # no marker: a crash mid-export
    assert not export_ready(broken)
    vectors = OnnxEmbedder(broken).encode(SENTENCES[:2])
    assert export_ready(broken) and (broken / MARKER).is_file()
    assert np.allclose(vectors, OnnxEmbedder(export_dir).encode(SENTENCES[:2]), atol=1e-5)


def test_two_processes_exporting_at_once_both_get_one_export(tmp_path: Path) -> None:
    """Two bot shards on one data dir export on their first question: one exports, the other waits."""
    import subprocess
    import sys

    cache = tmp_path / "models" / "minilm-onnx"
    script = ("import sys; from pathlib import Path; from retrieval.embedder_onnx import OnnxEmbedder; "
              "print(OnnxEmbedder(Path(sys.argv[1]), int8=True).encode(['a kettle', 'descale it']).shape)")
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", script, str(cache)], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-800:] for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["(2, 384)", "(2, 384)"]
    assert export_ready(cache) and not list(cache.parent.glob("minilm-onnx.tmp-*"))
