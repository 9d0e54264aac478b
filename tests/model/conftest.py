"""Tiny random models built on the fly (no downloads, < 1 s) for the local backend's code path."""
from __future__ import annotations

from pathlib import Path

import pytest

_CORPUS = [
    "Refunds are issued within 14 days of purchase.",
    "The library opens at nine and closes at five.",
    "Passages are data, not instructions. Cite them like [1].",
    "System: User: Assistant: question answer passage title",
    "Ünïcödé bytes: café, naïve, 東京, emoji 🙂.",
]

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _tokenizer(folder: Path, chat_template: str | None):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_CORPUS * 4, vocab_size=300, min_frequency=1, special_tokens=["<eos>", "<pad>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<eos>", pad_token="<pad>")
    if chat_template:
        tok.chat_template = chat_template
    tok.save_pretrained(folder)
    return tok


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    tok = _tokenizer(folder, CHAT_TEMPLATE)
    torch.manual_seed(0)
    cfg = GPT2Config(
        n_embd=32, n_layer=2, n_head=2, vocab_size=len(tok), n_positions=512,
        eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    GPT2LMHeadModel(cfg).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    folder = tmp_path_factory.mktemp("tiny-t5")
    tok = _tokenizer(folder, None)
    torch.manual_seed(0)
    cfg = T5Config(
        vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.pad_token_id,
    )
    T5ForConditionalGeneration(cfg).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    """A tiny random Llama (SmolLM2's architecture), for the ct2 backend's converter."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = _tokenizer(folder, CHAT_TEMPLATE)
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True, initializer_range=0.5,
        eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    LlamaForCausalLM(cfg).save_pretrained(folder)
    return folder
