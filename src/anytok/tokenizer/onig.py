"""Make the ``regex`` module split text exactly as HF ``tokenizers`` does, on every code point.

A tokenizer.json pretokenizer runs in ``tokenizers``, whose regex engine (Oniguruma) carries its
own, older Unicode tables; the Python ``regex`` module carries newer ones. They disagree on about
17,000 code points of ``\\p{L}`` alone (U+0558, U+0C5C, U+A7CE, ...: letters to ``regex``, not to
``tokenizers``), so ``regex`` splits ``a\\u05581`` differently from the tokenizer that will encode
it. Training and the byte-level LM split with ``regex`` (5x faster from Python than ``tokenizers``'
pre_tokenize_str, and it matches partially), so :class:`PretokenRegex` swaps each code point on
which the two disagree, before matching, for a stand-in that ``regex`` puts in exactly the classes
``tokenizers`` puts the original in; the pieces are then cut from the original text. Text with no
such code point (nearly all text: the check is one table lookup per character) is matched as is.
Rewriting the classes as explicit sets instead would be exact too, but makes ``regex`` 8-30x slower.

    splitter = pretoken_regex(CL100K)
    splitter.findall("a\\u05581")      # ['a', '\\u0558', '1'], as tokenizers splits it

The classes ``tokenizers`` puts each code point in are found by asking it about all of Unicode, once
per class (:func:`onig_ranges`). tests/tokenizer/test_onig.py checks every named pattern against
``tokenizers`` on every code point, in several contexts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

MAX_CODE_POINT = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_CLASS_ESCAPES = {"s": r"\s", "d": r"\d", "w": r"\w"}  # and their capitals, the complements


def onig_ranges(cls: str) -> tuple[tuple[int, int], ...]:
    """The code points ``tokenizers`` matches with the one-character class ``cls`` (e.g.
    ``\\p{L}``, ``\\s``), as sorted inclusive ranges. Surrogates are never in them.

    Asking ``tokenizers`` takes about a second per class, so the answers are kept on disk, per
    ``tokenizers`` version, in ``$ANYTOK_CACHE/unicode/`` (skipped when that is not writable)."""
    tables = _tables()
    if cls not in tables:
        tables[cls] = _probe(cls)
        _save_tables(tables)
    return tables[cls]


@lru_cache(maxsize=1)
def _tables() -> dict[str, tuple[tuple[int, int], ...]]:
    try:
        data = json.loads(_tables_path().read_text(encoding="utf-8"))
        return {cls: tuple((int(a), int(b)) for a, b in ranges) for cls, ranges in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}  # no cache yet, or an unreadable one: ask tokenizers again


def _tables_path() -> Path:
    import tokenizers

    from anytok.models.registry import cache_root

    return cache_root() / "unicode" / f"tokenizers-{tokenizers.__version__}.json"


def _save_tables(tables: dict[str, tuple[tuple[int, int], ...]]) -> None:
    from anytok._atomic import atomic_path
    from anytok.errors import AnytokError

    try:
        path = _tables_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({cls: [list(r) for r in ranges] for cls, ranges in tables.items()}),
                           encoding="utf-8")
    except (OSError, AnytokError):
        pass  # a read-only cache only costs the probe next time


def _probe(cls: str) -> tuple[tuple[int, int], ...]:
    """Ask ``tokenizers`` which code points ``cls`` matches: split all of Unicode on runs of it."""
    from tokenizers import Regex, pre_tokenizers

    from anytok.errors import TrainingError

    code_points, text = _all_code_points(), _all_text()
    try:
        splitter = pre_tokenizers.Split(Regex(f"(?:{cls})+"), behavior="removed")
    except Exception as e:  # tokenizers raises its own exception type for a bad regex
        raise TrainingError(f"the tokenizers library cannot read the class {cls!r}: {e}") from None
    kept = splitter.pre_tokenize_str(text)  # the runs between matches, with char offsets
    matched = np.ones(len(code_points), dtype=bool)
    for _, (start, end) in kept:
        matched[start:end] = False
    return _ranges(code_points[matched])


def _ranges(points: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Sorted code points (N,) as inclusive (first, last) runs."""
    if not len(points):
        return ()
    breaks = np.nonzero(np.diff(points) != 1)[0]
    starts = np.concatenate([[points[0]], points[breaks + 1]])
    ends = np.concatenate([points[breaks], [points[-1]]])
    return tuple(zip(starts.tolist(), ends.tolist()))


@lru_cache(maxsize=1)
def _all_code_points() -> np.ndarray:
    """(1,112,064,) every code point but the surrogates, which no str from UTF-8 holds."""
    return np.concatenate([np.arange(0, _SURROGATES[0]), np.arange(_SURROGATES[1] + 1, MAX_CODE_POINT + 1)])


@lru_cache(maxsize=1)
def _all_text() -> str:
    """The code points of :func:`_all_code_points` as one string (the probes' text)."""
    return "".join(map(chr, _all_code_points().tolist()))


@lru_cache(maxsize=64)
def onig_members(cls: str) -> np.ndarray:
    """(0x110000,) bool: the code points ``tokenizers`` matches with ``cls`` (read only)."""
    out = _members(onig_ranges(cls))
    out.flags.writeable = False
    return out


