"""Counts folders: the same bytes from every engine and worker count, folders that add up, 64-bit
counts, training from counts equal to training from the corpus, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import anytok
from anytok.counting.shards import decode_shard, encode_shard, load_counts, read_info, write_counts
from anytok.errors import AnytokError, CorpusError, EngineError
from anytok.tokenizer.patterns import CL100K


@pytest.fixture(scope="module")
def corpus(shared, tmp_path_factory) -> list[Path]:
    """Three files of distinct real text (prose, Python, German), ~150 KB each."""
    folder = tmp_path_factory.mktemp("corpus")
    files = []
    for name in ("en_prose.txt", "code_python.txt", "parallel/de.txt"):
        text = (shared / "corpus" / name).read_bytes()[:150_000].decode("utf-8", "ignore")
        path = folder / Path(name).name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_every_worker_count_writes_the_same_bytes(corpus, tmp_path):
    made = []
    for processes in (1, 2, 4):
        out = tmp_path / f"c{processes}"
        anytok.count(corpus, output=out, pattern="cl100k", processes=processes, progress=False)
        made.append(_folder_bytes(out))
    assert made[0] == made[1] == made[2]
    assert len(made[0]) == 17  # 16 shards and the manifest


def test_ray_writes_the_same_bytes_as_local(corpus, tmp_path):
    pytest.importorskip("ray")
    anytok.count(corpus, output=tmp_path / "local", pattern="cl100k", progress=False)
    anytok.count(corpus, output=tmp_path / "ray", pattern="cl100k", engine="ray", progress=False)
    assert _folder_bytes(tmp_path / "local") == _folder_bytes(tmp_path / "ray")


@pytest.mark.parametrize("algorithm", ["bpe", "superbpe"])
def test_training_from_counts_equals_training_from_the_corpus(corpus, tmp_path, algorithm):
    anytok.count(corpus, output=tmp_path / "c", algorithm=algorithm, pattern="cl100k", progress=False)
    direct = anytok.train(corpus, algorithm=algorithm, vocab_size=1200, pattern="cl100k", progress=False)
    counted = anytok.train(algorithm=algorithm, from_counts=[tmp_path / "c"], vocab_size=1200, pattern="cl100k",
                           progress=False)
    assert counted.to_hf_json() == direct.to_hf_json()


def test_folders_from_several_runs_add_up(corpus, tmp_path):
    anytok.count(corpus[:1], output=tmp_path / "a", pattern="cl100k", progress=False)
    anytok.count(corpus[1:], output=tmp_path / "b", pattern="cl100k", progress=False, shards=4)  # other sharding
    anytok.count(corpus, output=tmp_path / "all", pattern="cl100k", progress=False)
    regex = read_info(tmp_path / "all").regex
    assert load_counts([tmp_path / "a", tmp_path / "b"], regex=regex) == load_counts([tmp_path / "all"], regex=regex)
    whole = anytok.train(from_counts=[tmp_path / "all"], vocab_size=900, pattern="cl100k", progress=False)
    parts = anytok.train(from_counts=[tmp_path / "a", tmp_path / "b"], vocab_size=900, pattern="cl100k",
                         progress=False)
    assert parts.merges == whole.merges


def test_counts_past_32_bits_survive(tmp_path):
    counts = {b"ab": 2**31 + 7, b"cd": 2**31 - 1, b"abcd": 2**40, b"e": 1}
    assert dict(decode_shard(encode_shard(counts), "x")) == counts
    write_counts(tmp_path / "big", counts, regex=CL100K, shards=2)
    assert load_counts([tmp_path / "big"], regex=CL100K) == dict(sorted(counts.items()))
    doubled = load_counts([tmp_path / "big", tmp_path / "big"], regex=CL100K)
    assert doubled[b"abcd"] == 2**41 and doubled[b"ab"] == 2**32 + 14
    tok = anytok.train(from_counts=[tmp_path / "big"], vocab_size=259, pattern="cl100k", progress=False)
    # pair counts: ab 2**40 + 2**31 + 7 > cd 2**40 + 2**31 - 1 > bc 2**40: a 32-bit count would wrap
    assert [tok.token_bytes(a) + tok.token_bytes(b) for a, b in tok.merges] == [b"ab", b"cd", b"abcd"]


def test_max_types_keeps_the_most_frequent_with_a_fixed_tie_rule(corpus, tmp_path):
    anytok.count(corpus, output=tmp_path / "all", pattern="cl100k", progress=False)
    anytok.count(corpus, output=tmp_path / "cap", pattern="cl100k", progress=False, max_types=500)
    full = load_counts([tmp_path / "all"], regex=read_info(tmp_path / "all").regex)
    capped = load_counts([tmp_path / "cap"], regex=read_info(tmp_path / "cap").regex)
    expected = dict(sorted(sorted(full.items(), key=lambda kv: (-kv[1], kv[0]))[:500]))
    assert capped == expected


# -- bad input: one clear error, nothing written ----------------------------------------------------
def test_counts_from_another_pattern(corpus, tmp_path):
    anytok.count(corpus[:1], output=tmp_path / "c", pattern="gpt2", progress=False)
    with pytest.raises(CorpusError, match="another pretokenizer pattern"):
        anytok.train(from_counts=[tmp_path / "c"], vocab_size=300, pattern="cl100k", progress=False)
    with pytest.raises(CorpusError, match="another pretokenizer pattern"):  # bpe counts are not superbpe's
        anytok.train(algorithm="superbpe", from_counts=[tmp_path / "c"], vocab_size=300, progress=False)


def test_a_newer_format_version(corpus, tmp_path):
    anytok.count(corpus[:1], output=tmp_path / "c", progress=False)
    manifest = tmp_path / "c" / "counts.json"
    doc = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**doc, "version": 2}))
    with pytest.raises(CorpusError, match="version 2, newer than this anytok reads"):
        anytok.train(from_counts=[tmp_path / "c"], vocab_size=300, progress=False)


def test_a_damaged_or_truncated_shard(corpus, tmp_path):
    anytok.count(corpus[:1], output=tmp_path / "c", progress=False, shards=2)
    shard = next((tmp_path / "c").glob("shard-*"))
    shard.write_bytes(shard.read_bytes()[:-3])
    with pytest.raises(CorpusError, match="does not match its sha256"):
        anytok.train(from_counts=[tmp_path / "c"], vocab_size=300, progress=False)
    with pytest.raises(CorpusError, match="is truncated"):
        list(decode_shard(shard.read_bytes(), str(shard)))


def test_a_ray_address_that_does_not_answer(corpus, tmp_path):
    pytest.importorskip("ray")
    with pytest.raises(EngineError, match="does not answer"):
        anytok.count(corpus, output=tmp_path / "c", engine="ray", address="127.0.0.1:1", progress=False)
    assert not (tmp_path / "c").exists() and not list(tmp_path.iterdir())


def test_a_failed_count_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\nnot json\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="bad.jsonl:2"):
        anytok.count([bad], output=tmp_path / "c", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def test_an_existing_folder_needs_overwrite(corpus, tmp_path):
    anytok.count(corpus[:1], output=tmp_path / "c", progress=False)
    with pytest.raises(AnytokError, match="--overwrite"):
        anytok.count(corpus[:1], output=tmp_path / "c", progress=False)
    anytok.count(corpus[:1], output=tmp_path / "c", progress=False, overwrite=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(AnytokError, match="no counts"):
        anytok.count(corpus[:1], output=tmp_path / "other", progress=False, overwrite=True)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_the_cli_counts_and_trains(corpus, tmp_path):
    from typer.testing import CliRunner

    from anytok.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["count", *map(str, corpus), "-o", str(tmp_path / "c"), "-p", "cl100k",
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["train", "--from-counts", str(tmp_path / "c"), "-n", "600", "-p", "cl100k",
                                 "-o", str(tmp_path / "t.json"), "--no-progress"])
    assert result.exit_code == 0, result.output
    direct = anytok.train(corpus, vocab_size=600, pattern="cl100k", progress=False)
    assert anytok.load(tmp_path / "t.json").merges == direct.merges
    result = runner.invoke(app, ["train", "--from-counts", str(tmp_path / "c"), "-n", "600", "-o",
                                 str(tmp_path / "u.json"), "--no-progress"])
    assert result.exit_code == 1 and "another pretokenizer pattern" in result.output
    assert not (tmp_path / "u.json").exists()


def test_an_existing_folder_is_refused_before_counting(tmp_path, monkeypatch):
    import anytok.counting.engines as engines

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "counts.json").write_text("{}")
    (tmp_path / "a.txt").write_text("some text\n")
    monkeypatch.setattr(engines, "count_sources", lambda *a, **k: pytest.fail("counted before checking -o"))
    with pytest.raises(AnytokError, match="--overwrite"):
        anytok.count([tmp_path / "a.txt"], output=tmp_path / "c", progress=False)
    with pytest.raises(AnytokError, match="one of the inputs"):
        anytok.count([tmp_path / "c"], output=tmp_path / "c", progress=False, overwrite=True)
