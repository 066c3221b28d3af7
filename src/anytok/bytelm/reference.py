"""Readable brute-force references for the byte-level LM (tiny vocabularies only).

They find the token sequences that cover a byte string by plain encoding (every admissible one,
:func:`admissible_covers`; or every one at all, :func:`_covers`), run each through the model from
scratch, and sum: slow, obviously right, and the yardstick the fast cover search is tested against.
"""

from __future__ import annotations

import math
import unicodedata
import weakref
from typing import Any, Iterator

import numpy as np
import torch

from anytok.bytelm.utf8 import code_point_range, incomplete_start
from anytok.tokenizer import Tokenizer
from anytok.tokenizer.onig import onig_members


def _covers(tok: Tokenizer, x: bytes, *, extend: bool) -> Iterator[list[int]]:
    """Token sequences whose bytes, all but the last token inside ``x``, reach the end of ``x``
    (past it when ``extend``)."""
    tokens = [(i, b) for i, b in enumerate(tok.vocab) if b and i not in tok.special_ids]

    def walk(pos: int, seq: list[int]) -> Iterator[list[int]]:
        for i, data in tokens:
            end = pos + len(data)
            if end > len(x) or (end == len(x) and not extend):
                if data.startswith(x[pos:]):
                    yield seq + [i]
            elif x[pos:end] == data:
                yield from walk(end, seq + [i])

    yield from walk(0, [])


def sequence_logprob(model: Any, start_id: int, seq: list[int]) -> float:
    """log P(seq | start token): one full forward pass per prefix, no KV cache (memoised)."""
    memo = _MEMO.setdefault(model, {}).setdefault(start_id, {})
    total = 0.0
    for j, t in enumerate(seq):
        prefix = tuple(seq[:j])
        if prefix not in memo:
            memo[prefix] = next_token_logprobs(model, start_id, list(prefix))
        total += float(memo[prefix][t])
    return total


_MEMO: "weakref.WeakKeyDictionary[Any, dict[int, dict[tuple[int, ...], np.ndarray]]]" = weakref.WeakKeyDictionary()


def next_token_logprobs(model: Any, start_id: int, seq: list[int]) -> np.ndarray:
    """(V,) log-probs of the token after ``seq``."""
    with torch.no_grad():
        ids = torch.tensor([[start_id, *seq]])
        return torch.log_softmax(model(input_ids=ids).logits[0, -1].double(), dim=-1).numpy()


def is_admissible(tok: Tokenizer, seq: list[int]) -> bool:
    """Whether the byte-level LM counts ``seq``: it is the tokenizer's own encoding of its bytes,
    or its bytes end inside a character and it starts the encoding of those bytes with that
    character completed, for some completion (SmolLM2's ``f0 9f`` on the way to an emoji)."""
    data = tok.decode(seq)
    if tok.encode(data) == seq:
        return True
    return any(ids[:len(seq)] == seq for ids in _completed_encodings(tok, data))


def admissible_encodings(tok: Tokenizer, data: bytes) -> set[tuple[int, ...]]:
    """Every admissible token sequence whose bytes are exactly ``data``: its own encoding, and the
    start of each encoding of ``data`` plus a completion of the character it ends inside that
    has a token boundary at the end of ``data``."""
    out = {tuple(tok.encode(data))}
    for ids in _completed_encodings(tok, data):
        k, n = 0, 0
        while n < len(data):
            n += len(tok.token_bytes(ids[k]))
            k += 1
        if n == len(data):
            out.add(tuple(ids[:k]))
    return out


def _completed_encodings(tok: Tokenizer, data: bytes) -> Iterator[list[int]]:
    """``tok.encode(data + c)`` for one completion c of each class of :func:`completion_classes`
    of the character ``data`` ends inside (none when it does not end inside one). Batched through
    ``tokenizers`` when ``data`` is valid text up to that character, in batches that grow, so
    that a search that stops at its first hit stops early."""
    q = incomplete_start(data)
    if q is None:
        return
    rest = completion_classes(tok, data[q:])
    try:
        text = data[:q].decode("utf-8")
    except UnicodeDecodeError:
        yield from (tok.encode(data + c) for c in rest)
        return
    k, size = 0, 16
    while k < len(rest):
        yield from tok.encode_batch([text + (data[q:] + c).decode("utf-8") for c in rest[k:k + size]])
        k, size = k + size, min(4 * size, 8192)


