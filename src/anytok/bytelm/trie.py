"""A trie over the bytes of a vocabulary, laid out so that one next-token distribution becomes
per-byte masses in one vectorised step.

Tokens are sorted by their bytes; then the tokens whose bytes start with a given string (one trie
node's subtree) are one contiguous range of that order, and the children of a node (one per next
byte) are 256 consecutive ranges: their masses are one ``np.add.reduceat`` over the node's range.
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np


class TokenTrie:
    """Token ids sorted by bytes, with the range of every byte prefix.

    ``order``: (N,) token ids in byte order (special and unused ids left out);
    ``range_of(prefix)`` is the slice of ``order`` whose tokens start with ``prefix``.
    """

    def __init__(self, token_bytes: Sequence[bytes | None], *, exclude: frozenset[int] = frozenset()) -> None:
        ids = [i for i, b in enumerate(token_bytes) if b and i not in exclude]
        ids.sort(key=lambda i: token_bytes[i])
        self.order = np.asarray(ids, dtype=np.int64)  # (N,)
        self._keys: list[bytes] = [token_bytes[i] for i in ids]  # type: ignore[misc]
        self.max_len = max((len(k) for k in self._keys), default=0)
        self._prefixes = {k[:j] for k in self._keys for j in range(1, len(k) + 1)}
        self._bounds: dict[bytes, np.ndarray] = {}
        self.member = np.zeros(len(token_bytes), dtype=bool)  # (V,) the ids in ``order``
        self.member[self.order] = True
        self._first_byte = np.full(len(token_bytes), 256, dtype=np.intp)  # (V,) 256: not in the trie
        self._first_byte[self.order] = [k[0] for k in self._keys]

    def __len__(self) -> int:
        return len(self._keys)

    def is_prefix(self, data: bytes) -> bool:
        """Whether some token's bytes start with ``data`` (the empty string: always)."""
        return not data or data in self._prefixes

    def ids_of(self, data: bytes) -> np.ndarray:
        """Ids of the tokens whose bytes are exactly ``data`` (SentencePiece byte pieces may
        share their bytes with an ordinary piece)."""
        lo = bisect.bisect_left(self._keys, data)
        return self.order[lo:bisect.bisect_right(self._keys, data, lo)]

    def range_of(self, prefix: bytes) -> tuple[int, int]:
        """(lo, hi): positions in ``order`` of the tokens whose bytes start with ``prefix``."""
        lo = bisect.bisect_left(self._keys, prefix)
        hi = bisect.bisect_left(self._keys, prefix + b"\xff" * (self.max_len + 1), lo)
        return lo, hi

    def child_bounds(self, prefix: bytes) -> np.ndarray:
        """(257,) positions: tokens starting with ``prefix + bytes([b])`` are ``[bounds[b], bounds[b+1])``.

        Within the subtree of ``prefix`` the tokens equal to ``prefix`` come first, then the
        children in byte order, so the child ranges are consecutive.
        """
        cached = self._bounds.get(prefix)
        if cached is not None:
            return cached
        lo, hi = self.range_of(prefix)
        keys = self._keys
        start = bisect.bisect_right(keys, prefix, lo, hi)  # several ids may share the bytes of prefix
        n = len(prefix)
        firsts = [keys[j][n] for j in range(start, hi)]
        offsets = np.searchsorted(np.asarray(firsts, dtype=np.int64), np.arange(257), side="left")
        if len(self._bounds) > 100_000:
            self._bounds.clear()
        self._bounds[prefix] = start + offsets
        return self._bounds[prefix]

    def child_masses(self, probs: np.ndarray, allowed: np.ndarray, prefix: bytes) -> np.ndarray:
        """(256,) sum of ``probs[t]`` over allowed tokens t starting with ``prefix + bytes([b])``.

        ``probs``: (V,) next-token probabilities; ``allowed``: (V,) bool.
        """
        if not prefix:  # the whole vocabulary: sum by first byte, in id order (no gathers)
            return np.bincount(self._first_byte, weights=probs * allowed, minlength=257)[:256]
        bounds = self.child_bounds(prefix)
        lo, hi = int(bounds[0]), int(bounds[256])
        if lo == hi:
            return np.zeros(256)
        ids = self.order[lo:hi]
        weights = np.empty(hi - lo + 1)  # one spare 0 so that every segment start is a valid index
        np.multiply(probs[ids], allowed[ids], out=weights[:-1])
        weights[-1] = 0.0
        sums = np.add.reduceat(weights, bounds[:-1] - lo)  # (256,) one segment per byte
        return np.where(bounds[1:] > bounds[:-1], sums, 0.0)

    def any_allowed(self, allowed: np.ndarray, prefix: bytes) -> bool:
        """Whether some token with ``allowed[t]`` starts with ``prefix``."""
        if not prefix:
            return bool(np.any(allowed & self.member))
        return bool(allowed[self.subtree(prefix)].any())

    def subtree(self, prefix: bytes) -> np.ndarray:
        """Ids of the tokens whose bytes start with ``prefix`` (``prefix`` itself included)."""
        lo, hi = self.range_of(prefix)
        return self.order[lo:hi]
