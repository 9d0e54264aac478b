from __future__ import annotations

import threading

import numpy as np

from retrieval.embedder import Embedder, passage_text


def test_vectors_are_normalised_float32(embedder: Embedder) -> None:
    vecs = embedder.encode(["a cat on a mat", "quarterly tax filing deadline"])
    assert vecs.dtype == np.float32 and vecs.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.encode_query("hello").shape == (384,)


def test_similarity_and_tokens(embedder: Embedder) -> None:
    sims = embedder.similarity("a kitten sleeping", ["a cat napping", "stock market crash"])
    assert sims[0] > sims[1] and -1.0 <= sims[1] <= 1.0
    assert embedder.similarity("x", []) == []
    assert embedder.max_tokens == 256
    assert embedder.count_tokens("hello world") == 2
    assert embedder.count_tokens("word " * 1000) == 1000  # counting never truncates


def test_passage_text() -> None:
    assert passage_text("Guide", "Install", "Run it.") == "Guide — Install\nRun it."
    assert passage_text("Guide", None, "Run it.") == "Guide\nRun it."
    assert passage_text("", None, "Run it.") == "Run it."


def test_lazy_load_from_many_threads(embedder: Embedder) -> None:
    fresh = Embedder(embedder.model_name)
    dims: list[int] = []
    threads = [threading.Thread(target=lambda: dims.append(fresh.count_tokens("a b") + fresh.dim)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert dims == [386] * 4


def test_cached_encoding_equals_encoding_and_is_bounded(embedder: Embedder, monkeypatch) -> None:
    import retrieval.embedder as module

    texts = ["a cat on a mat", "quarterly tax filing deadline", "a cat on a mat"]
    plain = embedder.encode(texts)
    assert np.allclose(embedder.encode_cached(texts), plain, atol=1e-6)
    calls: list[list[str]] = []
    real = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda t: calls.append(list(t)) or real(t))
    embedder.encode_cached(["a cat on a mat", "a new sentence"])
    assert calls == [["a new sentence"]]  # only what was not seen before is encoded
    monkeypatch.setattr(module, "CACHE_SIZE", 2)
    embedder.encode_cached(["one", "two", "three"])
    assert len(embedder._cache) == 2 and embedder.encode_cached([]).shape == (0, 384)
