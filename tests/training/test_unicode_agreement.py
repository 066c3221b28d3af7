"""Training gives HF BpeTrainer's merges on text full of the code points where the `regex` module
and HF tokenizers' regex engine disagree (issue 15: U+0558, U+0C5C, U+A7CE, ...), and on random
Unicode."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anytok
from anytok.tokenizer.onig import pretoken_regex
from anytok.tokenizer.patterns import NAMED_PATTERNS
from tests.training.hf_oracle import hf_train


def _merges(tok, tmp_path) -> list[list[str]]:
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    merges = json.loads(path.read_text(encoding="utf-8"))["model"]["merges"]
    return [m.split(" ") if isinstance(m, str) else list(m) for m in merges]


def _disagreeing_text(pattern: str, n: int = 4000, seed: int = 0) -> str:
    """Words, numbers and spaces with the disagreeing code points mixed in, one sentence per line."""
    points = np.nonzero(pretoken_regex(pattern).disagree)[0]
    rng = np.random.default_rng(seed)
    words = ["a", "the", "x1", "42", "don't", "  ", "\u00e9t\u00e9", "\u4e2d\u6587", ",", "'s", "A"]
    lines = []
    for _ in range(n // 10):
        parts = [chr(int(rng.choice(points))) if rng.random() < 0.4 else words[rng.integers(len(words))]
                 for _ in range(10)]
        lines.append("".join(p + (" " if rng.random() < 0.5 else "") for p in parts))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", ["gpt2", "cl100k", "o200k"])
def test_merges_equal_hf_on_disagreeing_code_points(name, tmp_path):
    pattern = NAMED_PATTERNS[name]
    text = _disagreeing_text(pattern)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(text, encoding="utf-8")
    tok = anytok.train([corpus], algorithm="bpe", vocab_size=600, pattern=name, processes=1)
    _, hf_merges = hf_train([text], pattern=pattern, vocab_size=600)
    assert _merges(tok, tmp_path) == hf_merges
    assert len(hf_merges) > 250


def test_parallel_counting_agrees_too(tmp_path):
    text = _disagreeing_text(NAMED_PATTERNS["cl100k"], seed=1)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(text, encoding="utf-8")
    tok = anytok.train([corpus], algorithm="bpe", vocab_size=500, pattern="cl100k", processes=2)
    _, hf_merges = hf_train([text], pattern=NAMED_PATTERNS["cl100k"], vocab_size=500)
    assert _merges(tok, tmp_path) == hf_merges


def test_merges_equal_hf_on_random_unicode(tmp_path_factory):
    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
                    min_size=1, max_size=30))
    def check(lines):
        text = "\n".join(lines)
        folder = tmp_path_factory.mktemp("random")
        corpus = folder / "corpus.txt"
        corpus.write_bytes(text.encode("utf-8"))
        tok = anytok.train([corpus], algorithm="bpe", vocab_size=300, pattern="cl100k", processes=1)
        _, hf_merges = hf_train([text], pattern=NAMED_PATTERNS["cl100k"], vocab_size=300)
        assert _merges(tok, folder) == hf_merges

    check()
