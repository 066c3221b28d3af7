"""Load the tokenizer stored in a GGUF model file (llama.cpp's ``tokenizer.ggml.*`` metadata).

Two tokenizer models are read, and each becomes a tokenizer.json that encodes as
``transformers.AutoTokenizer.from_pretrained(folder, gguf_file=...)`` does:

- ``gpt2``: byte-level BPE (SmolLM2, Llama 3, Qwen). Tokens and merges are spelled in the GPT-2
  byte alphabet; the pretokenizer regex is chosen from ``tokenizer.ggml.pre`` (:data:`PRE_PATTERNS`,
  GPT-2's regex for names it does not list, as transformers does). One known consequence:
  llama.cpp (and SmolLM2's own tokenizer.json) also isolate every digit for ``smollm``, which
  differs from GPT-2's regex only after a run of 2+ spaces before a digit ("a  1": llama.cpp
  ``a ĠĠ 1``, transformers and anytok ``a Ġ Ġ 1``).
- ``llama``: SentencePiece-style BPE with ``<0xNN>`` byte fallback (Gemma, Llama 2). No merges are
  stored, so they are derived from the vocabulary: every split of a token into two tokens is a
  merge, ranked by the token's score -- or, for Gemma, whose scores do not follow its merge order, by
  the token's position in the file (:func:`derive_merges`).

Token types (llama.cpp): 1 normal, 2 unknown, 3 control (special), 4 user-defined (matched whole in
the text, not special), 5 unused, 6 byte (``<0xNN>``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from anytok.errors import TokenizerFormatError
from anytok.tokenizer import hf_json, patterns
from anytok.tokenizer.byte_unicode import bytes_to_unicode_str, unicode_to_byte
from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.gguf_metadata import read_gguf_metadata
from anytok.tokenizer.roles import guess_roles

logger = logging.getLogger(__name__)

UNKNOWN, CONTROL, USER_DEFINED, BYTE = 2, 3, 4, 6
_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")

# tokenizer.ggml.pre -> pretokenizer regex (byte-level BPE); other names get GPT-2's regex.
PRE_PATTERNS: dict[str, str] = {
    **dict.fromkeys(("llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe", "dbrx", "pixtral"), patterns.LLAMA3),
    **dict.fromkeys(("qwen2", "deepseek-r1-qwen", "megrez"), patterns.QWEN3),
    **dict.fromkeys(("gpt-4o", "llama4", "minimax-m2"), patterns.O200K),
}

# llama.cpp metadata key -> anytok role
_ROLE_KEYS = {"bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id",
              "pad": "padding_token_id", "sep": "seperator_token_id", "cls": "cls_token_id",
              "mask": "mask_token_id"}

# architectures whose SentencePiece merges follow the file order, not the scores
_MERGES_BY_POSITION = frozenset({"gemma", "gemma2", "gemma3"})


def load_gguf(path: str | os.PathLike) -> Tokenizer:
    """The tokenizer inside GGUF model file ``path`` (``gpt2`` or ``llama`` tokenizer models).

    Roles (bos, eos, unk, pad, ...) and the BOS convention come from the file's metadata.
    A file cut short or corrupt raises :class:`TokenizerFormatError`.
    """
    path = Path(path)
    meta = read_gguf_metadata(path, prefixes=("tokenizer.ggml.", "general.architecture"))
    _check_types(meta, path)
    model = meta.get("tokenizer.ggml.model")
    builders = {"gpt2": _byte_bpe_doc, "llama": _spm_bpe_doc}
    if model not in builders:
        raise TokenizerFormatError(
            f"{path}: GGUF tokenizer model {model!r} is not supported; anytok reads 'gpt2' (byte-level BPE) "
            "and 'llama' (SentencePiece BPE); convert the tokenizer to tokenizer.json and load that")
    tokens = _tokens(meta, path)
    types = np.asarray(meta.get("tokenizer.ggml.token_type", np.ones(len(tokens))), dtype=np.int64)
    if len(types) != len(tokens):
        raise TokenizerFormatError(f"{path}: {len(types)} token types for {len(tokens)} tokens; the file is corrupt")
    roles = _roles(meta, len(tokens), path)
    unknown = np.flatnonzero(types == UNKNOWN)
    if "unk" not in roles and len(unknown):
        roles["unk"] = int(unknown[0])
    add_bos = bool(meta.get("tokenizer.ggml.add_bos_token", model == "llama"))
    bos = (tokens[roles["bos"]], roles["bos"]) if add_bos and "bos" in roles else None
    doc = builders[model](meta, tokens, types, bos=bos, path=path)
    logger.info("loaded %s tokenizer of %s (%d tokens)", model, path, len(tokens))
    specials = {t["content"]: t["id"] for t in doc["added_tokens"] if t["special"]}
    # roles the metadata does not name (mask, ...) from the usual spellings
    return Tokenizer.from_hf_json(doc, name=path.stem, roles={**guess_roles(specials), **roles}, add_bos=add_bos)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, str) for t in value)


def _number_array(value: Any, kinds: str) -> bool:
    """A numeric array (as the reader returns them) whose dtype kind is one of ``kinds``."""
    return not isinstance(value, (str, list)) and np.asarray(value).dtype.kind in kinds


def _check_types(meta: Mapping[str, Any], path: Path) -> None:
    """Each tokenizer key holds the type the GGUF spec gives it, or one error naming the key."""
    expected = {"tokenizer.ggml.model": ("a string", lambda v: isinstance(v, str)),
                "tokenizer.ggml.tokens": ("a list of strings", _strings),
                "tokenizer.ggml.merges": ("a list of strings", _strings),
                "tokenizer.ggml.token_type": ("a list of integers", lambda v: _number_array(v, "iu")
                                              or isinstance(v, list) and all(_is_int(t) for t in v)),
                "tokenizer.ggml.scores": ("a list of numbers", lambda v: _number_array(v, "iuf"))}
    expected.update({f"tokenizer.ggml.{key}": ("an integer token id", _is_int) for key in _ROLE_KEYS.values()})
    for key, (what, ok) in expected.items():
        if key in meta and not ok(meta[key]):
            shown = repr(meta[key])
            raise TokenizerFormatError(f"{path}: {key} must be {what}, not {shown[:60]}{'...' if len(shown) > 60 else ''}; "
                                       "the file is corrupt or was written by a broken converter")


def _tokens(meta: Mapping[str, Any], path: Path) -> list[str]:
    tokens = meta.get("tokenizer.ggml.tokens")
    if not tokens:
        raise TokenizerFormatError(f"{path} holds no vocabulary (no tokenizer.ggml.tokens)")
    return tokens


def _roles(meta: Mapping[str, Any], n_tokens: int, path: Path) -> dict[str, int]:
    roles = {}
    for role, key in _ROLE_KEYS.items():
        value = meta.get(f"tokenizer.ggml.{key}")
        if value is None or value == -1 or value == 0xFFFFFFFF:
            continue
        if not 0 <= value < n_tokens:
            raise TokenizerFormatError(f"{path}: {key} is {value}, outside the {n_tokens}-token vocabulary")
        roles[role] = int(value)
    return roles


def _plain_added(tokens: Sequence[str], types: np.ndarray, model_names: Mapping[str, int]) -> dict[str, int]:
    """User-defined tokens that are matched whole in text (those the model vocabulary spells alike)."""
    return {tokens[i]: int(i) for i in np.flatnonzero(types == USER_DEFINED) if tokens[i] in model_names}


# -- byte-level BPE (tokenizer.ggml.model = gpt2) ---------------------------------------------------------

def _byte_bpe_doc(meta: Mapping[str, Any], tokens: list[str], types: np.ndarray, *,
                  bos: tuple[str, int] | None, path: Path) -> dict[str, Any]:
    table = unicode_to_byte()
    # A token spelled outside the byte alphabet stands for its UTF-8 bytes (as transformers reads it).
    spelled = [t if all(c in table for c in t) else bytes_to_unicode_str(t.encode("utf-8", "surrogateescape"))
               for t in tokens]
    token_bytes: list[bytes | None] = [bytes(table[c] for c in s) for s in spelled]
    # A control token written outside the byte alphabet is a mislabelled ordinary token: not special.
    specials = {tokens[i]: int(i) for i in np.flatnonzero(types == CONTROL) if spelled[i] == tokens[i]}
    for content, i in specials.items():
        token_bytes[i] = content.encode("utf-8")
    index = {s: i for i, s in enumerate(spelled)}
    merges = _named_merges(meta.get("tokenizer.ggml.merges") or [], index, set(specials.values()), path)
    pre = meta.get("tokenizer.ggml.pre", "default")
    return hf_json.build_byte_bpe_json(
        token_bytes=token_bytes, merges=merges, pattern=PRE_PATTERNS.get(pre, patterns.GPT2),
        special_tokens=specials, ignore_merges=False, bos=bos,
        plain_added_tokens=_plain_added(tokens, types, index), specials_in_model=True)


def _named_merges(merges: Sequence[str], index: Mapping[str, int], skip: set[int],
                  path: Path) -> list[tuple[int, int]]:
    """``"left right"`` merge strings as id pairs (merges touching special tokens left out)."""
    pairs = []
    for k, merge in enumerate(merges):
        left, _, right = merge.partition(" ")
        ids = (index.get(left), index.get(right), index.get(left + right))
        if None in ids:
            raise TokenizerFormatError(f"{path}: merge #{k} {merge!r} uses or makes a token not in the vocabulary")
        if not skip.intersection(ids):
            pairs.append((ids[0], ids[1]))
    return pairs


# -- SentencePiece BPE with byte fallback (tokenizer.ggml.model = llama) ----------------------------------

def derive_merges(pieces: Sequence[str], ranks: Sequence[float]) -> list[tuple[int, int]]:
    """All merges a BPE vocabulary implies, best first, as the transformers/tokenizers converters order them.

    Every split of piece ``p`` into two pieces of the vocabulary is a merge; merges are ordered by
    the rank of ``p`` (higher first), then longer left part first, then by piece order. Splits are at
    character boundaries (a ``<0xNN>`` byte piece is never a part of a split).
    """
    index = {p: i for i, p in enumerate(pieces)}
    found = []  # (-rank, -len(left), -len(right), piece id, left id, right id)
    get = index.get
    for i, piece in enumerate(pieces):
        for cut in range(1, len(piece)):
            left = get(piece[:cut])
            if left is not None:
                right = get(piece[cut:])
                if right is not None:
                    found.append((-ranks[i], -cut, cut - len(piece), i, left, right))
    found.sort()
    return [(left, right) for *_, left, right in found]


def _spm_bpe_doc(meta: Mapping[str, Any], tokens: list[str], types: np.ndarray, *,
                 bos: tuple[str, int] | None, path: Path) -> dict[str, Any]:
    # Gemma files store tokens of spaces with real spaces; SentencePiece spells a space ▁.
    pieces = [t.replace(" ", hf_json.SPM_SPACE) for t in tokens]
    token_bytes, byte_ids = _spm_token_bytes(pieces, types)
    specials = {tokens[i]: int(i) for i in np.flatnonzero((types == CONTROL) | (types == UNKNOWN))}
    arch = meta.get("general.architecture", "")
    if arch in _MERGES_BY_POSITION:
        ranks = -np.arange(len(pieces), dtype=np.float64)
    elif "tokenizer.ggml.scores" in meta:
        ranks = np.asarray(meta["tokenizer.ggml.scores"], dtype=np.float64)
    else:
        raise TokenizerFormatError(f"{path}: a 'llama' tokenizer needs tokenizer.ggml.scores to derive its merges")
    index = {p: i for i, p in enumerate(pieces)}
    skip = set(specials.values())
    merges = [(a, b) for a, b in derive_merges(pieces, ranks.tolist())
              if a not in skip and b not in skip and index[pieces[a] + pieces[b]] not in skip]
    unk_id = meta.get("tokenizer.ggml.unknown_token_id")
    unk = tokens[unk_id] if unk_id is not None and 0 <= unk_id < len(tokens) else None
    return hf_json.build_spm_bpe_json(
        token_bytes=token_bytes, merges=merges, special_tokens=specials, byte_fallback_ids=byte_ids,
        add_prefix_space=bool(meta.get("tokenizer.ggml.add_space_prefix", True)), unk=unk, bos=bos,
        plain_added_tokens=_plain_added(tokens, types, index), specials_in_model=True)


def _spm_token_bytes(pieces: Sequence[str], types: np.ndarray) -> tuple[list[bytes | None], set[int]]:
    """Each piece's bytes (``▁`` = space, ``<0xNN>`` byte pieces = that byte) and the byte-piece ids."""
    token_bytes: list[bytes | None] = []
    byte_ids = set()
    for i, (piece, kind) in enumerate(zip(pieces, types)):
        m = _BYTE_PIECE.match(piece) if kind == BYTE else None
        if m:
            byte_ids.add(i)
            token_bytes.append(bytes([int(m.group(1), 16)]))
        else:
            token_bytes.append(piece.replace(hf_json.SPM_SPACE, " ").encode("utf-8", "surrogateescape"))
    return token_bytes, byte_ids
