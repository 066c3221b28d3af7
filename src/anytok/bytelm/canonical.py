"""Which tokens may follow a canonical encoding and keep it canonical.

A token sequence is canonical when it is the tokenizer's own encoding of its bytes. For a context
``X`` with encoding ``L = encode(X)``, token ``t`` (bytes ``T``) is a *canonical extension* when
``encode(X + T) == L + [t]``. :func:`is_canonical_extension` is that definition, one encode per
call; :class:`CanonicalFilter` gives the answer for every token at once:

- inside one pretoken, BPE keeps ``L + [t]`` iff the pair (last token, t) is canonical
  (:mod:`anytok.bytelm.pairs`);
- a byte-level BPE first splits text into pretokens with a regex, so ``T`` may start a new
  pretoken, join the last one ``p`` of ``X``, or re-split ``p`` (``\\s+(?!\\S)`` whitespace runs,
  digit groups). How the regex splits ``p + T`` depends only on character classes, so it is worked
  out once per class of ``p`` and class of ``T`` (letters stand for letters, digits for digits);
- bytes that are not UTF-8 are encoded one token each, outside any pretoken.

Where the context ends inside a UTF-8 character the filter falls back to encoding, on a short
window, the few tokens that start with a continuation byte.
"""

from __future__ import annotations

import copy
import logging
import unicodedata
from collections import OrderedDict
from typing import Sequence

import numpy as np
import regex
import tokenizers

from anytok.bytelm.pairs import PairTable
from anytok.bytelm.prefixes import hard_cuts_hold, last_hard_cut
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.patterns import NAMED_PATTERNS

log = logging.getLogger(__name__)

_RUN = 3  # letter and space runs in the last pretoken's class are looked up at this length
_RUN_CHARS = "aA "  # letter stand-ins and the space
_MASK_BYTES = 100_000_000  # memory for the per-class token masks of byte-level BPE
# Patterns known to pass runs_collapse (tests/bytelm/test_canonical.py checks each on o200k's token classes)
_COLLAPSING_PATTERNS = frozenset(NAMED_PATTERNS.values())
_CONTRACTION_LETTERS = set("sStTrReEvVmMlLdD")
_CATEGORY_REP = {"Lu": "A", "Ll": "a", "Lt": "\u01c5", "Lm": "\u02b0", "Lo": "\u00aa", "Mn": "\u0301",
                 "Mc": "\u0903", "Me": "\u20dd", "Nd": "0", "Nl": "\u2160", "No": "\u00b2"}


def is_canonical_extension(tok: Tokenizer, context: bytes, token: int) -> bool:
    """Reference: whether ``encode(context + bytes(token)) == encode(context) + [token]``."""
    return tok.encode(context + tok.token_bytes(token)) == tok.encode(context) + [token]


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


