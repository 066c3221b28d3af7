"""Reading evaluation text: chunking files, parallel folders and their errors."""

from __future__ import annotations

import pytest

from anytok.errors import CorpusError
from anytok.scoring.corpus import chunk_text, read_parallel


def test_chunks_join_to_the_text_and_cut_at_line_ends():
    text = "".join(f"line {i}\n" for i in range(2000))
    chunks = chunk_text(text, chunk_chars=1000)
    assert "".join(chunks) == text
    assert len(chunks) > 5 and all(c.endswith("\n") for c in chunks)


def _write(folder, **files):
    for lang, lines in files.items():
        (folder / f"{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_parallel_reads_english_first(tmp_path):
    _write(tmp_path, de=["a", "b"], en=["x", "y"], fr=["c", "d"])
    assert list(read_parallel(tmp_path)) == ["en", "de", "fr"]
    assert list(read_parallel(tmp_path, languages=["fr"])) == ["en", "fr"]


def test_parallel_without_english(tmp_path):
    _write(tmp_path, de=["a"])
    with pytest.raises(CorpusError, match=r"no en\.txt"):
        read_parallel(tmp_path)


def test_parallel_missing_listed_language(tmp_path):
    _write(tmp_path, en=["a"], de=["b"])
    with pytest.raises(CorpusError, match=r"language\(s\) fr"):
        read_parallel(tmp_path, languages=["de", "fr"])


def test_parallel_unaligned_names_both_files_and_counts(tmp_path):
    _write(tmp_path, en=["a", "b", "c"], de=["x", "y"])
    with pytest.raises(CorpusError) as err:
        read_parallel(tmp_path)
    msg = str(err.value)
    assert "en.txt has 3 lines" in msg and "de.txt has 2" in msg


def test_parallel_missing_folder(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        read_parallel(tmp_path / "nope")


@pytest.mark.parametrize("source", [pytest.param("missing.txt", id="str"), pytest.param(["a.md"], id="list")])
def test_missing_file_is_an_error_not_text(source, tmp_path, monkeypatch):
    from anytok.scoring.corpus import normalize_texts

    monkeypatch.chdir(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        normalize_texts(source)


def test_plain_strings_stay_text():
    from anytok.scoring.corpus import normalize_texts

    assert normalize_texts(["hello world", "x"]) == {"text": ["hello world", "x"]}
    assert normalize_texts("e.g. this.txt is prose") == {"text": ["e.g. this.txt is prose"]}
