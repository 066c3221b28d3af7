"""A certified upper bound on the token model's probability of a text, over every tokenization.

``P_all(x)`` is the probability that the token model's output starts with the bytes ``x``: the sum
over every token sequence that *covers* ``x`` (each token but the last inside ``x``, the last one
reaching its end or past it), canonical or not. The byte-level LM counts the canonical covers
(a lower bound, ``P_c``); the rest is what this module bounds.

The covers form a tree: a node is a token sequence whose bytes are ``x[:j]``, its children the
tokens that agree with ``x[j:]``. Every cover passes through exactly one node of any frontier of
that tree, and the covers below a node weigh at most the node's own probability. So

    P_all(x) <= (mass of the covers found) + (mass of the nodes not yet expanded)

holds after any number of expansions. :func:`search_bound` expands the heaviest nodes first, in
batches that share one tree-attention forward pass, until the unexpanded mass is a small part of
what was found or the query budget is spent; when nothing is left unexpanded the bound is
``P_all(x)`` exactly.

The limit: a node at byte ``j`` that is not expanded counts with its whole mass, which is about
``e^{(n - j) * rate}`` times the probability of the text (``rate``: the model's nats per byte).
A long text therefore keeps a loose bound unless its early non-canonical branches are followed
almost to its end; the bound is tight on short texts and on the last bytes of a prompt, which is
what the next-byte distributions depend on (docs/bytelm.md gives measured gaps).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from anytok.bytelm.covers import _logsumexp
from anytok.bytelm.runner import TokenRunner
from anytok.bytelm.tree import log_or_neg_inf
from anytok.bytelm.trie import TokenTrie

NEG_INF = -math.inf


@dataclass(frozen=True)
class BoundSearch:
    """What :func:`search_bound` found: ``found_logprob``, log of the mass of the covers it
    reached (a lower bound on ``P_all``); ``upper_logprob``, that plus every unexpanded node (a
    certified upper bound); ``queries``, nodes expanded (next-token distributions asked for);
    ``exhausted``: no node was left, so both equal ``log P_all(x)``."""

    found_logprob: float
    upper_logprob: float
    queries: int
    exhausted: bool


def search_bound(runner: TokenRunner, trie: TokenTrie, data: bytes, spine: Sequence[int], *,
                 max_queries: int = 256, batch: int = 32, rel_tol: float = 1e-4) -> BoundSearch:
    """Best-first expansion of the cover tree of ``data`` (see the module docstring).

    ``spine``: the canonical encoding of ``data`` (the runner lays the batches out along it);
    stops once the unexpanded mass is below ``rel_tol`` times the mass found, or after
    ``max_queries`` expansions.
    """
    if not data:
        return BoundSearch(0.0, 0.0, 0, True)
    batch = max(1, min(batch, runner.memo_size // 2))
    found: list[float] = []
    tick = 0  # heap tie-breaker: equal masses keep insertion order
    frontier: list[tuple[float, int, int, tuple[int, ...]]] = [(-0.0, tick, 0, ())]  # (-log mass, tick, j, seq)
    queries = 0
    while frontier and queries < max_queries:
        if found and _logsumexp_list([-f[0] for f in frontier]) < _logsumexp_list(found) + math.log(rel_tol):
            break
        take = [heapq.heappop(frontier) for _ in range(min(batch, max_queries - queries, len(frontier)))]
        runner.prefill([node[3] for node in take], spine)
        for neg_mass, _, j, seq in take:
            mass, (_, probs) = -neg_mass, runner.query(seq)
            queries += 1
            rest = data[j:]
            if len(rest) <= trie.max_len:  # tokens that reach the end (or go past it) finish a cover
                below = trie.subtree(rest)
                if len(below):
                    found.append(mass + log_or_neg_inf(float(probs[below].sum(dtype=np.float64))))
            for length in range(1, min(len(rest) - 1, trie.max_len) + 1):  # tokens that end inside
                for t in trie.ids_of(rest[:length]).tolist():
                    child = mass + log_or_neg_inf(float(probs[t]))
                    if child > NEG_INF:
                        tick += 1
                        heapq.heappush(frontier, (-child, tick, j + length, seq + (t,)))
    found_lp = _logsumexp_list(found)
    upper = _logsumexp_list(found + [-f[0] for f in frontier])
    return BoundSearch(found_lp, upper, queries, exhausted=not frontier)


def _logsumexp_list(values: list[float]) -> float:
    """log sum exp of ``values`` (-inf when empty), by the cover search's own."""
    return float(_logsumexp(np.asarray([NEG_INF, *values])))
