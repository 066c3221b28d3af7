"""The hypernetwork: a token's base pieces -> its input-embedding row (and LM-head row if untied).

A new token is read through the base tokenizer: its bytes split into base tokens (the pieces
FVT averages, :class:`anytok.transfer.align.Pieces`), and the base model's rows of those pieces
go through a small transformer encoder. The output is FVT plus a learned correction::

    row(token) = mean(base rows of its pieces) + W_out · pool(encoder(W_in · piece rows + position))

``W_out`` starts at zero, so an untrained hypernetwork returns exactly the FVT rows (it shares
:func:`anytok.transfer.methods.piece_mean` with ``init_fvt``), and training can only start from
the best training-free baseline. For an untied model each piece is read as its input and head rows
side by side, and a second output projection writes the head row.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import torch
from torch import nn

from anytok.errors import HyperNetError
from anytok.transfer.methods import piece_mean


@dataclasses.dataclass(frozen=True)
class HyperNetConfig:
    """Shape of a hypernetwork (stored in its config.json).

    ``embed_dim``: the base model's embedding width D; ``tied``: one matrix for input and head.
    Width 256 and depth 2: tokens are short (a new token is 1-8 base pieces), the signal per
    training step is a few hundred new tokens, and the whole network (about 2M parameters) must
    train on a 2-core CPU in an hour next to a frozen 135M-parameter model; ZeTT's width-of-the-model,
    3-layer networks are sized for TPU runs on billion-parameter bases.
    """

    embed_dim: int
    tied: bool = True
    width: int = 256
    depth: int = 2
    heads: int = 4
    max_pieces: int = 16

    def __post_init__(self) -> None:
        if self.embed_dim < 1 or self.width < 1 or self.depth < 0 or self.max_pieces < 1:
            raise HyperNetError(f"bad hypernet config {self}")
        if self.width % self.heads:
            raise HyperNetError(f"width {self.width} is not a multiple of heads {self.heads}")


class HyperNet(nn.Module):
    """Maps piece lists to rows; see the module docstring. Parameters: the hypernetwork's only."""

    def __init__(self, config: HyperNetConfig) -> None:
        super().__init__()
        self.config = config
        d_in = config.embed_dim * (1 if config.tied else 2)
        self.w_in = nn.Linear(d_in, config.width)
        self.position = nn.Parameter(torch.zeros(config.max_pieces, config.width))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(config.width, config.heads, dim_feedforward=4 * config.width,
                                           dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.width)
        self.w_out = nn.Linear(config.width, config.embed_dim)
        self.w_out_head = None if config.tied else nn.Linear(config.width, config.embed_dim)
        for out in (self.w_out, self.w_out_head):
            if out is not None:  # zero: the untrained network is FVT exactly
                nn.init.zeros_(out.weight)
                nn.init.zeros_(out.bias)

    def forward(self, pieces: Sequence[Sequence[int]], emb: torch.Tensor, head: torch.Tensor | None = None,
                mean_emb: torch.Tensor | None = None, mean_head: torch.Tensor | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(input rows (N, D), head rows (N, D) or None when tied) for N piece lists.

        emb, head: the base's (V_base, D) matrices (frozen; ``head`` None when tied); mean_emb,
        mean_head: (D,) rows for a token with no pieces (default: the mean base row).
        """
        if (head is None) != self.config.tied:
            raise HyperNetError("pass head exactly when the hypernet is untied")
        if emb.shape[1] != self.config.embed_dim:
            raise HyperNetError(f"base rows are {emb.shape[1]} wide; this hypernet reads {self.config.embed_dim}")
        lists = [list(p) for p in pieces]
        mean_emb = emb.mean(0) if mean_emb is None else mean_emb
        fvt_emb = piece_mean(emb, lists, mean_emb)  # (N, D)
        fvt_head = None if head is None else piece_mean(head, lists, head.mean(0) if mean_head is None else mean_head)
        cut = [p[: self.config.max_pieces] for p in lists]  # the encoder reads the first max_pieces
        pooled = self._encode(cut, emb, head, fvt_emb, fvt_head)  # (N, W)
        out_emb = fvt_emb + self.w_out(pooled).to(fvt_emb.dtype)
        out_head = None if fvt_head is None else fvt_head + self.w_out_head(pooled).to(fvt_head.dtype)
        return out_emb, out_head

    def _encode(self, lists: list[list[int]], emb: torch.Tensor, head: torch.Tensor | None,
                fvt_emb: torch.Tensor, fvt_head: torch.Tensor | None) -> torch.Tensor:
        """(N, W): the masked mean of the encoder's outputs over each token's pieces."""
        n, length = len(lists), max([len(p) for p in lists] + [1])
        ids = torch.zeros(n, length, dtype=torch.long, device=emb.device)
        mask = torch.zeros(n, length, dtype=torch.bool, device=emb.device)  # True = a real piece
        for j, p in enumerate(lists):
            if p:
                ids[j, : len(p)] = torch.tensor(p, device=emb.device)
                mask[j, : len(p)] = True
        x = emb[ids]  # (N, P, D)
        empty = ~mask.any(1)
        if empty.any():  # no pieces: read the fallback row as the one piece
            x[empty, 0] = fvt_emb[empty]
            mask[empty, 0] = True
        if head is not None:
            y = head[ids]
            if empty.any():
                y[empty, 0] = fvt_head[empty]
            x = torch.cat([x, y], dim=-1)  # (N, P, 2D)
        dtype = self.w_in.weight.dtype
        h = self.w_in(x.to(dtype)) + self.position[:length]  # (N, P, W)
        h = self.encoder(h, src_key_padding_mask=~mask)
        h = self.norm(h) * mask[..., None]
        return h.sum(1) / mask.sum(1, keepdim=True)  # (N, W)


def parameter_count(net: nn.Module) -> int:
    """Number of trainable scalars in ``net``."""
    return sum(p.numel() for p in net.parameters())


def describe(config: HyperNetConfig) -> dict[str, Any]:
    """``config`` as a plain dict (for config.json)."""
    return dataclasses.asdict(config)
