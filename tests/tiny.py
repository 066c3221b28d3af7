"""Tiny random causal LMs and byte-level BPE tokenizers built in code, for the tests.

Like mergekit's ``make_picollama``: two layers, hidden size 32, any vocabulary; weights are seeded.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import torch

from anytok.tokenizer import Tokenizer

ARCHS = ("llama", "gemma3")


def tiny_tokenizer(texts: Sequence[str], *, vocab_size: int, specials: Sequence[str] = ("<s>", "</s>"),
                   add_bos: bool = True, name: str = "tiny") -> Tokenizer:
    """A byte-level BPE of ``vocab_size`` tokens trained on ``texts`` by HF ``tokenizers``.

    ``specials`` come first (ids 0, 1, ...); the first is BOS (put before every text when ``add_bos``).
    """
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    hf = HFTokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(specials), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    hf.train_from_iterator(list(texts), trainer=trainer)
    tok = Tokenizer.from_hf_json(json.loads(hf.to_str()), name=name, add_bos=False)
    if add_bos and specials:
        tok = Tokenizer.from_hf_json(tok.to_hf_json(), name=name, roles=tok.roles, add_bos=True)
    return tok


def tiny_model(vocab_rows: int, *, arch: str = "llama", tied: bool = True, hidden: int = 32,
               seed: int = 0, bos_id: int | None = 0, eos_id: int | None = 1) -> Any:
    """A seeded random 2-layer causal LM with ``vocab_rows`` embedding rows (float32, eval mode)."""
    from transformers import (Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig,
                              LlamaForCausalLM)

    if arch not in ARCHS:
        raise ValueError(f"arch {arch!r} is not one of {', '.join(ARCHS)}")
    common = dict(vocab_size=vocab_rows, hidden_size=hidden, intermediate_size=2 * hidden,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=hidden // 4,
                  max_position_embeddings=512, tie_word_embeddings=tied, bos_token_id=bos_id,
                  eos_token_id=eos_id, pad_token_id=eos_id)
    torch.manual_seed(seed)
    if arch == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common))
    else:
        model = Gemma3ForCausalLM(Gemma3TextConfig(**common, sliding_window=64, query_pre_attn_scalar=8))
    with torch.no_grad():  # larger weights than the 0.02 default, so predictions are far from uniform
        model.get_input_embeddings().weight.normal_(0.0, 1.0)
        if not tied:
            model.get_output_embeddings().weight.normal_(0.0, 0.3)
    return model.eval()
