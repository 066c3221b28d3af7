"""Other valid tokenizations of the same bytes: canonical tokens split into pieces that are tokens.

A tokenizer maps a text to one canonical id sequence, but the model accepts many others that
decode to the same bytes ("Say Anything but This", 2025: non-unique encodings). :class:`Splitter`
draws them: each chosen canonical token is replaced by a segmentation of its bytes into two or
more vocabulary tokens, drawn uniformly among all such segmentations (by counting them with a
dynamic program). The result has more tokens than the canonical sequence, so it is never the
canonical encoding; it always decodes to the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache

from anytok.tokenizer import Tokenizer


class Splitter:
    """Draws non-canonical encodings for one tokenizer (ordinary tokens only; specials and byte
    pieces are never split, and never used as pieces)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.index = tokenizer.ordinary_index  # bytes -> id
        self.longest = max((len(b) for b in self.index), default=0)
        self._splits = lru_cache(maxsize=65536)(self._count_splits)

    def _count_splits(self, data: bytes) -> tuple[int, ...]:
        """ways[i] = number of segmentations of data[i:] into vocabulary tokens (ways[len] = 1)."""
        ways = [0] * len(data) + [1]
        for i in range(len(data) - 1, -1, -1):
            ways[i] = sum(ways[j] for j in range(i + 1, min(len(data), i + self.longest) + 1)
                          if data[i:j] in self.index)
        return tuple(ways)

    def can_split(self, token_id: int) -> bool:
        """True when the token's bytes have a segmentation into two or more tokens."""
        if token_id in self.tokenizer.special_ids or token_id in self.tokenizer.byte_fallback_ids:
            return False
        data = self.tokenizer.token_bytes(token_id)
        whole = 1 if data in self.index else 0
        return len(data) > 1 and self._splits(data)[0] - whole > 0

    def split_token(self, token_id: int, rng: random.Random) -> list[int]:
        """A segmentation of the token's bytes into two or more tokens, uniform over all of them."""
        data = self.tokenizer.token_bytes(token_id)
        ways = self._splits(data)
        pieces, i = [], 0
        while i < len(data):
            ends = [j for j in range(i + 1, min(len(data), i + self.longest) + 1)
                    if data[i:j] in self.index and not (i == 0 and j == len(data))]  # never the whole token
            weights = [ways[j] for j in ends]
            j = rng.choices(ends, weights=weights)[0]
            pieces.append(self.index[data[i:j]])
            i = j
        return pieces

    def noncanonical(self, ids: Sequence[int], *, rate: float, rng: random.Random) -> list[int] | None:
        """``ids`` with each splittable token split with probability ``rate`` (at least one is);
        None when no token of ``ids`` can be split."""
        splittable = [k for k, t in enumerate(ids) if self.can_split(t)]
        if not splittable:
            return None
        chosen = {k for k in splittable if rng.random() < rate} or {rng.choice(splittable)}
        out: list[int] = []
        for k, t in enumerate(ids):
            out.extend(self.split_token(t, rng) if k in chosen else [t])
        return out


def boundaries(tokenizer: Tokenizer, ids: Sequence[int]) -> list[int]:
    """Byte offsets after each token: [len(t0), len(t0 t1), ...]."""
    out, total = [], 0
    for t in ids:
        total += len(tokenizer.token_bytes(t))
        out.append(total)
    return out
