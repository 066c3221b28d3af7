"""ByteLM next-byte distributions equal brute-force sums over canonical tokenizations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from anytok.bytelm import ByteLM
from anytok.bytelm.reference import brute_next_byte_probs, brute_prefix_prob, sequence_logprob
from tests.bytelm.conftest import PREFIXES


@pytest.fixture(scope="module")
def lm(model, tok):
    return ByteLM(model, tok)


@pytest.fixture(scope="module")
def lm_llama3(model, tok_llama3):
    return ByteLM(model, tok_llama3, start_id=0)


@pytest.mark.parametrize("prefix", [pytest.param(p, id=repr(p)) for p in PREFIXES])
def test_next_byte_matches_brute_force(lm, model, tok, prefix):
    fast = np.exp(lm.next_byte_logprobs(prefix))
    ref = brute_next_byte_probs(model, tok, lm.runner.start_id, prefix)
    assert np.allclose(fast, ref, atol=1e-9, rtol=1e-6)
    assert abs(fast.sum() - 1) < 1e-9


@pytest.mark.parametrize("prefix", [b"12", b"1234", b"x  ", b"the 2024-0", b"\n\n "])
def test_next_byte_matches_brute_force_digit_groups(lm_llama3, model, tok_llama3, prefix):
    fast = np.exp(lm_llama3.next_byte_logprobs(prefix))
    ref = brute_next_byte_probs(model, tok_llama3, 0, prefix)
    assert np.allclose(fast, ref, atol=1e-9, rtol=1e-6)


@pytest.mark.parametrize("text", [b"the c", b"12 3", b"x  y", b"a \n\n  b", b"caf\xc3\xa9",
                                  "😀 日本".encode(), "naïve 日".encode()[:-1], b"\xf0\x9f\x98\xff"])
def test_all_tokenizations_lie_between_the_bounds(lm, model, tok, text):
    score = lm.score(text)
    canonical = brute_prefix_prob(model, tok, lm.runner.start_id, text, canonical=True)
    every = brute_prefix_prob(model, tok, lm.runner.start_id, text, canonical=False)
    path = math.exp(sequence_logprob(model, lm.runner.start_id, tok.encode(text)))
    assert math.isclose(math.exp(score.canonical_logprob), canonical, rel_tol=1e-9, abs_tol=1e-300)
    assert path <= canonical * (1 + 1e-9) and canonical <= every * (1 + 1e-9)
    assert every <= math.exp(score.upper_logprob) * (1 + 1e-9)
    assert math.log(path) <= score.logprob + 1e-9


def test_chain_rule_of_scores(lm):
    text = b"the cat sat"
    total = sum(float(lm.next_byte_logprobs(text[:k])[text[k]]) for k in range(len(text)))
    assert math.isclose(lm.score(text).logprob, total, rel_tol=1e-12)


def test_runner_reuses_the_cache_and_matches_full_forwards(model):
    from anytok.bytelm.reference import next_token_logprobs, sequence_logprob
    from anytok.bytelm.runner import TokenRunner

    runner = TokenRunner(model, start_id=0, vocab_size=360)
    for query in ([5, 6, 7], [5, 6, 8], [5, 6, 8, 9], [5, 6, 7], [5, 6, 7, 10], [5], []):
        logp_seq, probs_next = runner.query(query)
        assert abs(logp_seq - sequence_logprob(model, 0, query)) < 1e-10
        assert np.abs(np.log(probs_next) - next_token_logprobs(model, 0, query)[:360]).max() < 1e-10
    assert runner.positions <= 4 + 1 + 1 + 2  # one branch point re-runs at most the new tokens


@pytest.mark.parametrize("text", [b"the c", b"x  y", b"a \n\n  b", b"caf\xc3\xa9", "😀 日本".encode(), b"12 3"])
def test_bound_search_sums_every_tokenization_when_it_runs_out_of_nodes(lm, model, tok, text):
    """With budget to spare the search expands the whole cover tree: found = upper = the sum over
    every token sequence that covers the text (the first-step bound alone is far looser)."""
    from anytok.bytelm.bound import search_bound

    every = brute_prefix_prob(model, tok, lm.runner.start_id, text, canonical=False)
    found = search_bound(lm.runner, lm.covers.trie, text, tok.encode(text), max_queries=100_000, rel_tol=1e-300)
    assert found.exhausted
    assert math.isclose(math.exp(found.found_logprob), every, rel_tol=1e-9)
    assert math.isclose(math.exp(found.upper_logprob), every, rel_tol=1e-9)
    score = lm.score(text, bound_queries=100_000)
    assert every <= math.exp(score.upper_logprob) * (1 + 1e-9)
    assert score.upper_logprob - math.log(every) < 1e-3  # tight: within rel_tol of the true sum


@pytest.mark.parametrize("budget", [1, 2, 5, 9])  # the whole tree takes 13
def test_bound_search_is_certified_for_any_budget(lm, model, tok, budget):
    """Stopped early, the search still brackets the true sum: found <= every <= upper."""
    from anytok.bytelm.bound import search_bound

    text = b"a \n\n  b"
    every = brute_prefix_prob(model, tok, lm.runner.start_id, text, canonical=False)
    found = search_bound(lm.runner, lm.covers.trie, text, tok.encode(text), max_queries=budget, batch=3)
    assert found.queries == budget and not found.exhausted
    assert math.exp(found.found_logprob) <= every * (1 + 1e-9) <= math.exp(found.upper_logprob) * (1 + 2e-9)
    gap = lm.score(text, bound_queries=budget).gap_bits_per_byte
    assert gap is not None and gap >= 0
