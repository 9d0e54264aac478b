"""Sentence stop rules: on scripted text pieces, and through the decode loop with a scripted model."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from model.decode import ModelSpec, Row, decode_batch
from model.stoprules import ANSWER_RULES, TASK_RULES, SentenceGate, StopRules, normalise


def gate_run(pieces: list[str], rules: StopRules = ANSWER_RULES, length: bool = False) -> tuple[str, int]:
    """Feed pieces (logprob -0.5 each) until the gate stops; returns the released text and piece count."""
    gate = SentenceGate(rules)
    out: list[tuple[str, float | None]] = []
    for piece in pieces:
        out += gate.push(piece, -0.5)
        if gate.stopped:
            break
    out += gate.finish(length_limited=length)
    return "".join(p for p, _ in out), len(out)


def test_stops_after_a_cited_sentence():
    text, n = gate_run(["Refunds", " take", " 14", " days", " [", "1", "]", ".", " Refunds", " take"])
    assert (text, n) == ("Refunds take 14 days [1].", 8)
    text, _ = gate_run(["Refunds", " take", " 14", " days", ".", " [1]", " Also", " more", "."])
    assert text == "Refunds take 14 days. [1]"


def test_citation_inside_a_sentence_does_not_stop_it():
    text, _ = gate_run(["According", " to", " [1]", " the", " value", " is", " 7", ".", " Then", " more", "."])
    assert text == "According to [1] the value is 7. Then more."


def test_sentence_cap_and_decimals():
    assert gate_run(["One", ".", " Two", ".", " Three", "."])[0] == "One. Two."
    assert gate_run(["It", " is", " 1", ".", "5", " m", "."])[0] == "It is 1.5 m."
    assert gate_run(["Use", " e", ".", "g", ".", " this", ".", " Next", "."], TASK_RULES)[0] == "Use e.g. this. Next."


def test_repeated_sentence_is_dropped_and_stops():
    pieces = ["It", " is", " A", ".", " It", " is", " a", " [", "1", "]", ".", " It", " is"]
    text, n = gate_run(pieces, TASK_RULES, length=True)
    assert (text, n) == ("It is A.", 4)
    assert normalise("It is a [1].") == normalise(" it IS A.") == "it is a"


def test_repeat_at_the_end_of_generation_is_dropped():
    assert gate_run(["Yes", ".", " Yes", "."], TASK_RULES)[0] == "Yes."


def test_blank_line_stops():
    assert gate_run(["Answer", " here", "\n\n", "More", " text", "."])[0] == "Answer here"
    assert gate_run(["\n\n", "Answer", "."])[0] == "\n\nAnswer."  # a leading blank line is not an answer's end
    assert gate_run(["The", " answer", " is", ":", "\n\n", "90", " days", ".", "\n\n", "More"])[0] == "The answer is:\n\n90 days."


def test_token_limit_drops_the_unfinished_sentence_but_keeps_the_first():
    assert gate_run(["Done", ".", " Half", " a", " sent"], TASK_RULES, length=True)[0] == "Done."
    assert gate_run(["Only", " half", " a"], length=True)[0] == "Only half a"
    assert gate_run(["Done", ".", " Half", " a", " sent"], TASK_RULES, length=False)[0] == "Done. Half a sent"


def test_nothing_is_released_while_a_sentence_is_open():
    gate = SentenceGate(TASK_RULES)
    assert gate.push("Open", -0.1) == [] and gate.push(" still", -0.2) == []
    assert gate.push(".", -0.3) == []  # an end is confirmed by the character after it
    assert gate.push(" Next", -0.4) == [("Open", -0.1), (" still", -0.2), (".", -0.3)]
    assert gate.text == "Open still."


def test_a_piece_across_the_boundary_is_split():
    gate = SentenceGate(ANSWER_RULES)
    assert gate.push("It is 14 days [1]", -0.1) == []
    assert gate.push(". More", -0.2) == [("It is 14 days [1]", -0.1), (".", -0.2)] and gate.stopped
    assert gate.text == "It is 14 days [1]."


# --- through the decode loop -----------------------------------------------------------------
class ScriptedModel:
    """A causal 'model' whose greedy choice is the next id of a script (then EOS)."""

    def __init__(self, script: list[int], vocab: int, eos: int) -> None:
        self.script, self.vocab, self.eos, self.step = script, vocab, eos, 0

    def forward(self, input_ids, attention_mask=None, use_cache=True, past_key_values=None):  # noqa: ARG002
        nxt = self.script[self.step] if self.step < len(self.script) else self.eos
        self.step += 1
        logits = torch.full((input_ids.shape[0], input_ids.shape[1], self.vocab), -10.0)
        logits[:, -1, nxt] = 10.0
        return SimpleNamespace(logits=logits, past_key_values=None, get=lambda key: None)

    __call__ = forward


@pytest.fixture
def tokenizer(tiny_gpt2: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_gpt2)


def scripted(tokenizer, text: str, rules: StopRules | None, max_new: int = 64):
    ids = tokenizer.encode(text, add_special_tokens=False)
    model = ScriptedModel(ids, len(tokenizer), tokenizer.eos_token_id)
    spec = ModelSpec(model=model, tokenizer=tokenizer, device=torch.device("cpu"),
                     eos_ids=frozenset({tokenizer.eos_token_id}), pad_id=tokenizer.pad_token_id,
                     encoder_decoder=False, decoder_start_id=None, takes_position_ids=False)
    got: list[tuple[str, float | None]] = []
    reasons: list[str] = []
    row = Row(ids=[0, 1], max_new_tokens=max_new, rules=rules,
              on_token=lambda t, lp: got.append((t, lp)), on_finish=reasons.append)
    decode_batch(spec, [row])
    return "".join(t for t, _ in got), [lp for _, lp in got if lp is not None], reasons[0], len(ids), model.step


def test_decode_stops_on_a_repeated_sentence(tokenizer):
    text = "Refunds are issued within 14 days. Refunds are issued within 14 days. Refunds are"
    out, logprobs, reason, _, steps = scripted(tokenizer, text, TASK_RULES)
    assert out == "Refunds are issued within 14 days." and reason == "stop"
    first = len(tokenizer.encode(out, add_special_tokens=False))
    assert len(logprobs) == first  # only the kept tokens carry log-probabilities
    assert steps < len(tokenizer.encode(text, add_special_tokens=False))  # decoding ended early


def test_decode_trims_the_sentence_the_token_limit_cut(tokenizer):
    text = "The library opens at nine. The library closes at five and"
    whole = len(tokenizer.encode(text, add_special_tokens=False))
    out, logprobs, reason, _, _ = scripted(tokenizer, text, TASK_RULES, max_new=whole - 1)
    assert out == "The library opens at nine." and reason == "length"
    assert len(logprobs) == len(tokenizer.encode(out, add_special_tokens=False))
    plain, plain_lps, plain_reason, _, _ = scripted(tokenizer, text, None, max_new=whole - 1)
    assert plain_reason == "length" and len(plain_lps) == whole - 1 and plain.startswith(out + " The library")


def test_decode_stops_after_the_cited_answer(tokenizer):
    out, _, reason, _, steps = scripted(tokenizer, "Refunds are issued within 14 days [1]. The library opens.", ANSWER_RULES)
    assert out == "Refunds are issued within 14 days [1]." and reason == "stop"
    assert steps <= len(tokenizer.encode("Refunds are issued within 14 days [1]. The", add_special_tokens=False)) + 1
