"""`ragcord run` warms the default embedder and the language identifier beside the login."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from bot.core.embedding import warm_up
from retrieval import textlang


class Recording:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("no weights at /models/x\nsecond line")
        return np.zeros((len(texts), 4), dtype=np.float32)


def test_warm_up_loads_the_embedder_and_the_identifier() -> None:
    textlang._identifier.cache_clear()
    embedder = Recording()
    warm_up(embedder)  # type: ignore[arg-type]
    assert embedder.calls == [["warm up"]]
    assert textlang._identifier.cache_info().currsize == 1


def test_a_failing_warm_up_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        warm_up(Recording(fail=True))  # type: ignore[arg-type]
    (record,) = [r for r in caplog.records if "warming" in r.getMessage()]
    assert record.getMessage() == "warming the embedder failed: no weights at /models/x"
