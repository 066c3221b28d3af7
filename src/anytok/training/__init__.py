"""Train tokenizers: ``anytok.train(files, vocab_size=..., algorithm=...)``.

corpus files -> text chunks (:mod:`.corpus`) -> pretoken counts in worker processes
(:mod:`.pretokens`) -> merge loop (compiled :mod:`._bpe_core`, readable :mod:`.bpe_reference`)
-> :class:`anytok.Tokenizer`.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from typing import Any, Callable, Sequence

from anytok.errors import TrainingError
from anytok.tokenizer.core import Tokenizer
from anytok.training.options import Algorithm, TrainOptions, option_fields, parse_algorithm


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


def train(files: str | os.PathLike | Sequence[str | os.PathLike], *, algorithm: str | Algorithm = "bpe",
          **options: Any) -> Tokenizer:
    """Train a tokenizer on ``files`` (paths, folders, globs of any :mod:`anytok.corpus` format).

    ``algorithm``: ``bpe`` (byte-level BPE, same merges as HF tokenizers' BpeTrainer),
    ``superbpe`` (subwords up to ``transition`` tokens, default 80% of ``vocab_size``, then
    superwords of at most ``max_words`` words), ``parity`` (parity-aware BPE; ``files`` are
    line-aligned translations, one file per language, the last ``dev_lines`` lines of each are its
    dev text), ``unigram`` (SentencePiece Unigram with byte fallback).
    The keywords are the fields of :class:`TrainOptions` (``vocab_size`` is required), the same
    options ``anytok train`` takes as flags.
    """
    algo = parse_algorithm(algorithm)
    known = [f.name for f in option_fields()]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TrainingError(f"unknown training option {', '.join(unknown)}; the options are {', '.join(known)}")
    if "vocab_size" not in options:
        raise TrainingError("vocab_size is required: the number of ids, special tokens included")
    opts = TrainOptions(**options)
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    return TRAINERS[algo](list(files), opts)


train.__signature__ = inspect.Signature([  # what help() and editors show: the keywords TrainOptions declares
    inspect.Parameter("files", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    inspect.Parameter("algorithm", inspect.Parameter.KEYWORD_ONLY, default="bpe"),
    *(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=f.type,
                        default=inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
      for f in option_fields()),
], return_annotation="Tokenizer")


__all__ = ["Algorithm", "TrainOptions", "train"]
