"""Cover search: byte-prefix probabilities as sums over canonical covers.

A *canonical cover* of a byte string ``x`` is a canonical token sequence ``L + [t]`` (the
tokenizer's own encoding of its bytes) where the bytes of ``L`` are ``x[:i]`` for a split point
``i < len(x)`` and the bytes of ``t`` start with ``x[i:]``. Usually ``L = encode(x[:i])``; when
``x[:i]`` ends in a whitespace run that the text after it splits, ``L`` is that split encoding
(:meth:`CanonicalFilter.groups`). The canonical-cover probability of ``x`` is

    P_c(x) = sum_i sum_L P(L) * sum_{t covers x[i:]} p(t | L).

Only split points where ``x[i:]`` is a prefix of some token count, so there are at most
``max_token_len`` of them and usually two or three.
"""

from __future__ import annotations


import numpy as np

from anytok.bytelm.canonical import CanonicalFilter
from anytok.bytelm.lru import LRU
from anytok.bytelm.prefixes import PrefixEncoder
from anytok.bytelm.runner import TokenRunner
from anytok.bytelm.tree import log_or_neg_inf
from anytok.bytelm.trie import TokenTrie
from anytok.tokenizer import Tokenizer

NEG_INF = -np.inf
_GROUPS_KEPT = 2048  # more than the prefixes of one scanning window
_STARTS_KEPT = 256


def _logsumexp(values: np.ndarray, axis: int = 0) -> np.ndarray:
    top = np.max(values, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(values - top), axis=axis))


class CoverSearch:
    """Per-byte masses of canonical covers, from one tokenizer and one token runner."""

    def __init__(self, tok: Tokenizer, runner: TokenRunner) -> None:
        self.tok = tok
        self.runner = runner
        self.trie = TokenTrie(tok.vocab, exclude=tok.special_ids)
        self.filter = CanonicalFilter(tok)
        self.prefixes = PrefixEncoder(tok)
        self._groups: LRU[tuple[bytes, bool], list] = LRU(_GROUPS_KEPT)
        self._starts: LRU[bytes, list[int]] = LRU(_STARTS_KEPT)

    def encode(self, x: bytes) -> tuple[int, ...]:
        """``tok.encode(x)``, memoised (:class:`~anytok.bytelm.prefixes.PrefixEncoder`): a byte
        needs the encodings of its few split points again and again, and so do the bytes after it."""
        return self.prefixes.encode(x)

    def split_points(self, x: bytes, *, extend: bool) -> list[int]:
        """Split points ``i`` (latest first) where ``x[i:]`` starts some token.

        ``extend``: the token must also reach one byte past ``x`` (``x[i:]`` a proper prefix).
        """
        longest = self.trie.max_len - (1 if extend else 0)
        lo = max(0, len(x) - longest)
        top = len(x) if extend else len(x) - 1
        return [i for i in self._prefix_starts(x) if lo <= i <= top]

    def _prefix_starts(self, x: bytes) -> list[int]:
        """Every ``i`` (latest first, ``len(x)`` included) where ``x[i:]`` starts some token.

        Token prefixes are closed under taking prefixes, so the answer for ``x`` is found among
        the answer for ``x[:-1]`` (memoised: a scan asks for x, then x + one byte)."""
        hit = self._starts.get(x)
        if hit is not None:
            return hit
        n = len(x)
        before = self._starts.peek(x[:-1]) if x else None
        candidates = range(n, max(0, n - self.trie.max_len) - 1, -1) if before is None else [n, *before]
        return self._starts.put(x, [i for i in candidates if n - i <= self.trie.max_len and self.trie.is_prefix(x[i:])])

    def groups(self, x: bytes, *, extend: bool) -> list[tuple[int, tuple[int, ...], np.ndarray]]:
        """[(split point i, context tokens L, allowed (V,) bool)] of every group that covers ``x``:
        ``L`` encodes ``x[:i]`` canonically and some allowed token after it starts with ``x[i:]``
        (``extend``: and goes at least one byte further). The last few answers are memoised: a
        byte asks for its groups once to list its queries and again to sum its masses."""
        key = (x, extend)
        hit = self._groups.get(key)
        if hit is not None:
            return hit
        return self._groups.put(key, self._find_groups(x, extend))

    def _find_groups(self, x: bytes, extend: bool) -> list[tuple[int, tuple[int, ...], np.ndarray]]:
        out = []
        for i in self.split_points(x, extend=extend):
            context = x[:i]
            for prefix, allowed in self.filter.groups(context, self.encode(context)):
                if self.trie.any_allowed(allowed, x[i:]):
                    out.append((i, prefix, allowed))
        return out

    def queries(self, x: bytes) -> list[tuple[int, ...]]:
        """The token sequences whose next-token distributions :meth:`next_byte_masses` needs."""
        return [prefix for _, prefix, _ in self.groups(x, extend=True)] + [self.encode(x)]

    def next_byte_masses(self, x: bytes) -> np.ndarray:
        """(257,) log P_c(x + b) for each byte b, and log P(encode(x) then end of text)."""
        terms = [np.full(256, NEG_INF)]
        for i, prefix, allowed in self.groups(x, extend=True):
            logp_ctx, probs = self.runner.query(prefix)
            with np.errstate(divide="ignore"):
                terms.append(logp_ctx + np.log(self.trie.child_masses(probs, allowed, x[i:])))
        out = np.empty(257)
        out[:256] = _logsumexp(np.stack(terms))
        out[256] = self.end_logprob(x)
        return out

    def end_logprob(self, x: bytes) -> float:
        """log P(encode(x) followed by end of text); -inf for a tokenizer without one."""
        eos = self.tok.eos_id
        if eos is None:
            return NEG_INF
        logp_ctx, probs = self.runner.query(self.encode(x))
        return logp_ctx + log_or_neg_inf(probs[eos])

    def cover_logprob(self, x: bytes) -> float:
        """log P_c(x): the canonical covers of ``x`` itself (tokens may end exactly at its end)."""
        if not x:
            return 0.0
        terms = [NEG_INF]
        for i, prefix, allowed in self.groups(x, extend=False):
            below = self.trie.subtree(x[i:])
            logp_ctx, probs = self.runner.query(prefix)
            terms.append(logp_ctx + log_or_neg_inf(float(probs[below[allowed[below]]].sum(dtype=np.float64))))
        return float(_logsumexp(np.asarray(terms)))

    def noncanonical_logmass(self, text: bytes, k: int) -> float:
        """log of P(L) * p(t | L) summed over every admissible encoding L of ``text[:k]`` and every
        token t that agrees with ``text[k:]`` but is not admissible after L (part of the certified
        upper bound: a token sequence that covers the text and is not admissible leaves the
        admissible ones at one such (L, t))."""
        context, rest = text[:k], text[k:]
        agree = [int(i) for j in range(1, min(len(rest), self.trie.max_len) + 1) for i in self.trie.ids_of(rest[:j])]
        if len(rest) < self.trie.max_len:
            agree += [int(i) for i in self.trie.subtree(rest) if len(self.tok.token_bytes(int(i))) > len(rest)]
        if not agree:
            return NEG_INF
        agree_a = np.asarray(sorted(set(agree)), dtype=np.int64)
        terms = [NEG_INF]
        for prefix, allowed in self.filter.prefixes(context, self.encode(context)):
            bad = agree_a[~allowed[agree_a]]
            if len(bad):
                logp_ctx, probs = self.runner.query(prefix)
                terms.append(logp_ctx + log_or_neg_inf(float(probs[bad].sum(dtype=np.float64))))
        return float(_logsumexp(np.asarray(terms)))
