"""New BPE merges learned on a domain corpus *after* a base tokenizer's own.

The corpus is read exactly as the base tokenizer reads it: split by its own pre-tokenizer and
encoded pretoken by pretoken by its own BPE model (HF ``tokenizers``), so the starting point is the
base's encoding. Merging then continues from those base tokens, most frequent adjacent pair first,
as BPE training would have; a pair whose bytes already form a base token is skipped (the base chose
not to reach that token that way, and a second path to it would change how old text encodes). Every
new merge ranks after every base merge, so text in which no new pair occurs encodes as before.

A base whose vocabulary keeps every digit alone (SmolLM2, Llama 2: numbers are read digit by digit)
gets no new token with a digit in it either: its model has never seen a number as one token, and
on SmolLM2 1,000 merges learned on code_python, most of them digit pairs (" 1", "10", "000"),
raised en_prose bits per byte by 7% (bench/extend.py, FVT rows).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from typing import Iterable

from anytok.errors import TrainingError
from anytok.tokenizer import Tokenizer


def base_words(base: Tokenizer, texts: Iterable[str]) -> Counter[tuple[int, ...]]:
    """Each distinct pretoken of ``texts`` as the base's token ids, with its count."""
    hf = base.backend
    pieces: Counter[str] = Counter()
    for text in texts:
        if hf.normalizer is not None:
            text = hf.normalizer.normalize_str(text)
        pieces.update(p for p, _ in hf.pre_tokenizer.pre_tokenize_str(text))
    words: Counter[tuple[int, ...]] = Counter()
    for piece, n in pieces.items():
        words[tuple(t.id for t in hf.model.tokenize(piece))] += n
    return words


def isolates_digits(base: Tokenizer) -> bool:
    """Whether every base token that holds an ASCII digit is that one digit alone."""
    return not any(len(b) > 1 and any(48 <= c <= 57 for c in b) for b in base.vocab if b)


def learn_merges(base: Tokenizer, texts: Iterable[str], count: int, *,
                 at_most: bool = False) -> list[tuple[int, int, bytes]]:
    """``count`` new merges ``(left id, right id, new token bytes)``; the k-th makes id
    ``base.vocab_size + k``. When the corpus has fewer pairs to give, raises :class:`TrainingError`,
    or with ``at_most`` returns all it has.
    """
    if base.kind != "byte_bpe":
        raise TrainingError(f"extend learns merges for byte-level BPE tokenizers; {base.name} is {base.kind}")
    if count < 1:
        raise TrainingError(f"--add {count}: ask for at least one new token")
    counted = base_words(base, texts)
    words = [list(w) for w in counted]
    freq = list(counted.values())
    data: list[bytes | None] = list(base.vocab)
    existing = {b for b in data if b is not None}
    no_digits = isolates_digits(base)
    pairs: Counter[tuple[int, int]] = Counter()
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for w, word in enumerate(words):
        for pair in zip(word, word[1:]):
            pairs[pair] += freq[w]
            where[pair].add(w)
    # max count first; ties: the smaller new token bytes, then ids (deterministic)
    heap = [(-n, data[a] + data[b], a, b) for (a, b), n in pairs.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int, bytes]] = []
    while heap and len(merges) < count:
        neg, joined, a, b = heapq.heappop(heap)
        n = pairs.get((a, b), 0)
        if n <= 0 or -neg != n:
            if n > 0:  # stale entry: push the current count back
                heapq.heappush(heap, (-n, joined, a, b))
            continue
        if joined in existing or (no_digits and any(48 <= c <= 57 for c in joined)):
            pairs[(a, b)] = 0  # a second path to a base token would re-encode old text; see isolates_digits
            continue
        new = len(data)
        data.append(joined)
        existing.add(joined)
        merges.append((a, b, joined))
        touched: set[tuple[int, int]] = set()
        for w in list(where.pop((a, b), ())):
            word, f = words[w], freq[w]
            for pair in zip(word, word[1:]):
                pairs[pair] -= f
                touched.add(pair)
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            words[w] = merged
            for pair in zip(merged, merged[1:]):
                pairs[pair] += f
                where[pair].add(w)
                touched.add(pair)
        pairs[(a, b)] = 0
        for pair in touched:
            if pairs[pair] > 0 and pair != (a, b):
                heapq.heappush(heap, (-pairs[pair], data[pair[0]] + data[pair[1]], pair[0], pair[1]))
    if len(merges) < count and not at_most:
        raise TrainingError(f"--add {count}: the corpus supplies only {len(merges)} new merges after the base "
                            f"tokenizer's; ask for at most {len(merges)} or give more text")
    return merges
