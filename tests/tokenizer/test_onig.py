"""PretokenRegex splits as HF tokenizers does, on every code point (the reference is tokenizers itself)."""

import numpy as np
import pytest
import regex
from tokenizers import Regex, pre_tokenizers

from anytok.tokenizer.onig import PretokenRegex, pattern_classes, pretoken_regex
from anytok.tokenizer.patterns import CL100K, GPT2, NAMED_PATTERNS, O200K

# U+0558, U+058B, U+0C5C, U+A7CE: letters to the regex module, not to tokenizers (issue 15)
KNOWN = "\u0558\u058b\u0c5c\ua7ce"


def hf_pieces(pattern: str, text: str) -> list[str]:
    return [p for p, _ in pre_tokenizers.Split(Regex(pattern), behavior="isolated").pre_tokenize_str(text)]


def ours(pattern: str, text: str) -> list[str]:
    """Pieces as the exported tokenizer's Isolated split makes them: matches and the gaps between."""
    splitter = pretoken_regex(pattern)
    out, pos = [], 0
    for m in splitter.finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()])
        if m.end() > m.start():
            out.append(text[m.start():m.end()])
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def every_code_point(context: str) -> str:
    """``context`` with ``{}`` filled by each code point in turn (surrogates left out), joined."""
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    return "".join(context.replace("{}", c) for c in points)


def test_the_known_disagreements_split_as_tokenizers_does():
    for c in KNOWN:
        text = f"a{c}1 {c}x"
        assert regex.findall(CL100K, text) != hf_pieces(CL100K, text)  # the bug this module exists for
        assert ours(CL100K, text) == hf_pieces(CL100K, text)
        assert pretoken_regex(CL100K).findall(text) == hf_pieces(CL100K, text)


@pytest.mark.parametrize("name", ["cl100k", pytest.param("o200k", marks=pytest.mark.slow)])
def test_every_code_point_in_one_context(name):
    pattern = NAMED_PATTERNS[name]
    text = every_code_point("x{}1 {}'")
    assert ours(pattern, text) == hf_pieces(pattern, text)


@pytest.mark.parametrize("name", sorted(NAMED_PATTERNS))
def test_disagreeing_code_points_in_many_contexts(name):
    pattern = NAMED_PATTERNS[name]
    splitter = pretoken_regex(pattern)
    points = np.nonzero(splitter.disagree)[0]
    assert len(points) > 10_000  # regex's tables are newer than tokenizers' (if this fails, they caught up)
    rng = np.random.default_rng(0)
    others = [chr(c) for c in rng.choice(0x10000, 3000) if not 0xD800 <= c <= 0xDFFF]
    for context in ("a{}1", " {}{}", "'{}s", "{}'s", "\n{}\n ", "A{}a", "1{}2", "{} {}", "\u00e9{}\u0301"):
        text = "".join(context.replace("{}", chr(c)) for c in points) + "".join(
            context.replace("{}", c) for c in others)
        assert ours(pattern, text) == hf_pieces(pattern, text), context


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cl100k", "o200k"])  # gpt2, llama3 and qwen3 test cl100k's classes
def test_every_code_point_in_more_contexts(name):
    pattern = NAMED_PATTERNS[name]
    for context in ("a{}1", " {}{}", "A{}'t"):
        text = every_code_point(context)
        assert ours(pattern, text) == hf_pieces(pattern, text), context


def test_findall_equals_the_pieces_on_real_text():
    text = open(__file__, encoding="utf-8").read() + KNOWN * 3 + " Überprüfung 東京 ١٢٣"
    for pattern in (GPT2, O200K):
        assert pretoken_regex(pattern).findall(text) == hf_pieces(pattern, text)


def test_classes_of_a_pattern():
    assert pattern_classes(CL100K) == [r"\p{L}", r"\p{N}", r"\s"]
    assert pattern_classes(r"\P{Lu}\b[^\d]") == [r"\d", r"\p{Lu}", r"\w"]


def test_a_custom_pattern_with_negated_classes():
    pattern = r"\P{L}+|\w+"
    text = every_code_point("{}a ")[:200_000] + KNOWN
    assert ours(pattern, text) == hf_pieces(pattern, text)


def test_it_pickles_by_pattern():
    import pickle

    again = pickle.loads(pickle.dumps(pretoken_regex(CL100K)))
    assert isinstance(again, PretokenRegex) and again.pattern == CL100K
