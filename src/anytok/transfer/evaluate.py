"""Leave-anchors-out: hide some shared tokens, rebuild their rows by each method, compare.

The hidden tokens' true base rows are known, so the mean cosine similarity between rebuilt and
true rows measures each init method without training or evaluation text.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import torch

from anytok.transfer.align import Alignment
from anytok.transfer.core import INIT_METHODS
from anytok.transfer.methods import Matrices
from anytok.transfer.options import InitConfig, Method


@dataclasses.dataclass(frozen=True)
class LeaveOutResult:
    """Mean (and median) cosine similarity of rebuilt to true rows, for one method."""

    method: str
    hidden: int
    mean_cosine: float
    median_cosine: float


def leave_anchors_out(base: torch.Tensor, alignment: Alignment, *, donor: torch.Tensor | None = None,
                      methods: Iterable[Method | str] = tuple(Method), fraction: float = 0.05,
                      config: InitConfig = InitConfig(), seed: int = 0) -> list[LeaveOutResult]:
    """Hide ``fraction`` of the anchors and score each method's rebuilt rows against the truth.

    base: (V_base_rows, D) base weights; donor: (V_new_rows, D_donor), needed for omp only;
    hypernet runs only with ``config.hypernet`` (a network for a tied base).
    Only the hidden tokens are rebuilt (other missing tokens play no part).
    """
    hidden = alignment.hide(fraction, seed=seed)
    hidden_ids = sorted(set(hidden.missing) - set(alignment.missing))
    probe = dataclasses.replace(hidden, missing=hidden_ids)
    base = base.detach()
    truth = base[[alignment.shared[i] for i in hidden_ids]].float()  # (H, D)
    matrices = Matrices(base=base.detach().float(), donor=None if donor is None else donor.detach().float())
    results = []
    for method in map(Method, methods):
        if (method is Method.OMP and donor is None) or (method is Method.HYPERNET and config.hypernet is None):
            continue
        if method is Method.HYPERNET:
            from anytok.hypernet.transfer import hypernet_matrices

            rows = hypernet_matrices(probe, config, base, None)[0][hidden_ids]  # (H, D)
        else:
            rows = INIT_METHODS[method](matrices, probe, config)  # (H, D)
        cos = torch.nn.functional.cosine_similarity(rows.float(), truth, dim=1)
        results.append(LeaveOutResult(method=method.value, hidden=len(hidden_ids),
                                      mean_cosine=float(cos.mean()), median_cosine=float(cos.median())))
    return results
