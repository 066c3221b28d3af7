"""The compiled merge core, the readable reference and HF tokenizers learn the same merges and ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from anytok.tokenizer.patterns import CL100K, GPT2, LLAMA3
from anytok.training.bpe_common import words_from_counts
from anytok.training.bpe_fast import train_byte_words_fast, train_merges_fast
from anytok.training.bpe_reference import train_merges_reference
from tests.training.hf_oracle import byte_counts, hf_train, initial, run_as_hf

TINY = [
    pytest.param(["aaabdaaabac", "ab ab ab ba ba"], GPT2, 270, (), 0, None, id="ties-tiny"),
    pytest.param(["aaaa aaaa aaaaaaa a aa aaa"], GPT2, 265, (), 0, None, id="runs-of-one-byte"),
    pytest.param(["ab ba ab ba cd dc cd dc"] * 3, GPT2, 280, (), 0, None, id="equal-counts"),
    pytest.param(["abc abc xab cabc abcab bcab"] * 2, GPT2, 275, ("<s>", "</s>"), 0, None, id="specials"),
    pytest.param(["hello hello help helm yellow"], GPT2, 300, (), 2, None, id="min-frequency"),
    pytest.param(["abcdefgh abcdefgh abcdefgh bcdefg"], GPT2, 300, (), 0, 3, id="max-token-length"),
    pytest.param(["ééé 中文中文 🙂🙂 \u0301a\u0301"], GPT2, 290, (), 0, None, id="multibyte"),
]


def _both(counts, specials, **options):
    token_bytes, byte_to_id = initial(specials)
    fast = train_byte_words_fast(counts, byte_to_id, token_bytes, **options)
    words, word_counts = words_from_counts(counts, byte_to_id)
    ref = train_merges_reference(words, word_counts, token_bytes, **options)
    return fast, ref


@pytest.mark.parametrize("texts, pattern, vocab_size, specials, min_freq, max_len", TINY)
def test_tiny_corpora_match_hf(texts, pattern, vocab_size, specials, min_freq, max_len):
    options = dict(vocab_size=vocab_size, min_frequency=min_freq, max_token_length=max_len)
    fast, ref = _both(byte_counts(texts, pattern), specials, **options)
    assert fast == ref
    hf_vocab, hf_merges = hf_train(texts, pattern=pattern, vocab_size=vocab_size, special_tokens=specials,
                                   min_frequency=min_freq, max_token_length=max_len)
    vocab, merges = run_as_hf(fast, specials)
    assert merges == hf_merges
    assert vocab == hf_vocab


def _head(path: Path, n_bytes: int) -> str:
    return path.read_bytes()[:n_bytes].decode("utf-8", "ignore")


REAL = [
    pytest.param("en_prose.txt", GPT2, 2000, ("<|endoftext|>",), 0, None, id="prose-gpt2-2k"),
    pytest.param("code_python.txt", CL100K, 2000, (), 2, None, id="code-cl100k-2k-minfreq"),
    pytest.param("code_mixed.txt", LLAMA3, 1200, (), 0, 6, id="mixed-llama3-maxlen"),
]


@pytest.mark.parametrize("name, pattern, vocab_size, specials, min_freq, max_len", REAL)
def test_real_text_core_reference_hf(shared, name, pattern, vocab_size, specials, min_freq, max_len):
    texts = [_head(shared / "corpus" / name, 200_000)]
    options = dict(vocab_size=vocab_size, min_frequency=min_freq, max_token_length=max_len)
    fast, ref = _both(byte_counts(texts, pattern), specials, **options)
    assert fast.merge_log == ref.merge_log
    hf_vocab, hf_merges = hf_train(texts, pattern=pattern, vocab_size=vocab_size, special_tokens=specials,
                                   min_frequency=min_freq, max_token_length=max_len)
    vocab, merges = run_as_hf(fast, specials)
    assert merges == hf_merges
    assert vocab == hf_vocab


@pytest.mark.slow
@pytest.mark.parametrize("name, pattern, vocab_size", [
    pytest.param("en_prose.txt", CL100K, 8000, id="prose-1MB-8k"),
    pytest.param("code_python.txt", CL100K, 8000, id="code-1MB-8k"),
    pytest.param("en_prose.txt", GPT2, 2000, id="prose-1MB-2k"),
])
def test_one_megabyte_matches_hf(shared, name, pattern, vocab_size):
    text = _head(shared / "corpus" / name, 1_000_000)
    texts = [text[i:i + 100_000] for i in range(0, len(text), 100_000)]
    token_bytes, byte_to_id = initial(())
    fast = train_byte_words_fast(byte_counts(texts, pattern), byte_to_id, token_bytes, vocab_size=vocab_size)
    assert run_as_hf(fast, ()) == hf_train(texts, pattern=pattern, vocab_size=vocab_size)


def test_generic_words_entry_matches_bytes_entry():
    counts = byte_counts(["the cat the hat that then"], GPT2)
    token_bytes, byte_to_id = initial(())
    words, word_counts = words_from_counts(counts, byte_to_id)
    a = train_merges_fast(words, word_counts, token_bytes, vocab_size=270)
    b = train_byte_words_fast(counts, byte_to_id, token_bytes, vocab_size=270)
    assert a == b


def test_max_words_limits_superwords_in_both_implementations():
    counts = {b"a b c d e f": 50, b"a b c": 20}
    token_bytes, byte_to_id = initial(())
    words, word_counts = words_from_counts(counts, byte_to_id)
    ref = train_merges_reference(words, word_counts, token_bytes, vocab_size=300, max_words=2)
    fast = train_byte_words_fast(counts, byte_to_id, token_bytes, vocab_size=300, max_words=2)
    assert fast == ref
    assert max(len(t.split()) for t in fast.token_bytes[256:]) == 2


def test_merge_that_spells_existing_bytes_reuses_the_id_in_both_implementations():
    """Two different merges giving the same bytes share one id (HF's rule); the vocabulary does not grow."""
    token_bytes, byte_to_id = initial(())
    a, b, c = (byte_to_id[ord(x)] for x in "abc")
    token_bytes = [*token_bytes, b"bc", b"ab"]  # ids 256 ("bc") and 257 ("ab") already exist
    bc, ab = 256, 257
    words = [[a, bc], [a, bc], [a, bc], [ab, c], [ab, c], [a, b, c]]
    counts = [5, 4, 3, 6, 1, 1]
    options = dict(vocab_size=262)
    ref = train_merges_reference(words, counts, token_bytes, **options)
    fast = train_merges_fast(words, counts, token_bytes, **options)
    assert fast == ref
    assert ref.merge_log[:2] == [(a, bc, 258), (ab, c, 258)]
    assert ref.token_bytes[258] == b"abc" and ref.token_bytes.count(b"abc") == 1


def test_core_rejects_symbols_outside_the_vocabulary():
    token_bytes, _ = initial(("<s>",))
    with pytest.raises(ValueError, match="not an ordinary token id"):
        train_merges_fast([[1, 999]], [1], token_bytes, vocab_size=300)
    with pytest.raises(ValueError, match="not an ordinary token id"):
        train_merges_fast([[1, 0]], [1], token_bytes, vocab_size=300)  # 0 is the special
