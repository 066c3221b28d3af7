"""Plain byte-level BPE training: count pretokens, run the compiled merge loop, build a Tokenizer.

Learns the same merges, in the same order, with the same ids as HF tokenizers' BpeTrainer given
the same pretokens (see :mod:`anytok.training.bpe_reference` for the exact rules).
"""

from __future__ import annotations

import os
from typing import Sequence

from anytok.counting.engines import cap_types, count_sources
from anytok.counting.shards import load_counts
from anytok.tokenizer.core import Tokenizer
from anytok.training.bpe_common import MergeRun, check_vocab_size, initial_vocab
from anytok.training.bpe_fast import train_byte_words_segmented
from anytok.training.options import TrainOptions
from anytok.training.progress import TrainProgress

Sources = Sequence[str | os.PathLike]


def count_corpus(sources: Sources, opts: TrainOptions, progress: TrainProgress, *, regex: str) -> dict[bytes, int]:
    """``{pretoken bytes: count}`` over the whole corpus, counted with ``regex`` on ``opts.engine``,
    or read from ``opts.from_counts`` (counts folders made with the same ``regex``)."""
    if opts.from_counts:
        return cap_types(load_counts(opts.from_counts, regex=regex), opts.max_types)
    return count_sources(sources, opts, regex=regex, on_chunk=progress.counting())


def learn_bpe(counts: dict[bytes, int], opts: TrainOptions, progress: TrainProgress, *, vocab_size: int,
              segmented: bool = False):
    """Run the merge loop on pretoken counts up to ``vocab_size`` (specials included).

    Returns the MergeRun, or with ``segmented`` ``(MergeRun, Segmentation)`` (words in key order).
    """
    token_bytes, byte_to_id = initial_vocab(opts.special_tokens)
    check_vocab_size(vocab_size, len(token_bytes), len(opts.special_tokens))
    run, segmentation = train_byte_words_segmented(
        counts, byte_to_id, token_bytes, vocab_size=vocab_size, min_frequency=opts.min_frequency,
        max_token_length=opts.max_token_length, progress=progress.merging())
    return (run, segmentation) if segmented else run


def tokenizer_from_run(run: MergeRun, opts: TrainOptions, *, pattern: str, name: str) -> Tokenizer:
    """Wrap a merge run into a Tokenizer that encodes with ``pattern``."""
    specials = {s: i for i, s in enumerate(opts.special_tokens)}
    tok = Tokenizer.from_bpe(token_bytes=run.token_bytes, merges=run.final_merges(), pattern=pattern,
                             special_tokens=specials, name=name)
    if not specials:
        return tok
    # tokenizers gives an added token missing from the model vocabulary the next free id, whatever
    # id the file says; specials come first here, so they must be listed in the model vocabulary too
    # (as HF's own trainer does).
    doc = tok.to_hf_json()
    doc["model"]["vocab"].update(specials)
    return Tokenizer.from_hf_json(doc, name=name)


def train_bpe(sources: Sources, opts: TrainOptions) -> Tokenizer:
    """Train byte-level BPE on ``sources``."""
    initial = 256 + len(opts.special_tokens)
    check_vocab_size(opts.vocab_size, initial, len(opts.special_tokens))
    with TrainProgress(enabled=opts.progress, total_merges=opts.vocab_size - initial) as progress:
        counts = count_corpus(sources, opts, progress, regex=opts.counting_regex)
        run = learn_bpe(counts, opts, progress, vocab_size=opts.vocab_size)
    return tokenizer_from_run(run, opts, pattern=opts.regex, name="bpe")
