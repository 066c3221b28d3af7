"""Tiny tokenizers built in code for the score tests, and the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import pytest

from anytok import Tokenizer

REPO = Path(__file__).resolve().parents[2]


def build_bpe(merges: Sequence[tuple[str, str]], *, extra: Sequence[bytes] = (), pattern: str | None = None,
              name: str = "tiny") -> Tokenizer:
    """Byte-level BPE: the 256 bytes, then one token per merge (in order), then ``extra`` tokens
    that no merge produces."""
    token_bytes: list[bytes | None] = [bytes([b]) for b in range(256)]
    index = {b: i for i, b in enumerate(token_bytes)}
    id_merges = []
    for left, right in merges:
        lb, rb = left.encode("latin-1"), right.encode("latin-1")
        id_merges.append((index[lb], index[rb]))
        index[lb + rb] = len(token_bytes)
        token_bytes.append(lb + rb)
    for data in extra:
        index[data] = len(token_bytes)
        token_bytes.append(data)
    return Tokenizer.from_bpe(token_bytes=token_bytes, merges=id_merges, pattern=pattern, name=name)


@pytest.fixture(scope="session")
def tiny() -> Tokenizer:
    """A small English BPE: 'the', ' cat', 'at' and friends."""
    return build_bpe([(" ", "t"), (" t", "h"), (" th", "e"), ("t", "h"), ("th", "e"), (" ", "c"), ("a", "t"),
                      (" c", "at")])


@pytest.fixture(scope="session")
def score_shared() -> Path:
    """The shared data folder ($ANYTOK_SHARED or ../shared); skip the test when absent."""
    candidates = [Path(os.environ["ANYTOK_SHARED"])] if "ANYTOK_SHARED" in os.environ else []
    candidates.append(REPO.parent / "shared")
    for path in candidates:
        if (path / "corpus").is_dir():
            return path
    pytest.skip("../shared (corpus and reference tokenizers) is not beside the repo")
