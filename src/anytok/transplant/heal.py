"""Heal: train only the new rows of a transplanted model for a few steps, everything else frozen.

A gradient mask zeroes the gradient of every embedding (and LM head) row except the trainable
ids, and Adam without weight decay turns a zero gradient into a zero update, so shared rows and
all other weights stay bit-for-bit unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable, Sequence

import torch

from anytok.eval.bpb import chunk_text, context_prefix
from anytok.tokenizer import Tokenizer

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class HealConfig:
    """Steps, learning rate and batch shape of healing (validated on construction)."""

    steps: int = 100
    lr: float = 1e-3
    seq_len: int = 128
    batch_size: int = 8
    device: str = "cpu"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 0 or self.seq_len < 2 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"bad heal config {self}: need steps >= 0, seq_len >= 2, batch_size >= 1, lr > 0")


def _sequences(tokenizer: Tokenizer, text: bytes, seq_len: int) -> torch.Tensor:
    """(N, seq_len) training windows: byte chunks, each after the bpb context token, cut to seq_len."""
    prefix = context_prefix(tokenizer)
    chunks = chunk_text(text, chunk_bytes=seq_len * 4)
    seqs = [prefix + ids for ids in tokenizer.encode_batch([c.decode("utf-8") for c in chunks])]
    seqs = [s[:seq_len] for s in seqs if len(s) >= seq_len]
    if not seqs:
        raise ValueError(f"heal text ({len(text)} bytes) has no window of {seq_len} tokens; give more text")
    return torch.tensor(seqs)


def _trainable(model: Any) -> list[torch.nn.Parameter]:
    params = [model.get_input_embeddings().weight]
    head = model.get_output_embeddings().weight
    if head is not params[0]:
        params.append(head)
    return params


def heal(model: Any, tokenizer: Tokenizer, text: bytes, *, trainable_ids: Sequence[int],
         config: HealConfig = HealConfig(), progress: Callable[[int], None] | None = None) -> list[float]:
    """Train rows ``trainable_ids`` of the embeddings (and untied head) on ``text``; returns the losses."""
    data = _sequences(tokenizer, text, config.seq_len)
    params = _trainable(model)
    flags = {p: p.requires_grad for p in model.parameters()}
    for p in model.parameters():
        p.requires_grad_(False)
    mask = torch.zeros(params[0].shape[0], 1, device=params[0].device)
    mask[list(trainable_ids)] = 1.0
    hooks = []
    for p in params:
        p.requires_grad_(True)
        hooks.append(p.register_hook(lambda g, m=mask: g * m.to(g.dtype)))
    model.to(config.device)
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(config.seed)
    losses = []
    try:
        for _ in range(config.steps):
            batch = data[torch.randint(len(data), (config.batch_size,), generator=gen)].to(config.device)
            loss = model(input_ids=batch, labels=batch).loss
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            if progress is not None:
                progress(1)
    finally:
        for h in hooks:
            h.remove()
        for p, flag in flags.items():
            p.requires_grad_(flag)
        model.eval()
    log.info("healed %d rows for %d steps: loss %.3f -> %.3f", len(trainable_ids), config.steps,
             losses[0] if losses else float("nan"), losses[-1] if losses else float("nan"))
    return losses
