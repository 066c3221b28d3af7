"""Parallel pretoken counting equals a plain Counter; custom patterns keep the gaps as HF does."""

from __future__ import annotations

from collections import Counter

import regex
from tokenizers import Regex, pre_tokenizers

from anytok.tokenizer.patterns import CL100K
from anytok.counting.pretokens import count_pretokens, isolating_pattern


def test_parallel_equals_serial_equals_counter():
    chunks = [f"Hello world {i}, it's 2025!\n  indented\tcode()\n" * 50 for i in range(20)]
    expected = Counter(p.encode() for c in chunks for p in regex.findall(CL100K, c))
    assert count_pretokens(chunks, pattern=CL100K, processes=1) == expected
    assert count_pretokens(iter(chunks), pattern=CL100K, processes=2) == expected


def test_isolating_pattern_matches_hf_split_isolated():
    pattern = r"\d+|[A-Z][a-z]*"
    text = "abcDef 12 xyZ!9"
    split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    hf_pieces = [p for p, _ in split.pre_tokenize_str(text)]
    assert regex.findall(isolating_pattern(pattern), text) == hf_pieces
