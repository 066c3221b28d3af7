"""Read the byte-level view out of a tokenizer.json, and build tokenizer.json documents.

A tokenizer.json (the format of HF ``tokenizers``) is what anytok encodes with: every tokenizer,
whatever file it came from, is expressed as one, so that encoding is exactly the stock library's.
This module knows the two spellings of bytes in vocabularies:

- byte-level BPE (GPT-2, Llama 3, SmolLM2): every byte is a printable character (``Ġ`` = space);
- SentencePiece style (Gemma, Llama 2): ``▁`` stands for a space and ``<0xNN>`` for a raw byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Collection, Mapping, Sequence

from anytok.errors import TokenizerFormatError
from anytok.tokenizer.byte_unicode import bytes_to_unicode_str, unicode_to_byte

SPM_SPACE = "\u2581"  # ▁
_BYTE_FALLBACK = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")

KIND_BYTE_BPE = "byte_bpe"
KIND_SPM_BPE = "sentencepiece_bpe"
KIND_UNIGRAM = "unigram"
KIND_WORDPIECE = "wordpiece"


@dataclass
class ByteView:
    """What anytok keeps of a tokenizer besides its tokenizer.json.

    ``token_bytes[i]`` is the exact bytes of token ``i`` (None for an id no token uses). The merges
    are read on demand (:func:`merge_pairs`): half a million of them take most of a second.
    """

    kind: str
    token_bytes: list[bytes | None]
    special_tokens: dict[str, int]
    pattern: str | None = None
    ignore_merges: bool = False
    add_prefix_space: bool = False
    add_bos: bool = False
    bos_content: str | None = None
    byte_fallback_ids: frozenset[int] = frozenset()


def components(node: Mapping[str, Any] | None, kind: str | None = None) -> list[Mapping[str, Any]]:
    """The nodes of type ``kind`` (default: all) in a normalizer/pre_tokenizer/decoder tree, with
    Sequence nodes flattened away."""
    if not node:
        return []
    if node.get("type") == "Sequence":
        children = node.get("pretokenizers") or node.get("normalizers") or node.get("decoders") or []
        return [c for child in children for c in components(child, kind)]
    return [node] if kind is None or node.get("type") == kind else []


def _detect_kind(doc: Mapping[str, Any]) -> str:
    model_type = doc.get("model", {}).get("type")
    if model_type == "WordPiece":
        return KIND_WORDPIECE
    if model_type == "Unigram":
        return KIND_UNIGRAM
    if model_type != "BPE":
        raise TokenizerFormatError(
            f"tokenizer model type {model_type!r} is not supported; anytok reads BPE, Unigram and WordPiece")
    byte_level = components(doc.get("pre_tokenizer"), "ByteLevel") or components(doc.get("decoder"), "ByteLevel")
    return KIND_BYTE_BPE if byte_level else KIND_SPM_BPE


def _spm_piece_bytes(piece: str) -> bytes:
    m = _BYTE_FALLBACK.match(piece) if piece.startswith("<0x") else None  # the test first: 262k pieces
    if m:
        return bytes([int(m.group(1), 16)])
    return piece.replace(SPM_SPACE, " ").encode("utf-8")


def _byte_level_piece_bytes(piece: str) -> bytes:
    table = unicode_to_byte()
    try:
        return bytes(table[c] for c in piece)
    except KeyError as e:
        raise TokenizerFormatError(
            f"token {piece!r} has character {e.args[0]!r} outside the byte-level alphabet; "
            "the file is not a byte-level BPE vocabulary") from None


def _wordpiece_piece_bytes(piece: str, prefix: str) -> bytes:
    return (piece[len(prefix):] if piece.startswith(prefix) and piece != prefix else piece).encode("utf-8")


def _split_pattern(doc: Mapping[str, Any]) -> str | None:
    for split in components(doc.get("pre_tokenizer"), "Split"):
        pat = split.get("pattern", {})
        if "Regex" in pat:
            return pat["Regex"]
    for bl in components(doc.get("pre_tokenizer"), "ByteLevel"):
        if bl.get("use_regex", True):
            from anytok.tokenizer.patterns import GPT2
            return GPT2
    return None


def _model_vocab(model: Mapping[str, Any], kind: str) -> list[tuple[str, int]]:
    vocab = model.get("vocab")
    if kind == KIND_UNIGRAM:
        if not isinstance(vocab, list):
            raise TokenizerFormatError("Unigram model has no vocab list")
        return [(entry[0], i) for i, entry in enumerate(vocab)]
    if not isinstance(vocab, dict):
        raise TokenizerFormatError(f"{model.get('type')} model has no vocab mapping")
    return list(vocab.items())


def merge_pairs(doc: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The BPE merges of a tokenizer.json document as (left id, right id) in priority order
    (empty for other models)."""
    model = doc["model"]
    if model.get("type") != "BPE":
        return []
    vocab = model["vocab"]
    pairs = []
    for i, merge in enumerate(model.get("merges") or []):
        try:
            left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        except (TypeError, ValueError):
            raise TokenizerFormatError(f"merge #{i} {merge!r} is not a pair of tokens") from None
        try:
            pairs.append((vocab[left], vocab[right]))
            vocab[left + right]
        except KeyError as e:
            raise TokenizerFormatError(f"merge #{i} {merge!r} uses token {e.args[0]!r} that is not in the vocab") from None
    return pairs


