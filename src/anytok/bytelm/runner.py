"""Next-token distributions of a causal LM, with one KV cache reused across queries.

Byte-level queries ask for the distribution after ``encode(x[:i])`` for a few split points ``i``
near the end of a growing prefix ``x``. Those token sequences share a long common prefix, so the
runner keeps one cache, crops it back to the common prefix of the new query and runs only the new
tokens. Distributions already computed are memoised.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

log = logging.getLogger(__name__)


class TokenRunner:
    """``query(tokens) -> (log P(tokens), next-token log-probs (V,))`` for a causal LM.

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
        self._memo: OrderedDict[tuple[int, ...], tuple[float, np.ndarray]] = OrderedDict()
        self._memo_size = memo_size
        self._device = next(model.parameters()).device

    def query(self, tokens: Sequence[int]) -> tuple[float, np.ndarray]:
        """(log P(tokens), (V,) float64 log-probs of the next token)."""
        key = (self.start_id, *tokens)
        hit = self._memo.get(key)
        if hit is not None:
            self._memo.move_to_end(key)
            return hit
        common = _common_prefix(self._seq, key)
        known = self._cum[:common]  # log P of key[1:j+1], already computed
        keep = common
        if common == len(key) or (common > 0 and key[:common] not in self._memo):
            keep = common - 1  # the logits after key[:keep] are not at hand: run that token again
        self._truncate(keep)
        result = self._extend(key, keep, known)
        self._remember(key, result)
        return result

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

        first = len(self._seq)
        new = list(key[first:])
        with torch.no_grad():
            ids = torch.tensor([new], dtype=torch.long, device=self._device)  # (1, T)
            out = self.model(input_ids=ids, past_key_values=self._cache, use_cache=True)
            logp = torch.log_softmax(out.logits[0].double(), dim=-1)[:, : self.vocab_size]  # (T, V)
        self._cache = out.past_key_values
        self.positions += len(new)
        self.calls += 1
        for j in range(first, len(key)):
            if j < len(known):
                cum = known[j]
            elif j == 0:
                cum = 0.0  # the start token
            elif j == first:
                cum = self._cum[-1] + float(self._memo[key[:j]][1][key[j]])
            else:
                cum = self._cum[-1] + float(logp[j - first - 1, key[j]])
            self._seq.append(key[j])
            self._cum.append(cum)
            if j > first:
                self._remember(key[:j], (self._cum[-2], logp[j - first - 1].cpu().numpy()))
        return self._cum[-1], logp[-1].cpu().numpy()

    def _remember(self, key: tuple[int, ...], value: tuple[float, np.ndarray]) -> None:
        self._memo[key] = value
        self._memo.move_to_end(key)
        if len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k
