"""Encoding bytes that are not all UTF-8, and decoding ids, against a readable reference.

The reference finds the valid UTF-8 runs one decoding error at a time (the obvious loop, which is
quadratic on text with many bad bytes); the tokenizer must give the same ids in one pass.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anytok
from anytok.errors import EncodingError


def reference_encode(tok, data: bytes) -> list[int]:
    """Each maximal valid UTF-8 run encoded as text; every other byte as its single-byte token."""
    ids: list[int] = []
    start = 0
    while start < len(data):
        try:
            return ids + tok.encode(data[start:].decode("utf-8"))
        except UnicodeDecodeError as e:
            bad = start + e.start
            ids += tok.encode(data[start:bad].decode("utf-8"))
            ids.append(tok.single_byte_id(data[bad]))
            start = bad + 1
    return ids


@pytest.fixture(scope="module")
def cl100k(shared):
    return anytok.load(shared / "tokenizers" / "cl100k.tiktoken")


PIECES = [b"a", b" the", b"\n", b"\xc3\xa9", b"\xe2\x82\xac", "\U0001F600".encode(), b"\xff", b"\xfe", b"\x80",
          b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xc0\xaf", b"  ", b"42"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40) | st.binary(max_size=200))
def test_bytes_encode_like_the_reference_and_round_trip(cl100k, parts):
    data = b"".join(parts) if isinstance(parts, list) else parts
    ids = cl100k.encode(data)
    assert ids == reference_encode(cl100k, data)
    assert cl100k.decode(ids) == data


def test_random_bytes_encode_like_the_reference(cl100k):
    data = random.Random(3).randbytes(20_000)
    assert cl100k.encode(data) == reference_encode(cl100k, data)


@pytest.mark.parametrize("bad", [-1, -100_000, "vocab_size", "vocab_size+7"])
def test_decoding_an_id_out_of_range_is_one_clear_error(cl100k, bad):
    i = {"vocab_size": cl100k.vocab_size, "vocab_size+7": cl100k.vocab_size + 7}.get(bad, bad)
    with pytest.raises(EncodingError, match=f"token id {i}: it is outside 0..{cl100k.vocab_size - 1}"):
        cl100k.decode([10, i, 11])


def test_decoding_an_unused_id_is_one_clear_error(cl100k):
    unused = next(i for i, b in enumerate(cl100k.vocab) if b is None)
    with pytest.raises(EncodingError, match=f"token id {unused}: it is unused"):
        cl100k.decode([unused])
