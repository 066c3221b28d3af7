"""Tiny tokenizers and models for the byte-level LM tests (built in code, seeded)."""

from __future__ import annotations

import pytest

from tests.tiny import tiny_model, tiny_tokenizer
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.patterns import LLAMA3

TEXTS = [
    "the cat sat on the mat. the theme of them is there; then they went home.\n" * 8,
    "def f(x):\n    return x + 1\n\nclass A:\n    pass\n" * 8,
    "12345 678 90 2024-01-02 3.14159 1000000\n" * 6,
    "  two  spaces   three\t\ttabs\n\n\nlines  \n" * 6,
    "café naïve Über 😀 日本語 done\n" * 6,
]

PREFIXES = [b"", b"t", b"th", b"the c", b"the  ", b"x\n\n ", b"123", b"1234", b" 12",
            b"caf\xc3", b"\xf0\x9f", b"re", b"\n\n", b"\xff", b"A  b",
            # inside characters that the tokens split: 😀 is f0 9f | 98 80, 日本語 is
            # ' \xe6\x97' | '\xa5\xe6' | '\x9c\xac\xe8' | '\xaa\x9e', naïve starts 'na\xc3'
            b"\xf0", b"x \xf0\x9f\x98", b" \xe6\x97", b" \xe6\x97\xa5\xe6\x9c", b"na\xc3", b"\xff\xf0\x9f"]


@pytest.fixture(scope="session")
def tok() -> Tokenizer:
    """Byte-level BPE (GPT-2 pattern), BOS <s> = 0, EOS </s> = 1."""
    return tiny_tokenizer(TEXTS, vocab_size=360)


@pytest.fixture(scope="session")
def tok_llama3(tok) -> Tokenizer:
    """The same vocabulary and merges under the Llama 3 pattern (digit groups of three)."""
    return Tokenizer.from_bpe(token_bytes=tok.vocab, merges=tok.merges, pattern=LLAMA3,
                              special_tokens=tok.special_tokens, bos="<s>", name="tiny-llama3")


@pytest.fixture(scope="session")
def model(tok):
    """2 layers, hidden 32, float64 so that sums agree to 1e-12."""
    return tiny_model(tok.vocab_size, seed=0).double()
