"""The fast canonicality test (pair table + pretokenizer classes) against ``tok.encode``."""

from __future__ import annotations

import random

import numpy as np
import pytest
import regex

from anytok.bytelm.canonical import CanonicalFilter
from anytok.bytelm.reference import admissible_encodings
from anytok.bytelm.pieces import piece_starts, piece_starts_by_matches
from anytok.bytelm.pairs import PairTable
from anytok.bytelm.canonical import merge_results
from anytok.bytelm.trie import TokenTrie
from anytok.tokenizer.patterns import NAMED_PATTERNS
from tests.bytelm.conftest import TEXTS


# Contexts around the characters the tiny tokenizer's tokens split: 😀 is f0 9f | 98 80, and
# 日本語 is ' \xe6\x97' | '\xa5\xe6' | '\x9c\xac\xe8' | '\xaa\x9e'.
SPLIT_CONTEXTS = [b"\xf0", b" \xf0\x9f", b"\xf0\x9f\x98", b" \xe6\x97\xa5", b" \xe6\x97\xa5\xe6",
                  b" \xe6\x97\xa5\xe6\x9c", b"\xe6\x97\xa5\xe6\x9c\xac\xe8", b"na\xc3", b" na\xc3\xaf",
                  b"\xc3\xafve", b"caf\xc3\xa9 \xf0\x9f\x98\x80", b"\xff\xf0\x9f", b"a  \xe6", b"\n\xe2\x80"]


def _contexts(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    data = "".join(TEXTS).encode()
    out = [b"", b"x  ", b"1234", b"\n\n  ", b"caf\xc3", b"\xf0\x9f\x98", b"a\xff", b"it's", b"'",
           b" Constantinople", b"ABCDEFGHIJ", b"\nwonderfully", b" McDonaldsss", b"they'reee",  # long letter runs
           b":\n        ", b"x         ", b"\n\n            ", b"a =        "]  # long space runs
    for _ in range(n):
        start = rng.randrange(len(data))
        out.append(data[start:start + rng.randrange(1, 24)])
    return out


def _reference_groups(tok, context: bytes, t: int) -> set[tuple[int, ...]]:
    """{L : L + [t] is admissible and L spells ``context``}, by plain encoding."""
    return {seq[:-1] for seq in admissible_encodings(tok, context + tok.token_bytes(t))
            if seq[-1] == t and tok.decode(list(seq[:-1])) == context}


@pytest.mark.parametrize("which", ["tok", "tok_llama3"])
def test_groups_equal_the_admissible_encodings(request, which):
    """Every (L, t) the filter allows is admissible, and every admissible one is allowed: tokens
    that end inside a character (f0 9f, na\xc3) and contexts that do (caf\xc3, \xf0\x9f\x98)."""
    _assert_groups_equal_reference(request.getfixturevalue(which), SPLIT_CONTEXTS + _contexts(16))


def _assert_groups_equal_reference(tok, contexts) -> None:
    """The filter's (L, t) groups after each context equal those found by plain encoding."""
    filt = CanonicalFilter(tok)
    tokens = [i for i, b in enumerate(tok.vocab) if b and i not in tok.special_ids]
    for context in contexts:
        got: dict[int, set] = {t: set() for t in tokens}
        for prefix, allowed in filt.groups(context, tok.encode(context)):
            for t in np.nonzero(allowed)[0].tolist():
                got[t].add(prefix)
        for t in tokens:
            assert got[t] == _reference_groups(tok, context, t), (context, tok.token_bytes(t))


def test_pair_table_equals_bpe_on_every_pair(tok):
    table = PairTable(tok.vocab, tok.merges, result_ids=merge_results(tok))
    from anytok.bytelm.canonical import _raw_bpe_backend

    raw = _raw_bpe_backend(tok)
    tokens = [i for i, b in enumerate(tok.vocab) if b and i not in tok.special_ids]
    rng = random.Random(0)
    for a in rng.sample(tokens, 40):
        ok = table.ok_after(a)
        for t in tokens:
            try:  # raw BPE works on text: pairs of partial characters are skipped
                text, right = (tok.token_bytes(a) + tok.token_bytes(t)).decode(), tok.token_bytes(t).decode()
            except UnicodeDecodeError:
                continue
            if raw.encode(right, add_special_tokens=False).ids != [t]:
                continue
            assert ok[t] == (raw.encode(text, add_special_tokens=False).ids == [a, t]), (a, t)


def test_trie_child_masses_equal_a_plain_sum(tok):
    trie = TokenTrie(tok.vocab, exclude=tok.special_ids)
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(tok.vocab_size))
    allowed = rng.random(tok.vocab_size) < 0.7
    for prefix in [b"", b"t", b"th", b" ", b"\xc3", b"zzz"]:
        got = trie.child_masses(probs, allowed, prefix)
        want = np.zeros(256)
        for i, data in enumerate(tok.vocab):
            if data and i not in tok.special_ids and allowed[i] and data.startswith(prefix) and len(data) > len(prefix):
                want[data[len(prefix)]] += probs[i]
        assert np.allclose(got, want, rtol=1e-12, atol=1e-15)


