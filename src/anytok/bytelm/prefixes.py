"""Encodings of the prefixes of a text, in time that does not grow with the text.

A byte-level LM needs ``encode(x[:i])`` for every prefix of a text. Encoding each from scratch
costs O(i), so a scan of n bytes costs O(n^2). For the pretokenizer patterns anytok knows (GPT-2,
cl100k, o200k, Llama 3, Qwen) two places are *hard cuts*: a newline followed by a visible ASCII
character, and an ASCII letter followed by a space. At both,

- no pretoken of these patterns runs across the cut (a newline is only ever matched by whitespace
  alternatives, or as the trailing ``[\\r\\n]*`` of punctuation, and those stop before a
  non-space character; letter prefixes ``[^\\r\\n...]?`` and `` ?`` exclude the newline; a letter
  is only ever matched by a letter run or a contraction, which stop before a space);
- no match decision before the cut looks further than the character after it (the furthest
  look is the ``(?!\\S)`` at the end of a whitespace run), and none after it looks back (no
  pattern has a lookbehind).

So for ``b`` a hard cut and ``i > b``: ``encode(x[:i]) = stem(b) + encode(x[b:i])``, where the
stem ``encode(x[:b + 1])[:-1]`` (the character at ``b`` is a one-byte pretoken there) does not
depend on ``i``. In prose the space cuts keep each encode to about one word instead of one
paragraph. Tokenizers with another pattern, a normalizer, a dummy prefix space, or special
tokens whose text holds a cut are encoded from scratch.
"""

from __future__ import annotations


from anytok.bytelm.lru import LRU
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.patterns import NAMED_PATTERNS

_ASCII_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ENCODINGS_KEPT = 2048  # more than the prefixes of one scanning window
_STEMS_KEPT = 4096


def hard_cuts_hold(tok: Tokenizer) -> bool:
    """Whether the hard cuts (newline + visible ASCII, ASCII letter + space) cut ``tok``'s encodings."""
    return (tok.kind == "byte_bpe" and tok.pattern in NAMED_PATTERNS.values() and tok.backend.normalizer is None
            and not tok.add_prefix_space and not any(_crosses_a_cut(added.content)  # matched whole in text
                                                     for added in tok.backend.get_added_tokens_decoder().values()))


def _crosses_a_cut(content: str) -> bool:
    """Whether an added token's text holds a hard cut (the tokenizer would match it across one)."""
    data = content.encode("utf-8")
    return b"\n" in data or _last_space_cut(data, len(data)) > 0


def last_hard_cut(data: bytes, end: int | None = None) -> int:
    """The largest hard cut ``b < end`` (default ``len(data)``); 0 when there is none.

    ``b`` is a hard cut when ``data[b - 1]`` is a newline and ``data[b]`` a visible ASCII character,
    or when ``data[b - 1]`` is an ASCII letter and ``data[b]`` a space.
    """
    hi = len(data) if end is None else end
    return max(_last_newline_cut(data, hi), _last_space_cut(data, hi))


def _last_newline_cut(data: bytes, hi: int) -> int:
    hi -= 1  # the character after the newline must lie before the end
    while True:
        k = data.rfind(b"\n", 0, hi)
        if k < 0:
            return 0
        if 0x21 <= data[k + 1] <= 0x7E:
            return k + 1
        hi = k


def _last_space_cut(data: bytes, hi: int) -> int:
    while True:
        k = data.rfind(b" ", 1, hi)  # the space itself is the cut: it sits before hi
        if k < 0:
            return 0
        if data[k - 1] in _ASCII_LETTERS:
            return k
        hi = k


class PrefixEncoder:
    """``encode(x)``: ``tok.encode(x)``, memoised, and built from hard cuts when they hold."""

    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok
        self.cuts = hard_cuts_hold(tok)
        self._encodings: LRU[bytes, tuple[int, ...]] = LRU(_ENCODINGS_KEPT)
        self._stems: LRU[bytes, tuple[int, ...]] = LRU(_STEMS_KEPT)  # x[:b] -> stem(b)

    def encode(self, x: bytes) -> tuple[int, ...]:
        """Token ids of ``x`` (equal to ``tok.encode(x)``)."""
        hit = self._encodings.get(x)
        if hit is not None:
            return hit
        b = last_hard_cut(x) if self.cuts else 0
        return self._encodings.put(x, self._stem(x, b) + tuple(self.tok.encode(x[b:])))

    def _stem(self, x: bytes, b: int) -> tuple[int, ...]:
        """The tokens of ``x[:b]`` in every text that goes on past the hard cut ``b``."""
        if b == 0:
            return ()
        pending = [b]  # hard cuts whose stems are still to build, latest first
        while pending[-1] and x[:pending[-1]] not in self._stems:
            pending.append(last_hard_cut(x, pending[-1]))
        stem = self._stems.get(x[:pending[-1]], ()) if pending[-1] else ()
        for start, cut in zip(pending[::-1], pending[-2::-1]):  # earlier cut first
            stem = stem + tuple(self.tok.encode(x[start:cut + 1])[:-1])
            self._stems.put(x[:cut], stem)
        return stem
