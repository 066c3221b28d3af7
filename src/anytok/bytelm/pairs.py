"""The canonical-pair test of BPE, precomputed from the merge history.

Within one pretoken, BPE turns the bytes of two adjacent tokens ``a`` and ``t`` into ``[a, t]``
exactly when no merge ever joins a token on the right edge of ``a``'s derivation (its right
spine) with one on the left edge of ``t``'s (its left spine). A merge ``(r, l)`` of rank ``m``
fires across the boundary when both ``r`` and ``l`` are alive at time ``m``: created before ``m``
and not yet consumed (``r`` consumed by a merge of rank > m; ``l`` of rank >= m, because at equal
rank the leftmost pair goes first). A sequence is canonical iff every adjacent pair is (Vieira et
al. 2024, "Language models over canonical byte-pair encodings").

``PairTable.ok_after(a)`` marks, for one left token, every right token that keeps the pair.

A token may be produced by several merges (a SentencePiece vocabulary turned into merges lists
every split of a piece; so does a tiktoken file). Its derivation is then the one BPE follows when it
encodes the token's own bytes, which :func:`final_merges` finds by running BPE on them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from anytok.bytelm.lru import LRU

_NEVER = np.iinfo(np.int64).max


def final_merges(n: int, merges: Sequence[tuple[int, int]], result_ids: Sequence[int],
                 initial: Callable[[int], list[int]] | None) -> np.ndarray:
    """(V, 3): the (left, right, rank) of the last merge in each token's own derivation, -1 for
    tokens no merge produces. A token produced by one merge only needs no simulation."""
    made_by = np.full((n, 3), -1, dtype=np.int64)
    producers = np.bincount(np.asarray(result_ids, dtype=np.int64), minlength=n) if len(merges) else np.zeros(n, int)
    for rank, ((u, v), t) in enumerate(zip(merges, result_ids)):
        if made_by[t, 2] < 0:
            made_by[t] = (u, v, rank)
    ambiguous = np.nonzero(producers > 1)[0]
    if len(ambiguous) and initial is None:
        raise ValueError("some tokens are produced by several merges; pass initial= to find their derivations")
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    for t in ambiguous.tolist():
        made_by[t] = _last_merge(initial(t), ranks, result_ids)
    return made_by


def _last_merge(symbols: list[int], ranks: dict[tuple[int, int], int],
                result_ids: Sequence[int]) -> tuple[int, int, int]:
    """Run BPE (lowest rank first, leftmost on ties) on ``symbols``; the last merge it applies."""
    last = (-1, -1, -1)
    while len(symbols) > 1:
        best, at = None, -1
        for j in range(len(symbols) - 1):
            r = ranks.get((symbols[j], symbols[j + 1]))
            if r is not None and (best is None or r < best):
                best, at = r, j
        if best is None:
            break
        last = (symbols[at], symbols[at + 1], best)
        symbols[at:at + 2] = [result_ids[best]]
    return last


class PairTable:
    """Spines of every token and the inverted index needed to test pairs in bulk."""

    def __init__(self, token_bytes: Sequence[bytes | None], merges: Sequence[tuple[int, int]], *,
                 result_ids: Sequence[int], initial: Callable[[int], list[int]] | None = None,
                 cache_bytes: int = 100_000_000) -> None:
        """``result_ids[k]`` is the id merge ``k`` produces (``merges[k] = (left, right)``);
        ``initial(t)``: the symbols BPE starts from for token t's bytes (needed when some token
        is produced by more than one merge)."""
        n = len(token_bytes)
        self.vocab_size = n
        self.made_by = final_merges(n, merges, result_ids, initial)  # (V, 3): left, right, rank
        self.create = self.made_by[:, 2].copy()  # (V,) rank that creates each token, -1 for base
        self._by_left: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        lefts = np.asarray([u for u, _ in merges], dtype=np.int64)
        rights = np.asarray([v for _, v in merges], dtype=np.int64)
        ranks = np.arange(len(merges), dtype=np.int64)
        order = np.argsort(lefts, kind="stable")
        bounds = np.searchsorted(lefts[order], np.arange(n + 1))
        for r in np.nonzero(np.diff(bounds))[0]:
            sel = order[bounds[r]:bounds[r + 1]]
            self._by_left[int(r)] = (rights[sel], ranks[sel])
        self._build_left_index(token_bytes)
        self._merges = merges
        self._cache: LRU[int, np.ndarray] = LRU(max(16, cache_bytes // max(n, 1)))  # (V,) bool masks

    def spine(self, token: int, side: int) -> list[tuple[int, int]]:
        """[(node, rank that consumes it in ``token``'s derivation)], from ``token`` down.

        ``side`` 0: left spine (left children), 1: right spine. ``token`` itself is never consumed.
        """
        out = [(token, int(_NEVER))]
        cur = token
        while self.made_by[cur, 2] >= 0:
            child, rank = int(self.made_by[cur, side]), int(self.made_by[cur, 2])
            out.append((child, rank))
            cur = child
        return out

    def _build_left_index(self, token_bytes: Sequence[bytes | None]) -> None:
        nodes, toks, ranks = [], [], []
        for t, data in enumerate(token_bytes):
            if data is None:
                continue
            for node, rank in self.spine(t, 0):
                nodes.append(node)
                toks.append(t)
                ranks.append(rank)
        nodes_a = np.asarray(nodes, dtype=np.int64)
        order = np.argsort(nodes_a, kind="stable")
        self._ls_tok = np.asarray(toks, dtype=np.int64)[order]
        self._ls_rank = np.asarray(ranks, dtype=np.int64)[order]
        self._ls_bounds = np.searchsorted(nodes_a[order], np.arange(self.vocab_size + 1))

    @cached_property
    def _rank(self) -> dict[tuple[int, int], int]:
        out: dict[tuple[int, int], int] = {}
        for rank, pair in enumerate(self._merges):
            out.setdefault(tuple(pair), rank)  # type: ignore[arg-type]
        return out

    def pair_ok(self, a: int, b: int) -> bool:
        """Whether the pair (a, b) is canonical: ``ok_after(a)[b]`` for one pair, without the (V,) mask."""
        rank = self._rank
        left = self.spine(b, 0)
        for r, r_consumed in self.spine(a, 1):
            for l, l_consumed in left:
                m = rank.get((r, l))
                if m is not None and self.create[r] < m < r_consumed and self.create[l] < m <= l_consumed:
                    return False
        return True

    def ok_after(self, a: int) -> np.ndarray:
        """(V,) bool: True where the pair (a, t) is canonical. Cached: do not modify it."""
        hit = self._cache.get(a)
        if hit is not None:
            return hit
        ok = np.ones(self.vocab_size, dtype=bool)
        for r, r_consumed in self.spine(a, 1):
            entry = self._by_left.get(r)
            if entry is None:
                continue
            ls, ms = entry
            sel = (ms < r_consumed) & (ms > self.create[r]) & (ms > self.create[ls])
            for l, m in zip(ls[sel].tolist(), ms[sel].tolist()):
                lo, hi = self._ls_bounds[l], self._ls_bounds[l + 1]
                ok[self._ls_tok[lo:hi][self._ls_rank[lo:hi] >= m]] = False
        return self._cache.put(a, ok)
