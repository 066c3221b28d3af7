"""Train tokenizers: ``anytok.train(files, vocab_size=..., algorithm=...)``.

corpus files -> text chunks (:mod:`anytok.corpus`) -> pretoken counts in worker processes
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
from anytok.counting.options import CountOptions, count_option_fields
from anytok.counting.shards import DEFAULT_SHARDS, CountsInfo
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


def train(files: str | os.PathLike | Sequence[str | os.PathLike] | None = None, *, algorithm: str | Algorithm = "bpe",
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
    files = [files] if isinstance(files, (str, os.PathLike)) else list(files or [])
    _check_sources(algo, files, opts)
    return TRAINERS[algo](files, opts)


def _check_sources(algo: Algorithm, files: list, opts: TrainOptions) -> None:
    if opts.from_counts and files:
        raise TrainingError("give either corpus files or from_counts= (--from-counts), not both")
    if not opts.from_counts and not files:
        raise TrainingError("no corpus given; pass corpus files, or from_counts= (--from-counts) folders "
                            "made by anytok count")
    counted = algo in (Algorithm.BPE, Algorithm.SUPERBPE)
    if not counted and (opts.from_counts or opts.engine != "local" or opts.max_types is not None):
        raise TrainingError(f"{algo.value} reads its corpus itself; from_counts, engine='ray' and max_types "
                            "are for bpe and superbpe")


def counting_regex(algorithm: str | Algorithm, opts: CountOptions) -> str:
    """The regex ``algorithm`` counts pretokens with (SuperBPE counts its stage-2 pretokens)."""
    algo = parse_algorithm(algorithm)
    if algo == Algorithm.BPE:
        return opts.counting_regex
    if algo == Algorithm.SUPERBPE:
        from anytok.training.superbpe import stage2_pattern

        return stage2_pattern(opts.counting_regex)
    raise TrainingError(f"{algo.value} reads its corpus itself; anytok count makes counts for bpe and superbpe")


def count(files: str | os.PathLike | Sequence[str | os.PathLike], *, output: str | os.PathLike,
          algorithm: str | Algorithm = "bpe", shards: int = DEFAULT_SHARDS, overwrite: bool = False,
          **options: Any) -> CountsInfo:
    """Count the pretokens of ``files`` into the counts folder ``output``, for ``algorithm``
    (``bpe`` or ``superbpe``); ``anytok.train(from_counts=[output], ...)`` trains from it.

    The keywords are the fields of :class:`anytok.counting.options.CountOptions` (pattern,
    text_field, processes, engine, address, max_types, progress), as ``anytok count`` takes them."""
    known = [f.name for f in count_option_fields()]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TrainingError(f"unknown counting option {', '.join(unknown)}; the options are {', '.join(known)}")
    if not isinstance(shards, int) or not 1 <= shards <= 65536:
        raise TrainingError(f"shards={shards!r} must be an integer in 1..65536")
    opts = CountOptions(**options)
    regex = counting_regex(algorithm, opts)
    files = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    from anytok.counting.engines import count_sources
    from anytok.counting.shards import check_counts_output, write_counts
    from anytok.training.progress import TrainProgress

    check_counts_output(output, inputs=files, overwrite=overwrite)  # before the hours of counting, not after

    with TrainProgress(enabled=opts.progress, total_merges=0) as progress:
        counts = count_sources(files, opts, regex=regex, on_chunk=progress.counting())
    return write_counts(output, counts, regex=regex, shards=shards, overwrite=overwrite)


train.__signature__ = inspect.Signature([  # what help() and editors show: the keywords TrainOptions declares
    inspect.Parameter("files", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
    inspect.Parameter("algorithm", inspect.Parameter.KEYWORD_ONLY, default="bpe"),
    *(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=f.type,
                        default=inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
      for f in option_fields()),
], return_annotation="Tokenizer")


__all__ = ["Algorithm", "TrainOptions", "count", "train"]
