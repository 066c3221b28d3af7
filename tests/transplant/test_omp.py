"""Batched OMP against the readable one-target reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anytok.transplant.omp import batch_omp, omp_reference


@pytest.mark.parametrize("pool", [pytest.param(None, id="exact"), pytest.param(500, id="pool-covers-all")])
def test_batch_omp_matches_reference(pool):
    gen = torch.Generator().manual_seed(0)
    dictionary = torch.randn(300, 24, generator=gen, dtype=torch.float64)
    targets = torch.randn(6, 24, generator=gen, dtype=torch.float64)
    idx, coefs = batch_omp(targets, dictionary, 10, pool=pool)
    for b in range(6):
        ref_idx, ref_coefs = omp_reference(targets[b].numpy(), dictionary.numpy(), 10)
        np.testing.assert_array_equal(idx[b].numpy(), ref_idx)
        np.testing.assert_allclose(coefs[b].numpy(), ref_coefs, rtol=1e-8, atol=1e-10)


def test_k_sparse_target_is_recovered():
    gen = torch.Generator().manual_seed(1)
    dictionary = torch.randn(200, 64, generator=gen, dtype=torch.float64)
    true_idx = torch.tensor([[3, 50, 120], [7, 8, 199]])
    true_coefs = torch.tensor([[1.0, -2.0, 0.5], [0.3, 0.3, -1.0]], dtype=torch.float64)
    targets = torch.einsum("bk,bkd->bd", true_coefs, dictionary[true_idx])
    idx, coefs = batch_omp(targets, dictionary, 3)
    for b in range(2):
        order = idx[b].argsort()
        assert idx[b][order].tolist() == sorted(true_idx[b].tolist())
        got = dict(zip(idx[b].tolist(), coefs[b].tolist()))
        for i, c in zip(true_idx[b].tolist(), true_coefs[b].tolist()):
            assert got[i] == pytest.approx(c, abs=1e-9)


def test_reconstruction_error_falls_with_k():
    gen = torch.Generator().manual_seed(2)
    dictionary = torch.randn(400, 32, generator=gen)
    targets = torch.randn(20, 32, generator=gen)
    errors = []
    for k in (2, 8, 32):
        idx, coefs = batch_omp(targets, dictionary, k)
        approx = torch.einsum("bk,bkd->bd", coefs, dictionary[idx])
        errors.append(float((targets - approx).norm()))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3 * float(targets.norm())
