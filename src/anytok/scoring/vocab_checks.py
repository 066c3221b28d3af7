"""Checks on a tokenizer's vocabulary: unreachable tokens, non-UTF-8 tokens, non-unique encodings."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

from anytok.scoring.metrics import count_segmentations
from anytok.tokenizer import Tokenizer


@dataclass(frozen=True)
class VocabProblems:
    """Token ids that encoding can never produce on their own, and ids whose bytes are not UTF-8."""

    unreachable: tuple[int, ...]
    invalid_utf8: tuple[int, ...]
    checked: int


def _ordinary_ids(tok: Tokenizer) -> list[int]:
    """Ids of tokens of 2+ bytes that are neither special nor SentencePiece ``<0xNN>`` byte pieces."""
    skip = tok.special_ids | tok.byte_fallback_ids
    return [i for i, b in enumerate(tok.vocab) if b is not None and len(b) > 1 and i not in skip]


def vocab_problems(tok: Tokenizer) -> VocabProblems:
    """Find unreachable and non-UTF-8 tokens.

    Token t is unreachable when ``encode(decode([t])) != [t]``: encoding its own text gives other
    tokens, so (for a canonical encoder) a model never sees t. Specials and byte-fallback pieces are
    skipped. Tokens whose bytes are not valid UTF-8 (pieces of a multi-byte character) are listed
    apart: they are reached only inside longer text, so the round test does not apply to them.
    Single-byte tokens (the byte alphabet of byte-level BPE) are neither: any byte needs one.
    With a SentencePiece dummy prefix, a token without a leading space is tested as decode gives it.
    """
    texts: list[str] = []
    ids: list[int] = []
    invalid: list[int] = []
    for i in _ordinary_ids(tok):
        try:
            text = tok.decode([i]).decode("utf-8")
        except UnicodeDecodeError:
            invalid.append(i)
            continue
        if text:
            texts.append(text)
            ids.append(i)
    encoded = tok.encode_batch(texts)
    unreachable = tuple(i for i, enc in zip(ids, encoded) if enc != [i])
    return VocabProblems(unreachable=unreachable, invalid_utf8=tuple(invalid), checked=len(ids) + len(invalid))


@dataclass(frozen=True)
class Ambiguity:
    """How many token sequences spell each sampled word (the non-unique encoding problem)."""

    words: int
    share_ambiguous: float
    mean_segmentations: float
    median_segmentations: float


def segmentation_ambiguity(tok: Tokenizer, words: Sequence[str], *, max_word_bytes: int = 24) -> Ambiguity:
    """Count the vocabulary segmentations of each word's bytes by dynamic programming.

    Words longer than ``max_word_bytes`` bytes are left out (the count grows exponentially with
    length and would drown the mean). Reports the share of words with more than one segmentation,
    and the mean and median number of segmentations.
    """
    skip = tok.special_ids
    pieces = {b for i, b in enumerate(tok.vocab) if b is not None and i not in skip}
    max_len = max((len(b) for b in pieces), default=1)
    counts = [count_segmentations(w.encode("utf-8"), pieces, max_piece_len=max_len)
              for w in words if 0 < len(w.encode("utf-8")) <= max_word_bytes]
    if not counts:
        return Ambiguity(words=0, share_ambiguous=float("nan"), mean_segmentations=float("nan"),
                         median_segmentations=float("nan"))
    return Ambiguity(words=len(counts), share_ambiguous=sum(c > 1 for c in counts) / len(counts),
                     mean_segmentations=float(statistics.fmean(counts)),
                     median_segmentations=float(statistics.median(counts)))
