"""A bounded memo: the least recently used entry goes first when it is full.

The byte-level search asks for the same contexts, encodings and masks again and again while it
scans a text; every memo in bytelm/ is one of these.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """``get`` and ``put`` mark an entry as used; ``peek``, ``[key]`` and ``in`` do not."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"an LRU memo needs room for at least one entry, not {maxsize}")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value for ``key`` (now the most recently used), or ``default``."""
        if key not in self._data:
            return default
        self._data.move_to_end(key)
        return self._data[key]

    def peek(self, key: K, default: V | None = None) -> V | None:
        """The value for ``key``, or ``default``, leaving the order as it is."""
        return self._data.get(key, default)

    def put(self, key: K, value: V) -> V:
        """Store ``value`` as the most recently used entry (dropping the oldest when full); returns it."""
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.maxsize:
            self._data.popitem(last=False)
        return value

    def __getitem__(self, key: K) -> V:
        """The value for ``key`` (KeyError if absent), leaving the order as it is."""
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
