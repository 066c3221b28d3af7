"""Prefix encodings built from hard cuts equal ``tok.encode`` of every prefix."""

from __future__ import annotations

import pytest

import anytok
from anytok.bytelm.prefixes import PrefixEncoder, hard_cuts_hold, last_hard_cut

# newlines before letters, digits, punctuation, spaces, tabs, other newlines, CRLF and non-ASCII
TRICKY = ("def f(x):\n    return x  \n\n\nclass A:\n\tpass\r\nx = 1\n123456\n(a)\n  \n b\n\u00e9t\u00e9\n"
          "it's\n'd\n\u00a0\n#!\n   \n\nend\n\n"
          # letters before spaces: runs of spaces, contractions, digits, punctuation, non-ASCII after
          "it's a  b   c\td x 1 y ' z '' q- r\u00e9 s \u00e9t\u00e9 t \u4e2d u\u00a0v Don't  I'LL w \n").encode() * 2


def test_last_hard_cut_by_hand():
    data = b"ab\n\ncd\n ef\ng"
    assert last_hard_cut(data) == 11  # before "g"
    assert last_hard_cut(data, 11) == 4  # "\n " is not a cut; "\nc" is
    assert last_hard_cut(data, 4) == 0
    assert last_hard_cut(b"ab\n") == 0  # the character after the newline must lie inside
    assert last_hard_cut(b"ab cd") == 2  # a letter before a space: the space starts the next piece
    assert last_hard_cut(b"ab cd", 2) == 0  # the space must lie inside
    assert last_hard_cut("a1 ,  \u00e9 ".encode()) == 0  # after a digit, punctuation, a space, non-ASCII: no cut


@pytest.mark.parametrize("name", ["cl100k", "o200k", "llama3", "qwen3"])
def test_every_prefix_equals_a_plain_encode(shared, name):
    tok = anytok.load(shared / "tokenizers" / f"{name}.tiktoken")
    assert hard_cuts_hold(tok)
    enc = PrefixEncoder(tok)
    prose = (shared / "corpus" / "en_prose.txt").read_bytes()[200_000:202_000]
    for text in (TRICKY, (shared / "corpus" / "code_python.txt").read_bytes()[:3000], prose):
        for i in range(len(text) + 1):
            assert enc.encode(text[:i]) == tuple(tok.encode(text[:i])), (name, text[max(0, i - 30):i])


@pytest.mark.parametrize("which", ["tok", "tok_llama3"])
def test_the_tiny_tokenizers_use_cuts_and_agree(request, which):
    tok = request.getfixturevalue(which)
    enc = PrefixEncoder(tok)
    assert enc.cuts
    for i in range(len(TRICKY) + 1):
        assert enc.encode(TRICKY[:i]) == tuple(tok.encode(TRICKY[:i]))


def test_cuts_are_off_when_a_special_token_holds_a_newline(tok):
    doc = tok.to_hf_json()
    doc["added_tokens"] = [*doc["added_tokens"], {"id": tok.vocab_size, "content": "\nHuman:", "single_word": False,
                                                  "lstrip": False, "rstrip": False, "normalized": False,
                                                  "special": True}]
    assert not hard_cuts_hold(anytok.Tokenizer.from_hf_json(doc))


@pytest.mark.parametrize("content", [pytest.param("New York", id="letter-space"), pytest.param("a\nb", id="newline")])
def test_cuts_are_off_when_a_plain_added_token_holds_a_cut(tok, content):
    doc = tok.to_hf_json()
    doc["added_tokens"] = [*doc["added_tokens"], {"id": tok.vocab_size, "content": content, "single_word": False,
                                                  "lstrip": False, "rstrip": False, "normalized": False,
                                                  "special": False}]
    plain = anytok.Tokenizer.from_hf_json(doc)
    assert content not in plain.special_tokens  # matched whole in text all the same
    assert not hard_cuts_hold(plain)