def _raw_bpe_backend(tok: Tokenizer) -> tokenizers.Tokenizer:
    """The tokenizer's BPE without its pretokenizer split: the encoding of one pretoken."""
    doc = copy.deepcopy(tok.to_hf_json())
    doc["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                            "use_regex": False}
    doc["post_processor"] = None
    doc["normalizer"] = None
    return tokenizers.Tokenizer.from_str(__import__("json").dumps(doc))


def merge_results(tok: Tokenizer) -> list[int]:
    """The id each merge of ``tok`` produces (ordinary pieces preferred over byte pieces)."""
    index = tok.ordinary_index
    return [index[tok.token_bytes(u) + tok.token_bytes(v)] for u, v in tok.merges]


def initial_symbols(tok: Tokenizer):
    """``f(t)``: the symbols BPE starts from for token t's bytes: one byte token per byte
    (byte-level BPE), or one piece per character with byte pieces for characters the
    vocabulary lacks (SentencePiece-style BPE)."""
    index = tok.ordinary_index

    def by_bytes(t: int) -> list[int]:
        return [tok.single_byte_id(b) for b in tok.token_bytes(t)]

    def by_chars(t: int) -> list[int]:
        data = tok.token_bytes(t)
        text = _utf8_or_none(data)
        if text is None:
            return by_bytes(t)
        out: list[int] = []
        for c in text:
            piece = c.encode()
            out += [index[piece]] if piece in index else [tok.single_byte_id(b) for b in piece]
        return out

    return by_chars if tok.kind == "sentencepiece_bpe" else by_bytes


class CanonicalFilter:
    """``mask(context, enc)``: (V,) bool, True for every canonical extension of ``context``.

    ``enc`` must be ``tok.encode(context)``. Results are cached per context.
    """

    def __init__(self, tok: Tokenizer, *, cache_size: int = 512) -> None:
        self.tok = tok
        self.vocab_size = tok.vocab_size
        vocab = tok.vocab
        usable = [data is not None and i not in tok.special_ids for i, data in enumerate(vocab)]
        self._bytes: list[bytes] = [data if ok else b"" for data, ok in zip(vocab, usable)]  # type: ignore[misc]
        self._texts: list[str | None] = [_utf8_or_none(b) if ok else None for b, ok in zip(self._bytes, usable)]
        self.valid = np.asarray([t is not None for t in self._texts])  # (V,) token is whole UTF-8
        self.single_byte = np.zeros(self.vocab_size, dtype=bool)  # (V,) the token for a lone byte
        for i, data in enumerate(self._bytes):
            if len(data) == 1 and usable[i]:
                self.single_byte[i] = tok._single_byte_ids.get(data[0]) == i
        self.cont = np.asarray([len(b) > 0 and 0x80 <= b[0] < 0xC0 for b in self._bytes])
        self.fresh = self._fresh_singles()  # (V,) encode(T) == [t]
        self.pairs = PairTable(vocab, tok.merges, result_ids=merge_results(tok), initial=initial_symbols(tok))
        self._regex = regex.compile(tok.pattern) if tok.kind == "byte_bpe" and tok.pattern else None
        if self._regex is not None:
            self._raw = _raw_bpe_backend(tok)
            self._class_of, self._classes = self._token_classes()
            self._structs: OrderedDict[str, np.ndarray] = OrderedDict()
            self._masks: OrderedDict[str, tuple[list, list[np.ndarray]]] = OrderedDict()
            self._masks_size = max(16, _MASK_BYTES // (4 * self.vocab_size))  # ~4 (V,) masks per class
            self._collapse_ok: bool | None = None
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._hard_cuts = hard_cuts_hold(tok)  # the last pretoken lies after the last hard cut
        if tok.ignore_merges or tok.kind not in ("byte_bpe", "sentencepiece_bpe"):
            log.warning("tokenizer %s (%s, ignore_merges=%s): canonical masks use slow exact encoding",
                        tok.name, tok.kind, tok.ignore_merges)
            self._exact_only = True
        else:
            self._exact_only = False

    def _fresh_singles(self) -> np.ndarray:
        ids = [i for i, t in enumerate(self._texts) if t]
        encs = self.tok.encode_batch([self._texts[i] for i in ids])  # type: ignore[misc]
        fresh = self.single_byte & ~self.valid
        for i, enc in zip(ids, encs):
            fresh[i] = enc == [i]
        return fresh

    def _token_classes(self) -> tuple[np.ndarray, list[str]]:
        index: dict[str, int] = {}
        class_of = np.full(self.vocab_size, -1, dtype=np.int64)
        for i, text in enumerate(self._texts):
            if text:
                class_of[i] = index.setdefault(char_class(text, keep_first=2), len(index))
        return class_of, list(index)

    # -- public -------------------------------------------------------------------------------
    def groups(self, context: bytes, enc: Sequence[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """[(L, allowed)]: token t with ``allowed[t]`` gives the canonical ``encode(context + T) == L + [t]``.

        ``enc`` must be ``tok.encode(context)``. Usually one group with ``L == enc``; a context
        ending in a whitespace run has a second one, with the run split as text after it splits
        it (``\\s+(?!\\S)``). Results are cached per context.
        """
        hit = self._cache.get(context)
        if hit is not None:
            self._cache.move_to_end(context)
            return hit
        out = self._compute(context, list(enc))
        self._cache[context] = out
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def mask(self, context: bytes, enc: Sequence[int]) -> np.ndarray:
        """(V,) bool: tokens t with ``encode(context + T) == enc + [t]`` (canonical extensions)."""
        for prefix, allowed in self.groups(context, enc):
            if list(prefix) == list(enc):
                return allowed
        return np.zeros(self.vocab_size, dtype=bool)

    def _compute(self, context: bytes, enc: list[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        if not context:
            return [((), self.fresh.copy())]
        text = _final_run(context[last_hard_cut(context):] if self._hard_cuts else context)
        if self._exact_only or text is None:
            return self._exact(context, enc)
        lone = self.single_byte & ~self.valid  # an incomplete character after whole text
        if self._regex is None:
            return [(tuple(enc), lone | (self.valid & self.fresh & self.pairs.ok_after(enc[-1])))]
        groups = self._after_pretoken(text, enc)
        key = tuple(enc)
        groups[key] = groups.get(key, np.zeros(self.vocab_size, dtype=bool)) | lone
        return list(groups.items())

    # -- byte-level BPE: the last pretoken ----------------------------------------------------
    def _after_pretoken(self, text: str, enc: list[int]) -> dict[tuple[int, ...], np.ndarray]:
        p = _last_pretoken(self._regex, text)  # type: ignore[arg-type]
        structs, masks = self._struct_masks(char_class(p))
        raw_p = self._raw_ids(p)
        before = enc[: len(enc) - len(raw_p)]
        out: dict[tuple[int, ...], np.ndarray] = {}
        for sid, (cuts, st) in enumerate(structs):
            pieces = [p[a:b] for a, b in zip(cuts, cuts[1:] + (st,)) if b > a]
            s = p[st:]
            raw_s = self._raw_ids(s)
            prefix = tuple(before + [i for piece in pieces for i in self._raw_ids(piece)] + raw_s)
            ok = masks[sid].copy()
            if raw_s:
                ok &= self.pairs.ok_after(raw_s[-1])
            out[prefix] = out[prefix] | ok if prefix in out else ok
        return out

    def _raw_ids(self, piece: str) -> list[int]:
        return self._raw.encode(piece, add_special_tokens=False).ids if piece else []

    def fresh_within(self) -> np.ndarray:
        """(V,) bool: whole-UTF-8 tokens that BPE keeps whole (``encode(T) == [t]``)."""
        return self.fresh & self.valid

    def _struct_masks(self, p_class: str) -> tuple[list[tuple[tuple[int, ...], int]], list[np.ndarray]]:
        """The structs of :meth:`_struct_table` and, for each, the (V,) bool mask of the tokens
        BPE keeps whole that join ``p`` that way (do not modify the masks).

        Long letter and space runs in ``p`` are looked up collapsed (``" aaaaaaa"`` as ``" aaa"``,
        ``"\\n        "`` as ``"\\n   "``) when the pattern does not count them
        (:meth:`_runs_collapse`), so a word or an indentation that grows does not cost a new table
        at every byte.
        """
        short, runs = _collapse_runs(p_class)
        if runs and self._runs_collapse():
            structs, masks = self._struct_masks_of(short)
            mapped = _expand_structs(structs, runs)
            if mapped is not None:
                return mapped, masks
        return self._struct_masks_of(p_class)

    def _runs_collapse(self) -> bool:
        """Whether this pattern splits ``p + T`` the same for every length >= ``_RUN`` of a
        letter or space run in ``p``: true for the named patterns (GPT-2, cl100k, o200k, Llama 3,
        Qwen), whose letter and space classes only repeat by ``+`` or ``*`` (a test runs the check
        on each); another pattern is checked once by :func:`runs_collapse` (~0.5 s)."""
        if self._collapse_ok is None:
            self._collapse_ok = (self.tok.pattern in _COLLAPSING_PATTERNS
                                 or runs_collapse(self._regex, self._classes))  # type: ignore[arg-type]
        return self._collapse_ok

    def _struct_masks_of(self, p_class: str) -> tuple[list[tuple[tuple[int, ...], int]], list[np.ndarray]]:
        hit = self._masks.get(p_class)
        if hit is not None:
            self._masks.move_to_end(p_class)
            return hit
        struct_of_class, structs = self._struct_table(p_class)
        struct_of_token = np.where(self._class_of >= 0, struct_of_class[self._class_of], -1)  # (V,)
        within = self.fresh_within()
        value = (structs, [within & (struct_of_token == sid) for sid in range(len(structs))])
        self._masks[p_class] = value
        if len(self._masks) > self._masks_size:
            self._masks.popitem(last=False)
        return value

    def _struct_table(self, p_class: str) -> tuple[np.ndarray, list[tuple[tuple[int, ...], int]]]:
        """How the regex splits ``p + T`` for every token class (cached per class of ``p``).

        A struct ``(cuts, st)``: the pretokens before the last start at ``cuts`` inside ``p``
        and the last one starts at ``st`` (so it is ``p[st:] + T``). -1: ``T`` is split.
        """
        hit = self._structs.get(p_class)
        if hit is not None:
            return hit  # type: ignore[return-value]
        value = struct_table(self._regex, p_class, self._classes)  # type: ignore[arg-type]
        self._structs[p_class] = value  # type: ignore[assignment]
        if len(self._structs) > 4096:
            self._structs.popitem(last=False)
        return value

    # -- contexts that end inside a character --------------------------------------------------
    def _exact(self, context: bytes, enc: list[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """Encode a window of the context with each token; after bytes that are not whole UTF-8,
        only tokens starting with a continuation byte need it (the others start afresh)."""
        window, tail = _window(self.tok, context, enc)
        head = enc[: len(enc) - len(tail)]
        which = self.cont if not self._exact_only else np.ones(self.vocab_size, dtype=bool)
        out: dict[tuple[int, ...], np.ndarray] = {}
        if not self._exact_only:
            out[tuple(enc)] = ~self.cont & ((self.valid & self.fresh) | (self.single_byte & ~self.valid))
        for i in np.nonzero(which)[0].tolist():
            data = self._bytes[i]
            if not data:
                continue
            got = self.tok.encode(window + data)
            if got[-1] == i and self.tok.decode(got[:-1]) == window:
                key = tuple(head + got[:-1])
                out.setdefault(key, np.zeros(self.vocab_size, dtype=bool))[i] = True
        return list(out.items())


def struct_table(pattern: regex.Pattern, p_class: str, classes: Sequence[str]
                 ) -> tuple[np.ndarray, list[tuple[tuple[int, ...], int]]]:
    """(struct id per token class (-1: the token is split), the structs) of ``p + T`` for every
    token class in ``classes`` (see :meth:`CanonicalFilter._struct_table`)."""
    index: dict[tuple[tuple[int, ...], int], int] = {}
    table = np.full(len(classes), -1, dtype=np.int64)
    n = len(p_class)
    for k, cls in enumerate(classes):
        starts = _piece_starts(pattern, p_class + cls)
        st = starts[-1]
        if st <= n:
            table[k] = index.setdefault((tuple(starts[:-1]), st), len(index))
    return table, list(index)


def runs_collapse(pattern: regex.Pattern, classes: Sequence[str]) -> bool:
    """Whether ``pattern`` splits ``p + T`` the same for every length >= ``_RUN`` of a letter or
    space run in ``p``, for ``T`` of the token classes ``classes``: the struct tables of probe
    classes with long runs equal those of their collapsed forms (~100 tables)."""
    probes = (f"{lead}{c * n}{tail}" for lead in ("", " ", "\n", ":") for c in _RUN_CHARS
              for n in (_RUN + 1, _RUN + 4) for tail in ("", "a"))
    for probe in probes:
        short, runs = _collapse_runs(probe)
        full = struct_table(pattern, probe, classes)
        small = struct_table(pattern, short, classes)
        if not np.array_equal(full[0], small[0]) or _expand_structs(small[1], runs) != full[1]:
            log.info("pattern %r counts letters or spaces: struct tables are built per run length", pattern.pattern)
            return False
    return True


def _window(tok: Tokenizer, context: bytes, enc: list[int], keep: int = 6) -> tuple[bytes, list[int]]:
    """A suffix of ``context`` that starts on a token boundary and encodes to the same last tokens."""
    for k in (keep, 2 * keep):
        if k >= len(enc):
            break
        tail = enc[-k:]
        window = tok.decode(tail) if not tok.add_prefix_space else b"".join(tok.token_bytes(i) for i in tail)
        if tok.encode(window) == tail:
            return window, tail
    return context, enc


def _collapse_runs(p_class: str) -> tuple[str, list[tuple[int, int]]]:
    """``p_class`` with every run of more than ``_RUN`` equal letter stand-ins (``a``, ``A``) or
    spaces cut to ``_RUN``; and [(where the run ends in the short string, characters removed)]."""
    out: list[str] = []
    runs: list[tuple[int, int]] = []
    k = 0
    while k < len(p_class):
        c = p_class[k]
        j = k
        while j < len(p_class) and p_class[j] == c:
            j += 1
        if c in _RUN_CHARS and j - k > _RUN:
            out.append(c * _RUN)
            runs.append((sum(map(len, out)), j - k - _RUN))
        else:
            out.append(p_class[k:j])
        k = j
    return "".join(out), runs


def _expand_structs(structs: list[tuple[tuple[int, ...], int]],
                    runs: list[tuple[int, int]]) -> list[tuple[tuple[int, ...], int]] | None:
    """Structs of a collapsed class moved to the positions of the full class. A cut one before
    the end of a collapsed run stays one before its end (``\\s+(?!\\S)`` leaves the last space of a
    run to the next pretoken); None if a cut falls elsewhere inside a run (no short cut then)."""
    def place(q: int) -> int | None:
        shift = 0
        for end, removed in runs:
            if q >= end - 1:
                shift += removed
            elif q > end - _RUN:
                return None
        return q + shift

    out = []
    for cuts, st in structs:
        placed = [place(q) for q in (*cuts, st)]
        if None in placed:
            return None
        out.append((tuple(placed[:-1]), placed[-1]))  # type: ignore[arg-type]
    return out


def _last_pretoken(pattern: regex.Pattern, text: str) -> str:
    """The last pretoken of ``text``; a whitespace one with the whitespace pretokens before it,
    which a following newline can pull in (``\\s*[\\r\\n]+``)."""
    starts = _piece_starts(pattern, text)
    k = len(starts) - 1
    while k > 0 and text[starts[k]:].isspace() and text[starts[k - 1]:starts[k]].isspace():
        k -= 1
    return text[starts[k]:]


def _piece_starts(pattern: regex.Pattern, text: str) -> list[int]:
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
    """Readable :func:`_piece_starts`: every non-empty match's start, and every unmatched gap's."""
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


def _final_run(data: bytes) -> str | None:
    """The whole-UTF-8 text after the last undecodable byte of ``data`` (None if empty)."""
    start = 0
    while True:
        try:
            text = data[start:].decode("utf-8")
            return text or None
        except UnicodeDecodeError as e:
            start += e.start + 1


def _utf8_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