def _members(ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """(0x110000,) bool: the code points in ``ranges``."""
    out = np.zeros(MAX_CODE_POINT + 1, dtype=bool)
    for first, last in ranges:
        out[first : last + 1] = True
    return out


def _regex_ranges(cls: str) -> tuple[tuple[int, int], ...]:
    """The code points the ``regex`` module matches with ``cls``."""
    import regex

    points, text = _all_code_points(), _all_text()
    matched = np.zeros(len(points), dtype=bool)
    for m in regex.finditer(f"(?:{cls})+", text):
        matched[m.start() : m.end()] = True
    return _ranges(points[matched])


def pattern_classes(pattern: str) -> list[str]:
    """The Unicode classes ``pattern`` tests characters with, each in its positive form
    (``\\P{L}`` and ``[^\\p{L}]`` test ``\\p{L}``; ``\\b`` tests ``\\w``), sorted."""
    found: set[str] = set()
    i = 0
    while i < len(pattern):
        if pattern[i] != "\\":
            i += 1
            continue
        letter = pattern[i + 1 : i + 2]
        if letter.lower() in _CLASS_ESCAPES:
            found.add(_CLASS_ESCAPES[letter.lower()])
        elif letter.lower() == "b":
            found.add(r"\w")
        elif letter in ("p", "P"):
            if pattern[i + 2 : i + 3] == "{":
                close = pattern.find("}", i + 3)
                name = pattern[i + 3 : close if close > 0 else len(pattern)]
            else:
                name = pattern[i + 2 : i + 3]
            found.add(f"\\p{{{name.lstrip('^')}}}")
        i += 2
    return sorted(found)


class PretokenRegex:
    """``pattern`` compiled by ``regex``, splitting text as ``tokenizers`` does.

    ``swap``: (0x110000,) uint32, each code point's stand-in (itself where the engines agree).
    """

    def __init__(self, pattern: str) -> None:
        import regex

        self.pattern = pattern
        self.compiled = regex.compile(pattern)
        self.swap, self.disagree = _swap_table(pattern)

    def __reduce__(self):  # rebuilt, not pickled, in spawned worker processes
        return pretoken_regex, (self.pattern,)

    def as_regex(self, text: str) -> str:
        """``text`` with each code point the engines disagree on replaced by its stand-in (same length)."""
        if text.isascii():
            return text
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        bad = self.disagree[points]
        if not bad.any():
            return text
        points = points.copy()
        points[bad] = self.swap[points[bad]]
        return points.tobytes().decode("utf-32-le", "surrogatepass")

    def findall(self, text: str) -> list[str]:
        """The pieces ``pattern`` matches in ``text`` (``findall`` semantics, as ``tokenizers`` sees them)."""
        seen = self.as_regex(text)
        if seen is text:
            return self.compiled.findall(text)
        return [text[m.start() : m.end()] for m in self.compiled.finditer(seen)]

    def finditer(self, text: str):
        """``regex`` matches over :meth:`as_regex` of ``text``: their spans index ``text`` itself."""
        return self.compiled.finditer(self.as_regex(text))

    @property
    def groups(self) -> int:
        return self.compiled.groups


@lru_cache(maxsize=32)
def pretoken_regex(pattern: str) -> PretokenRegex:
    """The :class:`PretokenRegex` of ``pattern`` (cached)."""
    return PretokenRegex(pattern)


def _swap_table(pattern: str) -> tuple[np.ndarray, np.ndarray]:
    """(stand-in per code point, where the engines disagree), both (0x110000,), for ``pattern``.

    A code point's signature is the set of the pattern's classes it is in. Where ``tokenizers``'
    signature differs from ``regex``'s, the stand-in is a code point whose ``regex`` signature is
    the original's ``tokenizers`` one, on which the engines agree, and which no letter of the
    pattern matches even case-insensitively."""
    classes = pattern_classes(pattern)
    onig = np.zeros(MAX_CODE_POINT + 1, dtype=np.int64)
    rx = np.zeros(MAX_CODE_POINT + 1, dtype=np.int64)
    for bit, cls in enumerate(classes):
        onig |= onig_members(cls).astype(np.int64) << bit
        rx |= _members(_regex_ranges(cls)).astype(np.int64) << bit
    disagree = onig != rx
    disagree[_SURROGATES[0] : _SURROGATES[1] + 1] = False
    swap = np.arange(MAX_CODE_POINT + 1, dtype=np.uint32)
    if not disagree.any():
        return swap, disagree
    safe = ~disagree & _safe_stand_ins(pattern)
    for signature in np.unique(onig[disagree]).tolist():
        candidates = np.nonzero(safe & (rx == signature))[0]
        if not len(candidates):
            from anytok.errors import TrainingError

            raise TrainingError(f"no stand-in code point for the classes {_names(classes, signature)} of "
                                f"pattern {pattern!r}; this pattern cannot be matched as tokenizers does")
        swap[disagree & (onig == signature)] = candidates[0]
    return swap, disagree


def _safe_stand_ins(pattern: str) -> np.ndarray:
    """(0x110000,) bool: non-ASCII code points whose case forms are neither ASCII nor in ``pattern``."""
    literal = set(pattern)
    ok = np.zeros(MAX_CODE_POINT + 1, dtype=bool)
    ok[0x80 : _SURROGATES[0]] = True
    ok[_SURROGATES[1] + 1 :] = True
    for cp in np.nonzero(ok[: 0x20000])[0].tolist():  # cased characters live in the first two planes
        c = chr(cp)
        forms = c.lower() + c.upper() + c.casefold() + c.title()
        if forms != c * 4 and any(f.isascii() or f in literal for f in forms):
            ok[cp] = False
    for c in literal:
        ok[ord(c)] = False
    return ok


def _names(classes: list[str], signature: int) -> str:
    return "{" + ", ".join(cls for bit, cls in enumerate(classes) if signature >> bit & 1) + "}"
