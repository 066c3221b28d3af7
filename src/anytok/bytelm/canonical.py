"""Which tokens may follow an encoding of a context and keep the sequence admissible.

The byte-level LM sums over *admissible* token sequences ``S``: the tokenizer's own encoding of
their bytes (``encode(decode(S)) == S``), or, when ``decode(S)`` ends inside a UTF-8 character,
the start of the encoding of those bytes with the character completed
(:mod:`anytok.bytelm.split_chars`; :func:`anytok.bytelm.reference.is_admissible` says it plainly).
For a context ``X``, :meth:`CanonicalFilter.groups` gives every ``(L, allowed)`` with ``L`` spelling
``X`` and ``L + [t]`` admissible exactly for the tokens ``t`` with ``allowed[t]``, for the whole
vocabulary at once:

- inside one pretoken, BPE keeps ``L + [t]`` iff the pair (last token, t) is canonical
  (:mod:`anytok.bytelm.pairs`);
- a byte-level BPE first splits text into pretokens with a regex, so ``T`` may start a new
  pretoken, join the last one ``p`` of ``X``, or re-split ``p`` (``\\s+(?!\\S)`` whitespace runs,
  digit groups), worked out once per class of ``p`` and class of ``T`` (:mod:`anytok.bytelm.classes`);
  a token that ends inside a character joins as the classes of the characters it can complete;
- bytes that are not UTF-8 are encoded one token each, outside any pretoken;
- after a context that ends inside a character, the few dozen tokens that start with a
  continuation byte are tried one by one.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Sequence

import numpy as np
import tokenizers

from anytok.bytelm.classes import (COLLAPSING_PATTERNS, DIGITS, RUN_CHARS, collapse_runs, expand_structs,
                                   last_pretoken, char_class, runs_collapse, struct_table)
from anytok.bytelm.lru import LRU
from anytok.bytelm.pairs import PairTable
from anytok.bytelm.pieces import piece_starts
from anytok.bytelm.prefixes import hard_cuts_hold, last_hard_cut
from anytok.bytelm.split_chars import SplitChars
from anytok.bytelm.utf8 import incomplete_start
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.onig import pretoken_regex

log = logging.getLogger(__name__)

_MASK_BYTES = 100_000_000  # memory for the per-class token masks of byte-level BPE


def _raw_bpe_backend(tok: Tokenizer) -> tokenizers.Tokenizer:
    """The tokenizer's BPE without its pretokenizer split: the encoding of one pretoken."""
    doc = tok.to_hf_json(deep=False)  # only top-level sections are replaced
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
        results = merge_results(tok)
        self.pairs = PairTable(vocab, tok.merges, result_ids=results, initial=initial_symbols(tok))
        self._regex = pretoken_regex(tok.pattern) if tok.kind == "byte_bpe" and tok.pattern else None
        self.split: SplitChars | None = None
        self.partial_ok = np.zeros(self.vocab_size, dtype=bool)  # (V,) may end inside a character
        self.partial_fresh = np.zeros(self.vocab_size, dtype=bool)  # (V,) ... as the first token of a text
        if tok.kind == "byte_bpe":
            self._raw = _raw_bpe_backend(tok)
            self.split = SplitChars(tok, self.pairs, result_ids=results, pattern=self._regex,
                                    raw_text=self._raw_ids)
            self._partial = self._partial_classes()
        if self._regex is not None:
            self._class_of, self._classes = self._token_classes()
            self._structs: LRU[str, np.ndarray] = LRU(4096)
            self._masks: LRU[str, tuple[list, list[np.ndarray]]] = LRU(max(16, _MASK_BYTES // (4 * self.vocab_size)))
            # ~4 (V,) masks per class
            self._collapse_ok: dict[str, bool] = {}
        self._cache: LRU[bytes, np.ndarray] = LRU(cache_size)
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
        """(class id of each whole-UTF-8 token (-1: none), the class strings); the tokens that end
        inside a character get (token, class id) entries in ``_partial_of`` (one per class of the
        completed character that keeps them whole)."""
        index: dict[str, int] = {}
        class_of = np.full(self.vocab_size, -1, dtype=np.int64)
        for i, text in enumerate(self._texts):
            if text:
                class_of[i] = index.setdefault(char_class(text, keep_first=2), len(index))
        entries = [(t, index.setdefault(cls, len(index))) for t, cls in self._partial]
        self._partial_of = np.asarray(entries, dtype=np.int64).reshape(-1, 2)  # (P, 2): token, class
        return class_of, list(index)

    def _partial_classes(self) -> list[tuple[int, str]]:
        """[(token, class string)] for the tokens that end inside a character, one entry per class
        of completed character that keeps the token whole; sets ``partial_ok`` and ``partial_fresh``."""
        out = []
        for t, whole, head in self.split.partial_tokens():  # type: ignore[union-attr]
            for rep in self.split.survives(t, head):  # type: ignore[union-attr]
                cls = char_class(whole, keep_first=2) + rep
                out.append((t, cls))
                self.partial_ok[t] = True
                if self._regex is None or piece_starts(self._regex, cls) == [0]:
                    self.partial_fresh[t] = True
        return out

    # -- public -------------------------------------------------------------------------------
    def groups(self, context: bytes, enc: Sequence[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """[(L, allowed)]: token t with ``allowed[t]`` gives the canonical ``encode(context + T) == L + [t]``.

        ``enc`` must be ``tok.encode(context)``. Usually one group with ``L == enc``; a context
        ending in a whitespace run has a second one, with the run split as text after it splits
        it (``\\s+(?!\\S)``). Results are cached per context.
        """
        hit = self._cache.get(context)
        if hit is not None:
            return hit
        return self._cache.put(context, self._compute(context, list(enc)))

    def mask(self, context: bytes, enc: Sequence[int]) -> np.ndarray:
        """(V,) bool: tokens t with ``encode(context + T) == enc + [t]`` (canonical extensions)."""
        for prefix, allowed in self.groups(context, enc):
            if list(prefix) == list(enc):
                return allowed
        return np.zeros(self.vocab_size, dtype=bool)

    def _compute(self, context: bytes, enc: list[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        if not context:
            return [((), self.fresh | self.partial_fresh)]
        text = _final_run(context[last_hard_cut(context):] if self._hard_cuts else context)
        if self._exact_only or (text is None and self.split is None):
            return self._exact(context, enc)
        lone = self.single_byte & ~self.valid  # an incomplete character after whole text
        if text is None:  # byte-level BPE after bytes that are not whole UTF-8
            if incomplete_start(context) is not None:
                return self._mid_char(context, enc)
            return [(tuple(enc), (self.valid & self.fresh) | lone | self.partial_fresh)]
        if self._regex is None:
            within = (self.valid & self.fresh) | self.partial_ok
            return [(tuple(enc), lone | (within & self.pairs.ok_after(enc[-1])))]
        groups = self._after_pretoken(text, enc)
        key = tuple(enc)
        groups[key] = groups.get(key, np.zeros(self.vocab_size, dtype=bool)) | lone
        return list(groups.items())

    # -- byte-level BPE: the last pretoken ----------------------------------------------------
    def _after_pretoken(self, text: str, enc: list[int]) -> dict[tuple[int, ...], np.ndarray]:
        p = last_pretoken(self._regex, text)  # type: ignore[arg-type]
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

        Long letter, space and digit runs in ``p`` are looked up collapsed (``" aaaaaaa"`` as
        ``" aaa"``, ``"\\n        "`` as ``"\\n   "``) when the pattern does not count them
        (:meth:`_runs_collapse`), so a word, an indentation or a number that grows does not cost a
        new table at every byte.
        """
        chars = "".join(c for c in (RUN_CHARS, DIGITS) if collapse_runs(p_class, c)[1] and self._runs_collapse(c))
        short, runs = collapse_runs(p_class, chars)
        if runs:
            structs, masks = self._struct_masks_of(short)
            mapped = expand_structs(structs, runs)
            if mapped is not None:
                return mapped, masks
        return self._struct_masks_of(p_class)

    def _runs_collapse(self, chars: str) -> bool:
        """Whether this pattern splits ``p + T`` the same for every length >= ``RUN`` of a run of
        one of ``chars`` in ``p``. Letters and spaces: true for the named patterns (GPT-2, cl100k,
        o200k, Llama 3, Qwen), whose letter and space classes only repeat by ``+`` or ``*`` (a test
        runs the check on each); digits (cl100k counts them in threes, GPT-2 does not) and other
        patterns are checked once by :func:`runs_collapse` (~0.5 s)."""
        if chars not in self._collapse_ok:
            self._collapse_ok[chars] = ((chars == RUN_CHARS and self.tok.pattern in COLLAPSING_PATTERNS)
                                        or runs_collapse(self._regex, self._classes, chars))  # type: ignore[arg-type]
        return self._collapse_ok[chars]

    def _struct_masks_of(self, p_class: str) -> tuple[list[tuple[tuple[int, ...], int]], list[np.ndarray]]:
        hit = self._masks.get(p_class)
        if hit is not None:
            return hit
        struct_of_class, structs = self._struct_table(p_class)
        struct_of_token = np.where(self._class_of >= 0, struct_of_class[self._class_of], -1)  # (V,)
        within = self.fresh_within()
        masks = [within & (struct_of_token == sid) for sid in range(len(structs))]
        partial_tok, partial_struct = self._partial_of[:, 0], struct_of_class[self._partial_of[:, 1]]
        for sid, mask in enumerate(masks):
            mask[partial_tok[partial_struct == sid]] = True
        return self._masks.put(p_class, (structs, masks))

    def _struct_table(self, p_class: str) -> tuple[np.ndarray, list[tuple[tuple[int, ...], int]]]:
        """How the regex splits ``p + T`` for every token class (cached per class of ``p``).

        A struct ``(cuts, st)``: the pretokens before the last start at ``cuts`` inside ``p``
        and the last one starts at ``st`` (so it is ``p[st:] + T``). -1: ``T`` is split.
        """
        hit = self._structs.get(p_class)
        if hit is not None:
            return hit  # type: ignore[return-value]
        return self._structs.put(p_class, struct_table(self._regex, p_class, self._classes))  # type: ignore

    # -- contexts that end inside a character --------------------------------------------------
    def _mid_char(self, context: bytes, enc: list[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """Byte-level BPE after a context that ends inside a character. A token that starts a new
        character leaves the cut one invalid (one byte token per byte, ``enc``); a token that goes
        on with continuation bytes is tried one by one (a few dozen), against the context's own
        encoding and those of :meth:`SplitChars.completed`. Every admissible encoding of the
        context is a group, even one no token extends (:meth:`prefixes` reads them)."""
        head, local = self._local(context, enc)
        out: dict[tuple[int, ...], np.ndarray] = {tuple(enc): ~self.cont & (
            (self.valid & self.fresh) | (self.single_byte & ~self.valid) | self.partial_fresh)}
        for seq in self.split.completed(local):  # type: ignore[union-attr]
            out.setdefault(head + seq, np.zeros(self.vocab_size, dtype=bool))
        for t in self._cont_ids:
            for seq in self._encodings(local + self._bytes[t]):
                if seq[-1] == t and self.tok.decode(seq[:-1]) == local:
                    out.setdefault(head + seq[:-1], np.zeros(self.vocab_size, dtype=bool))[t] = True
        return list(out.items())

    def _encodings(self, data: bytes) -> list[tuple[int, ...]]:
        """The admissible encodings of ``data``: its own, and when it ends inside a character those
        that start the encoding of a completion (:mod:`anytok.bytelm.split_chars`)."""
        own = tuple(self.tok.encode(data))
        if self.split is None or incomplete_start(data) is None:
            return [own]
        return [own, *(seq for seq in self.split.completed(data) if seq != own)]

    def prefixes(self, context: bytes, enc: Sequence[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """[(L, allowed)] for every admissible encoding L of ``context`` itself (``enc`` first):
        where a token sequence that leaves the admissible ones can branch off (the upper bound)."""
        own = tuple(enc)
        groups = dict(self.groups(context, enc))
        keys = [own]
        if self.split is not None and incomplete_start(context) is not None:
            head, local = self._local(context, list(enc))
            keys += [head + seq for seq in self.split.completed(local) if head + seq != own]
        return [(key, groups.get(key, np.zeros(self.vocab_size, dtype=bool))) for key in keys]

    @cached_property
    def _cont_ids(self) -> list[int]:
        return np.nonzero(self.cont)[0].tolist()

    def _local(self, context: bytes, enc: list[int]) -> tuple[tuple[int, ...], bytes]:
        """(head, local): ``encode(context + T) == head + encode(local + T)`` for the T tried here.
        ``local`` starts at the last hard cut when the tokenizer has them (exact), else at a token
        boundary a few tokens back whose window encodes alike (:func:`_window`)."""
        b = last_hard_cut(context) if self._hard_cuts else 0
        if b:
            k, n = len(enc), len(context)
            while n > b:
                k -= 1
                n -= len(self.tok.token_bytes(enc[k]))
            if n == b:
                return tuple(enc[:k]), context[b:]
        window, tail = _window(self.tok, context, enc)
        return tuple(enc[: len(enc) - len(tail)]), window

    def _exact(self, context: bytes, enc: list[int]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """Encode a window of the context with each token; after bytes that are not whole UTF-8,
        only tokens starting with a continuation byte need it (the others start afresh)."""
        head, window = self._local(context, enc)
        which = self.cont if not self._exact_only else np.ones(self.vocab_size, dtype=bool)
        out: dict[tuple[int, ...], np.ndarray] = {}
        if not self._exact_only:
            out[tuple(enc)] = ~self.cont & ((self.valid & self.fresh) | (self.single_byte & ~self.valid))
        for i in np.nonzero(which)[0].tolist():
            data = self._bytes[i]
            if not data:
                continue
            for got in self._encodings(window + data):
                if got[-1] == i and self.tok.decode(got[:-1]) == window:
                    out.setdefault(head + got[:-1], np.zeros(self.vocab_size, dtype=bool))[i] = True
        return list(out.items())


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
