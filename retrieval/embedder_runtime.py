"""Which runtime runs the bundled MiniLM: torch, ONNX Runtime fp32, or ONNX Runtime int8.

`[embedder] runtime`: "torch", "onnx", "onnx-int8", or "auto" (the default): the fastest ONNX
runtime that passed the committed nDCG gate (retrieval/embedder_gate.py) when onnxruntime is
importable, else torch. ONNX runs on CPU only and only for the bundled MiniLM: another model, or
a device other than the CPU, keeps torch. The export is made once into `cache_dir`, offline.

ONNX fp32 vectors agree with torch's to a cosine above 0.9999 and count as the same embedder (an
index built by one is queried by the other); int8 vectors are recorded as another embedder
(`name+int8`), so an index keeps the precision it was built with (see EmbedderPool.for_name).
"""
from __future__ import annotations

from pathlib import Path

from .embedder import Embedder, default_model_path
from .embedder_gate import PASSED
from .embedder_onnx import OnnxEmbedder, onnx_available

TORCH = "torch"
ONNX = "onnx"
ONNX_INT8 = "onnx-int8"
AUTO = "auto"
RUNTIMES = (AUTO, TORCH, ONNX, ONNX_INT8)
FASTEST_FIRST = (ONNX_INT8, ONNX)  # what "auto" prefers among the runtimes the gate passed
INT8 = "int8"  # the variant an int8 embedder's record carries
EXPORT_FOLDER = "minilm-onnx-fused"  # renamed with each export format change: an old cache is not reused


def onnx_applies(model: str | None, device: str | None) -> bool:
    """Whether ONNX can run this embedder: the bundled MiniLM, on the CPU."""
    return not (model or "").strip() and (device or "cpu").strip().lower() == "cpu"


def resolve(setting: str, model: str | None = None, device: str | None = None,
            passed: frozenset[str] = PASSED) -> str:
    """The runtime the setting means here: never AUTO; TORCH where ONNX cannot run the embedder."""
    setting = (setting or AUTO).strip().lower()
    if setting not in RUNTIMES:
        raise ValueError(f"embedder runtime must be one of {', '.join(RUNTIMES)}, not {setting!r}")
    if setting == TORCH or not onnx_applies(model, device):
        return TORCH
    if setting == AUTO:
        if not onnx_available():
            return TORCH
        return next((r for r in FASTEST_FIRST if r in passed), TORCH)
    if not onnx_available():
        raise ValueError(f"embedder runtime {setting!r} needs onnxruntime: pip install 'ragcord[onnx]'")
    return setting


def make_minilm(runtime: str, cache_dir: Path, device: str | None = None) -> Embedder:
    """The bundled MiniLM on a resolved runtime (TORCH, ONNX or ONNX_INT8)."""
    if runtime == TORCH:
        return Embedder(None, device=device)
    return OnnxEmbedder(Path(cache_dir) / EXPORT_FOLDER, default_model_path(), int8=runtime == ONNX_INT8)


def variant_of(runtime: str) -> str:
    return INT8 if runtime == ONNX_INT8 else ""
