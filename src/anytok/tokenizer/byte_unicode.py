"""GPT-2's reversible map between bytes and printable unicode characters.

Byte-level BPE files (tokenizer.json of GPT-2, Llama 3, SmolLM2, ...) spell every token as a string
of these characters, so that the space byte 0x20 appears as ``Ġ`` and newline as ``Ċ``.
"""

from __future__ import annotations

import functools


@functools.cache
def byte_to_unicode() -> dict[int, str]:
    """The GPT-2 table: printable Latin-1 bytes map to themselves, the rest to U+0100 and up."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table: dict[int, str] = {b: chr(b) for b in keep}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return table


@functools.cache
def unicode_to_byte() -> dict[str, int]:
    """Inverse of :func:`byte_to_unicode`."""
    return {c: b for b, c in byte_to_unicode().items()}


def bytes_to_unicode_str(data: bytes) -> str:
    """Spell ``data`` in GPT-2 byte-unicode characters (``b" hi"`` -> ``"Ġhi"``)."""
    table = byte_to_unicode()
    return "".join(table[b] for b in data)
