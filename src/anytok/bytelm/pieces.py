"""Where a pretokenizer regex starts its pieces, the way HF ``tokenizers`` splits (``Isolated``)."""

from __future__ import annotations

import regex


def piece_starts(pattern: regex.Pattern, text: str) -> list[int]:
    """Pretoken starts including the unmatched gaps HF's Isolated split keeps as pieces."""
    if not pattern.groups:  # findall gives whole matches: when they tile the text, their lengths
        out, pos = [], 0  # give the starts (1.6x faster than finditer; struct tables call this a lot)
        for piece in pattern.findall(text):
            if piece:
                out.append(pos)
                pos += len(piece)
        if out and pos == len(text):
            return out
    return piece_starts_by_matches(pattern, text)


def piece_starts_by_matches(pattern: regex.Pattern, text: str) -> list[int]:
    """Readable :func:`piece_starts`: every non-empty match's start, and every unmatched gap's."""
    out: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append(pos)
        if m.end() > m.start():
            out.append(m.start())
        pos = m.end()
    if pos < len(text) or not out:
        out.append(pos)
    return out
