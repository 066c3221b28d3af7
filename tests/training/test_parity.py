"""Parity-aware BPE against independent references."""

from __future__ import annotations

import pytest

from anytok.tokenizer.patterns import GPT2
from anytok.training import train as train_fn
from anytok.training.options import TrainOptions
from anytok.training.parity import learn_parity, read_parallel
from tests.training.hf_oracle import hf_train


def test_identical_languages_reduce_to_plain_bpe(shared, tmp_path):
    """With two copies of one language, every choice has the same counts: plain BPE (HF) merges."""
    lines = (shared / "corpus" / "parallel" / "de.txt").read_text(encoding="utf-8").splitlines(keepends=True)[:300]
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("".join(lines), encoding="utf-8")
    tok = train_fn([tmp_path / "a.txt", tmp_path / "b.txt"], vocab_size=700, algorithm="parity", dev_lines=40,
                   progress=False)
    _, hf_merges = hf_train(["".join(lines[:-40])], pattern=GPT2, vocab_size=700)
    names = tok.to_hf_json()["model"]["merges"]
    assert [list(m) if not isinstance(m, str) else m.split(" ") for m in names] == hf_merges


def test_each_merge_serves_the_worst_language():
    texts = [("ab ab ab ab ab ab\n", "ab ab\n"), ("xyz xyz xyz\n", "xyz xyz xyz xyz\n")]
    run = learn_parity(texts, TrainOptions(vocab_size=259, progress=False))
    first = run.merge_log[0]
    assert run.token_bytes[first[2]] in {b"xy", b"yz", b" x"}  # language 2 needs more dev tokens
    assert len(run.merge_log) == 3


def test_parity_lowers_the_worst_premium(small_parallel, tmp_path):
    held = {p.stem: "".join(p.read_text(encoding="utf-8").splitlines(keepends=True)[-50:]) for p in small_parallel}
    premiums = {}
    for algorithm in ("bpe", "parity"):
        tok = train_fn(small_parallel, vocab_size=800, algorithm=algorithm, dev_lines=50, progress=False)
        n = {lang: len(tok.encode(text)) for lang, text in held.items()}
        premiums[algorithm] = max(n[lang] / n["en"] for lang in n)
    assert premiums["parity"] < premiums["bpe"]


def test_too_few_lines_for_dev(tmp_path):
    from anytok.errors import CorpusError

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("one line\n" * 10)
    with pytest.raises(CorpusError, match="dev_lines"):
        read_parallel([tmp_path / "a.txt", tmp_path / "b.txt"], 10)
