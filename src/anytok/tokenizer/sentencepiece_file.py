"""Load SentencePiece ``.model`` files (BPE and Unigram) as anytok Tokenizers.

The model file is a protobuf (``ModelProto``), parsed with the schema that ships in the
``sentencepiece`` package. It becomes a tokenizer.json that encodes as
``sentencepiece.SentencePieceProcessor`` does on real text:

- normalization: the file's precompiled character map (so every built-in rule works: ``identity``,
  ``nmt_nfkc``, ``nfkc``, ``nmt_nfkc_cf``, ``nfkc_cf``, and custom rule TSVs compiled into the
  file), then ``remove_extra_whitespaces`` (leading and trailing spaces dropped, runs of spaces
  collapsed), the dummy prefix ``▁`` (``add_dummy_prefix``) and spaces spelled ``▁``;
- BPE: merges derived from the piece scores (every split of a piece into two pieces, best score
  first); Unigram: the pieces and their scores, Viterbi segmentation;
- byte fallback (``<0xNN>`` pieces) when the model was trained with it;
- user-defined pieces (``user_defined_symbols``): matched whole in the normalized text and kept
  out of the character map, as SentencePiece does; pieces made only of spaces are never matched
  (SentencePiece spells spaces ``▁`` before it matches) but decide how a run of spaces collapses.

Not supported (a clear :class:`TokenizerFormatError`): WORD and CHAR models,
``treat_whitespace_as_suffix``, ``escape_whitespaces=false``, a normalization rule other than
identity with no precompiled map, a user-defined piece that mixes spaces with other characters.
Differences from SentencePieceProcessor: control
pieces (``<s>``, ``</s>``) and ``<unk>`` written literally in the text are read as those special
tokens (the HF convention, which transformers' converted tokenizers share); SentencePiece reads them
as plain characters; a text that normalizes to exactly one user-defined piece gets no dummy-prefix
``▁`` before it (tokenizers normalizes an added token's own text with the same normalizer, so the
prefix cannot be told apart from it). BOS is not added by default (``add_bos=False``), as in SentencePiece.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Any, NamedTuple

from anytok.errors import TokenizerFormatError
from anytok.tokenizer import hf_json
from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.gguf_file import derive_merges

logger = logging.getLogger(__name__)

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
UNIGRAM, BPE = 1, 2


def _read_proto(path: Path) -> Any:
    try:
        from sentencepiece import sentencepiece_model_pb2
    except ImportError as e:  # pragma: no cover - sentencepiece is a dependency
        raise TokenizerFormatError(f"reading {path} needs the sentencepiece package: pip install sentencepiece") from e
    proto = sentencepiece_model_pb2.ModelProto()
    try:
        proto.ParseFromString(path.read_bytes())
    except Exception as e:  # protobuf raises its own DecodeError
        raise TokenizerFormatError(f"{path} is not a SentencePiece model file, or it is corrupt ({e})") from None
    if not proto.pieces:
        raise TokenizerFormatError(f"{path} holds no pieces; it is not a SentencePiece model file")
    return proto


def _check_supported(proto: Any, path: Path) -> None:
    model_type, norm = proto.trainer_spec.model_type, proto.normalizer_spec
    if model_type not in (UNIGRAM, BPE):
        raise TokenizerFormatError(f"{path}: SentencePiece model type {model_type} (WORD or CHAR) is not supported; "
                                   "anytok reads BPE and Unigram models")
    if proto.trainer_spec.treat_whitespace_as_suffix:
        raise TokenizerFormatError(f"{path}: treat_whitespace_as_suffix=true is not supported; retrain without it")
    if not norm.escape_whitespaces:
        raise TokenizerFormatError(f"{path}: escape_whitespaces=false is not supported; retrain with the default")
    if norm.name not in ("identity", "") and not norm.precompiled_charsmap:
        raise TokenizerFormatError(f"{path}: normalization rule {norm.name!r} has no precompiled map in the file; "
                                   "retrain with a built-in rule (nmt_nfkc, nfkc, identity, ...)")
    for p in proto.pieces:
        if p.type == USER_DEFINED and " " in p.piece and p.piece.strip(" "):
            raise TokenizerFormatError(f"{path}: user-defined piece {p.piece!r} mixes spaces with other characters, "
                                       "which anytok cannot normalize as SentencePiece does; retrain without it "
                                       "(pieces of spaces only, or without spaces, are supported)")


def _normalizer(norm: Any, matched: list[str], blank_pieces: list[str]) -> dict[str, Any]:
    """The HF normalizer of a SentencePiece NormalizerSpec, given its user-defined pieces (those
    matched in normalized text, and those of spaces only).

    SentencePiece normalizes the whole text at once and copies user-defined pieces through its
    character map unchanged; HF matches added tokens marked ``normalized`` in the normalized
    text. So the pieces the map would change are swapped for private-use stand-ins around the
    ``Precompiled`` step; the dummy prefix goes before any text except one that is a user-defined
    piece itself (HF normalizes each added token's content with this same normalizer, and the
    content must come out unchanged); and pieces made of spaces, which SentencePiece never matches
    in normalized text (spaces are ``▁`` there) but keeps whole when they start a run of spaces,
    decide how such runs collapse.
    """
    charsmap = _precompiled(norm) if norm.precompiled_charsmap else None
    marks = iter(chr(c) for c in range(0x100000, 0x10FFFE))
    blanks = {next(marks): run for run in sorted(blank_pieces, key=len, reverse=True)
              if norm.remove_extra_whitespaces}
    shielded = {next(marks): p for p in sorted(matched, key=len, reverse=True)
                if charsmap is not None and charsmap.normalize_str(p) != p}
    for mark in [*blanks, *shielded]:
        if charsmap is not None and charsmap.normalize_str(mark) != mark:
            raise TokenizerFormatError(f"the character map of this model changes U+{ord(mark):X}, the private-use "
                                       "code point anytok needs for its user-defined pieces")
    steps: list[dict[str, Any]] = [_replace(text, mark) for mark, text in [*blanks.items(), *shielded.items()]]
    if norm.precompiled_charsmap:
        steps.append({"type": "Precompiled",
                      "precompiled_charsmap": base64.b64encode(norm.precompiled_charsmap).decode("ascii")})
    steps += [_replace(mark, text) for mark, text in shielded.items()]
    if norm.remove_extra_whitespaces:
        blank = "[ " + "".join(_onig_escape(m) for m in blanks) + "]"
        steps.append(_replace({"Regex": rf"\A{blank}+|{blank}+\z"}, ""))
        steps.append(_replace({"Regex": f"(?<={blank}){blank}+"}, ""))  # a run keeps its first blank
        steps += [_replace(mark, text) for mark, text in blanks.items()]
    if norm.add_dummy_prefix and matched:
        whole = "|".join("".join(_onig_escape(c) for c in p) for p in matched)
        steps.append(_replace({"Regex": rf"\A(?!(?:{whole})\z)"}, hf_json.SPM_SPACE))
    elif norm.add_dummy_prefix:
        steps.append({"type": "Prepend", "prepend": hf_json.SPM_SPACE})
    steps.append(_replace(" ", hf_json.SPM_SPACE))
    return {"type": "Sequence", "normalizers": steps}


def _replace(pattern: str | dict[str, str], content: str) -> dict[str, Any]:
    """An HF Replace normalizer; a plain ``pattern`` string is matched literally."""
    return {"type": "Replace", "pattern": {"String": pattern} if isinstance(pattern, str) else pattern,
            "content": content}


def _onig_escape(char: str) -> str:
    return f"\\x{{{ord(char):X}}}"


def _precompiled(norm: Any) -> Any:
    """The HF Precompiled normalizer of ``norm``'s character map."""
    import tokenizers

    return tokenizers.normalizers.Precompiled(norm.precompiled_charsmap)


