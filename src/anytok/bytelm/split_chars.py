"""Characters split across tokens: what a byte-level BPE emits for bytes that end inside a character.

A byte-level BPE merges bytes, not characters, so a token may end inside a UTF-8 character:
SmolLM2 spells 👩 (f0 9f 91 a9) as ``f0 9f | 91 | a9``. Bytes that stop after ``f0 9f`` are not
valid UTF-8, and ``encode`` gives them one byte token each, so ``encode(decode(S)) == S`` never
holds for the model's own first token ``f0 9f``. The byte-level LM therefore counts a token
sequence ``S`` (it is *admissible*) when

- ``S`` is the tokenizer's own encoding of its bytes, or
- ``decode(S)`` ends inside a character and ``S`` starts ``encode(decode(S) + c)`` for some bytes
  ``c`` that complete that character (:func:`anytok.bytelm.reference.is_admissible` says it plainly).

The second case is decided without trying every ``c`` (there are up to 262,144): the pretokenizer
sees only the completed character's class (letter, digit, space, other, ...), and BPE keeps the
last token ``t`` of ``S`` whole exactly when the pair (``t``, first token of BPE(``c``)) is
canonical (:mod:`anytok.bytelm.pairs`). So the completions of each incomplete character are
grouped by class, each group with the set of first tokens its completions start with
(:meth:`SplitChars.groups`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Callable, NamedTuple

import numpy as np
import regex
import tokenizers

from anytok.bytelm.pairs import PairTable
from anytok.bytelm.pieces import piece_starts
from anytok.bytelm.utf8 import code_point_range, completions, incomplete_start, is_continuation, valid_run_start
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.byte_unicode import bytes_to_unicode_str
from anytok.tokenizer.onig import MAX_CODE_POINT, PretokenRegex

# A pretokenizer pattern tests characters by general category (\p{L}, \p{Lu}, \p{N}, ...) and by
# \s; two characters that agree on both split alike.
_PROPERTIES = [regex.compile(rf"\p{{{cat}}}+") for cat in
               "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn".split()]
_SPACE = regex.compile(r"\s+")
_NONE = np.iinfo(np.int64).max


def raw_bytes_backend(tok: Tokenizer) -> tokenizers.Tokenizer:
    """The tokenizer's BPE on byte-unicode text, with no normalizer, pretokenizer or added tokens:
    BPE of any bytes as one pretoken, whole characters or not."""
    doc = tok.to_hf_json(deep=False)  # only top-level sections are replaced
    doc.update(normalizer=None, pre_tokenizer=None, post_processor=None, decoder=None, added_tokens=[])
    return tokenizers.Tokenizer.from_str(json.dumps(doc))


class CompletionClass(NamedTuple):
    """The completions of one incomplete character that make characters of one class."""

    rep: str  # one character of the class, standing for all of them in pretokenizer tests
    firsts: np.ndarray  # (F,) ids: the first tokens of BPE(c) over the completions c
    members: np.ndarray  # (M,) indices of the completions in ``completions(head)`` (code point - first)


@lru_cache(maxsize=256)
def _kind_keys(first: int, last: int) -> np.ndarray:
    """(last - first + 1,) int for code points first..last: equal for characters that a
    pretokenizer pattern cannot tell apart (same general category and same ``\\s`` in the
    ``regex`` module's Unicode tables, the ones the pattern is matched with). Characters of a
    category come in long runs, so each property is found run by run."""
    text = "".join(map(chr, range(first, last + 1)))
    keys = np.zeros(len(text), dtype=np.int64)
    for j, prop in enumerate(_PROPERTIES):
        for m in prop.finditer(text):
            keys[m.start():m.end()] += j << 1
    for m in _SPACE.finditer(text):
        keys[m.start():m.end()] |= 1
    return keys


class SplitChars:
    """Admissible encodings of bytes that end inside a character, for one byte-level BPE tokenizer.

    ``pairs``: the tokenizer's pair table; ``result_ids[k]``: the token merge ``k`` makes;
    ``pattern``: its pretokenizer regex (None: the whole text is one pretoken); ``raw_text``: BPE of
    one pretoken given as text.
    """

    def __init__(self, tok: Tokenizer, pairs: PairTable, *, result_ids: list[int],
                 pattern: PretokenRegex | None, raw_text: Callable[[str], list[int]]) -> None:
        self.tok = tok
        self.pairs = pairs
        self.pattern = pattern
        self.raw_text = raw_text
        self._result = result_ids
        self._raw = raw_bytes_backend(tok)
        self._single = np.asarray([tok.single_byte_id(b) for b in range(0x80, 0xC0)], dtype=np.int64)  # (64,)
        self._tables: dict[int, np.ndarray] = {}
        self._groups: dict[bytes, list[CompletionClass]] = {}
        self._piece_memo: dict[tuple[str, str], tuple[list[int], bytes]] = {}
        self._survive: dict[tuple[int, bytes], tuple[str, ...]] = {}

    def raw_ids(self, data: bytes) -> list[int]:
        """BPE of ``data`` as one pretoken."""
        return self._raw.encode(bytes_to_unicode_str(data), add_special_tokens=False).ids if data else []

    # -- completions of one incomplete character ------------------------------------------------
    def groups(self, head: bytes) -> list[CompletionClass]:
        """The completions of the incomplete character ``head``, grouped by the class of the
        character they make."""
        hit = self._groups.get(head)
        if hit is not None:
            return hit
        first, last = code_point_range(head)
        firsts = self._first_tokens(head, np.arange(first, last + 1))
        out = []
        _, first_of_key, inverse = np.unique(self._keys(first, last), return_index=True, return_inverse=True)
        for g, at in enumerate(first_of_key.tolist()):
            members = np.nonzero(inverse == g)[0]
            out.append(CompletionClass(chr(first + at), np.unique(firsts[members]), members))
        self._groups[head] = out
        return out

    def _keys(self, first: int, last: int) -> np.ndarray:
        """(last - first + 1,) :func:`_kind_keys`, told apart further where the pattern's engine
        (HF tokenizers) classes a character otherwise than ``regex`` does: by its stand-in."""
        keys = _kind_keys(first, last)
        if not isinstance(self.pattern, PretokenRegex):
            return keys
        disagree = self.pattern.disagree[first : last + 1]
        if not disagree.any():
            return keys
        stand_in = np.where(disagree, self.pattern.swap[first : last + 1].astype(np.int64) + 1, 0)
        return keys * (MAX_CODE_POINT + 2) + stand_in

    def survives(self, token: int, head: bytes) -> tuple[str, ...]:
        """The class representatives of :meth:`groups` for which some completion of ``head`` keeps
        ``token`` (the last token before the completion) whole."""
        key = (token, head)
        hit = self._survive.get(key)
        if hit is None:
            hit = self._survive[key] = tuple(g.rep for g in self.groups(head)
                                             if any(self.pairs.pair_ok(token, int(f)) for f in g.firsts))
        return hit

    def _first_tokens(self, head: bytes, code_points: np.ndarray) -> np.ndarray:
        """(n,) the first token of BPE(c) for the completion c of ``head`` to each code point:
        c is the code point's last UTF-8 bytes, six bits each under 0x80."""
        size = len(chr(int(code_points[0])).encode("utf-8"))
        n = size - len(head)
        idx = tuple((code_points >> (6 * (n - 1 - i))) & 0x3F for i in range(n))
        return self._table(n)[idx]

    def _table(self, n: int) -> np.ndarray:
        """(64,) * n: the first token of BPE over n continuation bytes (0x80 + index), from the merge
        ranks: with three bytes, the lower-ranked of the two pairs merges first (the left one on a
        tie), then the pair it leaves."""
        hit = self._tables.get(n)
        if hit is not None:
            return hit
        single = self._single
        rank = self.pairs._rank
        pair_rank = np.full((64, 64), _NONE, dtype=np.int64)
        pair_made = np.full((64, 64), -1, dtype=np.int64)
        for a in range(64):
            for b in range(64):
                m = rank.get((int(single[a]), int(single[b])))
                if m is not None:
                    pair_rank[a, b], pair_made[a, b] = m, self._result[m]
        if n == 1:
            out = single.copy()
        elif n == 2:
            out = np.where(pair_rank < _NONE, pair_made, single[:, None])
        else:
            out = np.broadcast_to(single[:, None, None], (64, 64, 64)).copy()
            left = pair_rank[:, :, None]
            right = pair_rank[None, :, :]
            for a, b in zip(*np.nonzero(pair_rank < _NONE)):
                made = int(pair_made[a, b])
                for c in range(64):  # symbols a b c: (a b) first, then maybe ((a b) c)
                    if left[a, b, 0] <= right[0, b, c]:
                        m = rank.get((made, int(single[c])))
                        out[a, b, c] = self._result[m] if m is not None else made
                for z in range(64):  # symbols z a b: (a b) first, then maybe (z (a b))
                    if right[0, a, b] < left[z, a, 0]:
                        m = rank.get((int(single[z]), made))
                        out[z, a, b] = self._result[m] if m is not None else single[z]
        self._tables[n] = out
        return out

    # -- tokens and texts that end inside a character -------------------------------------------
    def partial_tokens(self) -> list[tuple[int, str, bytes]]:
        """[(id, whole characters, incomplete character)] of the tokens that start a character and
        end inside one (``f0 9f``, `` \\xe2\\x80``), kept only when BPE keeps their bytes whole."""
        out = []
        for t, data in enumerate(self.tok.vocab):
            if not data or t in self.tok.special_ids or is_continuation(data[0]):
                continue
            q = incomplete_start(data)
            if q is None:
                continue
            try:
                whole = data[:q].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if self.raw_ids(data) == [t]:
                out.append((t, whole, data[q:]))
        return out

    def completed(self, data: bytes) -> list[tuple[int, ...]]:
        """The encodings S of ``data`` (which ends inside a character) that start
        ``encode(data + c)`` for some completion c: one candidate per class of the completed
        character, kept when some completion of that class keeps S's last token whole."""
        q = incomplete_start(data)
        assert q is not None, "completed() needs bytes that end inside a character"
        head = data[q:]
        r = valid_run_start(data[:q])
        before = list(self.tok.encode(data[:r]))
        text = data[r:q].decode("utf-8")
        out: dict[tuple[int, ...], None] = {}
        for group in self.groups(head):
            pieces, last = self._pieces(text, group.rep)
            ids = tuple(before + pieces + self.raw_ids(last + head))
            if self._kept(ids, data, head, group):
                out[ids] = None
        return list(out)

    def _pieces(self, text: str, rep: str) -> tuple[list[int], bytes]:
        """(BPE of the pretokens of ``text + rep`` before the last, bytes of ``text`` in the last)."""
        key = (text, rep)
        hit = self._piece_memo.get(key)
        if hit is None:
            starts = _starts(self.pattern, text + rep)
            ids = [i for a, b in zip(starts, starts[1:]) for i in self.raw_text(text[a:b])]
            hit = self._piece_memo[key] = (ids, text[starts[-1]:].encode("utf-8"))
            if len(self._piece_memo) > 4096:
                self._piece_memo.pop(next(iter(self._piece_memo)))
        return list(hit[0]), hit[1]

    def _kept(self, ids: tuple[int, ...], data: bytes, head: bytes, group: CompletionClass) -> bool:
        """Whether some completion in ``group`` keeps ``ids`` as the start of the encoding. With
        ``ignore_merges`` a pretoken that is a token is emitted whole whatever the pairs say, so
        the completions are encoded one by one (until one keeps it)."""
        if not self.tok.ignore_merges:
            return group.rep in self.survives(ids[-1], head)
        rest = completions(head)
        return any(tuple(self.tok.encode(data + rest[k])[:len(ids)]) == ids for k in group.members.tolist())


def _starts(pattern: PretokenRegex | None, text: str) -> list[int]:
    return [0] if pattern is None else piece_starts(pattern, text)
