"""What a transplant is asked to do: the init :class:`Method` and its knobs (:class:`InitConfig`).

Torch-free, so the command line can build its options without loading torch.
"""

from __future__ import annotations

import dataclasses
import enum

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

    k: int = 64
    pool: int | None = DEFAULT_POOL
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
