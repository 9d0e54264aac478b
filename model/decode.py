"""Batched token-by-token decoding with a KV cache (synchronous; runs on the worker thread).

Rows are left-padded to one length, each with its own sampling settings, stop
conditions and callbacks. Every step feeds one token per row; finished rows
keep feeding padding (masked out) until the whole batch is done. A row with
`rules` hands out its text a sentence at a time through a `SentenceGate`.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from model.detok import IncrementalText
from model.stoprules import SentenceGate, StopRules


@dataclass
class Row:
    """One sequence to generate. Callbacks are invoked on the decoding thread."""

    ids: list[int]
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    on_token: Callable[[str, float | None], None] = lambda text, logprob: None  # None: no new token
    on_finish: Callable[[str], None] = lambda reason: None
    cancelled: Callable[[], bool] = lambda: False
    rules: StopRules | None = None  # sentence-level stop rules (None: only stop strings and EOS)
    # filled during decoding
    generated: list[int] = field(default_factory=list)
    done: bool = False


class Closed(Exception):
    """The owner asked the decoder to stop (shutdown)."""


@dataclass(frozen=True)
class ModelSpec:
    """What the decode loop needs to know about a loaded model."""

    model: Any
    tokenizer: Any
    device: torch.device
    eos_ids: frozenset[int]
    pad_id: int
    encoder_decoder: bool
    decoder_start_id: int | None
    takes_position_ids: bool
    cache_arg: str = "past_key_values"  # transformers ≥ 5.2x names it `cache` (the old name warns)

    @classmethod
    def of(cls, model: Any, tokenizer: Any) -> ModelSpec:
        eos: set[int] = set()
        for src in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
            if isinstance(src, int):
                eos.add(src)
            elif isinstance(src, (list, tuple)):
                eos.update(int(i) for i in src)
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = next(iter(sorted(eos)), 0)
        enc_dec = bool(getattr(model.config, "is_encoder_decoder", False))
        start = getattr(model.config, "decoder_start_token_id", None)
        if enc_dec and start is None:
            start = pad
        params = inspect.signature(model.forward).parameters
        return cls(
            model=model, tokenizer=tokenizer, device=next(model.parameters()).device,
            eos_ids=frozenset(eos), pad_id=int(pad), encoder_decoder=enc_dec,
            decoder_start_id=start, takes_position_ids="position_ids" in params,
            cache_arg="cache" if "cache" in params else "past_key_values",
        )


def choose_token(logits: torch.Tensor, temperature: float, top_p: float, gen: torch.Generator | None) -> int:
    """Greedy when temperature <= 0, else temperature + nucleus (top-p) sampling."""
    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_p, order = torch.sort(probs, descending=True)
        cum = torch.cumsum(sorted_p, dim=-1)
        sorted_p[(cum - sorted_p) > top_p] = 0.0  # keep the smallest set reaching top_p
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_p)
    return int(torch.multinomial(probs / probs.sum(), 1, generator=gen))


def _generator(seed: int | None) -> torch.Generator | None:
    if seed is None:
        return None
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def decode_batch(spec: ModelSpec, rows: Sequence[Row], should_stop: Callable[[], bool] = lambda: False) -> int:
    """Generate for all rows together; returns the number of decode steps run."""
    if not rows:
        return 0
    texts = [RowText(IncrementalText(spec.tokenizer, r.stop), r.rules) for r in rows]
    gens = [_generator(r.seed) for r in rows]
    with torch.inference_mode():
        step_fn = _encoder_decoder_steps(spec, rows) if spec.encoder_decoder else _causal_steps(spec, rows)
        logits = next(step_fn)
        steps = 0
        while True:
            if should_stop():
                raise Closed()
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            next_ids: list[int] = []
            for i, row in enumerate(rows):
                if row.done:
                    next_ids.append(spec.pad_id)
                    continue
                if row.cancelled():
                    _finish(row, texts[i], "cancelled")
                    next_ids.append(spec.pad_id)
                    continue
                tok = choose_token(logits[i], row.temperature, row.top_p, gens[i])
                next_ids.append(tok)
                if tok in spec.eos_ids:
                    _finish(row, texts[i], "stop")
                    continue
                row.generated.append(tok)
                for piece, lp in texts[i].push(tok, float(logprobs[i, tok])):
                    row.on_token(piece, lp)
                if texts[i].stopped:
                    _finish(row, texts[i], "stop")
                elif len(row.generated) >= row.max_new_tokens:
                    _finish(row, texts[i], "length")
            steps += 1
            if all(r.done for r in rows):
                return steps
            logits = step_fn.send(next_ids)


class RowText:
    """A row's detokeniser, followed by its sentence gate when it has stop rules."""

    def __init__(self, detok: IncrementalText, rules: StopRules | None) -> None:
        self.detok = detok
        self.gate = SentenceGate(rules) if rules is not None else None

    @property
    def stopped(self) -> bool:
        return self.detok.stopped or (self.gate is not None and self.gate.stopped)

    def push(self, token: int, logprob: float) -> list[tuple[str, float | None]]:
        delta = self.detok.push(token)
        return [(delta, logprob)] if self.gate is None else self.gate.push(delta, logprob)

    def flush(self, reason: str) -> list[tuple[str, float | None]]:
        tail = self.detok.flush()
        if self.gate is None:
            return [(tail, None)] if tail else []
        pieces = self.gate.push(tail, None) if tail else []
        return [*pieces, *self.gate.finish(length_limited=reason == "length")]


