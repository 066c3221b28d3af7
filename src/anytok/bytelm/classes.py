"""Pretokenizer classes: how a regex splits text depends only on the classes of its characters.

A byte-level BPE first splits text into pretokens with a regex. Whether a token ``T`` joins the
last pretoken ``p`` of a context, starts a new one, or re-splits ``p`` depends only on character
classes (letters stand for letters, digits for digits, :func:`char_class`), so the canonical filter
works it out once per class of ``p`` and class of ``T`` (:func:`struct_table`). Long runs of one
letter, space or digit are looked up collapsed where the pattern does not count them
(:func:`runs_collapse`), so a word or a number that grows does not cost a new table per byte.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from typing import Sequence

import numpy as np
import regex

from anytok.bytelm.pieces import piece_starts
from anytok.tokenizer.patterns import NAMED_PATTERNS

log = logging.getLogger(__name__)

RUN = 3  # letter and space runs in the last pretoken's class are looked up at this length
RUN_CHARS = "aA "  # letter stand-ins and the space
DIGITS = "0"  # the digit stand-in: its runs collapse only where the pattern does not count digits
# Patterns known to pass runs_collapse (tests/bytelm/test_canonical.py checks each on o200k's token classes)
COLLAPSING_PATTERNS = frozenset(NAMED_PATTERNS.values())
_CONTRACTION_LETTERS = set("sStTrReEvVmMlLdD")
_CATEGORY_REP = {"Lu": "A", "Ll": "a", "Lt": "\u01c5", "Lm": "\u02b0", "Lo": "\u00aa", "Mn": "\u0301",
                 "Mc": "\u0903", "Me": "\u20dd", "Nd": "0", "Nl": "\u2160", "No": "\u00b2"}


def _rep_char(c: str) -> str:
    if c.isascii():
        if c.isalpha():
            return "A" if c.isupper() else "a"
        return "0" if c.isdigit() else c
    cat = unicodedata.category(c)
    if c.isspace() or cat[0] in "ZC":
        return c
    return _CATEGORY_REP.get(cat, "\u00a7" if cat[0] == "P" else "\u00a9")


def char_class(text: str, *, keep_first: int = 0) -> str:
    """``text`` with each character replaced by a stand-in the pretokenizer treats alike.

    Letters after an apostrophe (contractions such as ``'s``) and the first ``keep_first``
    letters are kept when they could spell a contraction.
    """
    out = []
    for k, c in enumerate(text):
        after_quote = (k >= 1 and text[k - 1] == "'") or (k >= 2 and text[k - 2] == "'")
        keep = (after_quote or k < keep_first) and c in _CONTRACTION_LETTERS
        out.append(c if keep else _rep_char(c))
    return "".join(out)


def struct_table(pattern: regex.Pattern, p_class: str, classes: Sequence[str]
                 ) -> tuple[np.ndarray, list[tuple[tuple[int, ...], int]]]:
    """(struct id per token class (-1: the token is split), the structs) of ``p + T`` for every
    token class in ``classes`` (see :meth:`CanonicalFilter._struct_table`)."""
    index: dict[tuple[tuple[int, ...], int], int] = {}
    table = np.full(len(classes), -1, dtype=np.int64)
    n = len(p_class)
    for k, cls in enumerate(classes):
        starts = piece_starts(pattern, p_class + cls)
        st = starts[-1]
        if st <= n:
            table[k] = index.setdefault((tuple(starts[:-1]), st), len(index))
    return table, list(index)


def runs_collapse(pattern: regex.Pattern, classes: Sequence[str], chars: str = RUN_CHARS) -> bool:
    """Whether ``pattern`` splits ``p + T`` the same for every length >= ``RUN`` of a run of one
    of ``chars`` in ``p``, for ``T`` of the token classes ``classes``: the struct tables of probe
    classes with long runs equal those of their collapsed forms (~100 tables)."""
    probes = (f"{lead}{c * n}{tail}" for lead in ("", " ", "\n", ":") for c in chars
              for n in (RUN + 1, RUN + 2, RUN + 4) for tail in ("", "a", "0"))
    for probe in probes:
        short, runs = collapse_runs(probe, chars)
        full = struct_table(pattern, probe, classes)
        small = struct_table(pattern, short, classes)
        if not np.array_equal(full[0], small[0]) or expand_structs(small[1], runs) != full[1]:
            log.info("pattern %r counts runs of %r: struct tables are built per run length", pattern.pattern, chars)
            return False
    return True


def collapse_runs(p_class: str, chars: str = RUN_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """``p_class`` with every run of more than ``RUN`` of one character of ``chars`` (letter
    stand-ins ``a``, ``A``, spaces, the digit ``0``) cut to ``RUN``; and [(where the run ends in
    the short string, characters removed)]."""
    if not chars:
        return p_class, []
    out: list[str] = []
    runs: list[tuple[int, int]] = []
    pos = removed = 0
    for m in _run_regex(chars).finditer(p_class):
        out.append(p_class[pos:m.start()] + m.group(1) * RUN)
        runs.append((m.start() - removed + RUN, m.end() - m.start() - RUN))
        removed += m.end() - m.start() - RUN
        pos = m.end()
    out.append(p_class[pos:])
    return "".join(out), runs


@lru_cache(maxsize=16)
def _run_regex(chars: str) -> regex.Pattern:
    return regex.compile(f"([{regex.escape(chars)}])\\1{{{RUN},}}")


def expand_structs(structs: list[tuple[tuple[int, ...], int]],
                    runs: list[tuple[int, int]]) -> list[tuple[tuple[int, ...], int]] | None:
    """Structs of a collapsed class moved to the positions of the full class. A cut one before
    the end of a collapsed run stays one before its end (``\\s+(?!\\S)`` leaves the last space of a
    run to the next pretoken); None if a cut falls elsewhere inside a run (no short cut then)."""
    def place(q: int) -> int | None:
        shift = 0
        for end, removed in runs:
            if q >= end - 1:
                shift += removed
            elif q > end - RUN:
                return None
        return q + shift

    out = []
    for cuts, st in structs:
        placed = [place(q) for q in (*cuts, st)]
        if None in placed:
            return None
        out.append((tuple(placed[:-1]), placed[-1]))  # type: ignore[arg-type]
    return out


def last_pretoken(pattern: regex.Pattern, text: str) -> str:
    """The last pretoken of ``text``; a whitespace one with the whitespace pretokens before it,
    which a following newline can pull in (``\\s*[\\r\\n]+``)."""
    starts = piece_starts(pattern, text)
    k = len(starts) - 1
    while k > 0 and text[starts[k]:].isspace() and text[starts[k - 1]:starts[k]].isspace():
        k -= 1
    return text[starts[k]:]