def test_trie_with_tokens_that_share_bytes():
    """SentencePiece vocabularies hold a byte piece <0x61> and an ordinary piece "a"."""
    vocab = [b"a", b"a", b"ab", b"b", b"abc", None]
    trie = TokenTrie(vocab)
    assert sorted(trie.ids_of(b"a").tolist()) == [0, 1]
    got = trie.child_masses(np.full(6, 1 / 6), np.ones(6, dtype=bool), b"a")
    assert np.isclose(got[ord("b")], 2 / 6) and got.sum() == got[ord("b")]


def test_split_points_equal_a_plain_scan(tok):
    """Split points found from the previous prefix's equal a scan of every suffix."""
    from anytok.bytelm.covers import CoverSearch

    covers = CoverSearch(tok, runner=None)
    trie = covers.trie
    data = "".join(TEXTS).encode()[:600]
    order = list(range(len(data) + 1)) + [37, 5, 400, 401, 3]  # a scan, then out-of-order prefixes
    for k in order:
        x = data[:k]
        for extend in (True, False):
            longest = trie.max_len - (1 if extend else 0)
            top = len(x) if extend else len(x) - 1
            want = [i for i in range(top, max(0, len(x) - longest) - 1, -1)
                    if not x[i:] or any(b and b.startswith(x[i:]) for b in tok.vocab)]
            assert covers.split_points(x, extend=extend) == want, (x[-20:], extend)


@pytest.mark.parametrize("pattern", [
    *[pytest.param(p, id=name) for name, p in NAMED_PATTERNS.items()],
    pytest.param(r"\p{L}+| ", id="gaps"),  # digits and punctuation are left as unmatched gaps
    pytest.param(r"(\p{L})+|\s+|\p{N}", id="groups"),  # findall would give the group, not the match
    pytest.param(r"\s*|\p{L}+", id="empty-matches"),
])
def test_piece_starts_equal_finditer(pattern):
    compiled = regex.compile(pattern)
    rng = random.Random(0)
    chars = "aA0 \n\t'!.é中\r1_-"
    for _ in range(3000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        assert piece_starts(compiled, text) == piece_starts_by_matches(compiled, text), repr(text)


@pytest.mark.slow
def test_named_patterns_collapse_runs():
    """The named patterns skip the run-collapse probe at run time (COLLAPSING_PATTERNS); here the
    probe runs for each of them on the token classes of o200k's 200k-token vocabulary."""
    import base64
    from pathlib import Path

    from anytok.bytelm.classes import COLLAPSING_PATTERNS, char_class, runs_collapse

    ranks = Path(__file__).resolve().parents[2].parent / "shared" / "tokenizers" / "o200k.tiktoken"
    if not ranks.exists():
        pytest.skip(f"{ranks} not found (the shared folder sits beside the clone)")
    classes = set()
    for line in ranks.read_bytes().splitlines():
        try:
            classes.add(char_class(base64.b64decode(line.split()[0]).decode("utf-8"), keep_first=2))
        except UnicodeDecodeError:
            continue
    classes = sorted(classes)
    assert set(NAMED_PATTERNS.values()) <= COLLAPSING_PATTERNS
    for name, pattern in NAMED_PATTERNS.items():
        assert runs_collapse(regex.compile(pattern), classes), name
    # the probe can fail: a pattern that counts letters (groups of at most 4) does not collapse
    assert not runs_collapse(regex.compile(r"\p{L}{1,4}|\s+|\p{N}+|[^\s\p{L}\p{N}]+"), classes)


def test_groups_agree_with_encode_on_code_points_the_regex_engines_disagree_on():
    """U+0558, U+0C5C, U+A7CE are letters to the regex module but not to HF tokenizers, which
    encodes: the filter must split pretokens as tokenizers does (issue 15)."""
    from tests.tiny import tiny_tokenizer

    odd = "a\u05581 b\u0558c \u0c5c\u0c5cx \ua7ce9 x\u0558\u0558 don't\n"
    tok = tiny_tokenizer([odd * 8, TEXTS[0]], vocab_size=330)
    data = odd.encode()
    _assert_groups_equal_reference(tok, [data[:k] for k in range(1, len(data))])


def test_class_stand_ins_keep_what_tokenizers_sees_of_every_code_point():
    """char_class replaces characters by stand-ins chosen from Python's unicodedata; the pattern
    then tests the stand-in, so it must be in the same classes as the character, in the tables of
    HF tokenizers (whose pretokenizer decides) - for every code point, whatever Python's version."""
    from anytok.bytelm.classes import char_class
    from anytok.tokenizer.onig import onig_members, pattern_classes

    members = [onig_members(cls) for cls in pattern_classes(NAMED_PATTERNS["o200k"])]
    signature = np.zeros(0x110000, dtype=np.int64)
    for bit, m in enumerate(members):
        signature |= m.astype(np.int64) << bit
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    stand_ins = char_class("".join(map(chr, points)))
    assert len(stand_ins) == len(points)
    codes = np.fromiter(map(ord, stand_ins), dtype=np.int64, count=len(points))
    wrong = np.nonzero(signature[codes] != signature[np.asarray(points)])[0]
    assert not len(wrong), [hex(points[i]) for i in wrong[:10]]
