"""HF tokenizers' BpeTrainer as an independent oracle, and helpers to compare merge runs with it."""

from __future__ import annotations

import json
from collections import Counter
from typing import Sequence

import regex
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

from anytok.tokenizer.byte_unicode import bytes_to_unicode_str
from anytok.training.bpe_common import MergeRun, initial_vocab


def hf_train(texts: Sequence[str], *, pattern: str, vocab_size: int, special_tokens: Sequence[str] = (),
             min_frequency: int = 0, max_token_length: int | None = None) -> tuple[dict[str, int], list[list[str]]]:
    """Train HF byte-level BPE on ``texts`` (each text pretokenized on its own); return (vocab, merges)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=list(special_tokens), min_frequency=min_frequency, show_progress=False,
        max_token_length=max_token_length)
    tok.train_from_iterator(texts, trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [m.split(" ") if isinstance(m, str) else list(m) for m in model["merges"]]
    return model["vocab"], merges


def byte_counts(texts: Sequence[str], pattern: str) -> dict[bytes, int]:
    """Pretoken counts of ``texts`` (each text on its own), independent of anytok's counting code."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(regex.findall(pattern, text))
    return {k.encode(): v for k, v in counts.items()}


def run_as_hf(run: MergeRun, special_tokens: Sequence[str]) -> tuple[dict[str, int], list[list[str]]]:
    """A merge run spelled like HF's model: (vocab, merges) in byte-unicode strings."""
    names = [bytes_to_unicode_str(b) if b is not None else special_tokens[i] for i, b in enumerate(run.token_bytes)]
    return {n: i for i, n in enumerate(names)}, [[names[a], names[b]] for a, b in run.final_merges()]


def initial(special_tokens: Sequence[str]):
    """(token_bytes, byte_to_id) of a fresh byte-level vocabulary."""
    return initial_vocab(tuple(special_tokens))
