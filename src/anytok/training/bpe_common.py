"""Pieces shared by the readable and the compiled BPE trainers.

Both trainers work on *words* (unique pretokens as lists of symbol ids, with counts) and a
growing vocabulary ``token_bytes`` (``None`` at special-token ids). Ids follow HF tokenizers'
BpeTrainer: special tokens first, then the 256 byte symbols ordered by the code point of their
GPT-2 byte-unicode character, then merged tokens in the order they were learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from anytok.errors import TrainingError
from anytok.tokenizer.byte_unicode import byte_to_unicode

NO_LIMIT = 2**62  # stands in for "no max_token_length" (HF uses usize::MAX)


@dataclass(frozen=True)
class MergeRun:
    """What a merge loop produced.

    token_bytes: bytes of every id, ``None`` at special ids (input vocab + one entry per new token).
    merge_log: every merge taken, in order, as ``(left id, right id, new id)``; the same new id
        appears twice when two different pairs spell the same bytes, and (rarely) the same pair
        appears twice, exactly as HF's trainer records them.
    """

    token_bytes: list[bytes | None]
    merge_log: list[tuple[int, int, int]]

    def final_merges(self) -> list[tuple[int, int]]:
        """Merges in priority order as HF's BPE model keeps them (a repeated pair keeps its last rank)."""
        rank: dict[tuple[int, int], int] = {}
        for i, (a, b, _) in enumerate(self.merge_log):
            rank[(a, b)] = i
        return [pair for pair, _ in sorted(rank.items(), key=lambda kv: kv[1])]


def byte_alphabet_order() -> list[int]:
    """The 256 byte values in HF's alphabet order (by byte-unicode code point)."""
    table = byte_to_unicode()
    return sorted(range(256), key=lambda b: ord(table[b]))


def initial_vocab(special_tokens: Sequence[str]) -> tuple[list[bytes | None], list[int]]:
    """Return ``(token_bytes, byte_to_id)`` for the specials followed by the byte alphabet."""
    seen: set[str] = set()
    token_bytes: list[bytes | None] = []
    for special in special_tokens:
        if not isinstance(special, str) or not special:
            raise TrainingError(f"special token {special!r} must be a non-empty string")
        if special in seen:
            raise TrainingError(f"special token {special!r} is listed twice; list each special token once")
        seen.add(special)
        token_bytes.append(None)
    byte_to_id = [0] * 256
    for b in byte_alphabet_order():
        byte_to_id[b] = len(token_bytes)
        token_bytes.append(bytes([b]))
    return token_bytes, byte_to_id


def check_vocab_size(vocab_size: int, n_initial: int, n_special: int) -> None:
    """Raise TrainingError unless ``vocab_size`` leaves room beyond the alphabet and specials."""
    if not isinstance(vocab_size, int) or vocab_size < n_initial:
        raise TrainingError(
            f"vocab_size={vocab_size!r} is smaller than the initial alphabet: 256 byte symbols + "
            f"{n_special} special tokens = {n_initial}; pass vocab_size >= {n_initial}"
        )


def words_from_counts(
    word_counts: Mapping[bytes, int], byte_to_id: Sequence[int]
) -> tuple[list[list[int]], list[int]]:
    """Turn ``{pretoken bytes: count}`` into symbol-id words (one symbol per byte) and counts."""
    words = [[byte_to_id[b] for b in word] for word in word_counts]
    counts = list(word_counts.values())
    return words, counts


def word_count_of(data: bytes) -> int:
    """Number of space-separated words in ``data`` (a word starts at a non-space after a space or at 0)."""
    n = 0
    prev_space = True
    for b in data:
        is_space = b == 0x20
        if not is_space and prev_space:
            n += 1
        prev_space = is_space
    return n
