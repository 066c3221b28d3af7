"""Metric functions against hand computations and direct implementations of the published formulas."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from anytok.scoring import metrics


def test_renyi_efficiency_hand_computed():
    # p = (1/2, 1/4, 1/4) over |V| = 4:
    # sum p^2.5 = 2^-2.5 + 2 * 4^-2.5 = 0.1767767 + 0.0625 = 0.2392767
    # H_2.5 = ln(0.2392767) / (1 - 2.5) = -1.4301347 / -1.5 = 0.9534231 nats; / ln 4 (1.3862944) = 0.6877494
    assert metrics.renyi_efficiency([2, 1, 1], 4) == pytest.approx(0.6877494, abs=1e-6)


def _published_renyi_efficiency(tokens: list[int], vocab_size: int, alpha: float) -> float:
    """Zouhar et al. 2023: E_alpha = H_alpha / log|V|, H_alpha = 1/(1-alpha) log2 sum_w p(w)^alpha."""
    n = len(tokens)
    total = sum((tokens.count(w) / n) ** alpha for w in set(tokens))
    return (1 / (1 - alpha)) * math.log2(total) / math.log2(vocab_size)


@pytest.mark.parametrize("alpha", [pytest.param(2.5, id="alpha2.5"), pytest.param(3.0, id="alpha3"),
                                   pytest.param(0.5, id="alpha0.5")])
def test_renyi_efficiency_matches_published_formula(alpha):
    rng = random.Random(7)
    tokens = [min(int(rng.paretovariate(1.2)), 500) for _ in range(3000)]
    counts = np.bincount(tokens)
    got = metrics.renyi_efficiency(counts, 1000, alpha=alpha)
    assert got == pytest.approx(_published_renyi_efficiency(tokens, 1000, alpha), rel=1e-9)


def test_renyi_efficiency_bounds():
    assert metrics.renyi_efficiency([5] * 64, 64) == pytest.approx(1.0)  # uniform over all of V
    assert metrics.renyi_efficiency([9, 0, 0], 3) == pytest.approx(0.0)  # one token only
    assert metrics.renyi_efficiency([1] * 64, 128) == pytest.approx(math.log(64) / math.log(128))


def test_shannon_limit():
    p = np.array([0.5, 0.25, 0.25])
    assert metrics.renyi_entropy([2, 1, 1], alpha=1.0) == pytest.approx(-(p * np.log(p)).sum())
    assert metrics.renyi_entropy([2, 1, 1], alpha=1.0001) == pytest.approx(-(p * np.log(p)).sum(), rel=1e-3)


def test_gini_hand_computed():
    # |differences| over ordered pairs of (1, 2, 3, 4) sum to 20; G = 20 / (2 * 4^2 * 2.5) = 0.25
    assert metrics.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert metrics.gini([3, 3, 3]) == pytest.approx(0.0)
    assert metrics.gini([0, 0, 0, 1]) == pytest.approx(0.75)  # one holds everything: (n - 1) / n


def test_gini_matches_double_sum():
    rng = random.Random(3)
    x = [rng.uniform(0.5, 9) for _ in range(40)]
    naive = sum(abs(a - b) for a in x for b in x) / (2 * len(x) ** 2 * (sum(x) / len(x)))
    assert metrics.gini(x) == pytest.approx(naive)


def test_premiums_are_ratios_to_english():
    assert metrics.token_premiums({"en": 40, "de": 50, "ja": 90}) == {"en": 1.0, "de": 1.25, "ja": 2.25}


def test_tokens_per_word_hand_counted():
    text = "the cat  sat."
    ws, we = metrics.word_spans(text)
    # tokens: "the" | " cat" | " " | " s" | "at" | "."  (char offsets, the lone space touches no word)
    offsets = np.array([[0, 3], [3, 7], [7, 8], [8, 10], [10, 12], [12, 13]])
    counts = metrics.tokens_per_word(ws, we, offsets)
    assert counts.tolist() == [1, 1, 3]
    assert metrics.fertility(counts) == pytest.approx(5 / 3)
    assert metrics.continued_word_share(counts) == pytest.approx(1 / 3)


def test_superword_token_counts_for_both_words():
    ws, we = metrics.word_spans("of the end")
    counts = metrics.tokens_per_word(ws, we, np.array([[0, 6], [6, 10]]))
    assert counts.tolist() == [1, 1, 1]


def test_tokens_per_word_matches_brute_force():
    rng = random.Random(11)
    text = "".join(rng.choice("ab  \n") for _ in range(300))
    cuts = sorted(rng.sample(range(1, len(text)), 80))
    bounds = [0, *cuts, len(text)]
    offsets = np.array(list(zip(bounds, bounds[1:])))
    ws, we = metrics.word_spans(text)
    brute = [sum(1 for s, e in offsets if s < b and e > a) for a, b in zip(ws, we)]
    assert metrics.tokens_per_word(ws, we, offsets).tolist() == brute


def _brute_segmentations(data: bytes, pieces: set[bytes]) -> int:
    n, total = len(data), 0
    for mask in itertools.product([0, 1], repeat=n - 1):
        cuts = [0] + [i + 1 for i, m in enumerate(mask) if m] + [n]
        total += all(data[a:b] in pieces for a, b in zip(cuts, cuts[1:]))
    return total


def test_count_segmentations_hand_and_brute_force():
    pieces = {b"a", b"b", b"c", b"ab", b"bc", b"abc"}
    assert metrics.count_segmentations(b"abc", pieces, max_piece_len=3) == 4  # a|b|c ab|c a|bc abc
    rng = random.Random(5)
    pieces = {bytes(rng.choice(b"xyz") for _ in range(rng.randint(1, 3))) for _ in range(12)} | {b"x", b"y", b"z"}
    for _ in range(20):
        word = bytes(rng.choice(b"xyz") for _ in range(rng.randint(1, 9)))
        assert metrics.count_segmentations(word, pieces, max_piece_len=3) == _brute_segmentations(word, pieces)


@pytest.mark.parametrize("data, expected", [
    pytest.param(b" of the", True, id="inner-space"), pytest.param(b" the", False, id="leading-space"),
    pytest.param(b"end \n", False, id="trailing"), pytest.param(b"} else {", True, id="code")])
def test_is_superword(data, expected):
    assert metrics.is_superword(data) is expected


def test_length_histogram_last_bin_collects_long_tokens():
    assert metrics.length_histogram([1, 1, 2, 20, 16], max_len=16) == {**{n: 0 for n in range(1, 17)},
                                                                       1: 2, 2: 1, 16: 2}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="ab \n\t", max_size=60), data=st.data())
def test_tokens_per_word_any_text_and_cuts(text, data):
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=20))) if len(text) > 1 else []
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    offsets = np.array(list(zip(bounds, bounds[1:])), dtype=np.int64).reshape(-1, 2)
    ws, we = metrics.word_spans(text)
    brute = [sum(1 for s, e in offsets if s < b and e > a) for a, b in zip(ws, we)]
    assert metrics.tokens_per_word(ws, we, offsets).tolist() == brute


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 50), min_size=1, max_size=30), st.floats(0.5, 20))
def test_gini_is_scale_free_and_in_range(values, scale):
    g = metrics.gini(values)
    assert 0.0 <= g < 1.0
    assert metrics.gini([v * scale for v in values]) == pytest.approx(g, abs=1e-9)
