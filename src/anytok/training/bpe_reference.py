"""A short, readable BPE merge loop: the oracle that the compiled core (``_bpe_core.c``) is tested against.

It reproduces HF tokenizers' ``BpeTrainer`` step for step:

* **Choice of merge.** The pair with the highest count wins; among equal counts the pair with the
  smallest ``(left id, right id)`` wins (ids as assigned above: specials, bytes, merges in order).
* **Lazy heap.** Heap entries carry the count they were pushed with and the set of words they were
  seen in. A popped entry whose count differs from the live count is pushed back with the live
  count. Counts of pairs created by a merge are pushed as new entries with the words they were
  created in. The merged pair's own count is *not* cleared (HF does not); it only matters in the
  rare case below.
* **Same bytes, two merges.** If a merge spells bytes that already have an id, that id is reused
  (the vocabulary does not grow, the merge is still recorded). New pairs then involve an old id,
  so a pair can get a second heap entry and be merged twice; :meth:`MergeRun.final_merges` keeps
  its last rank, like HF's ``BPE`` model.
* **Stops** when the vocabulary (specials included) reaches ``vocab_size``, the heap is empty, or
  the best live count is below 1 or below ``min_frequency``.
* **max_token_length** (HF semantics, in bytes): pairs created by a merge are only counted when the
  two symbols together are *shorter than* ``max_token_length``; pairs present before the first merge
  are always counted.
* **max_words** (anytok's addition for SuperBPE stage 2): a pair is never counted if the merged
  token would hold more than ``max_words`` space-separated words.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from typing import Sequence

from anytok.training.bpe_common import NO_LIMIT, MergeRun, word_count_of


def train_merges_reference(
    words: Sequence[Sequence[int]],
    counts: Sequence[int],
    token_bytes: Sequence[bytes | None],
    *,
    vocab_size: int,
    min_frequency: int = 0,
    max_token_length: int | None = None,
    max_words: int | None = None,
) -> MergeRun:
    """Learn merges on ``words`` (symbol ids) weighted by ``counts``, growing ``token_bytes`` to ``vocab_size``."""
    vocab = list(token_bytes)
    id_of = {b: i for i, b in enumerate(vocab) if b is not None}
    max_len = NO_LIMIT if max_token_length is None else max_token_length
    words = [list(w) for w in words]

    def words_ok(a: int, b: int) -> bool:
        return max_words is None or word_count_of(vocab[a] + vocab[b]) <= max_words

    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for i, word in enumerate(words):
        for pair in zip(word, word[1:]):
            if words_ok(*pair):
                pair_counts[pair] += counts[i]
                where[pair].add(i)
    tiebreak = itertools.count()
    heap = [(-pair_counts[p], p, next(tiebreak), pos) for p, pos in where.items() if pair_counts[p] > 0]
    heapq.heapify(heap)

    n_special = vocab.count(None)
    log: list[tuple[int, int, int]] = []
    while len(id_of) + n_special < vocab_size and heap:
        neg, pair, _, pos = heapq.heappop(heap)
        if -neg != pair_counts[pair]:
            heapq.heappush(heap, (-pair_counts[pair], pair, next(tiebreak), pos))
            continue
        if -neg < 1 or min_frequency > -neg:
            break
        merged = vocab[pair[0]] + vocab[pair[1]]
        new_id = id_of.get(merged)
        if new_id is None:
            new_id = len(vocab)
            vocab.append(merged)
            id_of[merged] = new_id
        log.append((pair[0], pair[1], new_id))

        created: dict[tuple[int, int], set[int]] = defaultdict(set)
        for w in sorted(pos):
            for changed, delta in _merge_word(words[w], pair, new_id, vocab, max_len, words_ok):
                pair_counts[changed] += delta * counts[w]
                if delta > 0:
                    created[changed].add(w)
        for changed, pos_new in created.items():
            if pair_counts[changed] > 0:
                heapq.heappush(heap, (-pair_counts[changed], changed, next(tiebreak), pos_new))
    return MergeRun(token_bytes=vocab, merge_log=log)


def _merge_word(word, pair, new_id, vocab, max_len, words_ok) -> list[tuple[tuple[int, int], int]]:
    """Merge every ``pair`` in ``word`` (in place, left to right); return the pair-count changes."""
    a, b = pair
    new_len = len(vocab[a]) + len(vocab[b])
    changes = []
    i = 0
    while i < len(word):
        if word[i] == a and i + 1 < len(word) and word[i + 1] == b:
            if i > 0:
                left = word[i - 1]
                changes.append(((left, a), -1))
                if len(vocab[left]) + new_len < max_len and words_ok(left, new_id):
                    changes.append(((left, new_id), 1))
            word[i : i + 2] = [new_id]
            if i < len(word) - 1:
                right = word[i + 1]
                changes.append(((b, right), -1))
                if len(vocab[right]) + new_len < max_len and words_ok(new_id, right):
                    changes.append(((new_id, right), 1))
        i += 1
    return changes
