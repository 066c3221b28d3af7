"""Python face of the compiled merge loop (``_bpe_core.c``); same contract as :mod:`bpe_reference`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from anytok.errors import TrainingError
from anytok.training.bpe_common import NO_LIMIT, MergeRun

try:
    from anytok.training import _bpe_core
except ImportError as e:  # pragma: no cover - only when the package was not built
    _bpe_core = None
    _IMPORT_ERROR = e


def _core():
    if _bpe_core is None:
        raise TrainingError(
            "the compiled BPE core anytok.training._bpe_core is missing; reinstall anytok "
            f"(pip install -e .) so setup.py builds it ({_IMPORT_ERROR})"
        )
    return _bpe_core


@dataclass(frozen=True)
class Segmentation:
    """Every word after the last merge: word w is ``symbols[starts[w] : starts[w] + lengths[w]]``."""

    symbols: np.ndarray  # (total symbols,) int32
    starts: np.ndarray  # (words + 1,) int64
    lengths: np.ndarray  # (words,) int32

    def gather(self, word_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Symbols of ``word_ids`` concatenated, and each one's length: ``(flat int32, lengths int64)``."""
        lengths = self.lengths[word_ids].astype(np.int64)
        ends = np.cumsum(lengths)
        shift = np.repeat(self.starts[word_ids] - (ends - lengths), lengths)
        return self.symbols[np.arange(int(ends[-1]) if len(ends) else 0) + shift], lengths


def train_merges_fast(
    words: Sequence[Sequence[int]],
    counts: Sequence[int],
    token_bytes: Sequence[bytes | None],
    *,
    vocab_size: int,
    min_frequency: int = 0,
    max_token_length: int | None = None,
    max_words: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> MergeRun:
    """Like :func:`bpe_reference.train_merges_reference`, on the compiled core."""
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    symbols = np.fromiter((s for w in words for s in w), dtype=np.int32, count=int(lengths.sum()))
    return _run(symbols, lengths, np.asarray(counts, dtype=np.int64), token_bytes, vocab_size=vocab_size,
                min_frequency=min_frequency, max_token_length=max_token_length, max_words=max_words,
                progress=progress)[0]


def train_flat_fast(symbols: np.ndarray, lengths: np.ndarray, counts: np.ndarray,
                    token_bytes: Sequence[bytes | None], **options) -> MergeRun:
    """Train on words given flat: ``symbols`` (int32) cut into words of ``lengths``, with ``counts``."""
    return _run(symbols, lengths, counts, token_bytes, **options)[0]


def train_byte_words_fast(
    word_counts: Mapping[bytes, int],
    byte_to_id: Sequence[int],
    token_bytes: Sequence[bytes | None],
    **options,
) -> MergeRun:
    """Train on ``{pretoken bytes: count}``: one symbol per byte, mapped through ``byte_to_id``."""
    return train_byte_words_segmented(word_counts, byte_to_id, token_bytes, **options)[0]


def train_byte_words_segmented(
    word_counts: Mapping[bytes, int],
    byte_to_id: Sequence[int],
    token_bytes: Sequence[bytes | None],
    **options,
) -> tuple[MergeRun, Segmentation]:
    """:func:`train_byte_words_fast`, also returning every word's final segmentation (in key order)."""
    keys = list(word_counts)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    raw = np.frombuffer(b"".join(keys), dtype=np.uint8)
    symbols = np.asarray(byte_to_id, dtype=np.int32)[raw]
    counts = np.fromiter(word_counts.values(), dtype=np.int64, count=len(keys))
    return _run(symbols, lengths, counts, token_bytes, **options)


def _run(symbols, lengths, counts, token_bytes, *, vocab_size, min_frequency=0, max_token_length=None,
         max_words=None, progress=None) -> tuple[MergeRun, Segmentation]:
    # every merge joins two symbols of some word into one, so the words allow at most
    # (symbols - words) merges; the core sizes its tables by the target, so cap it there
    vocab_size = min(vocab_size, len(token_bytes) + int(np.maximum(np.asarray(lengths) - 1, 0).sum()))
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    symbols = np.ascontiguousarray(symbols, dtype=np.int32)
    new_tokens, log, final_lengths = _core().train(
        symbols, starts.tobytes(), np.ascontiguousarray(counts, dtype=np.int64).tobytes(), list(token_bytes),
        vocab_size, min_frequency, NO_LIMIT if max_token_length is None else max_token_length,
        max_words or 0, progress)
    if progress is not None:
        progress(len(log))
    segmentation = Segmentation(symbols, starts, np.frombuffer(final_lengths, dtype=np.int32))
    return MergeRun(token_bytes=[*token_bytes, *new_tokens], merge_log=log), segmentation
