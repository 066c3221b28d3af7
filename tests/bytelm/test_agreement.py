"""Sampling bytes from a ByteLM gives the token-level model's distribution over the next word.

The tiny random model is wrapped so that it puts no mass on non-canonical token sequences (its
logits are masked with the tokenizer's own canonicality test); for such a model the byte-level
distribution is exactly the marginal of the token-level one, so samples of the first bytes
from both must agree (chi-squared test, fixed seeds).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch

from anytok.bytelm import ByteLM
from anytok.bytelm.canonical import CanonicalFilter
from anytok.bytelm.tree import cache_keyword

N = 1000
PREFIX = b""  # the start of text: a canonical token boundary
WIDTH = 3


class CanonicalOnly(torch.nn.Module):
    """``inner`` with the logits of non-canonical next tokens set to -inf (EOS always allowed)."""

    def __init__(self, inner, tok) -> None:
        super().__init__()
        self.inner, self.tok = inner, tok
        self.filter = CanonicalFilter(tok)
        self.history: list[int] = []

    def get_input_embeddings(self):
        return self.inner.get_input_embeddings()

    def forward(self, input_ids, cache=None, use_cache=False, **kwargs):
        past = cache.get_seq_length() if cache is not None else 0
        self.history = self.history[:past] + input_ids[0].tolist()
        out = self.inner(input_ids=input_ids, use_cache=use_cache, **{cache_keyword(self.inner): cache})
        logits = out.logits.clone()  # (1, T, V)
        for j in range(input_ids.shape[1]):
            seq = self.history[1:past + j + 1]
            allowed = self.filter.mask(self.tok.decode(seq), seq).copy()
            allowed[self.tok.eos_id] = True
            logits[0, j, ~torch.from_numpy(allowed)] = -math.inf
        out.logits = logits
        return out


def _word(data: bytes, ended: bool) -> bytes:
    """The first WIDTH bytes of the continuation; ``$`` marks an end of text before them."""
    return data[:WIDTH] if not ended else data + b"$"


def _token_samples(model, tok, start: int) -> Counter:
    gen = torch.Generator().manual_seed(0)
    counts: Counter = Counter()
    base = [start, *tok.encode(PREFIX)]
    with torch.no_grad():
        for _ in range(N):
            ids, out = list(base), b""
            while True:
                logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
                t = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))
                if t == tok.eos_id:
                    counts[_word(out, True)] += 1
                    break
                ids.append(t)
                out = tok.decode(ids[1:])[len(PREFIX):]
                if len(out) >= WIDTH:
                    counts[_word(out, False)] += 1
                    break
    return counts


def _byte_samples(lm) -> Counter:
    counts: Counter = Counter()
    for seed in range(N):
        out = b"".join(lm.generate(PREFIX, max_bytes=WIDTH, seed=seed))
        counts[_word(out, len(out) < WIDTH)] += 1
    return counts


def _chi2_homogeneity(a: Counter, b: Counter) -> tuple[float, int]:
    keys = [k for k in set(a) | set(b) if a[k] + b[k] >= 10]
    rest = (sum(a.values()) - sum(a[k] for k in keys), sum(b.values()) - sum(b[k] for k in keys))
    table = np.array([[a[k], b[k]] for k in keys] + ([list(rest)] if sum(rest) else []), dtype=float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    return float(((table - expected) ** 2 / expected).sum()), len(table) - 1


@pytest.mark.slow
def test_first_word_distribution_matches_token_level(model, tok):
    wrapped = CanonicalOnly(model, tok)
    lm = ByteLM(wrapped, tok, lookahead=False)  # the wrapper runs one sequence at a time
    tokens = _token_samples(wrapped, tok, lm.runner.start_id)
    bytes_ = _byte_samples(lm)
    stat, dof = _chi2_homogeneity(tokens, bytes_)
    z = 3.09  # one-sided 0.001 quantile of the normal; Wilson-Hilferty approximation of chi2
    limit = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3
    assert dof >= 3, (tokens.most_common(5), bytes_.most_common(5))
    assert stat < limit, (stat, limit, tokens.most_common(8), bytes_.most_common(8))
