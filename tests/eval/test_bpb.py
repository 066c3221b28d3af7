"""Bits per byte against a brute-force computation, one forward pass per predicted token."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anytok.eval.bpb import bits_per_byte, chunk_text, context_prefix
from tests.tiny import tiny_model, tiny_tokenizer

TEXTS = ["the cat sat on the mat.\n" * 20, "def f(x):\n    return x + 1\n" * 20]
TEXT = "the cat sat on a mat\nwhile the dog ran.\ndef g(y):\n    return y * 2\n" + "naïve café\n"


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer(TEXTS, vocab_size=290)


def brute_force_bits(model, ids: list[int], first: int) -> float:
    """-log2 p of ids[first:], each from its own unbatched forward pass, log-softmax in float64."""
    bits = 0.0
    with torch.no_grad():
        for t in range(first, len(ids)):
            logits = model(torch.tensor([ids[:t]])).logits[0, -1].double()
            bits -= float(logits.log_softmax(-1)[ids[t]]) / math.log(2)
    return bits


@pytest.mark.parametrize("arch,tied", [pytest.param("llama", True, id="llama-tied"),
                                       pytest.param("gemma3", False, id="gemma3-untied")])
def test_bpb_matches_brute_force(tok, arch, tied):
    model = tiny_model(tok.vocab_size, arch=arch, tied=tied)
    data = TEXT.encode()
    result = bits_per_byte(model, tok, data, chunk_bytes=64)
    expected = sum(brute_force_bits(model, [tok.bos_id, *tok.encode(c.decode())], 1)
                   for c in chunk_text(data, chunk_bytes=64))
    assert result.n_bytes == len(data)
    assert result.bits == pytest.approx(expected, rel=1e-5)
    assert result.bpb == pytest.approx(expected / len(data), rel=1e-5)


def test_tokenizer_without_specials_charges_first_token_uniformly():
    tok = tiny_tokenizer(TEXTS, vocab_size=280, specials=(), add_bos=False)
    assert context_prefix(tok) == []
    model = tiny_model(tok.vocab_size, bos_id=None, eos_id=None)
    data = TEXT.encode()
    chunks = chunk_text(data, chunk_bytes=64)
    result = bits_per_byte(model, tok, data, chunk_bytes=64)
    expected = sum(brute_force_bits(model, tok.encode(c.decode()), 1) for c in chunks)
    expected += len(chunks) * math.log2(tok.vocab_size)
    assert result.bits == pytest.approx(expected, rel=1e-5)


def test_bos_less_tokenizer_is_scored_after_its_eos(tok):
    from anytok.tokenizer import Tokenizer

    no_bos = Tokenizer.from_hf_json(tok.to_hf_json(), roles=tok.roles, add_bos=False)
    assert context_prefix(no_bos) == [tok.eos_id]


def test_chunks_end_on_lines():
    data = b"aa\nbbbb\ncc\n" + "é".encode() * 10 + b"\n"
    chunks = chunk_text(data, chunk_bytes=8)
    assert b"".join(chunks) == data
    assert chunks == [b"aa\nbbbb\n", b"cc\n", "é".encode() * 4, "é".encode() * 4, "éé\n".encode()]
    for c in chunks:
        c.decode("utf-8")


@settings(max_examples=60, deadline=None)
@given(st.text(), st.integers(min_value=4, max_value=40))
def test_chunks_round_trip(text, size):
    data = text.encode("utf-8", "replace")
    chunks = chunk_text(data, chunk_bytes=size)
    assert b"".join(chunks) == data
    assert all(0 < len(c) <= size for c in chunks)
    for c in chunks:
        c.decode("utf-8")