def _post_processor_bos(doc: Mapping[str, Any]) -> str | None:
    """The special token the post-processor puts first, if any (the BOS convention)."""
    post = doc.get("post_processor") or {}
    nodes = post.get("processors", [post]) if post.get("type") == "Sequence" else [post]
    for node in nodes:
        if node.get("type") == "TemplateProcessing":
            first = (node.get("single") or [{}])[0]
            if "SpecialToken" in first:
                return first["SpecialToken"]["id"]
    return None


MAX_UNUSED_IDS = 1024  # real files leave a few ids unused (cl100k: 16, between its ranks and specials)


def id_space(ids: Collection[int], what: str = "tokenizer") -> int:
    """The number of ids (largest + 1) of a tokenizer whose tokens have ``ids``, checked dense:
    every id is a non-negative int and at most ``max(MAX_UNUSED_IDS, ids / 8)`` ids below the
    largest are unused. A 70-byte file with the one id 100,000,000 would otherwise make a table
    of 100 million entries."""
    if not ids:
        return 0
    bad = next((i for i in ids if not isinstance(i, int) or isinstance(i, bool) or i < 0), None)
    if bad is not None:
        raise TokenizerFormatError(f"{what} has token id {bad!r}; ids must be integers >= 0")
    size = max(ids) + 1
    used = len(set(ids))
    if size - used > max(MAX_UNUSED_IDS, used // 8):
        raise TokenizerFormatError(
            f"{what} has {used:,} tokens but ids up to {size - 1:,}, so {size - used:,} ids are unused; "
            "token ids must be dense (0, 1, 2, ...): the file is damaged or an id is mistyped")
    return size


def parse_hf_json(doc: Mapping[str, Any]) -> ByteView:
    """Read the byte view (token bytes, specials, pattern) of a tokenizer.json document."""
    if not isinstance(doc, Mapping) or "model" not in doc:
        raise TokenizerFormatError("not a tokenizer.json document: no 'model' section")
    kind = _detect_kind(doc)
    model = doc["model"]
    pairs = _model_vocab(model, kind)
    added = {t["content"]: t["id"] for t in doc.get("added_tokens") or []}
    special = {t["content"]: t["id"] for t in doc.get("added_tokens") or [] if t.get("special", True)}
    size = id_space([i for _, i in pairs] + list(added.values()), "tokenizer.json")
    token_bytes: list[bytes | None] = [None] * size
    prefix = model.get("continuing_subword_prefix") or "##"
    for piece, i in pairs:
        if kind == KIND_BYTE_BPE:
            token_bytes[i] = _byte_level_piece_bytes(piece)
        elif kind == KIND_WORDPIECE:
            token_bytes[i] = _wordpiece_piece_bytes(piece, prefix)
        else:
            token_bytes[i] = _spm_piece_bytes(piece)
    spm_kind = kind in (KIND_SPM_BPE, KIND_UNIGRAM)
    for content, i in added.items():  # the ▁ of a SentencePiece-style token decodes to a space, added or not
        token_bytes[i] = content.replace(SPM_SPACE, " ").encode() if spm_kind and content not in special \
            else content.encode("utf-8")
    byte_ids = frozenset(i for piece, i in pairs if piece.startswith("<0x") and _BYTE_FALLBACK.match(piece)) \
        if spm_kind else frozenset()
    prepend = components(doc.get("normalizer"), "Prepend") or [
        m for m in components(doc.get("pre_tokenizer"), "Metaspace") if m.get("prepend_scheme", "always") != "never"
    ] or [  # a Replace anchored at the start that writes ▁ (SentencePiece with user-defined pieces)
        r for r in components(doc.get("normalizer"), "Replace")
        if r.get("content") == SPM_SPACE and str((r.get("pattern") or {}).get("Regex", "")).startswith("\\A")]
    bos = _post_processor_bos(doc)
    return ByteView(
        kind=kind, token_bytes=token_bytes, special_tokens=special,
        pattern=_split_pattern(doc) if kind == KIND_BYTE_BPE else None,
        ignore_merges=bool(model.get("ignore_merges", False)),
        add_prefix_space=bool(prepend), add_bos=bos is not None, bos_content=bos, byte_fallback_ids=byte_ids)


def _added_tokens(special_tokens: Mapping[str, int],
                  plain_tokens: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """added_tokens entries: specials, and ``plain_tokens`` (matched whole in text, but not special)."""
    entries = [(i, content, True) for content, i in special_tokens.items()]
    entries += [(i, content, False) for content, i in (plain_tokens or {}).items()]
    return [
        {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": special}
        for i, content, special in sorted(entries)
    ]


def _bos_post_processor(bos: tuple[str, int] | None) -> dict[str, Any] | None:
    if bos is None:
        return None
    content, i = bos
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": content, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": content, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {content: {"id": content, "ids": [i], "tokens": [content]}},
    }


def _bpe_model(vocab: dict[str, int], merges: list[list[str]], *, byte_fallback: bool,
               ignore_merges: bool, unk: str | None = None) -> dict[str, Any]:
    return {
        "type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
        "end_of_word_suffix": None, "fuse_unk": byte_fallback, "byte_fallback": byte_fallback,
        "ignore_merges": ignore_merges, "vocab": vocab, "merges": merges,
    }


def _check_merges(token_bytes: Sequence[bytes | None], merges: Sequence[tuple[int, int]]) -> dict[bytes, int]:
    index = {b: i for i, b in enumerate(token_bytes) if b is not None}
    for k, (a, b) in enumerate(merges):
        left, right = token_bytes[a], token_bytes[b]
        if left is None or right is None or left + right not in index:
            raise TokenizerFormatError(f"merge #{k} ({a}, {b}) does not produce a token of the vocabulary")
    return index


def build_byte_bpe_json(*, token_bytes: Sequence[bytes | None], merges: Sequence[tuple[int, int]],
                        pattern: str, special_tokens: Mapping[str, int], ignore_merges: bool,
                        bos: tuple[str, int] | None = None,
                        plain_added_tokens: Mapping[str, int] | None = None,
                        specials_in_model: bool = True) -> dict[str, Any]:
    """A tokenizer.json for byte-level BPE: regex Split (isolated) then ByteLevel, as GPT-2/Llama 3.

    ``plain_added_tokens`` (content -> id) are matched whole in text before BPE, but not special.
    ``specials_in_model`` (the default) also lists the specials in the model vocabulary (by their
    text): ``tokenizers`` gives an added token that is not in the model vocabulary the next free id,
    whatever id the file says, so cl100k's ``<|endoftext|>`` (100257, after the unused id 100256)
    or Gemma's ``<bos>`` (2) would otherwise get wrong ids.
    """
    _check_merges(token_bytes, merges)
    specials = set(special_tokens.values())
    vocab = {bytes_to_unicode_str(b): i for i, b in enumerate(token_bytes) if b is not None and i not in specials}
    if specials_in_model:
        vocab.update(special_tokens)
    names = [bytes_to_unicode_str(b) if b is not None else "" for b in token_bytes]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": _added_tokens(special_tokens, plain_added_tokens),
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ]},
        "post_processor": _bos_post_processor(bos)
        or {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        "model": _bpe_model(vocab, [[names[a], names[b]] for a, b in merges],
                            byte_fallback=False, ignore_merges=ignore_merges),
    }


