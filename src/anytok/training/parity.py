"""Parity-aware BPE (Foroutan et al., 2025): each merge serves the language that compresses worst.

The corpus is a parallel set: one file per language, line-aligned. The last ``dev_lines`` lines of
each file are that language's dev text, the rest its training text. At every step:

1. the language whose dev text currently needs the most tokens is chosen (the texts say the same
   thing, so raw token counts are comparable; ties go to the language listed first);
2. that language's most frequent pair in its training text is merged (ties: smallest
   ``(left id, right id)``, as in plain BPE), in every language's words.

If the chosen language has nothing left to merge, the next worst language is asked. Ids are laid
out as in plain BPE (specials, byte alphabet, merges in order). This is a readable Python loop;
it is fast enough for parallel corpora of a few MB per language.
"""

from __future__ import annotations

import heapq
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from anytok.errors import CorpusError
from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.onig import pretoken_regex
from anytok.training.bpe import tokenizer_from_run
from anytok.training.bpe_common import MergeRun, check_vocab_size, initial_vocab
from anytok.corpus import resolve_files
from anytok.training.options import TrainOptions


@dataclass
class _Word:
    symbols: list[int]
    train: dict[int, int] = field(default_factory=dict)  # language -> count in training text
    dev: dict[int, int] = field(default_factory=dict)  # language -> count in dev text


def read_parallel(files: Sequence[Path], dev_lines: int) -> list[tuple[str, str]]:
    """``(train text, dev text)`` of each language file; all files must have the same line count."""
    texts = []
    sizes = set()
    for path in files:
        try:
            lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError as e:
            raise CorpusError(f"corpus file {path} is not valid UTF-8 at byte offset {e.start}; convert it") from None
        sizes.add(len(lines))
        if len(lines) <= dev_lines:
            raise CorpusError(f"{path} has {len(lines)} lines, not more than dev_lines={dev_lines}; lower dev_lines")
        texts.append(("".join(lines[:-dev_lines]), "".join(lines[-dev_lines:])))
    if len(sizes) > 1:
        raise CorpusError(f"parallel files must be line-aligned but have line counts {sorted(sizes)}; "
                          "give one translation of the same lines per language")
    return texts


def _collect_words(texts, pattern: str, byte_to_id: Sequence[int]) -> list[_Word]:
    findall = pretoken_regex(pattern).findall
    words: dict[str, _Word] = {}
    for lang, (train, dev) in enumerate(texts):
        for kind, text in (("train", train), ("dev", dev)):
            for piece, n in Counter(findall(text)).items():
                word = words.get(piece)
                if word is None:
                    word = words[piece] = _Word([byte_to_id[b] for b in piece.encode("utf-8")])
                getattr(word, kind)[lang] = n
    return list(words.values())


class _ParityState:
    """Per-language pair counts with lazy heaps, a global pair -> words index, dev token totals."""

    def __init__(self, words: list[_Word], n_langs: int) -> None:
        self.words = words
        self.counts = [defaultdict(int) for _ in range(n_langs)]
        self.where: dict[tuple[int, int], set[int]] = defaultdict(set)
        self.dev_tokens = [0] * n_langs
        for w, word in enumerate(words):
            for lang, n in word.dev.items():
                self.dev_tokens[lang] += n * len(word.symbols)
            for pair in zip(word.symbols, word.symbols[1:]):
                self.where[pair].add(w)
                for lang, n in word.train.items():
                    self.counts[lang][pair] += n
        self.heaps = [[(-c, p) for p, c in counts.items()] for counts in self.counts]
        for heap in self.heaps:
            heapq.heapify(heap)

    def best_pair(self, lang: int) -> tuple[int, tuple[int, int]] | None:
        """(count, pair) of ``lang``'s most frequent live pair, or None."""
        heap, counts = self.heaps[lang], self.counts[lang]
        while heap:
            neg, pair = heap[0]
            if -neg == counts[pair] and -neg > 0:
                return -neg, pair
            heapq.heappop(heap)
            if counts[pair] > 0:
                heapq.heappush(heap, (-counts[pair], pair))
        return None

    def apply(self, pair: tuple[int, int], new_id: int) -> None:
        """Merge ``pair`` into ``new_id`` in every word that has it; update counts and dev totals."""
        for w in sorted(self.where.pop(pair, ())):
            word = self.words[w]
            old = word.symbols
            new = _merge(old, pair, new_id)
            if len(new) == len(old):
                continue
            delta = Counter(zip(new, new[1:]))
            delta.subtract(Counter(zip(old, old[1:])))
            word.symbols = new
            for lang, n in word.dev.items():
                self.dev_tokens[lang] -= n * (len(old) - len(new))
            for p, d in delta.items():
                if d > 0:
                    self.where[p].add(w)
                for lang, n in word.train.items():
                    self.counts[lang][p] += d * n
                    if d > 0:
                        heapq.heappush(self.heaps[lang], (-self.counts[lang][p], p))


def _merge(symbols: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn_parity(texts, opts: TrainOptions) -> MergeRun:
    """The parity-aware merge loop over ``(train, dev)`` texts of each language."""
    token_bytes, byte_to_id = initial_vocab(opts.special_tokens)
    check_vocab_size(opts.vocab_size, len(token_bytes), len(opts.special_tokens))
    state = _ParityState(_collect_words(texts, opts.counting_regex, byte_to_id), len(texts))
    id_of = {b: i for i, b in enumerate(token_bytes) if b is not None}
    log: list[tuple[int, int, int]] = []
    n_special = len(opts.special_tokens)
    while len(id_of) + n_special < opts.vocab_size:
        order = sorted(range(len(texts)), key=lambda lang: (-state.dev_tokens[lang], lang))
        found = next((b for lang in order if (b := state.best_pair(lang)) is not None), None)
        if found is None or found[0] < max(1, opts.min_frequency):
            break
        (a, b) = found[1]
        merged = token_bytes[a] + token_bytes[b]
        new_id = id_of.setdefault(merged, len(token_bytes))
        if new_id == len(token_bytes):
            token_bytes.append(merged)
        log.append((a, b, new_id))
        state.apply((a, b), new_id)
    return MergeRun(token_bytes=token_bytes, merge_log=log)


def train_parity(sources: Sequence[str | os.PathLike], opts: TrainOptions) -> Tokenizer:
    """Train parity-aware BPE on line-aligned language files."""
    files = resolve_files(sources)
    if len(files) < 2:
        raise CorpusError(f"parity-aware BPE needs a parallel corpus of 2+ language files, got {len(files)}")
    run = learn_parity(read_parallel(files, opts.dev_lines), opts)
    return tokenizer_from_run(run, opts, pattern=opts.regex, name="parity")