class _Tables(NamedTuple):
    """What the tokenizer.json builders need from the pieces of a ModelProto."""

    pieces: list[str]
    token_bytes: list[bytes | None]
    byte_ids: set[int]  # <0xNN> pieces
    specials: dict[str, int]  # control and unknown pieces
    user: dict[str, int]  # user-defined pieces matched whole in normalized text (those without spaces)
    blanks: list[str]  # user-defined pieces of spaces only (never matched; they shape runs of spaces)


def _token_tables(proto: Any) -> _Tables:
    """Pieces, their bytes, byte-piece ids, special tokens (control, unknown), user-defined tokens."""
    pieces = [p.piece for p in proto.pieces]
    token_bytes: list[bytes | None] = []
    byte_ids: set[int] = set()
    specials: dict[str, int] = {}
    user: dict[str, int] = {}
    blanks: list[str] = []
    for i, p in enumerate(proto.pieces):
        if p.type == BYTE:
            byte_ids.add(i)
            token_bytes.append(bytes([int(p.piece[3:5], 16)]))
            continue
        token_bytes.append(p.piece.replace(hf_json.SPM_SPACE, " ").encode("utf-8"))
        if p.type in (CONTROL, UNKNOWN):
            specials[p.piece] = i
        elif p.type == USER_DEFINED and " " in p.piece:  # only spaces: _check_supported refuses a mix
            blanks.append(p.piece)
        elif p.type == USER_DEFINED:
            user[p.piece] = i
    return _Tables(pieces, token_bytes, byte_ids, specials, user, blanks)


