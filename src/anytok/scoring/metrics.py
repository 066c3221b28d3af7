"""Tokenizer metrics as pure functions of token counts, ids and offsets.

Each function states its formula and where it comes from. Nothing here encodes text; the scorecard
(:mod:`anytok.scoring.scorecard`) encodes once and feeds these functions the numbers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Collection, Iterable, Mapping, Sequence

import numpy as np

RENYI_ALPHA = 2.5
_WORD = re.compile(r"\S+")
_INNER_SPACE = re.compile(rb"\S\s+\S")


def bytes_per_token(n_bytes: int, n_tokens: int) -> float:
    """UTF-8 bytes per token, ``n_bytes / n_tokens`` (compression; higher = shorter sequences)."""
    return n_bytes / n_tokens if n_tokens else float("nan")


def chars_per_token(n_chars: int, n_tokens: int) -> float:
    """Unicode characters (code points) per token, ``n_chars / n_tokens``."""
    return n_chars / n_tokens if n_tokens else float("nan")


def normalized_sequence_length(n_tokens: int, n_reference_tokens: int) -> float:
    """NSL = tokens / reference tokens on the same text (Dagan et al. 2024, "Getting the most out
    of your tokenizer for pre-training and domain adaptation"); below 1 = shorter than the reference.
    """
    return n_tokens / n_reference_tokens if n_reference_tokens else float("nan")


def word_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end character offsets of the whitespace-separated words of ``text``: (W,), (W,)."""
    spans = [m.span() for m in _WORD.finditer(text)]
    arr = np.array(spans, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def tokens_per_word(word_starts: np.ndarray, word_ends: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Number of tokens overlapping each word: (W,) from word spans (W,), (W,) and token offsets (T, 2).

    A token counts for every word whose characters it covers (a token " the" counts for "the";
    a superword " of the" counts for both words; a pure-whitespace token for none). Tokens that
    cover parts of one character (byte pieces) each count.
    """
    n_words = len(word_starts)
    if n_words == 0:
        return np.zeros(0, dtype=np.int64)
    tok_start, tok_end = offsets[:, 0], offsets[:, 1]
    first = np.searchsorted(word_ends, tok_start, side="right")  # first word ending after the token starts
    last = np.searchsorted(word_starts, tok_end, side="left") - 1  # last word starting before it ends
    hit = (first <= last) & (tok_end > tok_start)
    diff = np.zeros(n_words + 1, dtype=np.int64)
    np.add.at(diff, first[hit], 1)
    np.add.at(diff, last[hit] + 1, -1)
    return np.cumsum(diff)[:n_words]


def fertility(word_token_counts: np.ndarray) -> float:
    """Mean tokens per whitespace-separated word (Rust et al. 2021, "How Good is Your Tokenizer?")."""
    return float(np.mean(word_token_counts)) if len(word_token_counts) else float("nan")


def continued_word_share(word_token_counts: np.ndarray) -> float:
    """Proportion of continued words: words split into >= 2 tokens (Rust et al. 2021)."""
    return float(np.mean(word_token_counts >= 2)) if len(word_token_counts) else float("nan")


def renyi_entropy(counts: Iterable[int], *, alpha: float = RENYI_ALPHA) -> float:
    """Rényi entropy in nats of the unigram distribution p given by ``counts``.

    H_alpha(p) = 1 / (1 - alpha) * log sum_w p(w)^alpha; alpha = 1 is the Shannon limit
    -sum_w p(w) log p(w).
    """
    c = np.asarray([x for x in counts if x > 0], dtype=np.float64)
    if c.size == 0:
        return float("nan")
    p = c / c.sum()
    if alpha == 1.0:
        return float(-(p * np.log(p)).sum())
    return float(np.log(np.sum(p ** alpha)) / (1.0 - alpha))


def renyi_efficiency(counts: Iterable[int], vocab_size: int, *, alpha: float = RENYI_ALPHA) -> float:
    """Rényi efficiency E_alpha = H_alpha(p) / log |V| (Zouhar et al. 2023, "Tokenization and the
    Noiseless Channel", ACL, Def. of efficiency), p the unigram distribution of tokens in the
    encoded text and |V| the full vocabulary size (not just the types seen); alpha = 2.5 as the
    paper recommends. In [0, 1]; 1 = every vocabulary entry used equally often.
    """
    if vocab_size < 2:
        return float("nan")
    return renyi_entropy(counts, alpha=alpha) / math.log(vocab_size)


def vocab_utilisation(n_distinct_used: int, vocab_size: int) -> float:
    """Share of the vocabulary the text uses: distinct token ids seen / |V|."""
    return n_distinct_used / vocab_size if vocab_size else float("nan")


def token_premiums(tokens_by_language: Mapping[str, int], *, pivot: str = "en") -> dict[str, float]:
    """Token premium of each language on a parallel corpus: tokens(L) / tokens(pivot)
    (Petrov et al. 2023, "Language Model Tokenizers Introduce Unfairness Between Languages").
    """
    base = tokens_by_language[pivot]
    return {lang: n / base for lang, n in tokens_by_language.items()}


def gini(values: Sequence[float]) -> float:
    """Gini coefficient G = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)); 0 = all equal.

    Used over the token premiums of all languages (pivot included) as one number for how unequal a
    tokenizer is across languages (as in Petrov et al. 2023's fairness discussion).
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n == 0 or x.sum() == 0:
        return float("nan")
    # sum_{i,j} |x_i - x_j| = 2 sum_i (2i - n + 1) x_(i) for sorted x, i = 0..n-1
    pair_sum = 2.0 * np.sum((2 * np.arange(n) - n + 1) * x)
    return max(0.0, float(pair_sum / (2.0 * n * n * x.mean())))  # equal values: rounding may give -1e-17


def is_superword(data: bytes) -> bool:
    """Whether a token's bytes hold whitespace between two non-whitespace bytes (" of the")."""
    return _INNER_SPACE.search(data) is not None


def superword_mask(vocab: Sequence[bytes | None], special_ids: Collection[int] = ()) -> np.ndarray:
    """(V,) bool: entry i is a superword (specials and unused ids are not)."""
    return np.array([b is not None and i not in special_ids and is_superword(b) for i, b in enumerate(vocab)])


def share_of_tokens(mask: np.ndarray, id_counts: np.ndarray) -> float:
    """Share of the tokens in a text (``id_counts``: (V,) occurrences) that ``mask`` marks."""
    total = id_counts.sum()
    return float(id_counts[mask].sum() / total) if total else float("nan")


def count_segmentations(data: bytes, pieces: Collection[bytes], *, max_piece_len: int) -> int:
    """Number of ways to write ``data`` as a sequence of vocabulary pieces (dynamic programming).

    ways[0] = 1; ways[j] = sum of ways[i] over i < j with data[i:j] in ``pieces``. Every way decodes
    to the same bytes, so ways > 1 means the encoding is not unique (only one is canonical).
    """
    ways = [1] + [0] * len(data)
    for j in range(1, len(data) + 1):
        ways[j] = sum(ways[i] for i in range(max(0, j - max_piece_len), j) if data[i:j] in pieces)
    return ways[len(data)]


def frequent_words(texts: Iterable[str], *, limit: int) -> list[str]:
    """The ``limit`` most frequent whitespace-separated words (ties in first-seen order)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_WORD.findall(text))
    return [w for w, _ in counts.most_common(limit)]


def length_histogram(lengths: Iterable[int], *, max_len: int = 16) -> dict[int, int]:
    """``{length: count}`` for 1..max_len; the last bin holds every length >= max_len."""
    hist = {n: 0 for n in range(1, max_len + 1)}
    for n in lengths:
        if n >= 1:
            hist[min(n, max_len)] += 1
    return hist
