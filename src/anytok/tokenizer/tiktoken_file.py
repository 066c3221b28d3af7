"""Load .tiktoken rank files (tiktoken's format) into a Tokenizer.

tiktoken merges the adjacent pair whose concatenation has the lowest rank. The equivalent HF BPE
lists, for every multi-byte token, each split of it into two tokens, in rank order, and
turns ``ignore_merges`` on (a pretoken that is a token is emitted whole, as tiktoken does).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from pathlib import Path
from typing import Mapping

from anytok.errors import TokenizerFormatError
from anytok.tokenizer.core import Tokenizer
from anytok.tokenizer.hf_json import id_space
from anytok.tokenizer.patterns import resolve_pattern

log = logging.getLogger(__name__)


def read_ranks(path: Path) -> dict[bytes, int]:
    """Parse ``base64 rank`` lines."""
    ranks: dict[bytes, int] = {}
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                token, rank = line.split()
                ranks[base64.b64decode(token, validate=True)] = int(rank)
            except (ValueError, binascii.Error) as e:
                raise TokenizerFormatError(f"{path}:{lineno}: not a 'base64 rank' line ({e})") from None
    if not ranks:
        raise TokenizerFormatError(f"{path} holds no ranks")
    return ranks


def merges_from_ranks(ranks: Mapping[bytes, int]) -> list[tuple[int, int]]:
    """Every (left id, right id) pair whose concatenation is a token, ordered by that token's rank.

    tiktoken merges *any* adjacent pair whose concatenation is a token (even a pair whose parts
    rank above the result), so each split of each token is listed; splits of one token are ordered
    by the length of their left part (tiktoken prefers the leftmost of equal ranks).
    """
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        for k in range(1, len(token)):
            left, right = ranks.get(token[:k]), ranks.get(token[k:])
            if left is not None and right is not None:
                merges.append((left, right))
    return merges


def tokenizer_from_ranks(ranks: Mapping[bytes, int], *, pattern: str,
                         special_tokens: Mapping[str, int] | None = None, name: str = "tiktoken") -> Tokenizer:
    """A Tokenizer that encodes exactly as ``tiktoken.Encoding(pat_str=pattern, mergeable_ranks=ranks)``."""
    specials = dict(special_tokens or {})
    size = id_space([*ranks.values(), *specials.values()], f"rank file {name!r}")
    token_bytes: list[bytes | None] = [None] * size
    for data, rank in ranks.items():
        token_bytes[rank] = data
    return Tokenizer.from_bpe(token_bytes=token_bytes, merges=merges_from_ranks(ranks), pattern=pattern,
                              special_tokens=specials, name=name, ignore_merges=True)


def load_tiktoken(path: str | Path, *, pattern: str | None = None,
                  special_tokens: Mapping[str, int] | None = None) -> Tokenizer:
    """Load ``NAME.tiktoken``; the pattern and specials come from arguments or ``NAME.json`` beside it."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    meta = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise TokenizerFormatError(f"{meta_path} is not valid JSON: {e}") from None
    pattern = pattern or meta.get("pattern")
    if pattern is None:
        raise TokenizerFormatError(
            f"{path} has no pretokenizer pattern: put a JSON file {meta_path.name} beside it holding "
            '{"pattern": "cl100k"} (a regex, or one of gpt2, cl100k, o200k, llama3, qwen3), or pass '
            "pattern= to anytok.load")
    specials = special_tokens if special_tokens is not None else meta.get("special_tokens", {})
    ranks = read_ranks(path)
    _check_rank_count(path, ranks, meta.get("n_ranks"), meta_path)
    try:
        return tokenizer_from_ranks(ranks, pattern=resolve_pattern(pattern), special_tokens=specials,
                                    name=meta.get("name", path.stem))
    except TokenizerFormatError as e:
        raise TokenizerFormatError(f"{path}: {e}") from None


def _check_rank_count(path: Path, ranks: Mapping[bytes, int], expected: object, meta_path: Path) -> None:
    """A rank file cut at a line end still parses: compare its count with the ``n_ranks`` its JSON
    states, and say when there is none to compare with."""
    if expected is None:
        log.warning("%s: %s states no n_ranks, so a truncated file cannot be told from a whole one (%d ranks read)",
                    path, meta_path.name if meta_path.exists() else "no JSON file beside it", len(ranks))
        return
    if expected != len(ranks):
        raise TokenizerFormatError(
            f"{path} holds {len(ranks):,} ranks but {meta_path.name} says n_ranks={expected!r}: the file is "
            "truncated or belongs to another tokenizer; download it again")
