"""Orthogonal matching pursuit, batched on torch (CPU or CUDA), with a readable reference.

Each target vector is approximated by a k-sparse combination of dictionary rows: at every step the
row most correlated with the residual joins the support, the coefficients are refitted by least
squares on the support, and the residual is updated (Pati et al. 1993). The batched version keeps
an orthonormal basis of each support (Gram-Schmidt), so a step costs one (B, P, D) product.

``pool``: each target searches only the ``pool`` dictionary rows most correlated with it at the
start (one (B, N) product) instead of all N rows at every step. With ``pool >= N`` (or None) this
is exact OMP; a pool of a few thousand rows picks nearly the same supports at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np
import torch


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


def _candidates(targets: torch.Tensor, dictionary: torch.Tensor, pool: int | None) -> torch.Tensor | None:
    """(B, P) indices of the rows most correlated with each target, or None for the full dictionary."""
    if pool is None or pool >= dictionary.shape[0]:
        return None
    return (targets @ dictionary.T).abs().topk(pool, dim=1).indices


@torch.no_grad()
def batch_omp(targets: torch.Tensor, dictionary: torch.Tensor, k: int, *, pool: int | None = None,
              eps: float = 1e-10) -> tuple[torch.Tensor, torch.Tensor]:
    """k-sparse codes of ``targets`` over ``dictionary`` rows.

    targets: (B, D), dictionary: (N, D), float32/64 on any device.
    Returns indices (B, k) into the dictionary and coefficients (B, k):
    ``targets ≈ (coefs[..., None] * dictionary[indices]).sum(1)``.
    """
    B, D = targets.shape
    k = min(k, dictionary.shape[0])
    cand = _candidates(targets, dictionary, pool)
    rows = dictionary if cand is None else dictionary[cand]  # (N, D) or (B, P, D)
    residual = targets.clone()
    basis = targets.new_zeros(B, k, D)  # orthonormal basis of each support
    chosen = torch.zeros(B, k, dtype=torch.long, device=targets.device)
    taken = torch.zeros(B, rows.shape[-2], dtype=torch.bool, device=targets.device)
    batch = torch.arange(B, device=targets.device)
    for t in range(k):
        if cand is None:
            scores = (residual @ rows.T).abs()  # (B, N)
        else:
            scores = torch.bmm(rows, residual[:, :, None])[..., 0].abs()  # (B, P)
        scores.masked_fill_(taken, -1.0)
        pick = scores.argmax(dim=1)  # (B,)
        taken[batch, pick] = True
        chosen[:, t] = pick
        atom = rows[pick] if cand is None else rows[batch, pick]  # (B, D)
        if t:
            atom = atom - torch.bmm(torch.bmm(atom[:, None], basis[:, :t].transpose(1, 2)), basis[:, :t])[:, 0]
        atom = atom / atom.norm(dim=1, keepdim=True).clamp_min(eps)
        basis[:, t] = atom
        residual = residual - (residual * atom).sum(1, keepdim=True) * atom
    indices = chosen if cand is None else cand.gather(1, chosen)
    atoms = dictionary[indices]  # (B, k, D)
    coefs = _least_squares(atoms, targets, basis)
    return indices, coefs


def _least_squares(atoms: torch.Tensor, targets: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """Coefficients c minimising |targets - c @ atoms| through the support's QR factors.

    atoms: (B, k, D) = R^T Q with basis Q: (B, k, D) and R = Q atoms^T upper triangular (B, k, k).
    """
    r = torch.bmm(basis, atoms.transpose(1, 2)).triu()  # (B, k, k)
    z = torch.bmm(basis, targets[:, :, None])  # (B, k, 1)
    diag = r.diagonal(dim1=1, dim2=2)
    bad = diag.abs() < 1e-8  # a dependent atom (residual already 0): drop it
    r = r + torch.diag_embed(bad.to(r.dtype))
    z = z.masked_fill(bad[..., None], 0.0)
    return torch.linalg.solve_triangular(r, z, upper=True)[..., 0]
