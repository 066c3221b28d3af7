"""The arena's decoder-only transformer (:class:`ArenaLM`) and its lexinvariant variant.

Pre-norm blocks of RMSNorm, rotary multi-head attention (causal, ``scaled_dot_product_attention``)
and a SwiGLU MLP; input and output embeddings tied; no biases. It answers ``model(input_ids=...,
attention_mask=...).logits`` and ``get_output_embeddings()`` as a transformers causal LM does, so
:mod:`anytok.eval.bpb` scores it unchanged.

Lexinvariant (Huang et al. 2023): the model has no embedding table of its own; every sequence
draws a fresh Gaussian matrix ``G`` (V, d) and token ``t`` reads and predicts row ``rank(t)`` of it,
where ranks number the tokens by first appearance in the sequence (those that do not appear take
the remaining rows). The loss therefore depends only on the pattern of repetitions, and is
exactly the same under any permutation of the vocabulary ids.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from anytok.arena.config import ModelShape


@dataclass
class LMOutput:
    """``logits``: (B, T, V)."""

    logits: torch.Tensor


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotary_tables(t: int, dim: int, device: torch.device, dtype: torch.dtype,
                  base: float = 10_000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(T, D/2) cosines and sines of the RoPE angles of positions 0..t-1 for heads of size ``dim``."""
    inv = base ** (-torch.arange(0, dim, 2, device=device, dtype=torch.float32) / dim)  # (D/2,)
    angles = torch.arange(t, device=device, dtype=torch.float32)[:, None] * inv  # (T, D/2)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs of channels of ``x`` (B, H, T, D) by the position angles (RoPE)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        d = shape.dim
        self.heads = shape.heads
        self.attn_norm, self.mlp_norm = RMSNorm(d), RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, d, bias=False)
        self.gate_up = nn.Linear(d, 2 * shape.mlp_hidden, bias=False)
        self.down = nn.Linear(shape.mlp_hidden, d, bias=False)

    def forward(self, x: torch.Tensor, pad: torch.Tensor | None, rope: tuple[torch.Tensor, torch.Tensor]
                ) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k = rotary(q, *rope), rotary(k, *rope)  # (B, H, T, D)
        mask = None
        if pad is not None:  # causal, and no query reads a padding key (padding is only at the end)
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()[None, None] & pad[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None)
        x = x + self.out(y.transpose(1, 2).reshape(b, t, d))
        gate, up = self.gate_up(self.mlp_norm(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(gate) * up)


def run_blocks(blocks: Sequence[Block], x: torch.Tensor, attention_mask: torch.Tensor | None,
               shape: ModelShape) -> torch.Tensor:
    """``x`` (B, T, d) through ``blocks``, causally; ``attention_mask`` (B, T): real positions (padding
    only at the end), None or all ones for none."""
    pad = None if attention_mask is None or bool(attention_mask.all()) else attention_mask.bool()
    rope = rotary_tables(x.shape[1], shape.dim // shape.heads, x.device, x.dtype)
    for block in blocks:
        x = block(x, pad, rope)
    return x


class ArenaLM(nn.Module):
    """A causal LM over ``vocab_size`` ids (see the module docstring); ``lexinvariant`` drops the
    embedding table for per-sequence Gaussian rows."""

    def __init__(self, shape: ModelShape, vocab_size: int, *, lexinvariant: bool = False) -> None:
        super().__init__()
        self.shape, self.vocab_size, self.lexinvariant = shape, vocab_size, lexinvariant
        self.embed = nn.Embedding(vocab_size, shape.dim)
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.layers))
        self.norm = RMSNorm(shape.dim)
        self.reset_parameters()
        if lexinvariant:
            self.embed.weight.requires_grad_(False)  # a placeholder: each sequence brings its own rows

    def reset_parameters(self) -> None:
        """Normal(0, 0.02) matrices, output projections scaled by 1/sqrt(2 layers) (GPT-2's rule)."""
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * self.shape.layers) if name.endswith(("out.weight", "down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed

    def get_output_embeddings(self) -> nn.Embedding:
        return self.embed

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                seeds: list[int] | None = None) -> LMOutput:
        """``input_ids`` (B, T) -> logits (B, T, V). ``seeds``: the lexinvariant draw of each
        sequence (default: from its own ids, so that scoring is deterministic)."""
        if self.lexinvariant:
            table = self._random_rows(input_ids, attention_mask, seeds)  # (B, V, d)
            x = torch.gather(table, 1, input_ids[..., None].expand(-1, -1, table.shape[-1]))
        else:
            x = self.embed(input_ids)  # (B, T, d)
        h = self.norm(run_blocks(self.blocks, x, attention_mask, self.shape))
        logits = h @ table.transpose(1, 2) if self.lexinvariant else h @ self.embed.weight.T
        return LMOutput(logits=logits)

    def _random_rows(self, ids: torch.Tensor, mask: torch.Tensor | None, seeds: list[int] | None) -> torch.Tensor:
        """(B, V, d): for each sequence, Gaussian rows (std 1/sqrt(d)) assigned to ids by first appearance."""
        b, t = ids.shape
        v, d = self.vocab_size, self.shape.dim
        out = torch.empty(b, v, d, device=ids.device)
        for row in range(b):
            real = ids[row] if mask is None else ids[row][mask[row].bool()]
            seed = seeds[row] if seeds is not None else zlib.crc32(real.cpu().numpy().tobytes())
            gen = torch.Generator().manual_seed(int(seed))
            draw = (torch.randn(v, d, generator=gen) / math.sqrt(d)).to(ids.device)
            out[row] = draw[rank_by_first_appearance(real, v)]
        return out


def rank_by_first_appearance(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(V,) the row of each id: ids of ``ids`` (T,) numbered 0, 1, ... by first appearance, the
    other ids after them in id order."""
    first = torch.full((vocab_size,), len(ids), dtype=torch.long, device=ids.device)
    first.scatter_reduce_(0, ids, torch.arange(len(ids), device=ids.device), reduce="amin")
    order = torch.argsort(first * vocab_size + torch.arange(vocab_size, device=ids.device))  # ranks -> ids
    rank = torch.empty_like(order)
    rank[order] = torch.arange(vocab_size, device=ids.device)
    return rank
