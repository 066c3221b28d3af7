"""SmolLM2 (byte-level BPE) and Gemma 3 (SentencePiece BPE with byte fallback) as byte-level LMs."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from anytok.bytelm import ByteLM
from anytok.bytelm.canonical import is_canonical_extension

pytestmark = pytest.mark.slow

PREFIXES = [b"The capi", b"In 2024, 12345", b"def f(x):\n    ret", b"a  b   ", "caf\u00e9 \U0001F600".encode()[:-2]]


@pytest.fixture(scope="module", params=["smollm2-135m", "gemma3-270m"])
def lm(request):
    return ByteLM.load(request.param)


def test_distributions_sum_to_one_and_obey_the_chain_rule(lm):
    for prefix in PREFIXES:
        lp = lm.next_byte_logprobs(prefix)
        assert not np.isnan(lp).any()
        assert abs(np.exp(lp).sum() - 1) < 1e-5
    x, b = b"The capital of Fr", ord("a")
    left = lm.score(x).logprob + float(lm.next_byte_logprobs(x)[b])
    assert math.isclose(left, lm.score(x + bytes([b])).logprob, rel_tol=1e-6)


def test_canonical_masks_agree_with_encode(lm):
    tok, filt = lm.tokenizer, lm.covers.filter
    rng = random.Random(0)
    usable = [i for i, d in enumerate(tok.vocab) if d and i not in tok.special_ids]
    for context in PREFIXES + [b"x = 1000000", b"\n\n  ", b"it'", b"The capi"]:
        enc = tok.encode(context)
        mask = filt.mask(context, enc)
        # random tokens, and tokens that start like the rest of a word (the ones BPE may merge into)
        near = [int(t) for t in lm.covers.trie.subtree(b"ar")[:150]]
        for t in rng.sample(usable, 300) + near:
            assert mask[t] == is_canonical_extension(tok, context, t), (context, t, tok.token_bytes(t))
    capi_arag = tok.ordinary_index.get(b"arag")
    if b" capi" in tok.ordinary_index and capi_arag is not None:  # Gemma 3: ' capi' 'arag' -> ' cap' 'iar' 'ag'
        assert not filt.mask(b"The capi", tok.encode(b"The capi"))[capi_arag]


def test_byte_level_completion_of_a_cut_word(lm):
    out = b"".join(lm.generate(b"The capital of France is Par", max_bytes=3, temperature=0))
    assert out.startswith(b"is")
