"""What a transplant is asked to do: the init :class:`Method` and its knobs (:class:`InitConfig`),
and how its new rows are healed (:class:`HealConfig`).

Torch-free, so the command line can build its options without loading torch. The fields declared
with :func:`~anytok._fields.option` are the CLI's flags too (``anytok transplant --k``, ``--heal-lr``,
``anytok extend --heal-lr``, ...): their help text lives here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import enum

from anytok._fields import option
from anytok.errors import TransplantError


class Method(str, enum.Enum):
    """How missing rows are initialised; the values are the CLI strings."""

    MEAN = "mean"
    FVT = "fvt"
    HYBRID = "hybrid"
    OMP = "omp"
    HYPERNET = "hypernet"


# OMP candidate pool: each token picks its k anchors among the DEFAULT_POOL most correlated with it.
# Gemma-3-270M <-> SmolLM2-135M, k 64: pools of 128, 256 (and 512 one way) gave the same bits per
# byte (4 KB of each of three files: sums within 0.004) and leave-out cosines within 0.006, in both
# directions, while the Gram matrices cost pool^2. At 128 the reverse pair needs min_orth
# (docs/BENCHMARKS.md, "Fourth session").
DEFAULT_POOL = 128
MAX_POOL = 16384  # exact OMP (pool None) needs a MAX_POOL^2 Gram matrix per target at most


@dataclasses.dataclass(frozen=True)
class InitConfig:
    """Knobs of the init methods (validated on construction)."""

    k: int = option(64, "OMP: anchors per new token.")
    pool: int | None = option(DEFAULT_POOL, "OMP: candidate anchors searched per token (0 on the command line, "
                              f"None in the API: all, exact OMP, for up to {MAX_POOL:,} shared tokens).")
    min_orth: float = 0.05  # omp: skip anchors less than 5% outside the span of those already kept
    batch_size: int = 256
    neighbours: int = 16
    temperature: float = 0.1
    device: str = "cpu"
    whitespace_fvt: bool = True  # omp: tokens made only of whitespace take their FVT row (see init_omp)
    whitespace_next_space: bool = True  # ... and one ending in a space, that of the run one space longer
    hypernet: str | None = None  # hypernet: the folder of a network trained for the base (anytok.hypernet)

    def __post_init__(self) -> None:
        if self.k < 1:
            raise TransplantError(f"k={self.k} must be at least 1 (the number of anchors per token)")
        if self.pool is not None and self.pool < self.k:
            raise TransplantError(f"pool={self.pool} must be at least k={self.k}, or None for exact OMP")
        if not 0.0 <= self.min_orth < 1.0:
            raise TransplantError(f"min_orth={self.min_orth} must be in [0, 1)")
        if self.batch_size < 1 or self.neighbours < 1 or self.temperature <= 0:
            raise TransplantError("batch_size and neighbours must be >= 1 and temperature > 0")


OBJECTIVES = ("lm", "distill")


@dataclasses.dataclass(frozen=True)
class HealConfig:
    """Steps, learning rate and batch shape of healing (validated on construction)."""

    steps: int = 100
    lr: float = option(1e-3, "Heal: Adam learning rate of the new rows.", flag="--heal-lr")
    seq_len: int = option(128, "Heal: tokens per training sequence.", flag="--heal-seq-len")
    batch_size: int = option(8, "Heal: sequences per step.", flag="--heal-batch-size")
    device: str = "cpu"
    seed: int = option(0, "Heal: seed of the random picks of training windows.", flag="--heal-seed")
    objective: str = option("lm", "Heal: lm (next-token loss) or distill (match the base model with its own "
                            "tokenizer on the same bytes).", flag="--heal-objective")
    temperature: float = option(1.0, "Heal, distill: temperature of the binarised chunk likelihoods.",
                                flag="--heal-temperature")

    def __post_init__(self) -> None:
        checks = [("steps", self.steps >= 0, ">= 0", "--heal-steps"), ("lr", self.lr > 0, "> 0", "--heal-lr"),
                  ("seq_len", self.seq_len >= 2, ">= 2", "--heal-seq-len"),
                  ("batch_size", self.batch_size >= 1, ">= 1", "--heal-batch-size"),
                  ("temperature", self.temperature > 0, "> 0", "--heal-temperature")]
        for name, ok, want, flag in checks:
            if not ok:
                raise TransplantError(f"heal {name}={getattr(self, name)!r} ({flag}) must be {want}")
        if self.objective not in OBJECTIVES:
            raise TransplantError(f"heal objective {self.objective!r} (--heal-objective) is not one of "
                                  f"{', '.join(OBJECTIVES)}")
