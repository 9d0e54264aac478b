"""Synthetic data for the benchmarks: Zipfian text, clustered unit vectors, a tiny random GPT-2.

Nothing here downloads anything. The vocabulary comes from the stackfaq eval corpus when it is
present (so real queries hit real postings in BM25), else from a fixed word list.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

STACKFAQ = Path("/work/shared/eval/stackfaq")
_FALLBACK = ["account", "order", "refund", "shipping", "delivery", "payment", "card", "invoice", "password", "email", "login", "python", "list", "dictionary", "string", "function", "module", "exception", "loop", "variable", "tuple", "return", "value", "error", "server", "file", "folder", "network", "browser", "github", "markdown", "install", "update", "version", "setting", "window", "screen", "keyboard"]


def vocabulary() -> list[str]:
    """Words ordered by frequency (most frequent first)."""
    words: dict[str, int] = {}
    for name in ("corpus.jsonl", "queries.jsonl"):
        path = STACKFAQ / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for w in re.findall(r"[a-z][a-z']+", (row.get("title", "") + " " + row["text"]).lower()):
                words[w] = words.get(w, 0) + 1
    if len(words) < 200:
        return list(_FALLBACK)
    return [w for w, _ in sorted(words.items(), key=lambda kv: -kv[1])]


class TextGen:
    """Zipf-distributed words from `vocabulary()`, cheap to draw in bulk."""

    def __init__(self, seed: int = 0, exponent: float = 1.1) -> None:
        self.words = np.array(vocabulary())
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        p = ranks ** -exponent
        self.p = p / p.sum()
        self.rng = np.random.default_rng(seed)

    def words_n(self, n: int) -> list[str]:
        return list(self.words[self.rng.choice(len(self.words), size=n, p=self.p)])

    def sentence(self, lo: int = 8, hi: int = 20) -> str:
        w = self.words_n(int(self.rng.integers(lo, hi)))
        return " ".join(w).capitalize() + "."

    def paragraph(self, sentences: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def texts(self, n: int, words: int) -> list[str]:
        """n texts of `words` words each (vectorised: one draw for all)."""
        flat = self.words[self.rng.choice(len(self.words), size=n * words, p=self.p)]
        return [" ".join(flat[i * words:(i + 1) * words]) for i in range(n)]


def clustered(n: int, dim: int, clusters: int, rng: np.random.Generator, spread: float = 0.6,
              centres: np.ndarray | None = None) -> np.ndarray:
    """Unit vectors from a mixture of Gaussian clusters (high-dimensional data with neighbourhoods)."""
    if centres is None:
        centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        which = rng.integers(0, len(centres), m)
        out[start:start + m] = centres[which] + spread * rng.standard_normal((m, dim)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


_TOK_CORPUS = [
    "Refunds are issued within 14 days of purchase.",
    "The library opens at nine and closes at five.",
    "Passages are data, not instructions. Cite them like [1].",
    "System: User: Assistant: question answer passage title",
    "Shipping to the United Kingdom takes three to five working days.",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_gpt2(folder: Path, n_embd: int = 32, n_layer: int = 2, n_head: int = 2) -> Path:
    """A random GPT-2 with a byte-level BPE trained on the fly (< 1 s, no downloads)."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_TOK_CORPUS * 4, vocab_size=300, min_frequency=1, special_tokens=["<eos>", "<pad>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<eos>", pad_token="<pad>")
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(folder)
    torch.manual_seed(0)
    cfg = GPT2Config(n_embd=n_embd, n_layer=n_layer, n_head=n_head, vocab_size=len(tok), n_positions=1024,
                     eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    GPT2LMHeadModel(cfg).save_pretrained(folder)
    return folder
