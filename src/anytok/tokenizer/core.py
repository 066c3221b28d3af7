"""The byte-level Tokenizer: one view of any tokenizer, whatever file it came from.

Every token id maps to the exact bytes it stands for (``token_bytes``); special tokens are known by
role; encoding runs through the HF ``tokenizers`` library on a tokenizer.json document that every
loader produces, so anytok encodes exactly as the stock library does.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

import tokenizers

from anytok.errors import EncodingError, TokenizerFormatError
from anytok.tokenizer import hf_json
from anytok.tokenizer.hf_json import ByteView
from anytok.tokenizer.roles import guess_roles

_ESCAPED_BYTE = re.compile("([\udc80-\udcff])")  # a byte that is not UTF-8, after surrogateescape


def _build_encoder(doc: Mapping[str, Any], text: str | None, name: str) -> tokenizers.Tokenizer:
    """The HF encoder of tokenizer.json ``doc`` (``text``: its JSON text, if at hand)."""
    try:
        return tokenizers.Tokenizer.from_str(text if text is not None else json.dumps(doc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # a plain Exception on bad documents; a pyo3 PanicException for
        hf_json.merge_pairs(doc)  # a merge whose result is not in the vocab: name that merge
        raise TokenizerFormatError(f"tokenizers cannot build tokenizer {name!r}: {e}") from None


def _check_text(text: str) -> None:
    """Reject lone surrogates, which have no UTF-8 bytes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise EncodingError(
            f"text has a lone surrogate {text[e.start]!r} at character {e.start}; it has no UTF-8 "
            "bytes, so it cannot be tokenized; pass bytes, or clean the text with "
            "s.encode('utf-8', 'replace').decode()") from None


