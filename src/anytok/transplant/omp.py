"""Orthogonal matching pursuit, batched on torch (CPU or CUDA), with a readable reference.

Each target vector is approximated by a k-sparse combination of dictionary rows: at every step the
row most correlated with the residual joins the support, the coefficients are refitted by least
squares on the support, and the residual is updated (Pati et al. 1993).

``pool``: each target searches only the ``pool`` dictionary rows most correlated with it at the
start (one (B, N) product) instead of all N rows at every step. With ``pool >= N`` (or None) this
is exact OMP; a pool of a few hundred rows picks nearly the same supports at a fraction of the cost.

The batched solver is Batch-OMP (Rubinstein, Zibulevsky and Elad 2008): it works from the inner
products of each target's candidate rows (a (P, P) Gram matrix) and grows a Cholesky factor of the
support's Gram matrix, so the k steps cost O(P k^2) per target after one (B, P, D) x (B, D, P) product.
"""

from __future__ import annotations

import numpy as np
import torch

MAX_POOL = 16384
_GRAM_BUDGET = 2**26  # floats of per-target Gram matrices held at once


def omp_reference(target: np.ndarray, dictionary: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain OMP for one target. target: (D,), dictionary: (N, D) -> (indices (k,), coefs (k,))."""
    support: list[int] = []
    residual = target.astype(np.float64)
    coefs = np.zeros(0)
    for _ in range(k):
        scores = np.abs(dictionary @ residual)
        scores[support] = -np.inf
        support.append(int(np.argmax(scores)))
        atoms = dictionary[support].astype(np.float64)  # (s, D)
        coefs = np.linalg.lstsq(atoms.T, target, rcond=None)[0]
        residual = target - coefs @ atoms
    return np.array(support), coefs


def _candidates(targets: torch.Tensor, dictionary: torch.Tensor, pool: int | None) -> torch.Tensor:
    """(B, P) indices of the P dictionary rows most correlated with each target (all rows if no pool)."""
    n = dictionary.shape[0]
    if pool is None or pool >= n:
        if n > MAX_POOL:
            raise ValueError(f"exact OMP over {n} rows needs a {n}x{n} Gram matrix per target; "
                             f"set pool to at most {MAX_POOL}")
        return torch.arange(n, device=targets.device).expand(targets.shape[0], n)
    return (targets @ dictionary.T).abs().topk(pool, dim=1).indices


@torch.no_grad()
def batch_omp(targets: torch.Tensor, dictionary: torch.Tensor, k: int, *, pool: int | None = None,
              eps: float = 1e-10) -> tuple[torch.Tensor, torch.Tensor]:
    """k-sparse codes of ``targets`` over ``dictionary`` rows.

    targets: (B, D), dictionary: (N, D), float32/64 on any device.
    Returns indices (B, k) into the dictionary and coefficients (B, k):
    ``targets ≈ (coefs[..., None] * dictionary[indices]).sum(1)``.
    """
    k = min(k, dictionary.shape[0])
    cand = _candidates(targets, dictionary, pool)  # (B, P)
    step = max(1, _GRAM_BUDGET // cand.shape[1] ** 2)
    parts = [_gram_omp(targets[s:s + step], dictionary[cand[s:s + step]], k, eps)
             for s in range(0, targets.shape[0], step)]
    chosen = torch.cat([p[0] for p in parts])
    coefs = torch.cat([p[1] for p in parts])
    return cand.gather(1, chosen), coefs


def _gram_omp(targets: torch.Tensor, rows: torch.Tensor, k: int, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch-OMP on each target's own candidate rows, from inner products only.

    targets: (B, D), rows: (B, P, D). The residual's correlations are ``alpha0 - G[:, S] c`` with
    ``alpha0 = rows @ y`` (B, P) and ``G = rows rows^T`` (B, P, P); the support's Gram matrix
    grows one Cholesky row per step. Returns positions (B, k) into P and coefficients (B, k).
    """
    B, P, _ = rows.shape
    alpha0 = torch.bmm(rows, targets[:, :, None])[..., 0]  # (B, P)
    gram = torch.bmm(rows, rows.transpose(1, 2))  # (B, P, P)
    chol = targets.new_zeros(B, k, k)  # lower Cholesky factor of G[S, S]
    support = targets.new_zeros(B, k, P)  # G[S, :]: the Gram rows of the chosen atoms
    chosen = torch.zeros(B, k, dtype=torch.long, device=targets.device)
    taken = torch.zeros(B, P, dtype=torch.bool, device=targets.device)
    batch = torch.arange(B, device=targets.device)
    alpha, coefs = alpha0, targets.new_zeros(B, 0)
    for t in range(k):
        pick = alpha.abs().masked_fill(taken, -1.0).argmax(dim=1)  # (B,)
        taken[batch, pick] = True
        chosen[:, t] = pick
        g_new = gram[batch, pick]  # (B, P): inner products of the new atom with every candidate
        support[:, t] = g_new
        if t:
            cross = g_new.gather(1, chosen[:, :t])[:, :, None]  # (B, t, 1)
            w = torch.linalg.solve_triangular(chol[:, :t, :t], cross, upper=False)[..., 0]  # (B, t)
            chol[:, t, :t] = w
            diag = g_new[batch, pick] - (w * w).sum(1)
        else:
            diag = g_new[batch, pick]
        chol[:, t, t] = diag.clamp_min(eps).sqrt()
        rhs = alpha0.gather(1, chosen[:, : t + 1])[:, :, None]  # (B, t+1, 1)
        coefs = torch.cholesky_solve(rhs, chol[:, : t + 1, : t + 1], upper=False)[..., 0]  # (B, t+1)
        alpha = alpha0 - torch.bmm(coefs[:, None], support[:, : t + 1])[:, 0]  # (B, P)
    return chosen, coefs
