"""`PromptEncoder`: a `Prompt` to the token ids a local chat model is fed (its chat template, trimmed to fit)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from model.base import Prompt
from model.prompts import Message, focus, render_messages, render_plain, trim_passages


@dataclass(frozen=True)
class PromptEncoder:
    tokenizer: Any  # a transformers tokenizer
    prompt_passages: int = 2  # the best passages kept, best first (0: all, as given)
    passage_chars: int = 700  # each cut to a window of about this many characters around its best part
    pad_id: int = 0

    def encode(self, prompt: Prompt, budget: int) -> list[int]:
        """At most `budget` ids: passages trimmed first, then the start cut (the question stays)."""
        if self.prompt_passages > 0:
            prompt = focus(prompt, self.prompt_passages, self.passage_chars)
        ids = self.tokenize(render_messages(prompt))
        if len(ids) > budget and prompt.passages:
            excess = len(ids) - budget
            allowed = sum(self.count(p.text) for p in prompt.passages) - excess - 8 * len(prompt.passages)
            trimmed = replace(prompt, passages=trim_passages(prompt.passages, max(allowed, 0), self.count))
            ids = self.tokenize(render_messages(trimmed))
        if len(ids) > budget:  # keep the end: the question and the assistant header
            ids = ids[-budget:]
        return ids or [self.pad_id]

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def tokenize(self, messages: list[Message]) -> list[int]:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            try:
                text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            except Exception:  # noqa: BLE001 - e.g. templates that refuse a system role
                merged = [{"role": "user", "content": messages[0]["content"] + "\n\n" + messages[1]["content"]},
                          *messages[2:]] if len(messages) > 1 else messages
                text = tok.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)
            return list(tok(text, add_special_tokens=False)["input_ids"])
        return list(tok(render_plain(messages))["input_ids"])
