"""Corpus sources: files, folders, globs, .jsonl; clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from anytok.errors import CorpusError
from anytok.corpus import iter_text_chunks, resolve_files


def test_chunks_end_at_line_ends_and_rebuild_the_file(tmp_path):
    text = "".join(f"line {i} héllo wörld\n" for i in range(2000))
    path = tmp_path / "a.txt"
    path.write_text(text, encoding="utf-8")
    chunks = list(iter_text_chunks(path, chunk_bytes=1000))
    assert len(chunks) > 10
    assert all(c.endswith("\n") for c in chunks)
    assert "".join(chunks) == text


def test_a_line_longer_than_a_chunk_is_not_split_inside_a_character(tmp_path):
    text = "é" * 5000 + "\nend"
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    assert "".join(iter_text_chunks(path, chunk_bytes=1001)) == text


def test_folders_globs_and_jsonl(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("from folder\n", encoding="utf-8")
    (tmp_path / "d" / ".hidden").write_text("secret\n", encoding="utf-8")
    (tmp_path / "g1.txt").write_text("glob one\n", encoding="utf-8")
    records = [{"text": "first record"}, {"text": "second\nrecord", "id": 2}]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    text = "".join(iter_text_chunks([tmp_path / "d", str(tmp_path / "g*.txt"), tmp_path / "r.jsonl"]))
    assert text == "from folder\nglob one\nfirst record\nsecond\nrecord\n"  # each record ends its line


def test_jsonl_other_field(tmp_path):
    (tmp_path / "r.jsonl").write_text('{"body": "abc"}\n', encoding="utf-8")
    assert list(iter_text_chunks(tmp_path / "r.jsonl", text_field="body")) == ["abc\n"]
    with pytest.raises(CorpusError, match="no text field 'text'"):
        list(iter_text_chunks(tmp_path / "r.jsonl"))


@pytest.mark.parametrize("make, message", [
    pytest.param(lambda p: str(p / "missing.txt"), "does not exist", id="missing-file"),
    pytest.param(lambda p: str(p / "*.nothing"), "matches no file", id="empty-glob"),
    pytest.param(lambda p: (p / "empty.txt").write_text("") and None or str(p / "empty.txt"), "is empty", id="empty"),
])
def test_bad_sources_raise_corpus_error(tmp_path, make, message):
    with pytest.raises(CorpusError, match=message):
        list(iter_text_chunks(make(tmp_path)))


def test_non_utf8_names_file_and_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    good = ("ok line\n" * 300).encode()
    path.write_bytes(good + "café\n".encode("latin-1"))
    with pytest.raises(CorpusError) as err:
        list(iter_text_chunks(path, chunk_bytes=512))
    assert str(path) in str(err.value)
    assert f"byte offset {len(good) + 3}" in str(err.value)


def test_resolve_keeps_order(tmp_path):
    for name in ("b.txt", "a.txt"):
        (tmp_path / name).write_text("x\n")
    assert [p.name for p in resolve_files([tmp_path / "b.txt", tmp_path / "a.txt"])] == ["b.txt", "a.txt"]


@pytest.mark.parametrize("pattern", ["gpt2", "cl100k", "o200k", "llama3"])
def test_chunk_cuts_never_split_a_pretoken_of_the_whole_text(tmp_path, pattern):
    """Whitespace runs across newlines (``"\\n  \\n"``, ``"\\n\\r"``) and o200k's ``"!\\n/"`` are one
    pretoken of the whole text: the chunks' pretokens are the whole text's, found by regex."""
    import regex

    from anytok.tokenizer.patterns import resolve_pattern

    pieces = ["x = 1\n", "    y\n", "\n\r", "  \n", "\u00a0\n", "!\n/path\n", "word\n", "\t\n", "z"]
    rng = __import__("random").Random(0)
    text = "".join(rng.choice(pieces) for _ in range(3000))
    path = tmp_path / "ws.txt"
    path.write_text(text, encoding="utf-8", newline="")
    chunks = list(iter_text_chunks(path, chunk_bytes=64))
    assert len(chunks) > 100 and "".join(chunks) == text
    compiled = regex.compile(resolve_pattern(pattern))
    assert [m for c in chunks for m in compiled.findall(c)] == compiled.findall(text)
