"""Tree-attention prefill: every memoised answer equals a plain forward of that sequence alone."""

from __future__ import annotations

import numpy as np
import pytest

from anytok.bytelm.reference import next_token_logprobs, sequence_logprob
from anytok.bytelm.runner import TokenRunner
from tests.tiny import tiny_model


def _queries(spine: list[int], rng: np.random.Generator, n: int) -> list[list[int]]:
    """Spine prefixes, and spine prefixes followed by one to three other tokens."""
    out = []
    for _ in range(n):
        cut = int(rng.integers(0, len(spine) + 1))
        tail = [int(t) for t in rng.integers(2, 300, size=int(rng.integers(0, 4)))]
        out.append(spine[:cut] + tail)
    return out


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
def test_prefill_answers_equal_plain_forwards(arch):
    model = tiny_model(300, arch=arch, seed=1).double()
    rng = np.random.default_rng(0)
    spine = [int(t) for t in rng.integers(2, 300, size=90)]  # longer than gemma3's sliding window (64)
    runner = TokenRunner(model, start_id=0, vocab_size=300, memo_size=64)
    windows = [_queries(spine[:end], rng, 20) for end in (30, 60, 90)] + [_queries(spine[:40], rng, 10)]
    for queries in windows:  # growing windows, then one that steps back: the cache crops and re-runs
        runner.prefill(queries, spine)
        calls = runner.calls
        for q in queries:
            logp_seq, probs_next = runner.query(q)
            assert abs(logp_seq - sequence_logprob(model, 0, q)) < 1e-9
            assert np.abs(np.log(probs_next) - next_token_logprobs(model, 0, q)[:300]).max() < 1e-9
        assert runner.calls == calls  # all answered from the memo


def test_prefill_runs_each_shared_prefix_once():
    model = tiny_model(300, seed=1).double()
    runner = TokenRunner(model, start_id=0, vocab_size=300, memo_size=64)
    spine = list(range(10, 30))
    queries = [spine[:8] + [5], spine[:8] + [5, 6], spine[:8] + [7], spine[:12], spine[:20]]
    runner.prefill(queries, spine)
    # the start token, 20 spine tokens and three branch nodes ([5], [5, 6] shares the [5] node, [7])
    assert runner.positions == 1 + 20 + 3


def test_batched_byte_logprobs_equal_one_prefix_at_a_time(model, tok):
    from anytok.bytelm import ByteLM

    text = "the cat sat on the  mat. 12345 café\n\ndef f(x):\n    return x"
    batched = ByteLM(model, tok).byte_logprobs(text)
    small = ByteLM(model, tok)
    small.runner._memo_size = 24  # many small windows: the spine cache grows across them
    windowed = small.byte_logprobs(text)
    lm = ByteLM(model, tok)
    data = text.encode()
    one_by_one = np.stack([lm.next_byte_logprobs(data[:k]) for k in range(len(data) + 1)])
    assert batched.shape == (len(data) + 1, 257)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-9, rtol=0)
    np.testing.assert_allclose(windowed, one_by_one, atol=1e-9, rtol=0)


def test_incremental_runner_crops_a_sliding_window_model():
    """Gemma 3 layers with a sliding window (64 here): the runner's cache still crops and reuses."""
    model = tiny_model(300, arch="gemma3", seed=2).double()
    runner = TokenRunner(model, start_id=0, vocab_size=300)
    rng = np.random.default_rng(3)
    spine = [int(t) for t in rng.integers(2, 300, size=100)]
    for q in (spine[:90], spine[:80] + [7, 8], spine[:95], spine[:70] + [9]):
        logp_seq, probs_next = runner.query(q)
        assert abs(logp_seq - sequence_logprob(model, 0, q)) < 1e-9
        assert np.abs(np.log(probs_next) - next_token_logprobs(model, 0, q)[:300]).max() < 1e-9
    assert runner.positions < 91 + 3 + 16 + 2  # crops and re-runs only the new tokens


def test_generation_lookahead_changes_nothing_but_the_model_calls(model, tok):
    from anytok.bytelm import ByteLM

    plain, ahead = ByteLM(model, tok, lookahead=False), ByteLM(model, tok)
    for prompt in (b"the ca", b"def f(x):\n    ret", b"1234"):
        want = b"".join(plain.generate(prompt, max_bytes=24, temperature=0))
        got = b"".join(ahead.generate(prompt, max_bytes=24, temperature=0))
        assert got == want
        text = prompt + got
        for k in range(len(prompt), len(text)):
            np.testing.assert_allclose(ahead.next_byte_logprobs(text[:k]), plain.next_byte_logprobs(text[:k]),
                                       atol=1e-9, rtol=0)
    assert ahead.runner.calls < plain.runner.calls
