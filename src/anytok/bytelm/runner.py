"""Next-token distributions of a causal LM, with one KV cache reused across queries.

Byte-level queries ask for the distribution after ``encode(x[:i])`` for a few split points ``i``
near the end of a growing prefix ``x``. Those token sequences share a long common prefix, so the
runner keeps one cache, crops it back to the common prefix of the new query and runs only the new
tokens. Distributions already computed are memoised.

When the text is known in advance (scoring), :meth:`TokenRunner.prefill` computes a whole window
of queries in one forward pass with tree attention (:mod:`anytok.bytelm.tree`) and memoises them.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Sequence

import numpy as np

from anytok.bytelm.lru import LRU
from anytok.bytelm.tree import (SpineCache, TreeLayout, cache_keyword, common_prefix, log_or_neg_inf,
                                next_token_probs)

log = logging.getLogger(__name__)


class TokenRunner:
    """``query(tokens) -> (log P(tokens), next-token probabilities (V,))`` for a causal LM.

    Every query is preceded by ``start_id`` (BOS, or end of text for models without one); its
    probability is not counted. ``positions`` counts token positions run through the model.
    """

    def __init__(self, model: Any, *, start_id: int, vocab_size: int, memo_size: int = 256) -> None:
        self.model = model
        self.start_id = start_id
        self.vocab_size = vocab_size
        self.positions = 0
        self.calls = 0
        self._seq: list[int] = []  # tokens held in the KV cache (start token included)
        self._cum: list[float] = []  # _cum[j] = log P(_seq[1:j+1])
        self._cache: Any = None
        self._memo: LRU[tuple[int, ...], tuple[float, np.ndarray]] = LRU(memo_size)
        self._memo_size = memo_size
        self._device = next(model.parameters()).device
        self._spine = SpineCache(model)
        self._cache_arg = cache_keyword(model)

    @property
    def memo_size(self) -> int:
        """How many next-token distributions the memo holds."""
        return self._memo_size

    def peek(self, tokens: Sequence[int]) -> tuple[float, np.ndarray] | None:
        """The memoised answer for ``tokens``, or None (never runs the model)."""
        return self._memo.peek((self.start_id, *tokens))

    def query(self, tokens: Sequence[int]) -> tuple[float, np.ndarray]:
        """(log P(tokens), (V,) probabilities of the next token (float32, float64 for a float64 model))."""
        key = (self.start_id, *tokens)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        common = common_prefix(self._seq, key)
        known = self._cum[:common]  # log P of key[1:j+1], already computed
        keep = common
        if common == len(key) or (common > 0 and key[:common] not in self._memo):
            keep = common - 1  # the logits after key[:keep] are not at hand: run that token again
        self._truncate(keep)
        result = self._extend(key, keep, known)
        self._remember(key, result)
        return result

    def prefill(self, queries: Iterable[Sequence[int]], spine: Sequence[int]) -> int:
        """Compute the answers to many queries in one forward pass and memoise them; returns how
        many were new.

        ``spine``: the token sequence the queries mostly follow (the encoding of the text being
        scored); each query runs as the spine up to where it leaves it, plus its own last tokens.
        The memo must hold all the queries at once (give at most ``memo_size`` of them).
        """
        full = (self.start_id, *spine)
        keys = list(dict.fromkeys(k for k in ((self.start_id, *q) for q in queries) if k not in self._memo))
        if not keys:
            return 0
        if len(keys) > self._memo_size:
            raise ValueError(f"prefill got {len(keys)} queries but the memo holds {self._memo_size}")
        sc = self._spine
        sc.follow(full)
        anchors = [common_prefix(k, full) for k in keys]
        needed = {a - 1 for a in anchors}  # spine positions whose rows the answers use
        if max(anchors) > sc.cached:
            needed.add(sc.cached - 1)  # the row that scores the first new spine token
        missing = [p for p in needed if 0 <= p < sc.cached and p not in sc.rows]
        sc.crop(min(missing) if missing else sc.cached)
        layout = TreeLayout(held=sc.cached)
        for p in range(sc.cached, max(anchors)):
            layout.add_spine(full[p])
        nodes = [layout.add_branch(a, k[a:]) if a < len(k) else -1 for k, a in zip(keys, anchors)]
        probs = sc.run(layout, self.vocab_size) if layout.tokens else None
        self.positions += len(layout.tokens)
        self.calls += 1 if layout.tokens else 0
        for key, a, last in zip(keys, anchors, nodes):
            cum = sc.cum[a - 1]
            if last < 0:
                self._remember(key, (cum, sc.rows[a - 1]))
                continue
            cum += log_or_neg_inf(sc.rows[a - 1][key[a]])
            for j in range(a + 1, len(key)):  # tokens after the first branch token
                cum += log_or_neg_inf(probs[layout.node_of[(a, key[a:j])]][key[j]])
            self._remember(key, (cum, probs[last]))
        sc.forget_old_rows()
        return len(keys)

    def _truncate(self, keep: int) -> None:
        if keep <= 0:
            self._seq, self._cum, self._cache = [], [], None
            return
        if keep < len(self._seq):
            try:
                self._cache.crop(keep - len(self._seq))  # transformers 5: negative = tokens to drop
            except Exception:  # caches that cannot crop (sliding windows): start again
                log.debug("KV cache cannot crop to %d; recomputing", keep)
                self._seq, self._cum, self._cache = [], [], None
                return
            self._seq, self._cum = self._seq[:keep], self._cum[:keep]

    def _extend(self, key: tuple[int, ...], keep: int, known: list[float]) -> tuple[float, np.ndarray]:
        """Run ``key[len(self._seq):]`` through the model; log P of each token from ``known``,
        the memo (first new token) or the new logits."""
        import torch

        from transformers import DynamicCache

        first = len(self._seq)
        new = list(key[first:])
        if self._cache is None:  # plain layers that can crop; sliding windows are applied by the masks
            self._cache = DynamicCache()
        with torch.no_grad():
            ids = torch.tensor([new], dtype=torch.long, device=self._device)  # (1, T)
            out = self.model(input_ids=ids, use_cache=True, **{self._cache_arg: self._cache})  # grows in place
            probs = next_token_probs(out.logits[0], self.vocab_size)  # (T, V)
        self.positions += len(new)
        self.calls += 1
        for j in range(first, len(key)):
            if j < len(known):
                cum = known[j]
            elif j == 0:
                cum = 0.0  # the start token
            elif j == first:
                cum = self._cum[-1] + log_or_neg_inf(self._memo[key[:j]][1][key[j]])
            else:
                cum = self._cum[-1] + log_or_neg_inf(probs[j - first - 1, key[j]])
            self._seq.append(key[j])
            self._cum.append(cum)
            if j > first:
                self._remember(key[:j], (self._cum[-2], probs[j - first - 1]))
        return self._cum[-1], probs[-1]

    def _remember(self, key: tuple[int, ...], value: tuple[float, np.ndarray]) -> None:
        self._memo.put(key, value)


