"""Readable brute-force references for the byte-level LM (tiny vocabularies only).

They enumerate every token sequence that covers a byte string, run each through the model from
scratch, and test canonicality with ``tok.encode``: slow, obviously right, and the yardstick the
fast cover search is tested against.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, Iterator

import numpy as np
import torch

from anytok.tokenizer import Tokenizer


def _covers(tok: Tokenizer, x: bytes, *, extend: bool) -> Iterator[list[int]]:
    """Token sequences whose bytes, all but the last token inside ``x``, reach the end of ``x``
    (past it when ``extend``)."""
    tokens = [(i, b) for i, b in enumerate(tok.vocab) if b and i not in tok.special_ids]

    def walk(pos: int, seq: list[int]) -> Iterator[list[int]]:
        for i, data in tokens:
            end = pos + len(data)
            if end > len(x) or (end == len(x) and not extend):
                if data.startswith(x[pos:]):
                    yield seq + [i]
            elif x[pos:end] == data:
                yield from walk(end, seq + [i])

    yield from walk(0, [])


def sequence_logprob(model: Any, start_id: int, seq: list[int]) -> float:
    """log P(seq | start token): one full forward pass per prefix, no KV cache (memoised)."""
    memo = _MEMO.setdefault(model, {}).setdefault(start_id, {})
    total = 0.0
    for j, t in enumerate(seq):
        prefix = tuple(seq[:j])
        if prefix not in memo:
            memo[prefix] = next_token_logprobs(model, start_id, list(prefix))
        total += float(memo[prefix][t])
    return total


_MEMO: "weakref.WeakKeyDictionary[Any, dict[int, dict[tuple[int, ...], np.ndarray]]]" = weakref.WeakKeyDictionary()


def next_token_logprobs(model: Any, start_id: int, seq: list[int]) -> np.ndarray:
    """(V,) log-probs of the token after ``seq``."""
    with torch.no_grad():
        ids = torch.tensor([[start_id, *seq]])
        return torch.log_softmax(model(input_ids=ids).logits[0, -1].double(), dim=-1).numpy()


def is_canonical_cover(tok: Tokenizer, seq: list[int]) -> bool:
    """``seq`` is the tokenizer's own encoding of its bytes."""
    return tok.encode(tok.decode(seq)) == seq


def brute_next_byte_probs(model: Any, tok: Tokenizer, start_id: int, x: bytes) -> np.ndarray:
    """(257,) next-byte probabilities from summing every canonical cover of ``x + b``, normalised."""
    mass = np.zeros(257)
    for seq in _covers(tok, x, extend=True):
        if is_canonical_cover(tok, seq):
            mass[tok.decode(seq)[len(x)]] += math.exp(sequence_logprob(model, start_id, seq))
    if tok.eos_id is not None:
        enc = tok.encode(x)
        mass[256] = math.exp(sequence_logprob(model, start_id, enc)) * math.exp(
            next_token_logprobs(model, start_id, enc)[tok.eos_id])
    return mass / mass.sum()


def brute_prefix_prob(model: Any, tok: Tokenizer, start_id: int, x: bytes, *, canonical: bool) -> float:
    """P(the model's text starts with ``x``): the sum over covers, all or canonical only."""
    total = 0.0
    for seq in _covers(tok, x, extend=False):
        if not canonical or is_canonical_cover(tok, seq):
            total += math.exp(sequence_logprob(model, start_id, seq))
    return total
