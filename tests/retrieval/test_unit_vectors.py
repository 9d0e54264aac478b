"""Sentence-unit vectors pooled from the chunk pass (#15) against encoded ones (real MiniLM)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.chunking import sentence_spans, sentence_unit_spans, sentence_units, split_sentences
from retrieval.config import RetrievalConfig
from retrieval.embedder import Embedder, passage_text
from retrieval.embedder_onnx import OnnxEmbedder, onnx_available
from retrieval.knowledge_base import KnowledgeBase
from retrieval.unit_vectors import chunk_units, embed_chunks, encode_chunks, pooled_chunks
from tests.retrieval.pg_docs import DOCS, QUESTIONS

from .conftest import KbFactory

CARE = ("Wash the jacket at thirty degrees with a mild detergent. Never put it in the tumble dryer, "
        "because the lining shrinks. Hang it on a wide hanger and let it dry in the shade. "
        "Iron the collar on a low setting if it creases.")


def test_unit_spans_cover_each_units_sentences() -> None:
    text = 'He said "stop." Then he left the room quietly.\n\nShort one. She stayed behind for a while longer.'
    units, spans = sentence_units(text), sentence_unit_spans(text)
    assert units == ['He said "stop. Then he left the room quietly.',  # the split eats the closing quote
                     "Short one. She stayed behind for a while longer."]
    assert [text[a:b] for a, b in spans] == ['He said "stop." Then he left the room quietly.',  # the span keeps it
                                             "Short one. She stayed behind for a while longer."]
    assert split_sentences(text) == [text[a:b] for a, b in sentence_spans(text)]
    assert sentence_unit_spans("One sentence only, nothing more to say here.") == []


def test_chunk_units_spans_point_into_the_passage() -> None:
    units = chunk_units("Care guide", "Washing", CARE)
    passage = passage_text("Care guide", "Washing", CARE)
    assert passage[: units.head] == "Care guide — Washing"
    assert [passage[a:b] for a, b in units.spans] == sentence_units(CARE)
    assert chunk_units(None, None, CARE).head == 0
    assert [CARE[a:b] for a, b in chunk_units(None, None, CARE).spans] == sentence_units(CARE)


def test_pooled_vectors_are_close_to_encoded_ones(embedder: Embedder) -> None:
    assert embedder.pools_tokens
    units = chunk_units("Care guide", "Washing", CARE)
    passage = passage_text("Care guide", "Washing", CARE)
    encoded_chunk, (encoded,) = encode_chunks(embedder.encode, [passage], [units.texts])
    pooled_chunk, (pooled,) = pooled_chunks(embedder, [passage], [units])
    assert pooled.shape == encoded.shape == (4, embedder.dim)
    assert float(pooled_chunk[0] @ encoded_chunk[0]) > 0.9999  # the chunk vector is encode()'s
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
    cosines = pooled @ encoded.T  # contextual token states: close to, not equal to, each unit alone
    assert np.diag(cosines).min() > 0.6 and np.diag(cosines).mean() > 0.7
    assert (cosines.argmax(axis=0) == np.arange(4)).all()  # each sentence matches its own pooled vector best
    assert np.diag(cosines).max() < 0.9999  # pooled, not encoded again


def test_a_sentence_past_the_window_is_encoded_alone(embedder: Embedder) -> None:
    sentences = [f"Step {n} of the installation asks you to check cable number {n} twice." for n in range(40)]
    text = " ".join(sentences)
    assert embedder.count_tokens(text) > embedder.max_tokens  # the passage is truncated
    units = chunk_units("Manual", None, text)
    passage = passage_text("Manual", None, text)
    ranges = [((0, units.head), span) for span in units.spans]
    (tokens,) = embedder.encode_spans([passage], [ranges])
    assert tokens.covered[0] and not tokens.covered[-1]
    _, (pooled,) = pooled_chunks(embedder, [passage], [units])
    alone = embedder.encode([units.texts[0], units.texts[-1]])
    assert np.allclose(pooled[-1], alone[1], atol=1e-5)  # the fallback: encoded as under "encode"
    assert float(pooled[0] @ alone[0]) < 0.9999  # the first unit was pooled


class NoPooling:
    """An embedder that cannot pool tokens (like e5): only `encode` and `dim`."""

    dim = 3

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.tile(np.asarray([1.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))


def test_an_embedder_that_cannot_pool_encodes_every_unit() -> None:
    units = chunk_units("Care guide", None, CARE)
    stub = NoPooling()
    vectors, (per_unit,) = embed_chunks(stub, [passage_text("Care guide", None, CARE)], [units],  # type: ignore[arg-type]
                                        "pooled")
    assert stub.seen == [passage_text("Care guide", None, CARE), *units.texts]
    assert vectors.shape == (1, 3) and per_unit.shape == (4, 3)


def test_setting_round_trips_through_the_config() -> None:
    config = RetrievalConfig(sentence_vectors="pooled")
    assert RetrievalConfig.from_dict(config.to_dict()).sentence_vectors == "pooled"
    assert RetrievalConfig.from_dict({"sentence_vectors": "encode"}).sentence_vectors == "encode"
    assert RetrievalConfig().sentence_vectors in ("encode", "pooled")
    with pytest.raises(ValueError, match="sentence_vectors"):
        RetrievalConfig(sentence_vectors="both")  # type: ignore[arg-type]


def _vectors(kb: KnowledgeBase) -> tuple[np.ndarray, np.ndarray]:
    dense = kb._current()[0]
    ids = sorted(int(i) for i in dense.ids())
    return (np.stack([dense.reconstruct(i) for i in ids]),
            np.concatenate([dense.sentences.vectors(i) for i in ids]))


def test_ingest_then_reindex_give_the_same_pooled_vectors(tmp_path: Path, embedder: Embedder) -> None:
    pooled = KnowledgeBase(tmp_path / "pooled", "g", embedder, RetrievalConfig(sentence_vectors="pooled"))
    encoded = KnowledgeBase(tmp_path / "encoded", "g", embedder, RetrievalConfig(sentence_vectors="encode"))
    for kb in (pooled, encoded):
        kb.ingest_texts(DOCS)
    chunks, sentences = _vectors(pooled)
    assert len(sentences) >= 2 * (len(DOCS) - 1)
    assert pooled.reindex() == len(DOCS)
    again_chunks, again_sentences = _vectors(pooled)
    np.testing.assert_allclose(again_chunks, chunks, atol=1e-6)
    np.testing.assert_allclose(again_sentences, sentences, atol=1e-6)
    enc_chunks, enc_sentences = _vectors(encoded)
    assert np.abs(enc_chunks - chunks).max() < 1e-4  # chunk vectors: the same either way
    assert np.abs(enc_sentences - sentences).max() > 0.01  # sentence vectors: pooled, not encoded


def test_both_backends_reindex_with_the_setting(any_kb: KbFactory) -> None:
    pooled = any_kb("guild:1", RetrievalConfig(sentence_vectors="pooled"))
    encoded = any_kb("guild:2", RetrievalConfig(sentence_vectors="encode"))
    for kb in (pooled, encoded):
        kb.ingest_texts(DOCS)

    def fused(kb: object) -> list[float]:
        return [h.fused for q in QUESTIONS for h in kb.search(q, 3)]  # type: ignore[attr-defined]

    before = fused(pooled)
    assert pooled.reindex() == len(DOCS)
    assert fused(pooled) == pytest.approx(before, abs=1e-5)
    assert max(abs(a - b) for a, b in zip(fused(encoded), before)) > 1e-3


@pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed")
def test_onnx_pools_the_same_vectors_as_torch(tmp_path: Path, embedder: Embedder) -> None:
    onnx = OnnxEmbedder(tmp_path / "minilm-onnx")
    assert onnx.pools_tokens
    units = chunk_units("Care guide", "Washing", CARE)
    passage = passage_text("Care guide", "Washing", CARE)
    onnx_chunk, (onnx_units,) = embed_chunks(onnx, [passage], [units], "pooled")
    torch_chunk, (torch_units,) = embed_chunks(embedder, [passage], [units], "pooled")
    assert float(onnx_chunk[0] @ torch_chunk[0]) > 0.999
    assert (onnx_units * torch_units).sum(axis=1).min() > 0.999
