"""Ensembles of byte-level LMs: proper distributions; mixture of one is the member itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from anytok.bytelm import ByteLM, ByteLMError
from anytok.bytelm.ensemble import Ensemble
from tests.tiny import tiny_model


@pytest.fixture(scope="module")
def pair(model, tok, tok_llama3):
    other = tiny_model(tok.vocab_size, seed=1).double()
    return ByteLM(model, tok), ByteLM(other, tok_llama3, start_id=0)


@pytest.mark.parametrize("mode", ["mixture", "product"])
def test_ensemble_distributions_sum_to_one(pair, mode):
    ens = Ensemble(list(pair), weights=[0.3, 0.7], mode=mode)
    for prefix in [b"", b"the c", b"12 3", b"caf\xc3"]:
        lp = ens.next_byte_logprobs(prefix)
        assert lp.shape == (257,) and not np.isnan(lp).any()
        assert abs(np.exp(lp).sum() - 1) < 1e-9


def test_mixture_score_is_the_weighted_sum_of_member_probabilities(pair):
    text = b"the cat"
    ens = Ensemble(list(pair), weights=[0.3, 0.7], mode="mixture")
    s1, s2 = (m.score(text).logprob for m in pair)
    want = math.log(0.3 * math.exp(s1) + 0.7 * math.exp(s2))
    assert math.isclose(ens.score(text).logprob, want, rel_tol=1e-9)


def test_product_of_one_member_is_that_member(pair):
    ens = Ensemble([pair[0]], mode="product")
    assert np.allclose(ens.next_byte_logprobs(b"the "), pair[0].next_byte_logprobs(b"the "))


@pytest.mark.parametrize("kwargs", [dict(weights=[1.0]), dict(weights=[-1, 2]), dict(mode="average")])
def test_bad_ensemble_config_is_a_clear_error(pair, kwargs):
    with pytest.raises(ByteLMError):
        Ensemble(list(pair), **kwargs)
