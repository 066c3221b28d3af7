"""anytok.score on tiny tokenizers built in code, checked against direct counts."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

import anytok
from anytok.errors import CorpusError
from anytok.scoring import ScoreOptions, score
from anytok.scoring.vocab_checks import vocab_problems

from .conftest import build_bpe

TEXT = "the cat sat on the mat.\nthe cat  sat there, then that cat ate.\n"


def test_bytes_tokens_and_renyi_match_direct_counts(tiny):
    card = score(tiny, TEXT, progress=False)
    ids = tiny.encode(TEXT)
    d = card.domain("text")
    assert d.tokens == len(ids)
    assert d.bytes_per_token == pytest.approx(len(TEXT.encode()) / len(ids))
    assert d.chars_per_token == pytest.approx(len(TEXT) / len(ids))
    size = sum(b is not None for b in tiny.vocab)
    counts = Counter(ids)
    direct = (1 / (1 - 2.5)) * math.log(sum((c / len(ids)) ** 2.5 for c in counts.values())) / math.log(size)
    assert d.renyi_efficiency == pytest.approx(direct)
    assert d.vocab_utilisation == pytest.approx(len(counts) / size)
    assert d.round_trip_failures == 0


def test_fertility_hand_counted(tiny):
    # "the" -> [the]; " cat" -> [ cat]; " " alone; " sat" -> [ , s, at]; "." joins "sat.".
    # Pure-whitespace tokens belong to no word, so "sat." has s, at, "." = 3 tokens.
    card = score(tiny, "the cat  sat.", progress=False)
    assert card.overall.words == 3
    assert card.overall.fertility == pytest.approx((1 + 1 + 3) / 3)
    assert card.overall.continued_words == pytest.approx(1 / 3)


def test_normalized_sequence_length_against_reference(tiny):
    bytes_only = build_bpe([], name="bytes")
    card = score(tiny, TEXT, reference=bytes_only, progress=False)
    assert card.reference == "bytes"
    assert card.overall.normalized_seq_len == pytest.approx(len(tiny.encode(TEXT)) / len(TEXT.encode()))


def test_domains_from_mapping_and_files(tiny, tmp_path):
    (tmp_path / "prose.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "code.txt").write_text("def f(x):\n    return x\n", encoding="utf-8")
    card = score(tiny, [tmp_path / "prose.txt", tmp_path / "code.txt"], progress=False)
    assert [d.name for d in card.domains] == ["prose", "code"]
    assert card.overall.tokens == sum(d.tokens for d in card.domains)
    by_map = score(tiny, {"a": [TEXT], "b": "def f(x):\n    return x\n"}, progress=False)
    assert [d.tokens for d in by_map.domains] == [d.tokens for d in card.domains]


def test_unreachable_and_non_utf8_tokens_are_caught():
    # "xyz" and "ca" are in the vocabulary but no merge builds them; "\xe4\xb8" is half of a character
    tok = build_bpe([("a", "t"), ("\xe4", "\xb8")], extra=[b"xyz", b"ca"])
    problems = vocab_problems(tok)
    assert sorted(tok.token_bytes(i) for i in problems.unreachable) == [b"ca", b"xyz"]
    assert [tok.token_bytes(i) for i in problems.invalid_utf8] == [b"\xe4\xb8"]
    card = score(tok, "a cat", progress=False)
    assert card.unreachable_tokens == 2 and card.invalid_utf8_tokens == 1


def test_tokenizer_json_whose_merges_skip_a_token(tiny):
    assert vocab_problems(tiny).unreachable == ()
    doc = tiny.to_hf_json()
    doc["model"]["merges"] = [m for m in doc["model"]["merges"] if m not in (["Ġ", "c"], "Ġ c")]
    tok = anytok.Tokenizer.from_hf_json(doc, name="skipped")
    unreachable = {tok.token_bytes(i) for i in vocab_problems(tok).unreachable}
    assert unreachable == {b" c", b" cat"}  # " cat" needed " c" first


def test_round_trip_failures_counted():
    doc = build_bpe([]).to_hf_json()
    doc["normalizer"] = {"type": "Lowercase"}
    tok = anytok.Tokenizer.from_hf_json(doc, name="lower")
    card = score(tok, ["The Cat", "the cat", "A"], progress=False)
    assert card.overall.round_trip_failures == 2


def test_superword_shares():
    tok = build_bpe([("a", " "), ("a ", "b")], pattern=r"[^\n]+|\n", name="super")
    card = score(tok, "a b a b", progress=False)  # -> "a b", " ", "a b"
    assert card.overall.tokens == 3
    assert card.overall.superword_token_share == pytest.approx(2 / 3)
    assert card.superword_vocab_share == pytest.approx(1 / 258)


def test_premiums_against_raw_token_counts(tiny):
    lines = {"en": ["the cat", "that hat"], "de": ["die Katze", "der Hut"], "xx": ["zzzz zzzz zz", "q"]}
    card = score(tiny, TEXT, parallel=lines, progress=False)
    raw = {lang: sum(len(tiny.encode(s)) for s in rows) for lang, rows in lines.items()}
    assert dict(card.parallel.tokens) == raw
    assert card.parallel.premiums["de"] == pytest.approx(raw["de"] / raw["en"])
    assert card.parallel.max_language == max(raw, key=raw.__getitem__)
    values = [raw[k] / raw["en"] for k in raw]
    naive = sum(abs(a - b) for a in values for b in values) / (2 * 9 * (sum(values) / 3))
    assert card.parallel.gini == pytest.approx(naive)


def test_ambiguity_counts_segmentations(tiny):
    card = score(tiny, "the the cat", progress=False)
    # "the": t|h|e, th|e, the -> 3; "cat": c|a|t, c|at -> 2 (" cat" needs the space)
    assert card.ambiguity.words == 2
    assert card.ambiguity.mean_segmentations == pytest.approx(2.5)
    assert card.ambiguity.share_ambiguous == 1.0


def test_to_dict_is_json_and_markdown_lists_domains(tiny):
    card = score(tiny, {"prose": TEXT, "code": "x = 1\n"}, progress=False)
    data = json.loads(json.dumps(card.to_dict()))
    assert data["tokenizer"] == "tiny" and len(data["domains"]) == 2
    md = card.to_markdown()
    assert "| metric | prose | code | all |" in md and "Rényi" in md


@pytest.mark.parametrize("texts", [pytest.param("", id="empty-string"), pytest.param([], id="empty-list"),
                                   pytest.param({"a": ""}, id="empty-domain")])
def test_empty_corpus_is_one_clear_error(tiny, texts):
    with pytest.raises(CorpusError, match="empty|no evaluation text"):
        score(tiny, texts, progress=False)


def test_empty_file_is_named(tiny, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty"):
        score(tiny, [empty], progress=False)


def test_bad_options_rejected():
    with pytest.raises(anytok.AnytokError, match="alpha"):
        ScoreOptions(alpha=0)


def test_comparison_json_round_trip(tiny):
    from anytok.scoring import Comparison, compare

    result = compare([tiny, build_bpe([], name="bytes")], {"prose": TEXT}, parallel={"en": ["the cat"], "de": ["die"]},
                     progress=False)
    again = Comparison.from_dict(json.loads(result.to_json()))
    assert again.to_markdown() == result.to_markdown()
    assert again.scorecards[0].token_length_histogram == result.scorecards[0].token_length_histogram


def test_parallel_mapping_checked(tiny):
    with pytest.raises(CorpusError, match="no 'en'"):
        score(tiny, TEXT, parallel={"de": ["x"]}, progress=False)
    with pytest.raises(CorpusError, match="'en' has 2 lines but 'de' has 1"):
        score(tiny, TEXT, parallel={"en": ["a", "b"], "de": ["x"]}, progress=False)


def test_progress_bar_on_request(tiny, capsys):
    card = score(tiny, TEXT, progress=True)  # a rich bar on stderr, even off a terminal
    assert card.overall.tokens == len(tiny.encode(TEXT))
