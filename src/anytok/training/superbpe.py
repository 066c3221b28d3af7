"""SuperBPE (Liu et al., 2025): subwords first, then superwords that cross whitespace.

Stage 1 is plain byte-level BPE with the chosen subword pattern up to ``transition`` tokens.
Stage 2 keeps those merges and continues on coarser pretokens (:func:`stage2_pattern`): runs of
subword pretokens that touch or are separated by one space, with no digit, newline or run of
spaces between them, so words and punctuation join while numbers and layout still split. A token may hold at most ``max_words``
words; the merge loop enforces it (``max_words`` in the core), so the pretokenizer need not cut
spans into fixed groups of words.
The saved tokenizer pretokenizes with the stage-2 pattern and applies all merges by rank.

Counting is done once, with the stage-2 pattern; stage-1 counts are derived by running the subword
pattern on each distinct stage-2 pretoken (weighted by its count). For the named patterns a stage-2
pretoken is a concatenation of whole stage-1 pretokens, so this equals counting the text directly
(the tests check it on real text). Stage 2
starts each stage-2 pretoken from the stage-1 segmentations of its pieces laid end to end; where a
stage-1 merge could also join two neighbouring pieces (``(`` + ``the`` under cl100k), encoding the
whole pretoken may segment it differently. That only makes a few stage-2 counts approximate; the
tokenizer still encodes every text losslessly and exactly as its tokenizer.json does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from anytok.tokenizer.core import Tokenizer
from anytok.counting.fast import split_words
from anytok.tokenizer.onig import pretoken_regex
from anytok.tokenizer.patterns import superword_pattern as stage2_pattern
from anytok.training.bpe import count_corpus, learn_bpe, tokenizer_from_run
from anytok.training.bpe_common import MergeRun, check_vocab_size
from anytok.training.bpe_fast import train_flat_fast
from anytok.training.options import TrainOptions
from anytok.training.progress import TrainProgress

@dataclass(frozen=True)
class Split:
    """Stage-2 pretokens cut into stage-1 pieces.

    piece_counts: ``{piece bytes: count}`` (insertion order gives each piece its index).
    pieces: (total pieces,) int64 piece index of each piece of each stage-2 pretoken, in order.
    n_pieces: (stage-2 pretokens,) int64 number of pieces of each.
    """

    piece_counts: dict[bytes, int]
    pieces: np.ndarray
    n_pieces: np.ndarray


def split_stage2(stage2: dict[bytes, int], subword_regex: str) -> Split:
    """Cut each stage-2 pretoken with the subword regex; count the pieces, weighted by its count."""
    scanned = split_words(list(stage2), subword_regex)
    if scanned is not None:
        pieces, n_pieces, distinct = scanned
    else:
        findall = pretoken_regex(subword_regex).findall
        found = [findall(word.decode("utf-8")) for word in stage2]
        n_pieces = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        index: dict[str, int] = {}
        pieces = np.fromiter((index.setdefault(p, len(index)) for f in found for p in f), dtype=np.int64,
                             count=int(n_pieces.sum()))
        distinct = [p.encode("utf-8") for p in index]
    weights = np.repeat(np.fromiter(stage2.values(), dtype=np.int64, count=len(stage2)), n_pieces)
    totals = np.bincount(pieces, weights=weights, minlength=len(distinct)).astype(np.int64)
    counts = {piece: int(c) for piece, c in zip(distinct, totals.tolist())}
    return Split(counts, pieces, n_pieces)


def train_superbpe(sources: Sequence[str | os.PathLike], opts: TrainOptions) -> Tokenizer:
    """Train SuperBPE on ``sources``: ``opts.transition_size`` subword tokens, then superwords."""
    initial = 256 + len(opts.special_tokens)
    check_vocab_size(opts.vocab_size, initial, len(opts.special_tokens))
    transition = max(opts.transition_size, initial)
    with TrainProgress(enabled=opts.progress, total_merges=opts.vocab_size - initial) as progress:
        stage2 = count_corpus(sources, opts, progress, regex=stage2_pattern(opts.counting_regex))
        split = split_stage2(stage2, opts.counting_regex)
        stage1, segmentation = learn_bpe(split.piece_counts, opts, progress, vocab_size=transition, segmented=True)
        # a stage-2 pretoken starts as the stage-1 segmentations of its pieces, one after another
        symbols, piece_lengths = segmentation.gather(split.pieces)
        word_lengths = np.add.reduceat(piece_lengths, np.r_[0, np.cumsum(split.n_pieces)[:-1]])
        done = len(stage1.merge_log)
        on_merge = progress.merging("learning superword merges")
        run2 = train_flat_fast(
            symbols, word_lengths, np.fromiter(stage2.values(), dtype=np.int64, count=len(stage2)),
            stage1.token_bytes, vocab_size=opts.vocab_size, min_frequency=opts.min_frequency,
            max_token_length=opts.max_token_length, max_words=opts.max_words,
            progress=(lambda n: on_merge(done + n)) if on_merge else None)
    run = MergeRun(token_bytes=run2.token_bytes, merge_log=[*stage1.merge_log, *run2.merge_log])
    return tokenizer_from_run(run, opts, pattern=stage2_pattern(opts.regex), name="superbpe")