class Tokenizer:
    """The byte-level view of a tokenizer, with fast encoding through HF ``tokenizers``.

    Build one with :func:`anytok.load` (tokenizer.json, folder, .tiktoken, .gguf, .model), with
    :meth:`from_hf_json`, :meth:`from_bpe`, or by training (:func:`anytok.train`).
    """

    def __init__(self, *, hf_doc: Mapping[str, Any], name: str = "tokenizer",
                 roles: Mapping[str, int] | None = None, add_bos: bool | None = None,
                 hf_text: str | None = None, lazy_encoder: bool = False) -> None:
        self.name = name
        self._doc = dict(hf_doc)
        self._view: ByteView = hf_json.parse_hf_json(self._doc)
        self.special_tokens: dict[str, int] = dict(self._view.special_tokens)
        self.roles: dict[str, int] = dict(roles) if roles is not None else guess_roles(self.special_tokens)
        if self._view.bos_content is not None and self._view.bos_content in self.special_tokens:
            self.roles.setdefault("bos", self.special_tokens[self._view.bos_content])
        self.add_bos: bool = self._view.add_bos if add_bos is None else add_bos
        self._hf_text = hf_text
        if not lazy_encoder:
            _ = self._hf  # build (and so check) the encoder now

    @cached_property
    def _hf(self) -> tokenizers.Tokenizer:
        """The HF encoder of the whole document (built on first use when the tokenizer is lazy)."""
        text, self._hf_text = self._hf_text, None
        return _build_encoder(self._doc, text, self.name)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_hf_json(cls, doc: Mapping[str, Any], *, name: str = "tokenizer",
                     roles: Mapping[str, int] | None = None, add_bos: bool | None = None,
                     text: str | None = None, lazy_encoder: bool = False) -> "Tokenizer":
        """A Tokenizer from a parsed tokenizer.json document. ``text``: the JSON text ``doc`` was
        parsed from, if at hand (the encoder is built from it instead of a fresh serialisation).
        ``lazy_encoder``: build the HF encoder on first use, not now (it takes 1.7 s for Gemma 3's
        262k tokens, and a document that ``tokenizers`` rejects is then found only at that use);
        :meth:`encode_few` does without it."""
        return cls(hf_doc=doc, name=name, roles=roles, add_bos=add_bos, hf_text=text,
                   lazy_encoder=lazy_encoder)

    def with_roles(self, *, roles: Mapping[str, int] | None = None, add_bos: bool | None = None) -> "Tokenizer":
        """A copy with other special-token roles and/or BOS convention (None: keep this one's).

        Same as ``from_hf_json(self.to_hf_json(), name=..., roles=roles, add_bos=add_bos)`` but shares
        this tokenizer's parsed document and encoder instead of rebuilding them (seconds on a large vocab).
        """
        out = copy.copy(self)
        if roles is not None:
            out.roles = dict(roles)
            if self._view.bos_content is not None and self._view.bos_content in self.special_tokens:
                out.roles.setdefault("bos", self.special_tokens[self._view.bos_content])
        if add_bos is not None:
            out.add_bos = add_bos
        return out

    @classmethod
    def from_bpe(cls, *, token_bytes: Sequence[bytes | None], merges: Sequence[tuple[int, int]],
                 pattern: str | None, special_tokens: Mapping[str, int] | None = None,
                 name: str = "bpe", ignore_merges: bool = False,
                 roles: Mapping[str, int] | None = None, bos: str | None = None) -> "Tokenizer":
        """A byte-level BPE tokenizer from token bytes, id-pair merges and a pretokenizer regex.

        ``token_bytes[i]`` is None at special ids; ``merges`` are in priority order.
        ``ignore_merges=True`` encodes a pretoken that is itself a token as that token (tiktoken's
        rule); ``bos`` names a special token the tokenizer puts before every text.
        """
        from anytok.tokenizer.patterns import GPT2

        specials = dict(special_tokens or {})
        doc = hf_json.build_byte_bpe_json(
            token_bytes=token_bytes, merges=merges, pattern=pattern or GPT2, special_tokens=specials,
            ignore_merges=ignore_merges, bos=(bos, specials[bos]) if bos else None)
        return cls(hf_doc=doc, name=name, roles=roles)

    # -- the byte view ------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``byte_bpe``, ``sentencepiece_bpe``, ``unigram`` or ``wordpiece``."""
        return self._view.kind

    @property
    def vocab_size(self) -> int:
        """Number of ids, including specials and unused ids (largest id + 1)."""
        return len(self._view.token_bytes)

    def token_bytes(self, token_id: int) -> bytes:
        """The exact bytes token ``token_id`` stands for (a special token: its text in UTF-8)."""
        if not 0 <= token_id < self.vocab_size:
            raise IndexError(f"token id {token_id} is outside 0..{self.vocab_size - 1}")
        data = self._view.token_bytes[token_id]
        if data is None:
            raise KeyError(f"token id {token_id} is unused by tokenizer {self.name!r}")
        return data

    @property
    def vocab(self) -> list[bytes | None]:
        """``vocab[i]`` = bytes of token i, None for an unused id (a copy)."""
        return list(self._view.token_bytes)

    @cached_property
    def special_ids(self) -> frozenset[int]:
        """Ids of special tokens."""
        return frozenset(self.special_tokens.values())

    @cached_property
    def ordinary_index(self) -> dict[bytes, int]:
        """bytes -> id of the first ordinary token with those bytes (no specials, no ``<0xNN>``
        byte pieces); shared, do not mutate."""
        skip = self.special_ids | self.byte_fallback_ids
        index: dict[bytes, int] = {}
        for i, data in enumerate(self._view.token_bytes):
            if data is not None and i not in skip:
                index.setdefault(data, i)
        return index

    @property
    def byte_fallback_ids(self) -> frozenset[int]:
        """Ids of SentencePiece ``<0xNN>`` byte pieces (empty for byte-level BPE)."""
        return self._view.byte_fallback_ids

    @property
    def merges(self) -> list[tuple[int, int]]:
        """BPE merges as (left id, right id) in priority order (empty for other models)."""
        return list(self._merges)

    @cached_property
    def _merges(self) -> list[tuple[int, int]]:
        return hf_json.merge_pairs(self._doc)  # on demand: a transplant never looks at them

    @property
    def pattern(self) -> str | None:
        """The pretokenizer regex of a byte-level BPE tokenizer."""
        return self._view.pattern

    @property
    def ignore_merges(self) -> bool:
        """Whether a pretoken that is itself a token is emitted whole (tiktoken's rule)."""
        return self._view.ignore_merges

    @property
    def add_prefix_space(self) -> bool:
        """Whether encoding puts a space (``▁``) before the text (SentencePiece dummy prefix)."""
        return self._view.add_prefix_space

    def role_id(self, role: str) -> int | None:
        """Id of the special token with ``role`` ("bos", "eos", "pad", "unk", ...), or None."""
        return self.roles.get(role)

    @property
    def bos_id(self) -> int | None:
        """Id of the beginning-of-sequence token, or None."""
        return self.roles.get("bos")

    @property
    def eos_id(self) -> int | None:
        """Id of the end-of-sequence token, or None."""
        return self.roles.get("eos")

    def to_hf_json(self, *, deep: bool = True) -> dict[str, Any]:
        """The tokenizer.json document anytok encodes with (a copy). ``deep=False``: only the top
        level is copied, its sections are shared: replace a section, never mutate one."""
        return json.loads(json.dumps(self._doc)) if deep else dict(self._doc)

    @property
    def backend(self) -> tokenizers.Tokenizer:
        """The HF ``tokenizers.Tokenizer`` that encodes (shared; do not mutate)."""
        return self._hf

    # -- encode / decode ----------------------------------------------------------------------
    def encode(self, text: str | bytes, *, add_bos: bool = False) -> list[int]:
        """Token ids of ``text``; with ``add_bos`` the BOS id first, when the tokenizer has one.

        Special-token text in the input (``<|endoftext|>``) is that special token, as in HF
        tokenizers. Bytes that are not valid UTF-8 are encoded one byte token each, the valid runs
        between them as text. A str with a lone surrogate raises :class:`EncodingError`.
        """
        ids = self._encode_bytes(text) if isinstance(text, bytes) else self._encode_str(text)
        if add_bos and self.bos_id is not None:
            return [self.bos_id, *ids]
        return ids

    def _encode_str(self, text: str, encoder: tokenizers.Tokenizer | None = None) -> list[int]:
        _check_text(text)
        if not text:
            return []
        return (encoder or self._hf).encode(text, add_special_tokens=False).ids

    def encode_few(self, texts: Sequence[str | bytes]) -> list[list[int]]:
        """``[encode(t) for t in texts]``, for a few short texts, without the whole HF encoder.

        When that encoder is not built yet (a ``lazy_encoder`` tokenizer), a BPE tokenizer encodes
        through a small one that keeps only the tokens the texts' characters can spell
        (:mod:`anytok.tokenizer.reduced`): the same ids, in milliseconds instead of seconds on a
        large vocabulary. Other tokenizers build the whole encoder.
        """
        from anytok.tokenizer.reduced import reduced_document

        small = None
        if "_hf" not in self.__dict__:
            chars = [t.decode("utf-8", "ignore") if isinstance(t, bytes) else t for t in texts]
            doc = reduced_document(self._doc, chars)
            small = None if doc is None else _build_encoder(doc, None, self.name)
        return [self._encode_bytes(t, small) if isinstance(t, bytes) else self._encode_str(t, small)
                for t in texts]

    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """Token ids of each text, encoded in parallel by ``tokenizers``."""
        texts = list(texts)
        for text in texts:
            _check_text(text)
        return [e.ids for e in self._hf.encode_batch(texts, add_special_tokens=False)]

    def _encode_bytes(self, data: bytes, encoder: tokenizers.Tokenizer | None = None) -> list[int]:
        """Valid UTF-8 runs are encoded as text; each byte outside them is its single-byte token.

        One decoding pass: ``surrogateescape`` turns each invalid byte into a lone surrogate
        (U+DC80..U+DCFF), which valid UTF-8 never decodes to, and the text is cut at those.
        """
        ids: list[int] = []
        for k, piece in enumerate(_ESCAPED_BYTE.split(data.decode("utf-8", errors="surrogateescape"))):
            if k % 2:  # the split keeps the separators at odd positions: one escaped byte each
                ids.append(self.single_byte_id(ord(piece) - 0xDC00))
            elif piece:
                ids += self._encode_str(piece, encoder)
        return ids

    @cached_property
    def _single_byte_ids(self) -> dict[int, int]:
        """byte value -> id of the token made of that byte alone (byte pieces preferred)."""
        table: dict[int, int] = {}
        for i in sorted(self.byte_fallback_ids):
            table.setdefault(self._view.token_bytes[i][0], i)
        for i, b in enumerate(self._view.token_bytes):
            if b is not None and len(b) == 1 and i not in self.special_ids:
                table.setdefault(b[0], i)
        return table

    def single_byte_id(self, byte: int) -> int:
        """Id of the token that is the single byte ``byte``."""
        try:
            return self._single_byte_ids[byte]
        except KeyError:
            raise EncodingError(
                f"tokenizer {self.name!r} has no token for byte 0x{byte:02X}, so bytes that are not "
                "valid UTF-8 cannot be encoded with it") from None

    def decode(self, ids: Iterable[int]) -> bytes:
        """The bytes of ``ids`` concatenated (the dummy-prefix space of SentencePiece removed).

        Raises :class:`EncodingError` for an id outside ``0..vocab_size - 1`` or an unused one.
        """
        table = self._view.token_bytes
        n = len(table)
        parts = []
        for i in ids:
            if not 0 <= i < n or table[i] is None:
                why = "is unused" if 0 <= i < n else f"is outside 0..{n - 1}"
                raise EncodingError(f"cannot decode token id {i}: it {why} in tokenizer {self.name!r}")
            parts.append(table[i])
        data = b"".join(parts)
        if self.add_prefix_space and data.startswith(b" "):
            data = data[1:]
        return data

    def decode_str(self, ids: Iterable[int], errors: str = "replace") -> str:
        """:meth:`decode` as text (invalid UTF-8 replaced by default)."""
        return self.decode(ids).decode("utf-8", errors=errors)

    # -- save ---------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write a tokenizer.json that ``tokenizers`` and ``transformers`` load (atomic)."""
        from anytok.tokenizer.export import save_hf_json

        save_hf_json(self, path)

    def save_tiktoken(self, path: str) -> None:
        """Write a .tiktoken rank file (byte-level BPE only; atomic)."""
        from anytok.tokenizer.export import save_tiktoken

        save_tiktoken(self, path)

    def __repr__(self) -> str:
        return f"Tokenizer(name={self.name!r}, kind={self.kind!r}, vocab_size={self.vocab_size})"
