"""The UTF-8 facts the byte-level LM needs: where bytes end inside a character, and what completes it."""

from __future__ import annotations

import itertools
from functools import lru_cache

CONTINUATION = range(0x80, 0xC0)


def is_continuation(byte: int) -> bool:
    """Whether ``byte`` is a UTF-8 continuation byte (10xxxxxx)."""
    return 0x80 <= byte < 0xC0


def incomplete_start(data: bytes) -> int | None:
    """Where the character that ``data`` ends inside starts, or None.

    ``data`` ends inside a character when its last one to three bytes are a proper prefix of the
    UTF-8 encoding of some character (``f0 9f`` is the start of every emoji from U+1F000); bytes
    that no continuation can make valid (``ff``, a stray continuation byte, ``ed a0``) are not.
    """
    for k in range(1, min(3, len(data)) + 1):
        if is_continuation(data[-k]):
            continue
        try:
            data[-k:].decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start == 0 and e.reason == "unexpected end of data":
                return len(data) - k
        return None
    return None


def valid_run_start(data: bytes) -> int:
    """The start of the longest suffix of ``data`` that is valid UTF-8 (``len(data)`` if none)."""
    start = 0
    while True:
        try:
            data[start:].decode("utf-8")
            return start
        except UnicodeDecodeError as e:
            start += e.start + 1


# The second byte of a character is restricted after these leads (no overlong forms, no surrogates,
# nothing above U+10FFFF); every other continuation byte may be any of 80..bf.
_SECOND = {0xE0: range(0xA0, 0xC0), 0xED: range(0x80, 0xA0), 0xF0: range(0x90, 0xC0), 0xF4: range(0x80, 0x90)}


@lru_cache(maxsize=None)
def completions(head: bytes) -> tuple[bytes, ...]:
    """Every byte string ``c`` such that ``head + c`` is one valid character (``head`` as
    :func:`incomplete_start` finds it, so its bytes after the first are already allowed), in byte order."""
    size = 2 if head[0] < 0xE0 else 3 if head[0] < 0xF0 else 4
    ranges = [CONTINUATION] * (size - len(head))
    if len(head) == 1:
        ranges[0] = _SECOND.get(head[0], CONTINUATION)
    return tuple(bytes(rest) for rest in itertools.product(*ranges))


def code_point_range(head: bytes) -> tuple[int, int]:
    """(first, last) code point of the characters that start with ``head``: a contiguous range,
    in the order of :func:`completions`."""
    size = 2 if head[0] < 0xE0 else 3 if head[0] < 0xF0 else 4
    ranges = [CONTINUATION] * (size - len(head))
    if len(head) == 1:
        ranges[0] = _SECOND.get(head[0], CONTINUATION)
    low, high = bytes(r[0] for r in ranges), bytes(r[-1] for r in ranges)
    return ord((head + low).decode("utf-8")), ord((head + high).decode("utf-8"))
