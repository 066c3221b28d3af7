"""``ByteLM``: an exact byte-level LM from a token-level causal LM and its tokenizer.

    lm = anytok.ByteLM.load("smollm2-135m")
    lm.next_byte_logprobs(b"The capi")        # (257,): bytes 0..255, then end of text
    lm.score("The capital of France").bits_per_byte
    "".join(b.decode("latin-1") for b in lm.generate("The capi", max_bytes=20, temperature=0))

The probability that the model's text starts with bytes ``x`` is the sum over admissible covers of
``x`` (:mod:`anytok.bytelm.covers`; admissible: the tokenizer's own encoding, or its start when the
bytes end inside a UTF-8 character, :mod:`anytok.bytelm.canonical`); the next-byte distribution is
``P_c(x + b)`` for every byte and ``P(encode(x), end of text)``, normalised. The mass the model
puts on other token sequences is left out; :meth:`ByteLM.score` reports it as an upper bound.
See docs/bytelm.md.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any, Iterator

import numpy as np

from anytok.bytelm.base import ByteLMError, ByteModel, ByteScore, as_bytes, text_logprob
from anytok.bytelm.bound import search_bound
from anytok.bytelm.covers import CoverSearch, _logsumexp
from anytok.bytelm.lru import LRU
from anytok.bytelm.runner import TokenRunner
from anytok.tokenizer import Tokenizer

log = logging.getLogger(__name__)

_MEMO_BYTES = 400_000_000  # memory for memoised next-token distributions


class ByteLM(ByteModel):
    """Byte-level view of ``model`` (a transformers causal LM) reading ``tokenizer``'s tokens.

    ``start_id`` is the token put before every text (default: BOS when the tokenizer adds one,
    else end of text, else BOS). ``lookahead``: generation prefetches the likely next bytes'
    model calls (see :meth:`prepare_step`).
    """

    def __init__(self, model: Any, tokenizer: Tokenizer, *, start_id: int | None = None,
                 lookahead: bool = True) -> None:
        if tokenizer.kind not in ("byte_bpe", "sentencepiece_bpe"):
            raise ByteLMError(f"tokenizer {tokenizer.name!r} is {tokenizer.kind}; ByteLM needs a BPE tokenizer "
                              "(byte-level or SentencePiece-style with byte fallback)")
        if tokenizer.add_prefix_space:
            raise ByteLMError(f"tokenizer {tokenizer.name!r} adds a dummy prefix space, which ByteLM does not "
                              "model yet; load it with add_prefix_space off")
        rows = int(model.get_input_embeddings().weight.shape[0])
        if rows < tokenizer.vocab_size:
            raise ByteLMError(f"model has {rows} embedding rows but tokenizer {tokenizer.name!r} has "
                              f"{tokenizer.vocab_size} ids; give the model that reads this tokenizer")
        start = start_id if start_id is not None else _default_start(tokenizer)
        if start is None:
            raise ByteLMError(f"tokenizer {tokenizer.name!r} has neither BOS nor EOS; pass start_id=")
        self.model = model
        self.tokenizer = tokenizer
        memo = max(16, _MEMO_BYTES // (8 * tokenizer.vocab_size))
        self.runner = TokenRunner(model, start_id=start, vocab_size=tokenizer.vocab_size, memo_size=memo)
        self.covers = CoverSearch(tokenizer, self.runner)
        self.lookahead = lookahead
        self._memo: LRU[bytes, np.ndarray] = LRU(4096)

    @classmethod
    def load(cls, source: str | os.PathLike, **options: Any) -> "ByteLM":
        """A ByteLM from a registry name (``smollm2-135m``), a ``.gguf`` file or an HF folder."""
        from anytok.models.load import load_model

        loaded = load_model(source)
        return cls(loaded.model, loaded.tokenizer, **options)

    @property
    def token_positions(self) -> int:
        """Token positions run through the model so far."""
        return self.runner.positions

    def next_byte_logprobs(self, prefix: str | bytes) -> np.ndarray:
        """(257,) log-probabilities of each next byte (0..255) and of end of text (256)."""
        data = as_bytes(prefix)
        hit = self._memo.get(data)
        if hit is not None:
            return hit.copy()
        return self._memo.put(data, self._distribution(data)).copy()

    def _distribution(self, data: bytes) -> np.ndarray:
        """(257,) normalised next-byte log-probabilities after ``data`` (no memo)."""
        masses = self.covers.next_byte_masses(data)
        total = _logsumexp(masses)
        if not np.isfinite(total):
            raise ByteLMError(f"no canonical tokenization of the prefix {data[-40:]!r} has "
                              "probability > 0 under this model; the prefix cannot be scored")
        return masses - total

    def prepare_step(self, prefix: bytes) -> None:
        """Generation lookahead: when ``prefix`` needs the model, also prefill the queries of the
        bytes most likely to follow it (the rest of the most probable token that continues its last
        token), all in one forward pass. While the output follows that guess the next steps need
        no model call; the distributions are exact either way."""
        if not self.lookahead:
            return
        needed = self.covers.queries(prefix)
        if all(self.runner.peek(q) is not None for q in needed):
            return
        guess = self._likely_continuation(prefix)
        queries = dict.fromkeys(needed)
        self._add_queries(queries, (prefix + guess[:j] for j in range(1, len(guess) + 1)))
        self.runner.prefill(list(queries), self.covers.encode(prefix + guess))

    def _add_queries(self, queries: dict[tuple[int, ...], None], prefixes: Iterator[bytes]) -> int:
        """Add the queries of ``prefixes``, in order, while they fit half the runner's memo (the
        other half keeps answers still in use); how many prefixes were added."""
        budget = max(1, self.runner.memo_size // 2)
        added = 0
        for prefix in prefixes:
            more = self.covers.queries(prefix)
            if len(queries) + len(more) > budget:
                break
            queries.update(dict.fromkeys(more))
            added += 1
        return added

    def _likely_continuation(self, prefix: bytes, longest: int = 12) -> bytes:
        """The bytes after ``prefix`` of the most probable token that extends its last token,
        from a distribution already memoised (empty when none is at hand)."""
        enc = self.covers.encode(prefix)
        if not enc:
            return b""
        context = enc[:-1]
        hit = self.runner.peek(context)
        if hit is None:
            return b""
        rest = prefix[len(self.tokenizer.decode(context)):]
        ids = self.covers.trie.subtree(rest)
        if not len(ids):
            return b""
        best = int(ids[np.argmax(hit[1][ids])])
        return self.tokenizer.token_bytes(best)[len(rest):][:longest]

    def byte_logprobs(self, text: str | bytes) -> np.ndarray:
        """(n + 1, 257): the next-byte log-probabilities after every prefix ``text[:k]``, k = 0..n.

        The text is known, so the model calls of a window of prefixes are batched: the runner
        prefills all their token sequences in one tree-attention forward pass, then each prefix's
        distribution is assembled from memoised next-token distributions.
        """
        return self._scan(as_bytes(text))[0]

    def _scan(self, data: bytes, *, upper: bool = False) -> tuple[np.ndarray, list[float]]:
        """The rows of :meth:`byte_logprobs`, and with ``upper`` the non-canonical mass at each byte."""
        out = np.empty((len(data) + 1, 257))
        extra: list[float] = []
        for window in self._windows(data):
            for k in window:
                out[k] = self._distribution(data[:k])  # each prefix once: no use for the prefix memo
                if upper and k < len(data):
                    extra.append(self.covers.noncanonical_logmass(data, k))
        return out, extra

    def _windows(self, data: bytes) -> Iterator[range]:
        """Consecutive ranges of prefix lengths 0..n, each with its queries prefilled."""
        spine = self.tokenizer.encode(data)
        k = 0
        while k <= len(data):
            queries = dict.fromkeys(self.covers.queries(data[:k]))  # one prefix even if over budget
            taken = 1 + self._add_queries(queries, (data[:j] for j in range(k + 1, len(data) + 1)))
            self.runner.prefill(list(queries), spine)
            yield range(k, k + taken)
            k += taken

    def score(self, text: str | bytes, *, bound_queries: int = 256) -> ByteScore:
        """Log-likelihood of ``text`` (as a prefix) with canonical lower and certified upper bounds.

        The upper bound is the tighter of two certified ones: the canonical covers plus every
        first step off them (:meth:`CoverSearch.noncanonical_logmass`), and a best-first search
        over all tokenizations that spends up to ``bound_queries`` next-token distributions
        (:mod:`anytok.bytelm.bound`; 0 skips it) and may raise the lower bound past the canonical
        covers. ``ByteScore.gap_bits_per_byte`` is the width of the interval."""
        data = as_bytes(text)
        start = self.runner.positions
        logprobs, extra = self._scan(data, upper=True)
        canonical = self.covers.cover_logprob(data)
        upper, lower = float(_logsumexp(np.asarray([canonical, *extra]))), canonical
        if bound_queries > 0:
            found = search_bound(self.runner, self.covers.trie, data, self.covers.encode(data),
                                 max_queries=bound_queries)
            lower = max(canonical, found.found_logprob)
            upper = max(lower, min(upper, found.upper_logprob))
        return ByteScore(num_bytes=len(data), logprob=text_logprob(logprobs, data), canonical_logprob=canonical,
                         upper_logprob=upper, token_positions=self.runner.positions - start, lower_logprob=lower)


def _default_start(tok: Tokenizer) -> int | None:
    if tok.add_bos and tok.bos_id is not None:
        return tok.bos_id
    return tok.eos_id if tok.eos_id is not None else tok.bos_id


def bits(logprob: float, num_bytes: int) -> float:
    """Bits per byte of a natural-log likelihood."""
    return -logprob / (max(num_bytes, 1) * math.log(2))
