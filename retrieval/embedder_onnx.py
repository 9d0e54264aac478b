"""MiniLM through ONNX Runtime: exported once, offline, from the bundled weights into a cache folder.

Two graphs: model.onnx, traced with eager attention (what int8 quantisation starts from), and
model.fused.onnx, the same graph with ONNX Runtime's BERT fusions (one Attention and one
SkipLayerNormalization op per block), which fp32 runs: stackfaq ingest 1.13x torch's speed where the
plain graph gave 0.89x (`bench/embed_runtime.py --ingest`), vectors equal to the plain graph's within 1e-5.
The export is written to a temporary sibling folder and renamed into place, with a `done` marker
written last; a folder without the marker (a crash mid-export) is removed and exported again.
Vectors: mean pooling over the attention mask, L2-normalised, as the sentence-transformers model.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .embedder import Embedder, _token_counter
from .locking import ScopeLock
from .token_pooling import length_batches, padded

MARKER = "done"
MODEL_FILE = "model.onnx"
FUSED_FILE = "model.fused.onnx"
INT8_FILE = "model.int8.onnx"


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def export_ready(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (MARKER, MODEL_FILE, FUSED_FILE))


def export_minilm(source: str, folder: Path) -> Path:
    """Export the sentence-transformers folder `source` to `folder`/model.onnx unless done."""
    if export_ready(folder):
        return folder
    import torch
    from sentence_transformers import SentenceTransformer

    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=folder.parent))
    try:
        # eager attention traces to the MatMul/Softmax pattern the fusion below recognises (SDPA does not)
        st = SentenceTransformer(source, device="cpu", local_files_only=True,
                                 model_kwargs={"attn_implementation": "eager"})
        bert = _positional(st[0].auto_model.eval())
        sample = st.tokenizer(["a b c", "d"], padding=True, return_tensors="pt")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on a graph it exports correctly
            torch.onnx.export(
                bert, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(tmp / MODEL_FILE), input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in
                              ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
            )
        config = st[0].auto_model.config
        _fuse(tmp / MODEL_FILE, tmp / FUSED_FILE, config.num_attention_heads, config.hidden_size)
        (tmp / MARKER).write_text(f"{st.max_seq_length} {st.get_embedding_dimension()}\n")
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _fuse(source: Path, target: Path, heads: int, hidden: int) -> None:
    """ONNX Runtime's BERT graph fusions (opt_level 1: the portable ones, no hardware-specific layout)."""
    from onnxruntime.transformers.optimizer import optimize_model

    logger = logging.getLogger("onnxruntime.transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)  # it reports each fusion it made at INFO/WARNING: not the user's business
    try:
        optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden,
                       opt_level=1).save_model_to_file(str(target))
    finally:
        logger.setLevel(level)


def quantized(folder: Path) -> Path:
    """model.int8.onnx beside the fp32 export (int8 dynamic quantisation), made once."""
    target = folder / INT8_FILE
    if not target.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = folder / (INT8_FILE + ".tmp")
        root = logging.getLogger()
        root.addFilter(_quiet_quantizer)  # its advice to pre-process first goes to the root logger: the user
        try:
            quantize_dynamic(str(folder / MODEL_FILE), str(tmp), weight_type=QuantType.QInt8)
        finally:
            root.removeFilter(_quiet_quantizer)
        tmp.rename(target)
    return target


def _quiet_quantizer(record: logging.LogRecord) -> bool:
    """Drop onnxruntime.quantization's warnings logged on the root logger (advice, not errors)."""
    return not ("quantization" in record.pathname and record.levelno < logging.ERROR)


class OnnxEmbedder(Embedder):
    """The `Embedder` interface over an ONNX Runtime session of the exported MiniLM."""

    def __init__(self, cache_dir: Path, model: str | None = None, batch_size: int = 64,
                 *, int8: bool = False) -> None:
        super().__init__(model, "cpu", batch_size)
        self.int8 = int8
        self.runtime = "onnx-int8" if int8 else "onnx"
        self.vector_variant = "int8" if int8 else ""  # fp32 vectors are torch's (cos > 0.9999)
        self.cache_dir = Path(cache_dir)
        self._tok: Any = None
        self._max = 256
        self._dim = 384
        self.graph: Path | None = None  # the .onnx file the session runs, once loaded
        # other processes on the same data dir (two bot shards, the bot and the console) export too
        self._export_lock = ScopeLock(self.cache_dir.parent / (self.cache_dir.name + ".lock"))

    def _load(self) -> Any:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        with self._export_lock.hold():
            folder = export_minilm(str(self.model_name), self.cache_dir)
            int8_path = quantized(folder) if self.int8 else None
        self._max, self._dim = (int(x) for x in (folder / MARKER).read_text().split())
        tok = Tokenizer.from_file(str(Path(self.model_name) / "tokenizer.json"))
        self._counter = _token_counter(_Wrapped(tok))
        tok.enable_truncation(self._max)
        tok.no_padding()  # encode() pads each length-sorted batch itself (tokenizer.json may set padding)
        self._tok = tok
        self._span_tok = tok
        self.graph = int8_path or folder / FUSED_FILE
        return ort.InferenceSession(str(self.graph), providers=["CPUExecutionProvider"])

    @property
    def dim(self) -> int:
        _ = self.model
        return self._dim

    @property
    def max_tokens(self) -> int:
        _ = self.model
        return self._max

    @property
    def pools_tokens(self) -> bool:
        return True  # encode() is the mean of the same hidden states _hidden_states returns

    def _hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        hidden = self.model.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        return np.asarray(hidden, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        _ = self.model
        if len(texts) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        encoded = self._tok.encode_batch(list(texts))
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for rows in length_batches([len(e.ids) for e in encoded], self.batch_size):  # little padding
            ids, mask = padded([encoded[i].ids for i in rows])
            hidden = self._hidden_states(ids, mask)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out


def _positional(module: Any) -> Any:
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = module

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    return Positional()


class _Wrapped:
    """Gives a bare `tokenizers.Tokenizer` the `backend_tokenizer` attribute `_token_counter` reads."""

    def __init__(self, tok: Any) -> None:
        self.backend_tokenizer = tok
