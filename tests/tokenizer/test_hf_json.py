"""tokenizer.json in and out: files made by HF tokenizers load, and anytok's files load in HF."""

from __future__ import annotations

import json
import os

import pytest
import tokenizers
from tokenizers import models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

import anytok
from anytok.errors import OutputPathError, TokenizerFormatError
from anytok.tokenizer.reference import encode_reference

SAMPLE = (
    "The quick brown fox jumps over the lazy dog. It's 2024; prices rose 12.5% — naïve café!\n"
    "def f(x):\n    return x ** 2  # square\n\n\tTabs\tand  spaces   \u00a0end\n" * 3
)


@pytest.fixture(scope="module")
def hf_byte_level_file(tmp_path_factory, shared):
    """A GPT-2 style byte-level BPE tokenizer.json trained and saved by HF tokenizers itself."""
    hf = tokenizers.Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = tokenizers.decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"], show_progress=False)
    text = (shared / "corpus" / "en_prose.txt").read_text(encoding="utf-8")[:200_000]
    hf.train_from_iterator(text.splitlines(), trainer=trainer)
    path = tmp_path_factory.mktemp("hf") / "tokenizer.json"
    hf.save(str(path))
    return path


def test_hf_made_byte_level_file_loads_and_encodes_identically(hf_byte_level_file, shared):
    tok = anytok.load(hf_byte_level_file)
    hf = tokenizers.Tokenizer.from_file(str(hf_byte_level_file))
    assert tok.kind == "byte_bpe" and tok.vocab_size == hf.get_vocab_size()
    assert tok.token_bytes(hf.token_to_id("Ġthe")) == b" the"
    assert tok.roles["eos"] == hf.token_to_id("<|endoftext|>")
    text = (shared / "corpus" / "code_python.txt").read_text(encoding="utf-8")[:50_000] + SAMPLE
    ids = tok.encode(text)
    assert ids == hf.encode(text).ids
    assert ids == encode_reference(tok, text)
    assert tok.decode(ids) == text.encode("utf-8")


def test_saved_file_loads_in_tokenizers_and_transformers(tmp_path, shared):
    tok = anytok.load(shared / "tokenizers" / "cl100k.tiktoken")
    out = tmp_path / "tok.json"
    tok.save(str(out))
    hf = tokenizers.Tokenizer.from_file(str(out))
    fast = PreTrainedTokenizerFast(tokenizer_file=str(out))
    text = (shared / "corpus" / "code_mixed.txt").read_text(encoding="utf-8")[:60_000] + SAMPLE
    ids = tok.encode(text)
    assert hf.encode(text, add_special_tokens=False).ids == ids
    assert fast.encode(text, add_special_tokens=False) == ids
    assert anytok.load(out).encode(text) == ids
    assert [p for p in os.listdir(tmp_path)] == ["tok.json"]


def test_wordpiece_loads(tmp_path):
    hf = tokenizers.Tokenizer(models.WordPiece(unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]"],
                                        show_progress=False)
    hf.train_from_iterator([SAMPLE] * 5, trainer=trainer)
    hf.save(str(tmp_path / "wp.json"))
    tok = anytok.load(tmp_path / "wp.json")
    assert tok.kind == "wordpiece"
    assert tok.encode("the quick fox") == hf.encode("the quick fox").ids
    continued = next(t for t, i in hf.get_vocab().items() if t.startswith("##") and len(t) > 2)
    assert tok.token_bytes(hf.token_to_id(continued)) == continued[2:].encode()
    assert tok.roles["unk"] == hf.token_to_id("[UNK]") and tok.roles["pad"] == hf.token_to_id("[PAD]")


def test_tokenizer_config_gives_roles_and_bos(tmp_path, hf_byte_level_file):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "tokenizer.json").write_text(hf_byte_level_file.read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"bos_token": "<|endoftext|>", "eos_token": {"content": "<|endoftext|>"}, "add_bos_token": True}))
    tok = anytok.load(folder)
    assert tok.bos_id == tok.eos_id == tok.special_tokens["<|endoftext|>"]
    assert tok.add_bos and tok.encode("hi", add_bos=True)[0] == tok.bos_id


@pytest.mark.parametrize("content", [
    pytest.param('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [', id="truncated"),
    pytest.param("[1, 2, 3]", id="not-a-tokenizer"),
    pytest.param('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}}', id="bad-merge"),
    pytest.param('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}', id="merge-not-a-pair"),
    pytest.param('{"model": {"type": "Mystery"}}', id="unknown-model"),
])
def test_corrupt_tokenizer_json_is_one_clear_error(tmp_path, content):
    path = tmp_path / "tokenizer.json"
    path.write_text(content)
    with pytest.raises(TokenizerFormatError):
        anytok.load(path)


def test_merge_whose_result_is_not_in_the_vocab_is_named(tmp_path):
    # tokenizers itself panics on this document (a pyo3 PanicException, not an Exception)
    path = tmp_path / "tokenizer.json"
    path.write_text('{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}')
    with pytest.raises(TokenizerFormatError, match=r"merge #0 .* uses token 'ab'"):
        anytok.load(path)


def test_unwritable_output_leaves_nothing(tmp_path, hf_byte_level_file):
    tok = anytok.load(hf_byte_level_file)
    with pytest.raises(OutputPathError, match="does not exist"):
        tok.save(str(tmp_path / "missing" / "tok.json"))
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputPathError, match="is a file"):
        tok.save(str(a_file / "tok.json"))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root may write anywhere; others must be refused
            with pytest.raises(OutputPathError, match="not writable"):
                tok.save(str(locked / "tok.json"))
    finally:
        locked.chmod(0o700)
    assert list(locked.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "locked"]


def test_save_is_atomic_when_serialising_fails(tmp_path, hf_byte_level_file, monkeypatch):
    tok = anytok.load(hf_byte_level_file)
    out = tmp_path / "tok.json"
    out.write_text("previous content")
    monkeypatch.setattr(tok, "to_hf_json", lambda: {"bad": object()})
    with pytest.raises(TypeError):
        tok.save(str(out))
    assert out.read_text() == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tok.json"]
