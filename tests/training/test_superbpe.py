"""SuperBPE: stage 1 is plain BPE; stage 2 adds superwords of at most max_words words."""

from __future__ import annotations

import regex

from anytok.training import train as train_fn
from anytok.training.options import TrainOptions
import pytest

from anytok.training.superbpe import split_stage2, stage2_pattern


def test_without_stage_two_superbpe_is_plain_bpe(small_corpus):
    common = dict(vocab_size=700, pattern="gpt2", progress=False, processes=1)
    bpe = train_fn([small_corpus], **common)
    sup = train_fn([small_corpus], algorithm="superbpe", transition=700, **common)
    assert sup.merges == bpe.merges and sup.vocab == bpe.vocab


@pytest.mark.parametrize("pattern", ["gpt2", "cl100k", "o200k", "llama3", "qwen3"])
def test_stage_one_counts_derived_from_stage_two_pretokens_equal_direct_counts(small_corpus, pattern):
    text = small_corpus.read_text(encoding="utf-8") + "\tx  y\n\n  z 12345 don't (a) b...c\r\n"
    opts = TrainOptions(vocab_size=300, pattern=pattern)
    stage2 = {}
    for piece in regex.findall(stage2_pattern(opts.regex), text):
        stage2[piece.encode()] = stage2.get(piece.encode(), 0) + 1
    direct = {}
    for piece in regex.findall(opts.regex, text):
        direct[piece.encode()] = direct.get(piece.encode(), 0) + 1
    assert split_stage2(stage2, opts.regex).piece_counts == direct


def test_max_words_is_respected(small_corpus):
    tok = train_fn([small_corpus], vocab_size=1500, algorithm="superbpe", transition=600, max_words=2,
                   progress=False)
    learned = [tok.token_bytes(i) for i in range(600, tok.vocab_size)]
    assert any(b" " in t.strip(b" ") for t in learned)
    assert max(len([w for w in t.split(b" ") if w]) for t in learned) == 2
