"""Scorecards of a real reference tokenizer, checked against tiktoken's own token counts."""

from __future__ import annotations

import base64
import json

import pytest

from anytok.scoring import compare, score

LANGS = ["en", "de", "ja", "hi", "ru"]


def _tiktoken_encoding(shared):
    tiktoken = pytest.importorskip("tiktoken")
    path = shared / "tokenizers" / "cl100k.tiktoken"
    ranks = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    pattern = json.loads((shared / "tokenizers" / "cl100k.json").read_text())["pattern"]
    return tiktoken.Encoding("cl100k-test", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


@pytest.mark.slow
def test_cl100k_premiums_and_bytes_per_token_match_tiktoken(score_shared):
    enc = _tiktoken_encoding(score_shared)
    par = score_shared / "corpus" / "parallel"
    lines = {lang: (par / f"{lang}.txt").read_text(encoding="utf-8").splitlines() for lang in LANGS}
    prose = (score_shared / "corpus" / "en_prose.txt").read_text(encoding="utf-8")[:200_000]
    card = score("cl100k", {"prose": prose}, parallel=lines, progress=False)
    raw = {lang: sum(len(enc.encode_ordinary(s)) for s in rows) for lang, rows in lines.items()}
    assert dict(card.parallel.tokens) == raw
    for lang in LANGS:
        assert card.parallel.premiums[lang] == pytest.approx(raw[lang] / raw["en"])
    # the text is cut into chunks at line ends; the count may differ by a token at each cut at most
    whole = len(enc.encode_ordinary(prose))
    assert abs(card.overall.tokens - whole) <= card.overall.texts
    assert card.overall.round_trip_failures == 0
    assert card.unreachable_tokens == 0


@pytest.mark.slow
def test_compare_two_references_on_code(score_shared):
    code = (score_shared / "corpus" / "code_python.txt").read_text(encoding="utf-8")[:100_000]
    result = compare(["cl100k", "o200k"], {"code": code}, progress=False)  # reference: the first
    cl, o2 = result.scorecards
    assert cl.overall.normalized_seq_len == pytest.approx(1.0)
    assert o2.overall.normalized_seq_len == pytest.approx(o2.overall.tokens / cl.overall.tokens)
    assert result.reference == "cl100k"
    assert o2.vocab_size > cl.vocab_size > 100_000