def _finish(row: Row, text: RowText, reason: str) -> None:
    for piece, lp in text.flush(reason):
        if piece or lp is not None:
            row.on_token(piece, lp)
    row.done = True
    row.on_finish(reason)


def _keeps_last_logits(model: Any) -> bool:
    return "logits_to_keep" in inspect.signature(model.forward).parameters


def _causal_steps(spec: ModelSpec, rows: Sequence[Row]):
    """Coroutine: yields last-position logits [B, V]; receives the next token per row."""
    width = max(len(r.ids) for r in rows)
    ids = torch.full((len(rows), width), spec.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r.ids) :] = torch.tensor(r.ids, dtype=torch.long)
        mask[i, width - len(r.ids) :] = 1
    ids, mask = ids.to(spec.device), mask.to(spec.device)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    kwargs: dict[str, Any] = {"position_ids": pos} if spec.takes_position_ids else {}
    if _keeps_last_logits(spec.model):
        kwargs["logits_to_keep"] = 1  # prefill needs only the last position's logits
    out = spec.model(input_ids=ids, attention_mask=mask, use_cache=True, **kwargs)
    past = _cache_of(out)
    while True:
        nxt = yield out.logits[:, -1, :]
        step = torch.tensor(nxt, dtype=torch.long, device=spec.device).unsqueeze(1)
        mask = torch.cat([mask, torch.ones_like(step)], dim=1)
        pos = pos[:, -1:] + 1
        kwargs = {"position_ids": pos} if spec.takes_position_ids else {}
        kwargs[spec.cache_arg] = past
        out = spec.model(input_ids=step, attention_mask=mask, use_cache=True, **kwargs)
        past = _cache_of(out)


def _encoder_decoder_steps(spec: ModelSpec, rows: Sequence[Row]):
    width = max(len(r.ids) for r in rows)
    ids = torch.full((len(rows), width), spec.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r.ids)] = torch.tensor(r.ids, dtype=torch.long)
        mask[i, : len(r.ids)] = 1
    ids, mask = ids.to(spec.device), mask.to(spec.device)
    encoded = spec.model.get_encoder()(input_ids=ids, attention_mask=mask)
    dec = torch.full((len(rows), 1), int(spec.decoder_start_id), dtype=torch.long, device=spec.device)
    out = spec.model(encoder_outputs=encoded, attention_mask=mask, decoder_input_ids=dec, use_cache=True)
    past = _cache_of(out)
    while True:
        nxt = yield out.logits[:, -1, :]
        dec = torch.tensor(nxt, dtype=torch.long, device=spec.device).unsqueeze(1)
        out = spec.model(
            encoder_outputs=encoded, attention_mask=mask, decoder_input_ids=dec, use_cache=True,
            **{spec.cache_arg: past},
        )
        past = _cache_of(out)


def _cache_of(out: Any) -> Any:
    """The KV cache a forward pass returned, under its new name (`cache`) or its old one."""
    cache = out.get("cache") if hasattr(out, "get") else None
    return cache if cache is not None else out.past_key_values
