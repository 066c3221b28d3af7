"""The four reference tokenizers: anytok's ids equal tiktoken's on the whole shared corpus."""

from __future__ import annotations

import functools

import pytest
import tiktoken
from hypothesis import given, settings, strategies as st

import anytok
from anytok.tokenizer.reference import encode_reference
from anytok.tokenizer.tiktoken_file import read_ranks

NAMES = ["cl100k", "o200k", "llama3", "qwen3"]


@functools.cache
def _pair(name: str, shared_path: str):
    tok = anytok.load(f"{shared_path}/tokenizers/{name}.tiktoken")
    ranks = read_ranks(f"{shared_path}/tokenizers/{name}.tiktoken")
    enc = tiktoken.Encoding(name, pat_str=tok.pattern, mergeable_ranks=ranks, special_tokens=tok.special_tokens)
    return tok, enc


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_ids_equal_tiktoken_on_whole_corpus(name, shared, corpus_files):
    tok, enc = _pair(name, str(shared))
    for path in corpus_files:
        text = path.read_text(encoding="utf-8")
        ids = tok.encode(text)
        assert ids == enc.encode_ordinary(text), f"{name} differs from tiktoken on {path.name}"
        assert tok.decode(ids) == text.encode("utf-8"), f"{name} does not round-trip {path.name}"


@pytest.mark.parametrize("name", NAMES)
def test_reference_encoder_agrees_on_corpus_sample(name, shared, corpus_files):
    tok, enc = _pair(name, str(shared))
    for path in corpus_files[:3] + corpus_files[3::10]:
        text = path.read_text(encoding="utf-8")[:4000]
        assert encode_reference(tok, text) == tok.encode(text) == enc.encode_ordinary(text), path.name


@pytest.mark.parametrize("name", ["cl100k", "o200k"])
@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60))
def test_round_trip_arbitrary_unicode(name, shared, text):
    tok, enc = _pair(name, str(shared))
    ids = tok.encode(text)
    assert tok.decode(ids) == text.encode("utf-8")
    # special-token text is the special token, as in HF tokenizers and tiktoken's allowed_special
    assert ids == enc.encode(text, allowed_special="all")


@pytest.mark.parametrize("text", [
    pytest.param("a\x00b", id="nul"),
    pytest.param("e\u0301\u0301 n\u0303", id="combining"),
    pytest.param("👩‍👩‍👧 🇫🇷", id="emoji"),
    pytest.param("\u200f\u05e9\u05dc\u05d5\u05dd\u200e abc", id="rtl-marks"),
    pytest.param("   \n\n\t 12345678", id="whitespace-digits"),
])
def test_round_trip_hard_cases(shared, text):
    tok, enc = _pair("cl100k", str(shared))
    assert tok.decode(tok.encode(text)) == text.encode("utf-8")
    assert tok.encode(text) == enc.encode_ordinary(text)


def test_lone_surrogate_is_rejected_cleanly(shared):
    tok, _ = _pair("cl100k", str(shared))
    with pytest.raises(anytok.AnytokError, match="lone surrogate"):
        tok.encode("abc\ud800def")


def test_invalid_utf8_bytes_become_byte_tokens(shared):
    tok, _ = _pair("cl100k", str(shared))
    data = b"caf\xc3\xa9 \xff\xfe ok \xe2\x82"
    ids = tok.encode(data)
    assert tok.decode(ids) == data
    assert tok.single_byte_id(0xFF) in ids


@pytest.mark.parametrize("name", NAMES)
def test_special_tokens_keep_their_ids(name, shared):
    tok, enc = _pair(name, str(shared))
    for content, i in tok.special_tokens.items():
        assert tok.encode(f"a{content}b") == [*tok.encode("a"), i, *tok.encode("b")], content
        assert tok.backend.token_to_id(content) == i
        assert tok.token_bytes(i) == content.encode()
