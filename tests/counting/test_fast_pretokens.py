"""The compiled pretoken scanner counts exactly what HF tokenizers' pre-tokenizer cuts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Regex, pre_tokenizers

from anytok.counting.fast import SCANNED, RegexCounter, ScannerCounter, scanner_available, scanner_tables
from anytok.tokenizer.patterns import NAMED_PATTERNS

pytestmark = pytest.mark.skipif(not scanner_available(), reason="the compiled scanner is not built")
SCANNED_NAMES = [name for name, p in NAMED_PATTERNS.items() if p in SCANNED]
CONTEXTS = ["a{}1", " {}{}", "'{}", "'{}{}", "{}'s", "\n{}\n ", "A{}a", "1{}2", "{} {}", "\r\n{}  ", "{}123456",
            " {}'ll", "{}\t\tx", "x  {}"]


def hf_counts(pattern: str, text: str) -> dict[bytes, int]:
    pieces = pre_tokenizers.Split(Regex(pattern), behavior="isolated").pre_tokenize_str(text)
    return {k.encode(): v for k, v in Counter(p for p, _ in pieces).items()}


def scanned(pattern: str, text: str) -> dict[bytes, int]:
    counter = ScannerCounter(pattern)
    counter.add(text)
    return counter.result()


def representatives() -> list[str]:
    """Every ASCII character and one code point of each (class, case fold) pair the scanner reads,
    plus the code points where the regex module and tokenizers disagree, a few of each kind."""
    classes, folds = (np.frombuffer(t, dtype=np.uint8) for t in scanner_tables())
    key = classes.astype(np.int64) * 256 + folds
    key[0xD800:0xE000] = -1
    _, first = np.unique(key, return_index=True)
    picks = set(range(128)) | {int(c) for c in first if not 0xD800 <= c < 0xE000}
    picks |= {0x0558, 0x058B, 0x0C5C, 0xA7CE, 0x017F, 0x212A, 0x00A0, 0x0085, 0x3000, 0x2028, 0x1F600, 0x0661}
    return [chr(c) for c in sorted(picks)]


@pytest.mark.parametrize("name", SCANNED_NAMES)
def test_every_kind_of_character_in_every_context_against_tokenizers(name):
    pattern = NAMED_PATTERNS[name]
    reps = representatives()
    for context in CONTEXTS:
        text = "".join(context.replace("{}", c) for c in reps)
        assert scanned(pattern, text) == hf_counts(pattern, text), context


@pytest.mark.parametrize("name", ["gpt2", "cl100k"])
@pytest.mark.parametrize("context", ["a{}1 ", "'{}{}\n"])
def test_every_code_point_against_the_regex_path(name, context):
    pattern = NAMED_PATTERNS[name]
    text = "".join(context.replace("{}", chr(c)) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    regex = RegexCounter(pattern)
    regex.add(text)
    assert scanned(pattern, text) == regex.result()


@pytest.mark.parametrize("name", SCANNED_NAMES)
def test_random_unicode_against_tokenizers(name):
    pattern = NAMED_PATTERNS[name]

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
           | st.text(alphabet=" \t\r\n'sStTlLvVeErRdDmMaA1234.,-_\u00a0\u017f\u3000", max_size=40))
    def check(text):
        assert scanned(pattern, text) == hf_counts(pattern, text)

    check()


@pytest.mark.parametrize("name", SCANNED_NAMES)
def test_real_text_against_the_regex_path(shared, name):
    pattern = NAMED_PATTERNS[name]
    for file in ("en_prose.txt", "code_mixed.txt", "parallel/ja.txt"):
        text = (shared / "corpus" / file).read_bytes()[:400_000].decode("utf-8", "ignore")
        regex = RegexCounter(pattern)
        regex.add(text)
        assert scanned(pattern, text) == regex.result(), file


def test_counts_add_across_chunks():
    counter = ScannerCounter(NAMED_PATTERNS["cl100k"])
    for _ in range(3):
        counter.add("the cat the  dog\n")
    assert counter.result() == {b"the": 3, b" cat": 3, b" the": 3, b" ": 3, b" dog": 3, b"\n": 3}


@pytest.mark.parametrize("name", SCANNED_NAMES)
def test_superbpe_stage_two_pieces_against_tokenizers(name):
    from anytok.tokenizer.patterns import superword_pattern

    pattern = superword_pattern(NAMED_PATTERNS[name])
    reps = representatives()
    for context in ["a {}b", "x{} y", "{}{} 1", " {}'s the", "it {}\n{}"]:
        text = "".join(context.replace("{}", c) for c in reps)
        assert scanned(pattern, text) == hf_counts(pattern, text), context


@pytest.mark.parametrize("name", SCANNED_NAMES)
def test_splitting_words_equals_the_regex(shared, name):
    from anytok.counting.fast import split_words
    from anytok.tokenizer.onig import pretoken_regex

    text = (shared / "corpus" / "en_prose.txt").read_bytes()[:100_000].decode("utf-8", "ignore")
    words = [w.encode() for w in text.split("\n") if w] + [c.encode() * 3 + b" x" for c in representatives()]
    ids, per_word, distinct = split_words(words, NAMED_PATTERNS[name])
    findall = pretoken_regex(NAMED_PATTERNS[name]).findall
    expected = [[p.encode() for p in findall(w.decode())] for w in words]
    assert per_word.tolist() == [len(e) for e in expected]
    assert [distinct[i] for i in ids] == [p for e in expected for p in e]
    assert len(set(distinct)) == len(distinct)
