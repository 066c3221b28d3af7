"""Align a new vocabulary with a base vocabulary by bytes; specials by role.

A new token is *shared* when the base has a token with exactly the same bytes (specials match
specials: first by role, then by text). Shared tokens copy their base rows exactly; every other
new token is *missing* and gets its rows from an init method. ``pieces`` splits a missing token's
bytes into base tokens (the base tokenizer's own encoding), the input of FVT and hybrid.
"""

from __future__ import annotations

import dataclasses
import random
from functools import cached_property
from typing import Sequence

from anytok.errors import EncodingError
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.roles import ROLES


@dataclasses.dataclass(frozen=True)
class Alignment:
    """Which new ids copy which base rows, and which need an init method.

    ``shared``: new id -> base id. ``missing``: new ids with bytes but no base twin (ascending).
    ``unused``: new ids with no bytes at all (gaps in the vocabulary). ``excluded``: base ids that
    init methods must not use (the hidden anchors of a leave-anchors-out experiment).
    """

    base: Tokenizer
    new: Tokenizer
    shared: dict[int, int]
    missing: list[int]
    unused: list[int]
    excluded: frozenset[int] = frozenset()

    @cached_property
    def anchors(self) -> list[tuple[int, int]]:
        """(new id, base id) of shared non-special tokens: the anchors OMP may combine."""
        return [(n, b) for n, b in sorted(self.shared.items())
                if n not in self.new.special_ids and b not in self.base.special_ids]

    def hide(self, fraction: float, *, seed: int = 0) -> "Alignment":
        """A copy with ``fraction`` of the anchors moved to missing and their base ids excluded."""
        rng = random.Random(seed)
        anchors = self.anchors
        hidden = rng.sample(anchors, max(1, round(fraction * len(anchors))))
        shared = dict(self.shared)
        for n, _ in hidden:
            del shared[n]
        return dataclasses.replace(self, shared=shared, missing=sorted(self.missing + [n for n, _ in hidden]),
                                   excluded=self.excluded | {b for _, b in hidden})


def _base_index(base: Tokenizer) -> tuple[dict[bytes, int], dict[bytes, int]]:
    """bytes -> base id, for ordinary tokens (byte-fallback pieces only where nothing else has the
    bytes) and for special tokens."""
    ordinary = dict(base.ordinary_index)
    specials: dict[bytes, int] = {}
    for i in sorted(base.special_ids):
        specials.setdefault(base.token_bytes(i), i)
    for i in sorted(base.byte_fallback_ids):
        ordinary.setdefault(base.token_bytes(i), i)
    return ordinary, specials


def align(base: Tokenizer, new: Tokenizer) -> Alignment:
    """Map every new token to the base token with the same bytes (specials: by role, then text)."""
    ordinary, specials = _base_index(base)
    shared: dict[int, int] = {}
    for role in ROLES:
        n, b = new.role_id(role), base.role_id(role)
        if n is not None and b is not None:
            shared.setdefault(n, b)
    missing, unused = [], []
    for i, data in enumerate(new.vocab):
        if i in shared:
            continue
        if data is None:
            unused.append(i)
            continue
        twin = specials.get(data) if i in new.special_ids else ordinary.get(data)
        if twin is None:
            missing.append(i)
        else:
            shared[i] = twin
    return Alignment(base=base, new=new, shared=shared, missing=missing, unused=unused)


@dataclasses.dataclass
class Pieces:
    """Splits bytes into base token ids, avoiding excluded and special ids."""

    base: Tokenizer
    excluded: frozenset[int]

    @cached_property
    def _merge_parts(self) -> dict[int, tuple[int, int]]:
        """base id -> the (left, right) merge that made it."""
        parts: dict[int, tuple[int, int]] = {}
        vocab = self.base.vocab
        for left, right in self.base.merges:
            if vocab[left] is not None and vocab[right] is not None:
                made = self._ordinary.get(vocab[left] + vocab[right])
                if made is not None:
                    parts.setdefault(made, (left, right))
        return parts

    @cached_property
    def _ordinary(self) -> dict[bytes, int]:
        return _base_index(self.base)[0]

    def __call__(self, data: bytes) -> list[int]:
        """Base ids whose bytes concatenate to ``data`` (the base tokenizer's encoding, with any
        excluded or special id split by its merge, else by greedy longest match)."""
        try:
            ids = self.base.encode(data)
        except EncodingError:  # a byte the base vocabulary cannot spell (SmolLM2 has no 0xC0 token)
            ids = self._greedy(data)
        return self._split(data, ids)

    def many(self, datas: Sequence[bytes]) -> list[list[int]]:
        """``[self(data) for data in datas]``, encoded in one call (:meth:`Tokenizer.encode_few`:
        a lazily loaded base tokenizer then never builds its whole encoder)."""
        try:
            encoded = self.base.encode_few(datas)
        except EncodingError:
            return [self(data) for data in datas]
        return [self._split(data, ids) for data, ids in zip(datas, encoded)]

    def _split(self, data: bytes, ids: list[int]) -> list[int]:
        """``ids`` (an encoding of ``data``) with excluded ids split into allowed ones."""
        if self.base.decode(ids) != data or any(i in self.base.special_ids for i in ids):
            ids = self._greedy(data)
        out: list[int] = []
        stack = list(reversed(ids))
        while stack:
            i = stack.pop()
            if i not in self.excluded:
                out.append(i)
            elif i in self._merge_parts:
                left, right = self._merge_parts[i]
                stack += [right, left]
            else:
                out += self._greedy(self.base.token_bytes(i), skip_whole=True)
        return out

    def _greedy(self, data: bytes, *, skip_whole: bool = False) -> list[int]:
        out, start = [], 0
        while start < len(data):
            for end in range(len(data), start, -1):
                if skip_whole and start == 0 and end == len(data):
                    continue
                i = self._ordinary.get(data[start:end])
                if i is not None and i not in self.excluded:
                    out.append(i)
                    start = end
                    break
            else:
                start += 1  # a byte the base cannot spell: skipped (its share goes to the others)
        return out