def _bpe_doc(proto: Any, tables: _Tables, unk: str | None) -> dict[str, Any]:
    pieces = tables.pieces
    # SentencePiece merges only ordinary and user-defined pieces, never into an unused one
    mergeable = [p.type in (NORMAL, USER_DEFINED) for p in proto.pieces]
    index = {p: i for i, p in enumerate(pieces)}
    merges = [(a, b) for a, b in derive_merges(pieces, [p.score for p in proto.pieces])
              if mergeable[a] and mergeable[b] and mergeable[index[pieces[a] + pieces[b]]]]
    doc = hf_json.build_spm_bpe_json(
        token_bytes=tables.token_bytes, merges=merges, special_tokens=tables.specials,
        byte_fallback_ids=tables.byte_ids, add_prefix_space=proto.normalizer_spec.add_dummy_prefix, unk=unk,
        plain_added_tokens=tables.user,
        specials_in_model=True)
    doc["model"]["byte_fallback"] = bool(proto.trainer_spec.byte_fallback)
    for entry in doc["added_tokens"]:  # user-defined pieces are matched in normalized text, as SentencePiece does
        entry["normalized"] = entry["content"] in tables.user
    return doc


def _unigram_doc(proto: Any, tables: _Tables, unk_id: int | None) -> dict[str, Any]:
    added = [(i, c, True) for c, i in tables.specials.items()] + [(i, c, False) for c, i in tables.user.items()]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": not s, "special": s} for i, c, s in sorted(added)],
        "normalizer": None, "pre_tokenizer": None, "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": hf_json.SPM_SPACE}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
        ] + ([{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if proto.normalizer_spec.add_dummy_prefix else [])},
        "model": {"type": "Unigram", "unk_id": unk_id, "byte_fallback": bool(proto.trainer_spec.byte_fallback),
                  "vocab": [[p.piece, p.score] for p in proto.pieces]},
    }


def load_sentencepiece(path: str | os.PathLike) -> Tokenizer:
    """The tokenizer of SentencePiece model file ``path`` (BPE or Unigram); see the module docstring."""
    path = Path(path)
    proto = _read_proto(path)
    _check_supported(proto, path)
    tables = _token_tables(proto)
    spec = proto.trainer_spec
    roles = {role: i for role, i in (("unk", spec.unk_id), ("bos", spec.bos_id), ("eos", spec.eos_id),
                                     ("pad", spec.pad_id)) if 0 <= i < len(proto.pieces)}
    unk_id = roles.get("unk")
    if spec.model_type == BPE:
        doc = _bpe_doc(proto, tables, proto.pieces[unk_id].piece if unk_id is not None else None)
    else:
        doc = _unigram_doc(proto, tables, unk_id)
    doc["normalizer"] = _normalizer(proto.normalizer_spec, list(tables.user), tables.blanks)
    logger.info("loaded SentencePiece %s model %s (%d pieces)", "BPE" if spec.model_type == BPE else "Unigram",
                path, len(proto.pieces))
    return Tokenizer.from_hf_json(doc, name=path.stem, roles=roles, add_bos=False)