def spm_piece(data: bytes) -> str:
    """SentencePiece spelling of a token's bytes: ``▁`` for spaces, ``<0xNN>`` for a lone non-UTF-8 byte."""
    try:
        return data.decode("utf-8").replace(" ", SPM_SPACE)
    except UnicodeDecodeError:
        if len(data) != 1:
            raise TokenizerFormatError(f"token {data!r} is not UTF-8 and not a single byte") from None
        return f"<0x{data[0]:02X}>"


def build_spm_bpe_json(*, token_bytes: Sequence[bytes | None], merges: Sequence[tuple[int, int]],
                       special_tokens: Mapping[str, int], byte_fallback_ids: Collection[int],
                       add_prefix_space: bool, unk: str | None = None,
                       bos: tuple[str, int] | None = None,
                       plain_added_tokens: Mapping[str, int] | None = None,
                       specials_in_model: bool = True) -> dict[str, Any]:
    """A tokenizer.json for SentencePiece-style BPE with byte fallback (Gemma, Llama 2).

    ``byte_fallback_ids`` are the ids of the 256 ``<0xNN>`` pieces (their bytes may also be the
    bytes of an ordinary piece, such as ``A``, so the ids must be given). ``plain_added_tokens``
    (content -> id) are matched whole in text before BPE, but not special. ``specials_in_model``:
    see :func:`build_byte_bpe_json`; the ``unk`` token is always in the model vocabulary.
    """
    _check_merges(token_bytes, merges)
    specials = set() if specials_in_model else set(special_tokens.values()) - {special_tokens.get(unk)}
    byte_ids = set(byte_fallback_ids)
    names = {}
    for i, b in enumerate(token_bytes):
        if b is not None and i not in specials:
            names[i] = f"<0x{b[0]:02X}>" if i in byte_ids else spm_piece(b)
    normalizers = [{"type": "Prepend", "prepend": SPM_SPACE}] if add_prefix_space else []
    normalizers.append({"type": "Replace", "pattern": {"String": " "}, "content": SPM_SPACE})
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": _added_tokens(special_tokens, plain_added_tokens),
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": None,
        "post_processor": _bos_post_processor(bos),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPM_SPACE}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
        ] + ([{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if add_prefix_space else [])},
        "model": _bpe_model({n: i for i, n in names.items()}, [[names[a], names[b]] for a, b in merges],
                            byte_fallback=True, ignore_merges=False, unk=unk),
    }

