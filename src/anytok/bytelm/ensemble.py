"""``Ensemble``: byte-level LMs with different tokenizers combined on their common alphabet, bytes.

- ``mixture``: the Bayesian mixture ``P(x) = sum_k w_k P_k(x)``; its next-byte distribution weighs
  each member by ``w_k P_k(prefix)`` (the posterior), so a mixture is never worse than its best
  member by more than ``log(1 / w_k)`` nats over a whole text.
- ``product``: a product of experts per byte, ``P(b | x) ∝ prod_k P_k(b | x) ** w_k``.
"""

from __future__ import annotations

import enum
from typing import Callable, Sequence

import numpy as np

from anytok.bytelm.base import ByteLMError, ByteModel, as_bytes
from anytok.bytelm.covers import _logsumexp
from anytok.bytelm.lru import LRU


class CombineMode(str, enum.Enum):
    """How an ensemble combines its members' next-byte distributions (values are the CLI's)."""

    MIXTURE = "mixture"
    PRODUCT = "product"


def _mixture(member_lps: np.ndarray, log_post: np.ndarray) -> np.ndarray:
    """member_lps: (K, 257); log_post: (K,) normalised log posterior weights -> (257,)."""
    return _logsumexp(member_lps + log_post[:, None])


def _product(member_lps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """member_lps: (K, 257); weights: (K,) exponents -> (257,) normalised."""
    finite = np.where(np.isfinite(member_lps), member_lps, -1e30)
    combined = (finite * weights[:, None]).sum(axis=0)  # (257,)
    combined = np.where(np.isfinite(member_lps).all(axis=0), combined, -np.inf)
    return combined - _logsumexp(combined)


class Ensemble(ByteModel):
    """Several byte-level LMs as one: same API (next_byte_logprobs, score, generate)."""

    def __init__(self, members: Sequence[ByteModel], *, weights: Sequence[float] | None = None,
                 mode: str | CombineMode = CombineMode.MIXTURE) -> None:
        if len(members) < 1:
            raise ByteLMError("an ensemble needs at least one member")
        w = np.asarray(weights if weights is not None else [1.0] * len(members), dtype=np.float64)
        if w.shape != (len(members),) or (w < 0).any() or w.sum() <= 0:
            raise ByteLMError(f"weights {list(w)} must be {len(members)} non-negative numbers, not all zero")
        try:
            self.mode = CombineMode(mode)
        except ValueError:
            raise ByteLMError(f"mode {mode!r} is not one of {[m.value for m in CombineMode]}") from None
        self.members = list(members)
        self.weights = w / w.sum()
        self._history: LRU[bytes, np.ndarray] = LRU(8192)  # prefix -> (K,) log P_k(prefix)
        self._combine: Callable[[np.ndarray, bytes], np.ndarray] = {
            CombineMode.MIXTURE: self._next_mixture, CombineMode.PRODUCT: self._next_product}[self.mode]

    def member_logprobs(self, prefix: bytes) -> np.ndarray:
        """(K, 257) each member's next-byte log-probabilities."""
        return np.stack([m.next_byte_logprobs(prefix) for m in self.members])

    def next_byte_logprobs(self, prefix: str | bytes) -> np.ndarray:
        """(257,) the combined log-probabilities of each next byte and of end of text."""
        data = as_bytes(prefix)
        return self._combine(self.member_logprobs(data), data)

    def byte_logprobs(self, text: str | bytes) -> np.ndarray:
        """(n + 1, 257): combined next-byte log-probabilities after every prefix of ``text``; each
        member computes its own rows in one pass (batched model calls)."""
        data = as_bytes(text)
        return self.combine_rows(np.stack([m.byte_logprobs(data) for m in self.members]), data)

    def combine_rows(self, rows: np.ndarray, data: bytes) -> np.ndarray:
        """Combine the members' rows (K, n + 1, 257) for ``data`` into the ensemble's (n + 1, 257)."""
        if self.mode is CombineMode.PRODUCT:
            return np.stack([_product(rows[:, k], self.weights) for k in range(len(data) + 1)])
        seen = rows[:, np.arange(len(data)), np.frombuffer(data, dtype=np.uint8)]  # (K, n)
        prefix_lp = np.concatenate([np.zeros((len(self.members), 1)), np.cumsum(seen, axis=1)], axis=1)  # (K, n + 1)
        with np.errstate(divide="ignore"):
            log_post = np.log(self.weights)[:, None] + prefix_lp  # (K, n + 1)
        log_post = log_post - _logsumexp(log_post)[None, :]
        return np.stack([_mixture(rows[:, k], log_post[:, k]) for k in range(len(data) + 1)])

    def _next_product(self, member_lps: np.ndarray, prefix: bytes) -> np.ndarray:
        return _product(member_lps, self.weights)

    def _next_mixture(self, member_lps: np.ndarray, prefix: bytes) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_post = np.log(self.weights) + self._prefix_logprobs(prefix)  # (K,)
        return _mixture(member_lps, log_post - _logsumexp(log_post))

    def _prefix_logprobs(self, prefix: bytes) -> np.ndarray:
        """(K,) log P_k(prefix) of every member, by the chain rule (cached along the way)."""
        k = len(prefix)
        while k > 0 and prefix[:k] not in self._history:
            k -= 1
        acc = self._history.get(prefix[:k], np.zeros(len(self.members)))
        for j in range(k, len(prefix)):
            acc = acc + self.member_logprobs(prefix[:j])[:, prefix[j]]
            self._history.put(prefix[: j + 1], acc)
        return acc
