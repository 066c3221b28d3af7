"""Write a Tokenizer as tokenizer.json or as a .tiktoken rank file, atomically."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from anytok._atomic import write_text_atomic
from anytok.errors import TokenizerFormatError
from anytok.tokenizer.hf_json import KIND_BYTE_BPE

if TYPE_CHECKING:
    from anytok.tokenizer.core import Tokenizer


def save_hf_json(tok: "Tokenizer", path: str) -> None:
    """Write the tokenizer.json anytok encodes with; ``tokenizers`` and ``transformers`` load it."""
    write_text_atomic(path, json.dumps(tok.to_hf_json(), ensure_ascii=False, indent=1) + "\n")


def tiktoken_ranks(tok: "Tokenizer") -> dict[bytes, int]:
    """Mergeable ranks for tiktoken: every non-special token's bytes -> its id.

    tiktoken merges the adjacent pair whose concatenation has the lowest rank; with ids assigned
    in merge order (as BPE training does) that is the BPE merge order.
    """
    if tok.kind != KIND_BYTE_BPE:
        raise TokenizerFormatError(
            f"tokenizer {tok.name!r} is {tok.kind}; .tiktoken files hold byte-level BPE only, "
            "save it as tokenizer.json instead")
    ranks: dict[bytes, int] = {}
    for i, data in enumerate(tok.vocab):
        if data is not None and i not in tok.special_ids and data not in ranks:
            ranks[data] = i
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing:
        raise TokenizerFormatError(
            f"tokenizer {tok.name!r} lacks single-byte tokens for {len(missing)} byte values "
            f"(first 0x{missing[0]:02X}); tiktoken needs all 256")
    return ranks


def save_tiktoken(tok: "Tokenizer", path: str) -> None:
    """Write ``base64(token bytes) rank`` lines, the format of ``tiktoken.load.load_tiktoken_bpe``."""
    ranks = tiktoken_ranks(tok)
    lines = [f"{base64.b64encode(data).decode()} {rank}" for data, rank in sorted(ranks.items(), key=lambda kv: kv[1])]
    write_text_atomic(path, "\n".join(lines) + "\n")