def completion_classes(tok: Tokenizer, head: bytes) -> list[bytes]:
    """One completion of the incomplete character ``head`` per class of completions that every
    encoding treats alike: the completed characters have the same general category and the same
    answers to ``\\s``, ``\\p{L}``, ``\\p{N}``, ``\\p{M}`` (all a pretokenizer pattern can ask), and
    BPE cannot tell the completions apart: in a byte-level BPE they have the same bytes except
    where both have a byte that no merge uses; in a SentencePiece BPE both characters lack a piece
    of their own (they fall back to byte pieces, which no merge uses). Up to 262,144 completions
    become a few thousand."""
    known = _CLASSES.setdefault(tok, {})
    if head not in known:
        first, last = code_point_range(head)
        chars = "".join(map(chr, range(first, last + 1)))
        rest = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)  # code points
        n = len(chars[0].encode("utf-8")) - len(head)
        tails = [0x80 | ((rest >> (6 * (n - 1 - j))) & 0x3F) for j in range(n)]  # (N,) each: byte j of c
        if tok.kind == "byte_bpe":
            inert = np.zeros(256, dtype=bool)
            inert[list(_inert_bytes(tok))] = True
            columns = [np.where(inert[t], 0, t) for t in tails]
        else:
            index = tok.ordinary_index
            own = np.asarray([ch.encode("utf-8") in index for ch in chars])
            columns = [np.where(own, t, 0) for t in tails]
        cats: dict[str, int] = {}
        columns.append(np.asarray([cats.setdefault(unicodedata.category(ch), len(cats)) for ch in chars]))
        points = np.fromiter(map(ord, chars), dtype=np.int64, count=len(chars))
        columns += [onig_members(prop)[points].astype(np.int64) for prop in _PROPERTIES]
        _, keep = np.unique(np.stack(columns, axis=1), axis=0, return_index=True)
        known[head] = [bytes(int(t[k]) for t in tails) for k in sorted(keep.tolist())]
    return known[head]


_CLASSES: "weakref.WeakKeyDictionary[Tokenizer, dict[bytes, list[bytes]]]" = weakref.WeakKeyDictionary()
_PROPERTIES = (r"\s", r"\p{L}", r"\p{N}", r"\p{M}")  # as HF tokenizers' regex engine sees them


def _inert_bytes(tok: Tokenizer) -> frozenset[int]:
    """Bytes whose one-byte token is in no merge of a byte-level BPE."""
    used = {i for pair in tok.merges for i in pair}
    return frozenset(b for b, i in tok._single_byte_ids.items() if i not in used)


def admissible_covers(tok: Tokenizer, x: bytes, *, extend: bool) -> Iterator[tuple[int, ...]]:
    """Every admissible cover of ``x``: ``L + [t]`` with L spelling ``x[:i]`` and t's bytes starting
    with ``x[i:]`` (going past the end of ``x`` when ``extend``), found as the admissible encodings
    of ``x[:i] + bytes(t)`` that end with t."""
    tokens = [(i, b) for i, b in enumerate(tok.vocab) if b and i not in tok.special_ids]
    for i in range(len(x) + 1 if extend else len(x)):
        rest = x[i:]
        for t, data in tokens:
            if data.startswith(rest) and (len(data) > len(rest) or not extend):
                for seq in admissible_encodings(tok, x[:i] + data):
                    if seq[-1] == t and tok.decode(list(seq[:-1])) == x[:i]:
                        yield seq


def brute_next_byte_probs(model: Any, tok: Tokenizer, start_id: int, x: bytes) -> np.ndarray:
    """(257,) next-byte probabilities from summing every admissible cover of ``x + b``, normalised."""
    mass = np.zeros(257)
    for seq in admissible_covers(tok, x, extend=True):
        mass[tok.decode(list(seq))[len(x)]] += math.exp(sequence_logprob(model, start_id, list(seq)))
    if tok.eos_id is not None:
        enc = tok.encode(x)
        mass[256] = math.exp(sequence_logprob(model, start_id, enc)) * math.exp(
            next_token_logprobs(model, start_id, enc)[tok.eos_id])
    return mass / mass.sum()


def brute_prefix_prob(model: Any, tok: Tokenizer, start_id: int, x: bytes, *, canonical: bool) -> float:
    """P(the model's text starts with ``x``): the sum over covers, admissible ones or all."""
    covers = admissible_covers(tok, x, extend=False) if canonical else _covers(tok, x, extend=False)
    return sum(math.exp(sequence_logprob(model, start_id, list(seq))) for seq in covers)
