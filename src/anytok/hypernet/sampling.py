"""Tokenizers to train the hypernetwork on: sampled per batch, or real ones.

ZeTT's recipe, on one machine: count every substring (up to ``max_len`` bytes) of the batch's
pretokens, perturb the log counts with Gumbel noise, keep the top ones (all single bytes are always
kept), and encode each pretoken by Viterbi under those unigram log-probabilities. Each step then
sees a different vocabulary, of a different size, with the batch's own words as tokens, which is
what transplanting onto a domain or language tokenizer asks of the hypernetwork.

A batch is returned as a small *batch vocabulary* (the tokens used, plus negatives for the softmax)
and ids into it; tokens whose bytes are a base token keep the base row, as transplant copies them.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from typing import Sequence

from anytok.errors import HyperNetError
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.onig import pretoken_regex
from anytok.tokenizer.patterns import GPT2


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
    """How sampled tokenizers look: substring length, share of substrings kept, noise."""

    max_len: int = 16
    keep_min: float = 0.05  # fraction of the batch's distinct multi-byte substrings kept, drawn
    keep_max: float = 0.5   # uniformly in [keep_min, keep_max] per step
    noise: float = 1.0      # scale of the Gumbel noise on log counts

    def __post_init__(self) -> None:
        if self.max_len < 2 or not 0 < self.keep_min <= self.keep_max <= 1 or self.noise < 0:
            raise HyperNetError(f"bad sampler config {self}")


@dataclasses.dataclass
class EncodedBatch:
    """Texts encoded with one tokenizer, as ids into a batch vocabulary.

    tokens: bytes of each batch-vocabulary entry (None for a special taken from the base);
    base_ids: the base id with the same bytes (its row is copied), else None;
    sequences: one id list (into ``tokens``) per text, the context token first.
    """

    tokens: list[bytes | None]
    base_ids: list[int | None]
    sequences: list[list[int]]

    @property
    def predicted(self) -> list[int]:
        """Entries whose rows the hypernetwork predicts (no base twin)."""
        return [j for j, b in enumerate(self.base_ids) if b is None]


def pretokens(text: str, pattern: str | None) -> list[bytes]:
    """``text`` split by ``pattern`` (default GPT-2's), as UTF-8 byte strings."""
    return [p.encode("utf-8") for p in pretoken_regex(pattern or GPT2).findall(text)]


def sample_unigram(words: Counter[bytes], rng: random.Random, config: SamplerConfig) -> dict[bytes, float]:
    """A random unigram vocabulary for ``words`` (pretoken -> count): token bytes -> log-prob."""
    counts: Counter[bytes] = Counter()
    for word, n in words.items():
        for i in range(len(word)):
            for j in range(i + 1, min(len(word), i + config.max_len) + 1):
                counts[word[i:j]] += n
    singles = {s for s in counts if len(s) == 1}
    multi = [s for s in counts if len(s) > 1]
    keep = round(rng.uniform(config.keep_min, config.keep_max) * len(multi))
    noisy = sorted(multi, key=lambda s: -(math.log(counts[s]) - config.noise * math.log(-math.log(rng.random() or 1e-12))))
    kept = singles | set(noisy[:keep])
    total = sum(counts[s] for s in kept)
    return {s: math.log(counts[s] / total) for s in kept}


def viterbi(word: bytes, logp: dict[bytes, float], max_len: int) -> list[bytes]:
    """The most probable split of ``word`` into tokens of ``logp`` (every single byte is in it)."""
    best = [0.0] + [-math.inf] * len(word)
    back = [0] * (len(word) + 1)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - max_len), end):
            lp = logp.get(word[start:end])
            if lp is not None and best[start] + lp > best[end]:
                best[end], back[end] = best[start] + lp, start
    out, end = [], len(word)
    while end:
        out.append(word[back[end]:end])
        end = back[end]
    return out[::-1]


class BatchEncoder:
    """Encodes training texts with a sampled or a real tokenizer into an :class:`EncodedBatch`."""

    def __init__(self, base: Tokenizer, context: Sequence[int], *, negatives: int = 512,
                 config: SamplerConfig = SamplerConfig()) -> None:
        self.base = base
        self.context = list(context)  # base ids put before every text (the bpb context token)
        self.negatives = negatives
        self.config = config
        self._index = base.ordinary_index  # bytes -> base id
        self._ordinary = sorted(self._index.values())

    def sampled(self, texts: Sequence[str], rng: random.Random) -> EncodedBatch:
        """The texts encoded with a unigram tokenizer sampled from their own substrings."""
        split = [pretokens(t, self.base.pattern) for t in texts]
        logp = sample_unigram(Counter(w for ws in split for w in ws), rng, self.config)
        cache: dict[bytes, list[bytes]] = {}
        pieces = [[tok for w in ws for tok in cache.setdefault(w, viterbi(w, logp, self.config.max_len))]
                  for ws in split]
        spare = [s for s in logp if len(s) > 1]
        return self._assemble(pieces, rng, spare)

    def real(self, tokenizer: Tokenizer, texts: Sequence[str], rng: random.Random) -> EncodedBatch:
        """The texts encoded with ``tokenizer`` (specials and unspellable ids dropped)."""
        pieces = [[tokenizer.token_bytes(i) for i in ids if i not in tokenizer.special_ids]
                  for ids in tokenizer.encode_batch(list(texts))]
        spare = [b for b in rng.sample(tokenizer.vocab, min(4 * self.negatives, tokenizer.vocab_size)) if b]
        return self._assemble(pieces, rng, spare)

    def _assemble(self, pieces: list[list[bytes]], rng: random.Random, spare: list[bytes]) -> EncodedBatch:
        """Batch vocabulary = context specials, the tokens used, and ``negatives`` more: half from
        ``spare`` (other tokens of the same tokenizer), half base tokens."""
        tokens: list[bytes | None] = [None] * len(self.context)
        base_ids: list[int | None] = list(self.context)
        where: dict[bytes, int] = {}

        def entry(data: bytes) -> int:
            j = where.get(data)
            if j is None:
                j = where[data] = len(tokens)
                tokens.append(data)
                base_ids.append(self._index.get(data))
            return j

        sequences = [list(range(len(self.context))) + [entry(p) for p in ps] for ps in pieces]
        half = self.negatives // 2
        for data in rng.sample(spare, min(half, len(spare))):
            entry(data)
        for i in rng.sample(self._ordinary, min(self.negatives - half, len(self._ordinary))):
            entry(self.base.token_bytes(i))
        return EncodedBatch(tokens=tokens, base_ids=base_ids, sequences=sequences)
