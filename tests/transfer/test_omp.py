"""Batched OMP against the readable one-target reference."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from anytok.transfer.omp import batch_omp, omp_reference


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


def test_pool_search_in_blocks_of_chunks_matches_reference(monkeypatch):
    """A pool search over blocks of several chunks (the last block and chunk short) codes each
    target as plain OMP over its own ``pool`` rows most correlated with it."""
    omp_module = sys.modules[batch_omp.__module__]
    gen = torch.Generator().manual_seed(2)
    dictionary = torch.randn(300, 24, generator=gen, dtype=torch.float64)
    targets = torch.randn(23, 24, generator=gen, dtype=torch.float64)
    monkeypatch.setattr(omp_module, "_SCORE_BUDGET", 300 * 8)  # blocks of 8 targets: two chunks of 4
    idx, coefs = batch_omp(targets, dictionary, 6, pool=40, chunk=4)
    for b in range(23):
        y = targets[b].numpy()
        pool_rows = np.argsort(-np.abs(dictionary.numpy() @ y), kind="stable")[:40]
        ref_idx, ref_coefs = omp_reference(y, dictionary.numpy()[pool_rows], 6)
        np.testing.assert_array_equal(idx[b].numpy(), pool_rows[ref_idx])
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


def test_nearly_dependent_rows_are_skipped_as_in_the_reference():
    # twelve rows within 3% of the span of four others: late in a run such a row can be the most
    # correlated one left, and must then be skipped (coefficient 0) exactly as the reference does
    skipped = 0
    for seed in range(20):
        gen = torch.Generator().manual_seed(seed)
        base = torch.randn(8, 8, generator=gen, dtype=torch.float64)
        mix = torch.randn(12, 4, generator=gen, dtype=torch.float64)
        near = mix @ base[:4] + 0.03 * torch.randn(12, 8, generator=gen, dtype=torch.float64)
        dictionary = torch.cat([base, near])
        targets = torch.randn(6, 8, generator=gen, dtype=torch.float64)
        idx, coefs = batch_omp(targets, dictionary, 8, min_orth=0.05)
        for b in range(6):
            ref_idx, ref_coefs = omp_reference(targets[b].numpy(), dictionary.numpy(), 8, min_orth=0.05)
            np.testing.assert_array_equal(idx[b].numpy(), ref_idx)
            np.testing.assert_allclose(coefs[b].numpy(), ref_coefs, rtol=1e-8, atol=1e-10)
            skipped += int((ref_coefs == 0).sum())
    assert skipped > 0, "the test should exercise a skip"


def test_duplicate_rows_do_not_explode_the_coefficients():
    # every row four times, float32 as in a transplant: exact OMP can use each distinct row once;
    # rounding used to make the duplicates look independent, giving coefficients of ~1e5 that
    # cancel in this space only (the extreme case of the nearly dependent candidates that broke
    # SmolLM2 <- Gemma 3 at pool 128)
    gen = torch.Generator().manual_seed(4)
    distinct = torch.randn(40, 16, generator=gen)
    dictionary = distinct.repeat_interleave(4, dim=0)
    targets = torch.randn(5, 16, generator=gen)
    idx, coefs = batch_omp(targets, dictionary, 24)
    approx = torch.einsum("bk,bkd->bd", coefs, dictionary[idx])
    torch.testing.assert_close(approx, targets, rtol=1e-4, atol=1e-4)  # 16 independent rows span the space
    assert float(coefs.abs().max()) < 100
    for b in range(5):
        used = (idx[b] // 4)[coefs[b] != 0].tolist()
        assert len(used) == len(set(used)) <= 16
        lstsq = torch.linalg.lstsq(distinct[used].T.double(), targets[b].double()).solution
        torch.testing.assert_close(coefs[b][coefs[b] != 0].double(), lstsq, rtol=1e-3, atol=1e-4)
