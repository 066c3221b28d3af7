"""The fast canonicality test (pair table + pretokenizer classes) against ``tok.encode``."""

from __future__ import annotations

import random

import numpy as np
import pytest
import regex

from anytok.bytelm.canonical import (CanonicalFilter, _piece_starts, is_canonical_extension,
                                     piece_starts_by_matches)
from anytok.bytelm.pairs import PairTable
from anytok.bytelm.canonical import merge_results
from anytok.bytelm.trie import TokenTrie
from anytok.tokenizer.patterns import NAMED_PATTERNS
from tests.bytelm.conftest import TEXTS


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


@pytest.mark.parametrize("which", ["tok", "tok_llama3"])
def test_mask_equals_encode(request, which):
    tok = request.getfixturevalue(which)
    filt = CanonicalFilter(tok)
    tokens = [i for i, b in enumerate(tok.vocab) if b and i not in tok.special_ids]
    for context in _contexts(60):
        mask = filt.mask(context, tok.encode(context))
        ref = np.zeros(tok.vocab_size, dtype=bool)
        ref[[t for t in tokens if is_canonical_extension(tok, context, t)]] = True
        assert (mask == ref).all(), (context, np.nonzero(mask != ref)[0][:10])


def test_groups_are_canonical_encodings(tok):
    """Every (L, t) a group allows is the tokenizer's own encoding of its bytes."""
    filt = CanonicalFilter(tok)
    for context in _contexts(40, seed=1):
        for prefix, allowed in filt.groups(context, tok.encode(context)):
            assert tok.decode(list(prefix)) == context
            for t in np.nonzero(allowed)[0][:40].tolist():
                seq = [*prefix, t]
                assert tok.encode(tok.decode(seq)) == seq, (context, seq)


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
        assert _piece_starts(compiled, text) == piece_starts_by_matches(compiled, text), repr(text)


@pytest.mark.slow
def test_named_patterns_collapse_runs():
    """The named patterns skip the run-collapse probe at run time (_COLLAPSING_PATTERNS); here the
    probe runs for each of them on the token classes of o200k's 200k-token vocabulary."""
    import base64
    from pathlib import Path

    from anytok.bytelm.canonical import _COLLAPSING_PATTERNS, char_class, runs_collapse

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
    assert set(NAMED_PATTERNS.values()) <= _COLLAPSING_PATTERNS
    for name, pattern in NAMED_PATTERNS.items():
        assert runs_collapse(regex.compile(pattern), classes), name
    # the probe can fail: a pattern that counts letters (groups of at most 4) does not collapse
    assert not runs_collapse(regex.compile(r"\p{L}{1,4}|\s+|\p{N}+|[^\s\p{L}\p{N}]+"), classes)
