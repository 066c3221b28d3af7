"""What an arena run is: the model shape (:class:`ModelShape`, named sizes in :data:`SIZES`) and the
budget, optimiser and schedule every entrant shares (:class:`ArenaConfig`). Torch-free: the CLI
makes its flags from these fields."""

from __future__ import annotations

from dataclasses import dataclass

from anytok._fields import option
from anytok.errors import AnytokError


class ArenaError(AnytokError, ValueError):
    """An arena was asked for something it cannot do (budget, entrant, corpus)."""


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer: pre-norm RMSNorm blocks, rotary attention, SwiGLU MLP, tied
    input/output embeddings (the Llama family's choices, without biases)."""

    dim: int
    layers: int
    heads: int
    mlp_hidden: int

    def __post_init__(self) -> None:
        if self.dim % self.heads or (self.dim // self.heads) % 2:
            raise ArenaError(f"dim={self.dim} must split into {self.heads} heads of an even size")


SIZES = {
    "tiny": ModelShape(dim=64, layers=2, heads=4, mlp_hidden=172),     # CI: seconds on a CPU
    "small": ModelShape(dim=256, layers=4, heads=4, mlp_hidden=688),
    "base": ModelShape(dim=512, layers=8, heads=8, mlp_hidden=1376),
}


@dataclass(frozen=True, kw_only=True)
class ArenaConfig:
    """The budget and training recipe every entrant gets (the same bytes in the same order)."""

    size: str = option("tiny", f"Model size: {', '.join(SIZES)}.")
    budget_bytes: int = option(1_000_000, "Training bytes per entrant (the same bytes, in the same order).")
    budget_flops: float | None = option(None, "Also stop an entrant once its training FLOPs reach this.")
    chunk_bytes: int = option(256, "Bytes per training sequence (each entrant encodes the same chunk).")
    batch_size: int = option(16, "Sequences per optimiser step.")
    lr: float = option(3e-3, "Peak AdamW learning rate (linear warmup, cosine decay to 10%).")
    warmup: float = option(0.05, "Share of the steps spent warming up.")
    weight_decay: float = option(0.1, "AdamW weight decay (matrices only).")
    seeds: tuple[int, ...] = option((0,), "Seeds (repeatable): each entrant is trained once per seed.",
                                    flag="--seed")
    evals: int = option(4, "Evaluations on the held-out text along the way (learning curves).")
    device: str = option("cpu", "cpu or cuda (bf16 autocast on cuda).")

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ArenaError(f"size {self.size!r} is not one of {', '.join(SIZES)}")
        for name in ("budget_bytes", "chunk_bytes", "batch_size", "evals"):
            if getattr(self, name) < 1:
                raise ArenaError(f"{name}={getattr(self, name)} must be at least 1")
        if self.budget_bytes < self.chunk_bytes * self.batch_size:
            raise ArenaError(f"budget_bytes={self.budget_bytes:,} is less than one step "
                             f"({self.batch_size} x {self.chunk_bytes} bytes); raise it or shrink the batch")
        if self.budget_flops is not None and self.budget_flops <= 0:
            raise ArenaError(f"budget_flops={self.budget_flops} must be > 0")
        if not (self.lr > 0 and 0 <= self.warmup < 1 and self.weight_decay >= 0):
            raise ArenaError("lr must be > 0, warmup in [0, 1) and weight_decay >= 0")
        if not self.seeds:
            raise ArenaError("give at least one seed")
        object.__setattr__(self, "seeds", tuple(self.seeds))

    @property
    def shape(self) -> ModelShape:
        """The model shape of ``size``."""
        return SIZES[self.size]

    @property
    def steps(self) -> int:
        """Optimiser steps the byte budget allows (each step reads batch_size chunks)."""
        return self.budget_bytes // (self.chunk_bytes * self.batch_size)
