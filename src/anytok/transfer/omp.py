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
Here the factor's inverse is applied as it grows (the orthonormalised atoms' correlations ``U``), so
a step is a handful of batched ops with no per-step triangular solve.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import torch

from anytok.errors import TransplantError
from anytok.transfer.options import MAX_POOL

_GRAM_BUDGET = 2**26  # floats of per-target Gram matrices held at once
_SCORE_BUDGET = 2**26  # floats of target x dictionary correlations held at once (the pool search)


def omp_reference(target: np.ndarray, dictionary: np.ndarray, k: int,
                  min_orth: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Plain OMP for one target. target: (D,), dictionary: (N, D) -> (indices (k,), coefs (k,)).

    ``min_orth``: a picked row whose part orthogonal to the rows already kept is shorter than
    ``min_orth`` times its norm is skipped (coefficient 0) instead of kept.
    """
    picked: list[int] = []
    kept: list[int] = []
    residual = target.astype(np.float64)
    coefs = np.zeros(0)
    for _ in range(k):
        scores = np.abs(dictionary @ residual)
        scores[picked] = -np.inf
        pick = int(np.argmax(scores))
        picked.append(pick)
        atom = dictionary[pick].astype(np.float64)
        if kept:
            span = dictionary[kept].astype(np.float64)
            orth = atom - np.linalg.lstsq(span.T, atom, rcond=None)[0] @ span
            if np.linalg.norm(orth) < min_orth * np.linalg.norm(atom):
                continue
        kept.append(pick)
        atoms = dictionary[kept].astype(np.float64)  # (s, D)
        coefs = np.linalg.lstsq(atoms.T, target, rcond=None)[0]
        residual = target - coefs @ atoms
    by_row = dict(zip(kept, coefs))
    return np.array(picked), np.array([by_row.get(i, 0.0) for i in picked])


def _candidates(targets: torch.Tensor, dictionary: torch.Tensor, pool: int | None,
                scores: torch.Tensor | None = None) -> torch.Tensor:
    """(B, P) indices of the P dictionary rows most correlated with each target (all rows if no pool).

    scores: optional (>= B, N) buffer for the correlations, reused across calls.
    """
    n = dictionary.shape[0]
    if pool is None or pool >= n:
        if n > MAX_POOL:
            raise TransplantError(f"exact OMP over {n} rows needs a {n}x{n} Gram matrix per target; "
                             f"set pool (--pool) to at most {MAX_POOL}")
        return torch.arange(n, device=targets.device).expand(targets.shape[0], n)
    out = None if scores is None else scores[: targets.shape[0]]
    corr = torch.matmul(targets, dictionary.T, out=out)  # (B, N)
    return corr.abs_().topk(pool, dim=1, sorted=False).indices


@contextlib.contextmanager
def _one_thread(device: torch.device) -> Iterator[None]:
    """Run the k small steps on one CPU thread: on a busy machine a two-thread pool waits a scheduler
    time slice for its second thread at every small op (measured 4 ms per (256, 256) op instead of 12 us)."""
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@torch.no_grad()
def batch_omp(targets: torch.Tensor, dictionary: torch.Tensor, k: int, *, pool: int | None = None,
              min_orth: float = 1e-3, eps: float = 1e-10, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """k-sparse codes of ``targets`` over ``dictionary`` rows.

    ``min_orth``: skip (coefficient 0) a picked row whose part orthogonal to the rows already kept
    is shorter than ``min_orth`` times its norm. Such a row buys a little fit with a large
    coefficient that cancels against the others; applied to another space (a transplant's base
    rows) the cancellation is lost and the result explodes. The default only skips rows that are
    combinations of the kept ones up to rounding (duplicate rows: exact OMP never picks them).

    targets: (B, D), dictionary: (N, D), float32/64 on any device. Targets are coded ``chunk`` at a
    time (fewer with a large pool), reusing one set of buffers: fresh ones would be page-faulted
    in for every chunk. The pool search correlates a block of several chunks at once (up to
    ``_SCORE_BUDGET`` floats): one (1458, D) x (D, 46k) product ran 1.3x faster than six (256, D)
    ones on two cores. Returns indices (B, k) into the dictionary and coefficients (B, k):
    ``targets ≈ (coefs[..., None] * dictionary[indices]).sum(1)``.
    """
    (B, D), n = targets.shape, dictionary.shape[0]
    k = min(k, n)
    P = n if pool is None or pool >= n else pool
    step = max(1, min(chunk, _GRAM_BUDGET // P**2, B))
    block = step if P == n else max(step, min(B, _SCORE_BUDGET // n) // step * step)  # targets per pool search
    scores = targets.new_empty(block, n) if P < n else None  # (block, N)
    rows = targets.new_empty(step * P, D)  # (step * P, D): each target's candidate rows
    gram = targets.new_empty(step, P, P)  # (step, P, P)
    indices, coefs = [], []
    for start in range(0, B, block):
        pools = _candidates(targets[start:start + block], dictionary, pool, scores)  # (block, P)
        for s in range(0, pools.shape[0], step):
            y = targets[start + s:start + s + step]  # (b, D)
            b = y.shape[0]
            cand = pools[s:s + b]  # (b, P)
            cand_rows = torch.index_select(dictionary, 0, cand.reshape(-1), out=rows[: b * P]).view(b, P, D)
            alpha0 = torch.bmm(cand_rows, y[:, :, None])[..., 0]  # (b, P)
            torch.bmm(cand_rows, cand_rows.transpose(1, 2), out=gram[:b])
            with _one_thread(targets.device):
                chosen, c = _gram_omp(alpha0, gram[:b], k, eps, min_orth)
            indices.append(cand.gather(1, chosen))
            coefs.append(c)
    return torch.cat(indices), torch.cat(coefs)


def _gram_omp(alpha0: torch.Tensor, gram: torch.Tensor, k: int, eps: float,
              min_orth: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch-OMP on each target's own candidate rows, from inner products only.

    alpha0: (B, P) = rows @ y, gram: (B, P, P) = rows rows^T. The support is orthonormalised as it
    grows (Cholesky G[S, S] = L L^T): ``U = L^-1 G[S, :]`` holds the inner products of the
    orthonormal atoms with every candidate, so each step adds one row to U and L and updates the
    residual's correlations ``alpha`` by one rank-1 term; the coefficients are one triangular solve
    at the end (L^T c = z). A pick whose orthogonal part is under ``min_orth`` of its norm gets a
    unit diagonal, a zero row in L and U and z = 0, so it changes nothing and its coefficient is 0.
    Returns positions (B, k) into P and coefficients (B, k).
    """
    B, P = alpha0.shape
    unit = alpha0.new_zeros(B, k, P)  # U: (B, k, P)
    chol = alpha0.new_zeros(B, k, k)  # L: lower Cholesky factor of G[S, S]
    z = alpha0.new_zeros(B, k)  # L^-1 alpha0[S]: the residual's coordinates on the orthonormal atoms
    chosen = torch.zeros(B, k, dtype=torch.long, device=alpha0.device)
    batch = torch.arange(B, device=alpha0.device)
    alpha = alpha0.clone()
    for t in range(k):
        pick = alpha.abs().argmax(dim=1)  # (B,); chosen atoms have alpha exactly 0
        chosen[:, t] = pick
        g_new = gram[batch, pick]  # (B, P): inner products of the new atom with every candidate
        w = unit[:, :t].gather(2, pick[:, None, None].expand(B, t, 1))[..., 0]  # (B, t) = L^-1 G[S, pick]
        norm2 = g_new[batch, pick]  # (B,) squared norm of the new atom
        orth2 = norm2 - (w * w).sum(1)  # (B,) squared norm of its part orthogonal to the support
        keep = orth2 >= (min_orth * min_orth) * norm2  # (B,)
        diag = torch.where(keep, orth2.clamp_min(eps).sqrt(), torch.ones_like(orth2))  # (B,)
        u = (g_new - torch.bmm(w[:, None], unit[:, :t])[:, 0]) / diag[:, None]  # (B, P)
        u *= keep[:, None]
        chol[:, t, :t] = w * keep[:, None]
        chol[:, t, t] = diag
        unit[:, t] = u
        z[:, t] = alpha[batch, pick] / diag * keep
        alpha -= u * z[:, t, None]
        alpha[batch, pick] = 0.0
    coefs = torch.linalg.solve_triangular(chol.transpose(1, 2), z[:, :, None], upper=True)[..., 0]  # (B, k)
    return chosen, coefs
