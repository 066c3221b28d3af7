"""Many token sequences through a causal LM in one forward pass: tree attention over a spine.

Scoring a known text asks for the next-token distribution after hundreds of token sequences. All
of them follow the text's own encoding (the *spine*) for a while and leave it for a token or two
at their end (the *branches*: ``encode(x[:i])`` for a cut ``i`` inside a spine token). Run one by
one, every query reads every weight of the model again; on a CPU a one-token forward costs as much
as a forward of dozens of tokens. Here the spine is run once and kept in a KV cache, and a window
of branches is laid out as one flat batch in which each branch token attends to the spine up to
where its sequence leaves it and to its own earlier tokens, at position ids equal to its depth
(tree attention, as in SpecInfer and Medusa). The logits are the ones the model gives each
sequence alone, up to floating-point summation order.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np


@dataclass
class TreeLayout:
    """One batch: the spine tokens not yet cached, then the branch nodes (each a sequence prefix).

    ``held``: spine tokens already in the cache (positions 0..held-1);
    ``tokens``/``positions``: (Q,) the new tokens and their position ids;
    ``anchor[j]``: for branch node j, the spine length its sequence shares (-1 for spine tokens);
    ``parent[j]``: index (into the new tokens) of the node before it, -1 when that is a spine token.
    """

    held: int
    spine_new: int = 0  # spine tokens in this batch (they come before every branch node)
    tokens: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    anchor: list[int] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    node_of: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict)

    @property
    def spine_end(self) -> int:
        """Spine length in the cache after this batch (held + new spine tokens)."""
        return self.held + self.spine_new

    def add_spine(self, token: int) -> None:
        """Append the next spine token (all spine tokens come before any branch node)."""
        assert len(self.tokens) == self.spine_new, "spine tokens must come before the branch nodes"
        self.tokens.append(token)
        self.positions.append(self.spine_end)
        self.anchor.append(-1)
        self.parent.append(-1)
        self.spine_new += 1

    def add_branch(self, anchor: int, suffix: tuple[int, ...]) -> int:
        """Index of the node for spine[:anchor] + suffix (its ancestors added first)."""
        key = (anchor, suffix)
        hit = self.node_of.get(key)
        if hit is not None:
            return hit
        parent = self.add_branch(anchor, suffix[:-1]) if len(suffix) > 1 else -1
        self.node_of[key] = len(self.tokens)
        self.tokens.append(suffix[-1])
        self.positions.append(anchor + len(suffix) - 1)
        self.anchor.append(anchor)
        self.parent.append(parent)
        return self.node_of[key]

    def visible(self) -> np.ndarray:
        """(Q, held + Q) bool: which cached and new tokens each new token attends to."""
        q = len(self.tokens)
        held = self.held
        out = np.zeros((q, held + q), dtype=bool)
        for j in range(q):
            a = self.anchor[j]
            if a < 0:  # a spine token sees the whole spine up to itself
                out[j, : held + j + 1] = True
                continue
            p = self.parent[j]
            if p >= 0:
                out[j] = out[p]
            else:
                out[j, :a] = True  # spine positions 0..a-1: cache then new spine tokens, contiguous
            out[j, held + j] = True
        return out

    def key_positions(self) -> np.ndarray:
        """(held + Q,) position id of every key the batch attends over."""
        return np.concatenate([np.arange(self.held), np.asarray(self.positions, dtype=np.int64)])


def attention_masks(model: Any, layout: TreeLayout) -> Any:
    """The 4D mask (1, 1, Q, KV) for ``model``, or a dict per layer type when it has sliding windows."""
    import torch

    visible = layout.visible()  # (Q, KV)
    config = model.config
    masks = {"full_attention": visible}
    window = getattr(config, "sliding_window", None)
    layer_types = set(getattr(config, "layer_types", None) or [])
    if window and "sliding_attention" in layer_types:
        q_pos = np.asarray(layout.positions)[:, None]
        k_pos = layout.key_positions()[None, :]
        masks["sliding_attention"] = visible & (q_pos - k_pos < window)
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device

    def as_torch(m: np.ndarray) -> Any:
        t = torch.from_numpy(m)[None, None].to(device)
        if getattr(config, "_attn_implementation", "sdpa") == "sdpa":
            return t  # bool: True = attend
        return torch.zeros(t.shape, dtype=dtype, device=device).masked_fill(~t, torch.finfo(dtype).min)

    if len(masks) == 1:
        return as_torch(visible)
    return {kind: as_torch(m) for kind, m in masks.items()}


class SpineCache:
    """The spine's KV cache, extended and cropped as the windows of a text go by.

    ``tokens``/``cum`` describe every spine token computed so far (start token first; ``cum[j]``
    is log P(tokens[1 : j + 1])); the KV cache holds the first ``cached`` of them; ``rows[j]`` is
    the (V,) next-token probabilities after ``tokens[: j + 1]``, kept for recent positions only.
    """

    ROWS_KEPT = 64

    def __init__(self, model: Any) -> None:
        self.model = model
        self.tokens: list[int] = []
        self.cum: list[float] = []
        self.rows: dict[int, np.ndarray] = {}
        self.cache: Any = None
        self.cached = 0

    def follow(self, spine: Sequence[int]) -> None:
        """Forget what does not lie on ``spine`` (a new text, or the same text grown)."""
        d = common_prefix(self.tokens, spine)
        del self.tokens[d:], self.cum[d:]
        self.rows = {j: r for j, r in self.rows.items() if j < d}
        self.crop(min(self.cached, d))

    def crop(self, n: int) -> None:
        """Keep the first ``n`` spine tokens in the KV cache (their cum values stay known)."""
        if n >= self.cached:
            return
        if n <= 0 or self.cache is None:
            self.cache, self.cached = None, 0
            return
        self.cache.crop(n - self.cached)  # negative: tokens to remove
        self.cached = n

    def run(self, layout: TreeLayout, vocab_size: int) -> np.ndarray:
        """Run the batch, keep its spine tokens in the cache; (Q, V) next-token probabilities
        per new token (:func:`next_token_probs`)."""
        import torch
        from transformers import DynamicCache

        assert layout.held == self.cached, "the layout must start where the cache ends"
        if self.cache is None:
            self.cache = DynamicCache()  # plain layers: sliding windows are left to the masks
        device = next(self.model.parameters()).device
        ids = torch.tensor([layout.tokens], dtype=torch.long, device=device)  # (1, Q)
        pos = torch.tensor([layout.positions], dtype=torch.long, device=device)  # (1, Q)
        with torch.no_grad():
            out = self.model(input_ids=ids, position_ids=pos, attention_mask=attention_masks(self.model, layout),
                             use_cache=True, **{cache_keyword(self.model): self.cache})  # the cache grows in place
            probs = next_token_probs(out.logits[0], vocab_size)  # (Q, V)
        spine_new = layout.spine_new
        if len(layout.tokens) > spine_new:
            self.cache.crop(spine_new - len(layout.tokens))  # drop the branch nodes
        for j in range(spine_new):
            p = layout.held + j
            if p == len(self.tokens):
                self.tokens.append(layout.tokens[j])
                self.cum.append(self.cum[-1] + log_or_neg_inf(self.rows[p - 1][layout.tokens[j]]) if p else 0.0)
            self.rows[p] = probs[j]  # a view: the batch lives while its rows are in use
        self.cached = layout.spine_end
        return probs

    def forget_old_rows(self) -> None:
        """Free the rows of all but the last ``ROWS_KEPT`` cached positions."""
        for old in [p for p in self.rows if p < self.cached - self.ROWS_KEPT]:
            del self.rows[old]


def cache_keyword(model: Any) -> str:
    """The forward argument that takes the KV cache: ``cache`` in recent transformers (which warns
    that ``past_key_values`` goes away in 5.40), ``past_key_values`` before it."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def next_token_probs(logits: Any, vocab_size: int) -> np.ndarray:
    """(T, V) next-token probabilities from (T, V') logits, softmax on the model's device and
    threads in float32 (float64 for a float64 model); numpy later only gathers and sums them.
    A float32 probability underflows to 0 only for a logit about 103 below the largest."""
    import torch

    wide = logits if logits.dtype == torch.float64 else logits.float()
    return torch.softmax(wide[:, :vocab_size], dim=-1).cpu().numpy()


def log_or_neg_inf(p: float) -> float:
    """ln p, -inf for p = 0."""
    return math.log(p) if p > 0 else -math.inf


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k
