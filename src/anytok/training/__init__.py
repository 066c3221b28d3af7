"""Train tokenizers: ``anytok.train(files, vocab_size=..., algorithm=...)``.

corpus files -> text chunks (:mod:`.corpus`) -> pretoken counts in worker processes
(:mod:`.pretokens`) -> merge loop (compiled :mod:`._bpe_core`, readable :mod:`.bpe_reference`)
-> :class:`anytok.Tokenizer`.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from anytok.tokenizer.core import Tokenizer
from anytok.training.options import Algorithm, TrainOptions, parse_algorithm


def _bpe(files, opts: TrainOptions) -> Tokenizer:
    from anytok.training.bpe import train_bpe

    return train_bpe(files, opts)


def _superbpe(files, opts: TrainOptions) -> Tokenizer:
    from anytok.training.superbpe import train_superbpe

    return train_superbpe(files, opts)


def _parity(files, opts: TrainOptions) -> Tokenizer:
    from anytok.training.parity import train_parity

    return train_parity(files, opts)


def _unigram(files, opts: TrainOptions) -> Tokenizer:
    from anytok.training.unigram import train_unigram

    return train_unigram(files, opts)


TRAINERS: dict[Algorithm, Callable[[Sequence[str | os.PathLike], TrainOptions], Tokenizer]] = {
    Algorithm.BPE: _bpe,
    Algorithm.SUPERBPE: _superbpe,
    Algorithm.PARITY: _parity,
    Algorithm.UNIGRAM: _unigram,
}


def train(
    files: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    vocab_size: int,
    algorithm: str | Algorithm = "bpe",
    pattern: str = "gpt2",
    special_tokens: Sequence[str] = (),
    min_frequency: int = 0,
    max_token_length: int | None = None,
    processes: int = 2,
    progress: bool = True,
    text_field: str = "text",
    transition: int | None = None,
    max_words: int = 4,
    dev_lines: int = 100,
) -> Tokenizer:
    """Train a tokenizer on ``files`` (paths, folders, glob patterns; .jsonl reads ``text_field``).

    ``algorithm``: ``bpe`` (byte-level BPE, same merges as HF tokenizers' BpeTrainer),
    ``superbpe`` (subwords up to ``transition`` tokens, default 80% of ``vocab_size``, then
    superwords of at most ``max_words`` words), ``parity`` (parity-aware BPE; ``files`` are
    line-aligned translations, one file per language, the last ``dev_lines`` lines of each are its
    dev text), ``unigram`` (SentencePiece Unigram with byte fallback).
    ``pattern`` names a pretokenizer (gpt2, cl100k, o200k, llama3, qwen3) or is a regex.
    ``vocab_size`` counts special tokens; ``min_frequency`` is the lowest pair count merged;
    ``max_token_length`` limits tokens learned by merges (HF's rule, in bytes).
    ``processes`` worker processes count pretokens; ``progress`` shows a progress bar.
    """
    algo = parse_algorithm(algorithm)
    opts = TrainOptions(
        vocab_size=vocab_size, pattern=pattern, special_tokens=tuple(special_tokens),
        min_frequency=min_frequency, max_token_length=max_token_length, processes=processes,
        progress=progress, text_field=text_field, transition=transition, max_words=max_words,
        dev_lines=dev_lines)
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    return TRAINERS[algo](list(files), opts)


__all__ = ["Algorithm", "TrainOptions", "train"]
