"""A small, readable BPE encoder: the oracle that tests hold the fast (HF tokenizers) path against.

It reads only the byte view (token bytes, merges, pattern), never the tokenizer.json, so it is an
independent check of both the loaders and the encoder. Quadratic per pretoken: for tests only.
"""

from __future__ import annotations

import regex

from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.hf_json import KIND_BYTE_BPE, KIND_SPM_BPE
from anytok.tokenizer.onig import pretoken_regex


def _split_specials(text: str, specials: dict[str, int]) -> list[str | int]:
    """Cut ``text`` around special-token strings (longest first); specials become their ids."""
    if not specials:
        return [text]
    alternation = "|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True))
    out: list[str | int] = []
    for part in regex.split(f"({alternation})", text):
        if part in specials:
            out.append(specials[part])
        elif part:
            out.append(part)
    return out


def _apply_merges(ids: list[int], ranks: dict[tuple[int, int], tuple[int, int]]) -> list[int]:
    """Merge the adjacent pair of lowest rank, leftmost first, until no pair has a rank."""
    while len(ids) > 1:
        best = None
        for i in range(len(ids) - 1):
            entry = ranks.get((ids[i], ids[i + 1]))
            if entry is not None and (best is None or entry[0] < best[1][0]):
                best = (i, entry)
        if best is None:
            break
        i, (_, merged) = best
        ids[i:i + 2] = [merged]
    return ids


def _merge_table(tok: Tokenizer, index: dict[bytes, int]) -> dict[tuple[int, int], tuple[int, int]]:
    vocab = tok.vocab
    table: dict[tuple[int, int], tuple[int, int]] = {}
    for rank, (a, b) in enumerate(tok.merges):
        table.setdefault((a, b), (rank, index[vocab[a] + vocab[b]]))
    return table


def _encode_byte_bpe(tok: Tokenizer, text: str, index: dict[bytes, int], ranks) -> list[int]:
    ids: list[int] = []
    for piece in pretoken_regex(tok.pattern).findall(text):
        data = piece.encode("utf-8")
        if tok.ignore_merges and data in index:
            ids.append(index[data])
        else:
            ids += _apply_merges([index[bytes([b])] for b in data], ranks)
    return ids


def _encode_spm_bpe(tok: Tokenizer, text: str, index: dict[bytes, int], ranks) -> list[int]:
    if tok.add_prefix_space:
        text = " " + text
    symbols: list[int] = []
    for char in text:
        data = char.encode("utf-8")
        if data in index:
            symbols.append(index[data])
        else:
            symbols += [tok.single_byte_id(b) for b in data]
    return _apply_merges(symbols, ranks)


def encode_reference(tok: Tokenizer, text: str) -> list[int]:
    """Encode ``text`` from the byte view alone (byte-level or SentencePiece-style BPE)."""
    if tok.kind not in (KIND_BYTE_BPE, KIND_SPM_BPE):
        raise NotImplementedError(f"the reference encoder covers BPE tokenizers, not {tok.kind}")
    index = tok.ordinary_index
    ranks = _merge_table(tok, index)
    encode_part = _encode_byte_bpe if tok.kind == KIND_BYTE_BPE else _encode_spm_bpe
    ids: list[int] = []
    for part in _split_specials(text, tok.special_tokens):
        ids += [part] if isinstance(part, int) else encode_part(tok, part, index, ranks)
    return ids
